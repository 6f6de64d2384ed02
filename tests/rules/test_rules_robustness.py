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
