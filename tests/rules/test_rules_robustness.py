"""No built-in rule raises, whatever text or path it is given."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chapi.rules import BUILTIN_RULES, PackFile, Registry, RuleContext, validate_pack
from chapi.specs.model import ApiModel, Operation

API = ApiModel(
    spec_version="3.1",
    operations=(Operation(method="GET", path="/a/{id}", security=(("k",),)),),
)
CONTEXT = RuleContext(allowed_ops=("GET",), secrets={"TOKEN": "abcd1234"}, api=API)
SHELLISH = st.text(
    alphabet=st.sampled_from(list("rm -$'\"`(){}[]|&;<>\\\n#=/~*?.xé\u2215")),
    max_size=80,
)
EXTENSIONS = st.sampled_from([".json", ".sh", ".md", ".txt", "", ".py"])


def _run_all(file: PackFile) -> None:
    for rule_class in BUILTIN_RULES:
        rule = rule_class()
        if rule.applies_to(file):
            for finding in rule.check(file, CONTEXT):
                assert finding.severity in ("error", "warning", "info")
        pack = rule.check_pack([file, file], CONTEXT)
        list(pack or ())


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    content=st.one_of(st.text(max_size=200), SHELLISH),
    path=st.text(max_size=40),
    ext=EXTENSIONS,
)
def test_builtins_never_raise_on_arbitrary_text(
    content: str, path: str, ext: str
) -> None:
    """Every built-in rule returns findings for any content and path, never an exception."""
    # Arrange
    file = PackFile(path + ext, content, "AUTH")

    # Act / Assert
    _run_all(file)


@settings(max_examples=40, deadline=None)
@given(
    document=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
            st.sampled_from(["steps", "request", "path", "method", "auth", "expect", "status", "headers", "name", "jsonir"]),
            inner, max_size=4),
        max_leaves=15,
    )
)  # fmt: skip
def test_builtins_never_raise_on_odd_json(document: object) -> None:
    """json-ir rules cope with JSON of any shape."""
    # Arrange
    file = PackFile("x.json", json.dumps(document), "AUTH")

    # Act
    report = validate_pack([file], CONTEXT, Registry.builtins())

    # Assert
    assert not any(f.details.get("crash") for f in report.findings)


@settings(max_examples=60, deadline=None)
@given(
    option=st.sampled_from(["-H", "-w", "--variable", "-d", "-F", "-T", "-o", "-X"]),
    value=st.text(alphabet=st.sampled_from(list("@%{}>/.~$'\"-_=ax:\\é")), max_size=30),
)
def test_builtins_never_raise_on_odd_curl_options(option: str, value: str) -> None:
    """Option values naming files, formats or methods never make a rule raise."""
    # Arrange
    quoted = "'" + value.replace("'", "'\"'\"'") + "'"
    file = PackFile("x.sh", f'curl {option} {quoted} "$BASE_URL/a/1"\n', "AUTH")

    # Act / Assert
    _run_all(file)


_VALID_STEP = {
    "name": "s",
    "operation": "GET /a/{id}",
    "request": {"method": "GET", "path": "/a/1"},
    "expect": {"status": [200]},
}
_ODD_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-10, max_value=1000),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(alphabet=st.sampled_from(list("/aA_1XX {}\n.-~é")), max_size=8),
    st.lists(st.integers(min_value=90, max_value=610), max_size=2),
    st.just({}),
)
_STEP_PATHS = [
    ("name",),
    ("operation",),
    ("auth",),
    ("request", "method"),
    ("request", "path"),
    ("request", "query"),
    ("request", "json"),
    ("request", "form"),
    ("request", "body"),
    ("expect", "status"),
    ("expect", "max_ms"),
    ("expect", "schema"),
    ("expect", "json"),
    ("capture",),
    ("extra",),
]


@settings(max_examples=200, deadline=None)
@given(
    edits=st.lists(
        st.tuples(st.sampled_from(_STEP_PATHS), _ODD_VALUE), min_size=1, max_size=3
    )
)
def test_compiled_schema_check_agrees_with_the_reported_violations(
    edits: list[tuple[tuple[str, ...], object]],
) -> None:
    """A file the fast validator accepts has no violation; findings match the violations.

    The compiled validator may be stricter than ``jsonschema`` (its ``$``
    does not match before a final newline); it is never more lenient.
    """
    from jsonschema import Draft202012Validator

    from chapi.jsonir import is_valid, schema
    from chapi.rules import JsonSchemaValid

    # Arrange
    step: dict[str, object] = json.loads(json.dumps(_VALID_STEP))
    for path, value in edits:
        target = step
        for key in path[:-1]:
            target = target.setdefault(key, {})  # type: ignore[assignment]
            if not isinstance(target, dict):
                break
        else:
            target[path[-1]] = value
    document = {"jsonir": 1, "name": "t", "steps": [step]}
    violations = list(Draft202012Validator(schema()).iter_errors(document))

    # Act
    fast = is_valid(document)
    findings = list(
        JsonSchemaValid().check(PackFile("t.json", json.dumps(document)), RuleContext())
    )

    # Assert
    assert not (fast and violations), violations
    assert bool(findings) == bool(violations)


def _dumped_lines(value: object) -> dict[tuple[str | int, ...], int]:
    """Line of every path in ``json.dumps(value, indent=1)``: one member a line."""
    lines: dict[tuple[str | int, ...], int] = {}
    line = 1

    def visit(item: object, path: tuple[str | int, ...]) -> None:
        nonlocal line
        lines[path] = line
        members: list[tuple[str | int, object]] = (
            list(item.items())
            if isinstance(item, dict)
            else list(enumerate(item))
            if isinstance(item, list)
            else []
        )
        for name, child in members:
            line += 1
            visit(child, (*path, name))
        if members:
            line += 1

    visit(value, ())
    return lines


@settings(max_examples=60, deadline=None)
@given(
    value=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=6),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(st.text(max_size=4), inner, max_size=4)
        ),
        max_leaves=25,
    )
)
def test_json_lines_are_located_for_every_path(value: object) -> None:
    """Findings point at the line where the value at their path starts."""
    from chapi.rules._jsondoc import load_json

    # Arrange
    text = json.dumps(value, indent=1)
    expected = _dumped_lines(value)

    # Act
    doc = load_json(text)
    found = {path: doc.line_of(list(path)) for path in expected}

    # Assert
    assert found == expected
    assert doc.line_of(["no such key", 3]) == 1


def test_json_lines_follow_duplicate_keys_and_missing_paths() -> None:
    """A duplicated key's members are found in either copy; a missing path gives its parent."""
    from chapi.rules._jsondoc import load_json

    # Arrange
    text = '{\n "a": {\n  "x": 1\n },\n "a": {\n  "y": [\n   2,\n   3\n  ]\n }\n}\n'

    # Act
    doc = load_json(text)

    # Assert
    assert doc.duplicates == [((), "a")]
    assert doc.line_of(["a"]) == 2
    assert doc.line_of(["a", "x"]) == 3
    assert doc.line_of(["a", "y", 1]) == 8
    assert doc.line_of(["a", "y", 7]) == 6
    assert doc.line_of(["a", "z"]) == 2


@settings(max_examples=150, deadline=None)
@given(
    command=st.sampled_from(
        ["sed", "sed -e", "sort", "date", "mktemp", "echo", "curl"]
    ),
    text=st.text(
        alphabet=st.sampled_from(list("sewrpdy/\\|{};!$@:#-=[]()`'1 \nxP")), max_size=40
    ),
)
def test_shell_rule_never_raises_on_odd_expansions_and_tool_scripts(
    command: str, text: str
) -> None:
    """Odd sed scripts, GNU options and ${...} bodies give findings, never exceptions."""
    # Arrange
    quoted = "'" + text.replace("'", "'\"'\"'") + "'"
    script = f'{command} {quoted} "${{x{text.replace(chr(10), "")}}}" f\n'
    file = PackFile("x.sh", script, "SMOKE")

    # Act / Assert
    _run_all(file)
