"""The built-in rules other than NoDangerousShell: passing and failing files."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from chapi.rules import (
    AllowedOps,
    AuthThreeCases,
    JsonSchemaValid,
    NoInlineSecrets,
    NoRootUrl,
    PackFile,
    RuleContext,
    SafePath,
)
from chapi.runner.credentials import INVALID_VALUE
from chapi.specs.model import ApiModel, Operation, Response

API = ApiModel(
    spec_version="3.0",
    operations=(
        Operation(method="GET", path="/pets", security=(("bearer",),),
                  responses=(Response(status="200"),)),
        Operation(method="GET", path="/pets/{petId}", security=(("bearer",),)),
        Operation(method="GET", path="/health"),
    ),
)  # fmt: skip


def _step(
    name: str, auth: str, status: list[Any], path: str = "/pets", **extra: Any
) -> dict[str, Any]:
    return {
        "name": name,
        "operation": "GET /pets",
        "auth": auth,
        "request": {"method": "GET", "path": path, **extra},
        "expect": {"status": status},
    }


def _doc(*steps: dict[str, Any], role: str = "AUTH") -> str:
    return json.dumps(
        {"jsonir": 1, "name": "t", "role": role, "steps": list(steps)}, indent=2
    )


THREE_CASES = _doc(
    _step("none", "none", [401, 403]),
    _step("invalid", "invalid", [401]),
    _step("valid", "valid", [200]),
)


def _messages(
    rule: Any, file: PackFile, context: RuleContext | None = None
) -> list[str]:
    return [f.message for f in rule.check(file, context or RuleContext())]


# -- NoRootUrl -----------------------------------------------------------------


def test_norooturl_passes_relative_jsonir_and_base_url_bash() -> None:
    """Relative json-ir paths and curl URLs built on $BASE_URL pass; body URLs are data."""
    # Arrange
    jsonir = PackFile(
        "a.json", _doc(_step("s", "valid", [200], json={"photo": "https://x.io/p.png"}))
    )
    bash = PackFile(
        "a.sh",
        'BASE_URL="${BASE_URL%/}"\ncurl -sS -d \'{"u":"http://x.io"}\' "${BASE_URL}/pets"\n'
        'curl -sS "$BASE_URL/pets?x=1"\n',
    )

    # Act
    messages = _messages(NoRootUrl(), jsonir) + _messages(NoRootUrl(), bash)

    # Assert
    assert messages == []


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('curl "http://localhost:8080/pets"\n', "does not start with $BASE_URL"),
        ("curl //evil.example/pets\n", "does not start with $BASE_URL"),
        ('curl "ws://10.0.0.1:9000/x"\n', "does not start with $BASE_URL"),
        ('curl "${BASE_URL}@evil.example/x"\n', "continue with '/'"),
        ('curl "${BASE_URL}//evil.example/x"\n', "names a host"),
        (
            'BASE_URL=http://evil.example\ncurl "$BASE_URL/x"\n',
            "only come from the environment",
        ),
        ("HOST=127.0.0.1:8000\n", "assigned a host"),
        ('curl --resolve a:80:1.2.3.4 "$BASE_URL/x"\n', "reroutes"),
        ('curl -x proxy.local:3128 "$BASE_URL/x"\n', "reroutes"),
        ('curl -H "Host: evil.example" "$BASE_URL/x"\n', "redirects the request"),
        ('echo "see https://evil.example"\n', "names a host"),
    ],
)
def test_norooturl_refuses_hosts_in_bash(content: str, expected: str) -> None:
    """Hosts, ports, IPs and absolute URLs in request targets of bash files are errors."""
    # Arrange
    file = PackFile("a.sh", content)

    # Act
    messages = _messages(NoRootUrl(), file)

    # Assert
    assert any(expected in m for m in messages), messages


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        (_step("s", "valid", [200], path="/pets"), None),
        (
            {
                **_step("s", "valid", [200]),
                "request": {"method": "GET", "path": "//evil/x"},
            },
            "not relative",
        ),
        (
            {
                **_step("s", "valid", [200]),
                "request": {"method": "GET", "path": "http://evil/x"},
            },
            "not relative",
        ),
        (
            _step("s", "valid", [200], headers={"Host": "evil.example"}),
            "redirects the request",
        ),
        (
            _step("s", "valid", [200], headers={"X-Forwarded-Host": "e.example"}),
            "redirects the request",
        ),
    ],
)
def test_norooturl_jsonir_targets(step: dict[str, Any], expected: str | None) -> None:
    """json-ir paths must be relative and target headers are refused."""
    # Arrange
    file = PackFile("a.json", _doc(step))

    # Act
    messages = _messages(NoRootUrl(), file)

    # Assert
    if expected is None:
        assert messages == []
    else:
        assert any(expected in m for m in messages), messages


# -- AuthThreeCases --------------------------------------------------------------


def test_auth_three_cases_pass() -> None:
    """An AUTH file with none/invalid→401|403 and valid→2xx per secured operation passes."""
    # Arrange
    file = PackFile("auth.json", THREE_CASES, role="AUTH")

    # Act
    messages = _messages(AuthThreeCases(), file, RuleContext(api=API))

    # Assert
    assert messages == []


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ((_step("n", "none", [401]), _step("v", "valid", [200])), "lacks correct auth cases: invalid"),
        ((_step("n", "none", [200]), _step("i", "invalid", [401]), _step("v", "valid", [200])),
         "auth=none must expect only 401 or 403"),
        ((_step("n", "none", ["4XX"]), _step("i", "invalid", [401]), _step("v", "valid", [200])),
         "auth=none must expect only 401 or 403"),
        ((_step("n", "none", [401]), _step("i", "invalid", [401]), _step("v", "valid", [401])),
         "auth=valid must expect a 2xx"),
        ((_step("n", "none", [401]), _step("i", "invalid", [401, 404]), _step("v", "valid", [200])),
         "auth=invalid must expect only 401 or 403"),
    ],
)  # fmt: skip
def test_auth_three_cases_fail(
    steps: tuple[dict[str, Any], ...], expected: str
) -> None:
    """Missing cases and wrong expectations are errors."""
    # Arrange
    file = PackFile("auth.json", _doc(*steps), role="AUTH")

    # Act
    messages = _messages(AuthThreeCases(), file, RuleContext(api=API))

    # Assert
    assert any(expected in m for m in messages), messages


def test_auth_three_cases_ignores_unsecured_operations_and_other_roles() -> None:
    """Unsecured operations need no cases; files with another role are out of scope."""
    # Arrange
    health = {**_step("h", "valid", [200]), "operation": "GET /health"}
    health["request"] = {"method": "GET", "path": "/health"}
    auth_file = PackFile(
        "auth.json", _doc(*json.loads(THREE_CASES)["steps"], health), role="AUTH"
    )
    smoke = PackFile(
        "smoke.json", _doc(_step("v", "valid", [200]), role="SMOKE"), role="SMOKE"
    )

    # Act
    messages = _messages(AuthThreeCases(), auth_file, RuleContext(api=API))
    applies = AuthThreeCases().applies_to(smoke)

    # Assert
    assert messages == []
    assert applies is False


def test_auth_three_cases_reads_bash_markers() -> None:
    """Bash AUTH files are judged from their '# chapi:step' markers."""
    # Arrange
    marked = (
        '# chapi:step operation="GET /pets" auth=none expect=401,403\n'
        'curl -sS "$BASE_URL/pets"\n'
        '# chapi:step operation="GET /pets" auth=invalid expect=401\n'
        'curl -sS -H "Authorization: Bearer invalid" "$BASE_URL/pets"\n'
        '# chapi:step operation="GET /pets" auth=valid expect=200\n'
        'curl -sS -H "Authorization: Bearer $TOKEN" "$BASE_URL/pets"\n'
    )
    unmarked = 'curl -sS "$BASE_URL/pets"\n'

    # Act
    good = _messages(
        AuthThreeCases(), PackFile("a.sh", marked, "AUTH"), RuleContext(api=API)
    )
    bad = _messages(
        AuthThreeCases(), PackFile("b.sh", unmarked, "AUTH"), RuleContext(api=API)
    )

    # Assert
    assert good == []
    assert bad and "markers" in bad[0]


# -- JsonSchemaValid -------------------------------------------------------------


def test_json_schema_valid_passes_and_locates_violations() -> None:
    """A valid json-ir file passes; each violation is a finding with its line."""
    # Arrange
    bad = THREE_CASES.replace('"auth": "invalid"', '"auth": "bogus"')
    line = bad.splitlines().index('      "auth": "bogus",') + 1

    # Act
    good_messages = _messages(JsonSchemaValid(), PackFile("a.json", THREE_CASES))
    findings = list(JsonSchemaValid().check(PackFile("a.json", bad), RuleContext()))

    # Assert
    assert good_messages == []
    assert [f.line for f in findings] == [line]
    assert findings[0].details["pointer"] == "/steps/1/auth"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "not valid JSON"),
        (
            '{"jsonir": 1, "name": "a", "name": "b", "steps": []}',
            "duplicate object key 'name'",
        ),
        ('{"jsonir": 2, "name": "a", "steps": []}', "/jsonir"),
        ("[]", "is not of type 'object'"),
    ],
)
def test_json_schema_valid_refuses_bad_documents(content: str, expected: str) -> None:
    """Syntax errors, duplicate keys and schema violations are errors."""
    # Arrange
    file = PackFile("a.json", content)

    # Act
    messages = _messages(JsonSchemaValid(), file)

    # Assert
    assert any(expected in m for m in messages), messages


def test_json_schema_valid_warns_on_unknown_operation() -> None:
    """A step naming an operation the API lacks is a warning when the API is known."""
    # Arrange
    doc = _doc({**_step("s", "valid", [200]), "operation": "GET /nope"})

    # Act
    findings = list(
        JsonSchemaValid().check(PackFile("a.json", doc), RuleContext(api=API))
    )

    # Assert
    assert [f.severity for f in findings] == ["warning"]


# -- AllowedOps ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "allowed", "count"),
    [
        ('curl "$BASE_URL/pets"\n', ("GET",), 0),
        ('curl -X DELETE "$BASE_URL/pets/1"\n', ("GET",), 1),
        ('curl -XPOST "$BASE_URL/pets"\n', ("GET",), 1),
        ('curl -d "a=1" "$BASE_URL/pets"\n', ("GET",), 1),
        ('curl -G -d "a=1" "$BASE_URL/pets"\n', ("GET",), 0),
        ('curl -F "f=x" "$BASE_URL/pets"\n', ("GET", "HEAD"), 1),
        ('curl -I "$BASE_URL/pets"\n', ("GET",), 1),
        ('curl --request "$M" "$BASE_URL/pets"\n', ("GET",), 1),
        ('curl -X DELETE "$BASE_URL/pets/1"\n', ("GET", "DELETE /pets/{id}"), 0),
        ('curl -X DELETE "$BASE_URL/users/1"\n', ("GET", "DELETE /pets/{id}"), 1),
        ('curl -X DELETE "$BASE_URL/pets/1"\n', (), 0),
    ],
)
def test_allowed_ops_bash(content: str, allowed: tuple[str, ...], count: int) -> None:
    """curl methods are read from -X, -d/-F, -G and -I and compared with allowed_ops."""
    # Arrange
    file = PackFile("a.sh", content)

    # Act
    messages = _messages(AllowedOps(), file, RuleContext(allowed_ops=allowed))

    # Assert
    assert len(messages) == count, messages


@pytest.mark.parametrize(
    "content",
    [
        'curl -X "DEL"ETE "$BASE_URL/pets/1"\n',
        "curl -X $'\\x44ELETE' \"$BASE_URL/pets/1\"\n",
        'curl --request=delete "$BASE_URL/pets/1"\n',
        'curl -sX DELETE "$BASE_URL/pets/1"\n',
        'curl -X D\u0415LETE "$BASE_URL/pets/1"\n',
        'x=$(curl -X DELETE "$BASE_URL/pets/1")\n',
        'curl -T body.json "$BASE_URL/pets"\n',
        'curl --json "{}" "$BASE_URL/pets"\n',
        'm=DELETE\ncurl -X "$m" "$BASE_URL/pets/1"\n',
        'command curl -X DELETE "$BASE_URL/pets/1"\n',
        'command -p -- curl -X DELETE "$BASE_URL/pets/1"\n',
        'env A=1 curl -X DELETE "$BASE_URL/pets/1"\n',
        'timeout 5 curl -X DELETE "$BASE_URL/pets/1"\n',
    ],
)
def test_allowed_ops_sees_through_evasions(content: str) -> None:
    """Quoting, $'...' escapes, case, look-alike letters and nesting hide no method."""
    # Arrange
    file = PackFile("a.sh", content)

    # Act
    messages = _messages(AllowedOps(), file, RuleContext(allowed_ops=("GET",)))

    # Assert
    assert len(messages) == 1, messages


@pytest.mark.parametrize(
    "content",
    [
        'curl "ht""tp://evil.example/x"\n',
        "curl $'\\x68ttp://evil.example/x'\n",
        'curl "\uff48\uff54\uff54\uff50://evil.example/x"\n',
        'curl "2130706433/x"\n',
        'curl "${BASE_URL}@evil.example/x"\n',
        'curl "$BASE_URL:8080/x"\n',
        'curl --url "http://e.example" "$BASE_URL/x"\n',
        'command curl -H "Host: evil.example" "$BASE_URL/x"\n',
        'exec curl --resolve "x:80:203.0.113.9" "$BASE_URL/x"\n',
    ],
)
def test_norooturl_sees_through_evasions(content: str) -> None:
    """Split quotes, escapes, fullwidth letters, bare numbers and '@' or ':' tricks fail."""
    # Arrange
    file = PackFile("a.sh", content)

    # Act
    messages = _messages(NoRootUrl(), file)

    # Assert
    assert messages, content


def test_allowed_ops_jsonir() -> None:
    """json-ir request methods outside allowed_ops are errors."""
    # Arrange
    post = {
        **_step("p", "valid", [201]),
        "request": {"method": "POST", "path": "/pets"},
    }
    file = PackFile("a.json", _doc(_step("g", "valid", [200]), post))

    # Act
    messages = _messages(AllowedOps(), file, RuleContext(allowed_ops=("GET",)))

    # Assert
    assert len(messages) == 1 and "POST /pets" in messages[0]


# -- SafePath ------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "tests/pets/auth.json",
        "tests/pets/smoke.sh",
        "README.md",
        "notes.txt",
        "a_b-c.1.json",
    ],
)
def test_safe_path_accepts_plain_paths(path: str) -> None:
    """Short, relative, ASCII paths with allowed extensions pass in a hybrid pack."""
    # Arrange
    file = PackFile(path, "")

    # Act
    messages = _messages(SafePath(), file)

    # Assert
    assert messages == []


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/etc/x.json", "absolute"),
        ("~/x.json", "starts with '~'"),
        ("a/./../../b.json", "'.' or '..'"),
        ("../b.json", "'.' or '..'"),
        ("a//b.json", "empty segment"),
        ("a\\b.json", "backslash"),
        ("a/%2e%2e/b.json", "'%'"),
        ("a\x00b.json", "control"),
        ("a\u2215b.json", "division slash"),
        ("a/\uff0e\uff0e/b.json", "fullwidth full stop"),
        ("a\uff0fb.json", "fullwidth slash"),
        ("t\u0435st.json", "non-ASCII"),
        ("a/.hidden.json", "must use letters"),
        ("con.json", "reserved device name"),
        ("a.py", "extension not allowed"),
        ("x" * 301 + ".json", "longer than 300"),
        ("C:/a.json", "drive letter"),
        ("", "empty"),
    ],
)
def test_safe_path_refuses_unsafe_paths(path: str, expected: str) -> None:
    """Absolute, traversing, encoded, look-alike and badly named paths are errors."""
    # Arrange
    file = PackFile(path, "")

    # Act
    messages = _messages(SafePath(), file)

    # Assert
    assert any(expected in m for m in messages), messages


def test_safe_path_extension_depends_on_mode() -> None:
    """A .sh file is refused in a json-ir pack and accepted in a bash-curl pack."""
    # Arrange
    file = PackFile("a.sh", "")

    # Act
    in_jsonir = _messages(SafePath(), file, RuleContext(mode="json-ir"))  # type: ignore[arg-type]
    in_bash = _messages(SafePath(), file, RuleContext(mode="bash-curl"))  # type: ignore[arg-type]

    # Assert
    assert len(in_jsonir) == 1 and in_bash == []


def test_safe_path_refuses_case_collisions() -> None:
    """Two paths differing only in case collide across the pack."""
    # Arrange
    files = [PackFile("a/Auth.json", ""), PackFile("a/auth.json", "")]

    # Act
    findings = list(SafePath().check_pack(files, RuleContext()))

    # Assert
    assert len(findings) == 1 and findings[0].file == "*"


# -- NoInlineSecrets -------------------------------------------------------------

SECRETS = {
    "TOKEN": "s3cr3t-token-value",
    "USER": "alice",
    "PASSWORD": "hunter22",
    "KEY": "k3y/with+chars",
}


def test_no_inline_secrets_accepts_references() -> None:
    """$TOKEN, ${TOKEN}, {{token}} and explicit invalid credentials pass."""
    # Arrange
    bash = PackFile(
        "a.sh",
        'curl -H "Authorization: Bearer ${TOKEN}" -u "$USER:$PASSWORD" "$BASE_URL/x"\n'
        'curl -H "Authorization: Bearer chapi-invalid-token" "$BASE_URL/x"\n'
        f'curl -H "X-API-Key: {INVALID_VALUE}" "$BASE_URL/x"\n',
    )
    jsonir = PackFile(
        "a.json",
        _doc(_step("s", "valid", [200], headers={"Authorization": "Bearer {{token}}"})),
    )

    # Act
    messages = _messages(NoInlineSecrets(), bash, RuleContext(secrets=SECRETS))
    messages += _messages(NoInlineSecrets(), jsonir, RuleContext(secrets=SECRETS))

    # Assert
    assert messages == []


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("token=s3cr3t-token-value\n", "value of environment secret TOKEN"),
        ("q=k3y%2Fwith%2Bchars\n", "URL-encoded of environment secret KEY"),
        (
            "x=" + base64.b64encode(b"alice:hunter22").decode() + "\n",
            "environment secret PASSWORD",
        ),
        (
            "x=" + base64.b64encode(b"bob:hunter22").decode() + "\n",
            "base64 token holding",
        ),
        (
            "h=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N\n",
            "JSON Web Token",
        ),
        ("k=AKIAIOSFODNN7EXAMPLE\n", "AWS access key"),
        ("k=ghp_abcdefghijklmnopqrstuvwxyz0123456789\n", "GitHub token"),
        ("k=sk-abcdefghijklmnopqrstuvwxyz012345\n", "sk-"),
        ("-----BEGIN RSA PRIVATE KEY-----\n", "private key block"),
        (
            'curl -H "Authorization: Basic YWxpY2U6cGFzcw==" "$BASE_URL"\n',
            "literal credential",
        ),
        ('curl -H "X-API-Key: abc123" "$BASE_URL"\n', "literal credential"),
        ('curl -H "X-API-\u212aey: abc123" "$BASE_URL"\n', "literal credential"),
        (
            'curl -H "X-Acce\u017f\u017f-Token: abc123" "$BASE_URL"\n',
            "literal credential",
        ),
        ('h="x-access-token=abc123"\n', "literal credential"),
        ("k=xoxb-0123456789-abcdef\n", "Slack token"),
        ("k=AIza" + "B" * 35 + "\n", "Google API key"),
        ("k=github_pat_" + "a1" * 16 + "\n", "GitHub token"),
        ('curl -u "alice:letmein" "$BASE_URL"\n', "literal password"),
        ('echo "Bearer abcdef0123456789xyz"\n', "Bearer token written as a literal"),
    ],
)
def test_no_inline_secrets_refuses_literals(content: str, expected: str) -> None:
    """Secret values (plain, encoded, base64) and credential-shaped strings are errors."""
    # Arrange
    file = PackFile("a.sh", content)

    # Act
    messages = _messages(NoInlineSecrets(), file, RuleContext(secrets=SECRETS))

    # Assert
    assert any(expected in m for m in messages), messages
    assert not any("hunter22" in m or "s3cr3t" in m for m in messages)
