"""Every pack the offline planner writes for the example descriptions passes every rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from chapi import specs
from chapi.errors import GenerationError
from chapi.generation import planner
from chapi.rules import PackFile, Registry, RuleContext, validate_pack

EXAMPLES = sorted(
    (Path(__file__).parents[1] / "data" / "oas-examples").glob("*/*.json")
)
REQUEST = "smoke, auth, crud and negative tests"
# Hybrid packs reuse the bash AUTH files and json-ir files of the other modes,
# and a read-only environment only drops steps, so those two run on a sample
# to keep the area fast.
SAMPLED = {
    "3.0/petstore",
    "3.0/security",
    "3.1/security",
    "2.0/petstore",
    "3.1/train-travel",
}


@pytest.mark.parametrize("source", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_planner_packs_pass_all_rules(source: Path) -> None:
    """Packs in every mode (and a read-only environment) have no error finding."""
    # Arrange
    api = specs.prepare_import(str(source)).model
    registry = Registry.builtins()
    failures: list[str] = []

    runs = [("json-ir", "local"), ("bash-curl", "local")]
    if f"{source.parent.name}/{source.stem}" in SAMPLED:
        runs += [("hybrid", "local"), ("json-ir", "prod")]
    for mode, env in runs:
        try:
            result = planner.plan_pack(api, REQUEST, mode=mode, env=env)
        except GenerationError:
            continue
        files = [PackFile(f.path, f.content, f.role) for f in result.card.files]
        context = RuleContext(
            mode=mode,
            allowed_ops=tuple(result.intent.allowed_ops),
            env=env,
            secrets={"TOKEN": "token-value-123", "PASSWORD": "password-456"},
            file_roles=result.file_roles,
            api=api,
        )

        # Act
        report = validate_pack(
            files, context, registry, policies=[("require-auth", {})]
        )

        # Assert (collected so one run shows every mode's problems)
        failures += [f"{mode}/{env}: {finding}" for finding in report.errors]

    assert failures == []
