"""The engine: reports, rows, crash handling, masking and plugin rules."""

from __future__ import annotations

import json
import sys
import textwrap
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from chapi.domain import PackMode, RunPack, RunPackFile, RunPackInputs
from chapi.errors import ConflictError, ValidationError
from chapi.rules import (
    Finding,
    PackFile,
    Registry,
    Rule,
    RuleContext,
    default_registry,
    validate_pack,
)

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
GOOD_JSON = json.dumps(
    {
        "jsonir": 1,
        "name": "smoke",
        "steps": [{"name": "list", "request": {"method": "GET", "path": "/pets"}}],
    }
)


class Exploding(Rule):
    """A rule that always raises."""

    name = "Exploding"

    def check(self, file: PackFile, context: RuleContext) -> Iterable[Finding]:
        raise RuntimeError("boom")


class Shouty(Rule):
    """A rule that reports every file as an error mentioning the secret."""

    name = "Shouty"

    def check(self, file: PackFile, context: RuleContext) -> Iterable[Finding]:
        yield self.finding(
            file,
            f"saw {context.secrets.get('TOKEN')}",
            token=context.secrets.get("TOKEN"),
        )


def test_clean_pack_passes_and_rows_cover_each_applied_rule() -> None:
    """A clean pack passes; rows hold one (file, rule) per rule that applied, all passed."""
    # Arrange
    files = [PackFile("tests/smoke.json", GOOD_JSON, "SMOKE")]
    pack_id = uuid.uuid4()

    # Act
    report = validate_pack(
        files, RuleContext(mode=PackMode.JSON_IR), registry=Registry.builtins()
    )
    rows = report.rows(pack_id, NOW)

    # Assert
    assert report.passed and report.errors == []
    pairs = {(r.file_path, r.rule) for r in rows}
    assert ("tests/smoke.json", "JsonSchemaValid") in pairs
    assert ("tests/smoke.json", "NoDangerousShell") not in pairs
    assert ("*", "SafePath") in pairs
    assert all(
        r.passed and r.runpack_id == pack_id and r.created_at == NOW for r in rows
    )
    json.dumps([r.details for r in rows])


def test_failing_rule_makes_row_fail_with_findings_in_details() -> None:
    """An error finding fails the row; details hold the findings as JSON-safe dicts."""
    # Arrange
    files = [PackFile("bad.sh", "eval x\n", "SMOKE")]

    # Act
    report = validate_pack(files, RuleContext(), registry=Registry.builtins())
    rows = {(r.file_path, r.rule): r for r in report.rows(uuid.uuid4(), NOW)}

    # Assert
    assert not report.passed
    row = rows[("bad.sh", "NoDangerousShell")]
    assert row.passed is False
    assert row.details is not None
    assert row.details["findings"][0]["message"] == "eval runs a string as code"
    assert row.details["findings"][0]["line"] == 1


def test_crashing_rule_becomes_an_error_finding() -> None:
    """A rule that raises is reported as an error finding of that rule, not raised."""
    # Arrange
    registry = Registry([Exploding()])

    # Act
    report = validate_pack(
        [PackFile("a.json", GOOD_JSON)], RuleContext(), registry=registry
    )

    # Assert
    assert [f.rule for f in report.errors] == ["Exploding"]
    assert "RuntimeError" in report.errors[0].message


def test_secrets_are_masked_in_findings() -> None:
    """A secret value never survives in a finding's message or details."""
    # Arrange
    registry = Registry([Shouty()])
    context = RuleContext(secrets={"TOKEN": "tok-123456"})

    # Act
    report = validate_pack([PackFile("a.json", GOOD_JSON)], context, registry=registry)

    # Assert
    dumped = json.dumps([r.details for r in report.rows(uuid.uuid4(), NOW)])
    assert "tok-123456" not in dumped and "***" in dumped
    assert "tok-123456" not in repr(context)


def test_rule_policy_disables_and_rerates_rules() -> None:
    """'rule' policies switch rules off or change their severity."""
    # Arrange
    files = [PackFile("bad.sh", "eval x\n")]
    registry = Registry.builtins()

    # Act
    disabled = validate_pack(
        files,
        RuleContext(),
        registry,
        policies=[("rule", {"rule": "NoDangerousShell", "enabled": False})],
    )
    warned = validate_pack(
        files,
        RuleContext(),
        registry,
        policies=[("rule", {"rule": "NoDangerousShell", "severity": "warning"})],
    )

    # Assert
    assert disabled.passed and not any(
        o.rule == "NoDangerousShell" for o in disabled.outcomes
    )
    assert warned.passed and [f.rule for f in warned.warnings] == ["NoDangerousShell"]


def test_validate_accepts_runpack_files_and_context_from_pack() -> None:
    """RunPackFile rows and a context built from a RunPack work directly."""
    # Arrange
    pack = RunPack(project_id=uuid.uuid4(), mode=PackMode.JSON_IR)
    pack.add_file("tests/smoke.json", GOOD_JSON, "SMOKE", now=NOW)
    pack.inputs = RunPackInputs(runpack_id=pack.id, allowed_ops=["post"])

    # Act
    context = RuleContext.from_pack(pack, secrets={"TOKEN": "abcdef"})
    files: list[RunPackFile] = pack.files
    report = validate_pack(files, context, Registry.builtins())

    # Assert
    assert context.allowed_ops == ("POST",)
    assert [f.rule for f in report.errors] == ["AllowedOps"]


def test_same_inputs_give_identical_rows() -> None:
    """Validation is deterministic: same files, same findings in the same order."""
    # Arrange
    files = [PackFile("b.sh", "eval x\nsudo y\n"), PackFile("a.json", "{")]

    # Act
    first = [
        f.to_dict()
        for f in validate_pack(files, RuleContext(), Registry.builtins()).findings
    ]
    second = [
        f.to_dict()
        for f in validate_pack(files, RuleContext(), Registry.builtins()).findings
    ]

    # Assert
    assert first == second and len(first) >= 3


def test_registry_refuses_duplicates_and_non_rules() -> None:
    """Registering a name twice or a non-rule object raises chapi errors."""
    # Arrange
    registry = Registry.builtins()

    # Act / Assert
    with pytest.raises(ConflictError):
        registry.register(_named("SafePath"))
    with pytest.raises(ValidationError):
        registry.register(object())  # type: ignore[arg-type]


def _named(name: str) -> Rule:
    rule = Exploding()
    rule.name = name  # type: ignore[misc]
    return rule


def test_entry_point_object_is_loaded_and_a_broken_one_is_reported() -> None:
    """Injected entry points load as rules; a broken plugin becomes an error finding."""
    # Arrange
    good = EntryPoint(
        name="Exploding", value=f"{__name__}:Exploding", group="chapi.rules"
    )
    broken = EntryPoint(
        name="Missing", value="no_such_module_xyz:Rule", group="chapi.rules"
    )
    registry = Registry()

    # Act
    registry.load_entry_points([good, broken])
    report = validate_pack([PackFile("a.json", GOOD_JSON)], RuleContext(), registry)

    # Assert
    assert "Exploding" in registry
    assert {f.rule for f in report.errors} == {"Exploding", "Missing"}


def test_fake_distribution_on_sys_path_adds_a_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A distribution declaring a 'chapi.rules' entry point is found by default_registry."""
    # Arrange
    (tmp_path / "chapi_fake_plugin.py").write_text(
        textwrap.dedent(
            """
            from chapi.rules import Rule

            class NoTodo(Rule):
                name = "NoTodo"

                def check(self, file, context):
                    if "TODO" in file.content:
                        yield self.finding(file, "TODO left in file")
            """
        )
    )
    info = tmp_path / "chapi_fake_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: chapi-fake-plugin\nVersion: 1.0\n"
    )
    (info / "entry_points.txt").write_text(
        "[chapi.rules]\nNoTodo = chapi_fake_plugin:NoTodo\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))

    # Act
    registry = default_registry()
    report = validate_pack([PackFile("a.md", "TODO")], RuleContext(), registry)

    # Assert
    assert "NoTodo" in registry.names()
    assert [f.message for f in report.errors] == ["TODO left in file"]
    sys.modules.pop("chapi_fake_plugin", None)
