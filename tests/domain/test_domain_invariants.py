"""Domain invariants: run lifecycle, pack finalization, UTC timestamps, masking."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pydantic
import pytest

from chapi import domain as d
from chapi.errors import InvalidStateError

NOW = datetime(2026, 5, 1, tzinfo=UTC)


def make_run() -> d.Run:
    return d.Run(project_id=uuid.uuid4(), env_id=uuid.uuid4())


def test_run_moves_forward_through_its_states() -> None:
    """queued → running → passed stamps completed_at and the summary."""
    run = make_run()

    run.start()
    run.finish(passed=True, now=NOW, summary={"total": 3})

    assert run.status is d.RunStatus.PASSED
    assert run.completed_at == NOW
    assert run.summary == {"total": 3}


@pytest.mark.parametrize("final", [True, False])
def test_a_finished_run_never_goes_back(final: bool) -> None:
    """Once passed or failed, a run can neither start nor finish again."""
    run = make_run()
    run.start()
    run.finish(passed=final, now=NOW, summary={})

    with pytest.raises(InvalidStateError):
        run.start()
    with pytest.raises(InvalidStateError):
        run.finish(passed=not final, now=NOW, summary={})


def test_a_queued_run_can_fail_but_not_pass() -> None:
    """A run that could not start fails directly; passing needs running first."""
    run = make_run()

    with pytest.raises(InvalidStateError, match="queued to passed"):
        run.finish(passed=True, now=NOW, summary={})
    run.finish(passed=False, now=NOW, summary={"reason": "server down"})

    assert run.status is d.RunStatus.FAILED


def make_pack() -> d.RunPack:
    pack = d.RunPack(project_id=uuid.uuid4(), mode=d.PackMode.JSON_IR)
    pack.add_file("tests/a.json", "{}", "SMOKE", now=NOW)
    return pack


def test_pack_with_failed_validation_cannot_be_finalized() -> None:
    """A failing validation row blocks finalization."""
    pack = make_pack()
    pack.replace_validations(
        [
            d.RunPackValidation(
                runpack_id=pack.id,
                file_path="tests/a.json",
                rule="SafePath",
                passed=False,
            )
        ]
    )

    with pytest.raises(InvalidStateError, match=r"SafePath on tests/a\.json"):
        pack.finalize(now=NOW)

    assert pack.status is d.PackStatus.DRAFT


def test_forced_finalization_needs_a_reason_and_is_recorded() -> None:
    """force=True finalizes anyway, and a validation row keeps the reason."""
    pack = make_pack()
    pack.replace_validations(
        [
            d.RunPackValidation(
                runpack_id=pack.id, file_path="tests/a.json", rule="R", passed=False
            )
        ]
    )

    with pytest.raises(InvalidStateError, match="reason"):
        pack.finalize(now=NOW, force=True)
    pack.finalize(now=NOW, force=True, reason="reviewed by hand")

    forced = [v for v in pack.validations if v.rule == d.FORCED_RULE]
    assert pack.status is d.PackStatus.FINALIZED
    assert forced and forced[0].details == {
        "reason": "reviewed by hand",
        "overridden": ["R:tests/a.json"],
    }


def test_finalized_pack_is_frozen_and_expires_once() -> None:
    """No files are added after finalization; expiring twice is refused."""
    pack = make_pack()
    pack.finalize(now=NOW)

    with pytest.raises(InvalidStateError):
        pack.add_file("tests/b.json", "{}", "SMOKE", now=NOW)
    pack.expire()
    with pytest.raises(InvalidStateError):
        pack.expire()


def test_duplicate_file_path_in_a_pack_is_refused() -> None:
    """Paths are unique within a pack."""
    pack = make_pack()

    with pytest.raises(InvalidStateError, match="already has a file"):
        pack.add_file("tests/a.json", "{}", "SMOKE", now=NOW)


def test_timestamps_are_normalized_to_utc_and_naive_ones_refused() -> None:
    """An aware time in another zone becomes UTC; a naive one is an error."""
    plus_two = datetime(2026, 5, 1, 12, tzinfo=timezone(timedelta(hours=2)))

    project = d.Project(name="x", created_at=plus_two)

    assert project.created_at == datetime(2026, 5, 1, 10, tzinfo=UTC)
    assert project.created_at.tzinfo is UTC
    with pytest.raises(pydantic.ValidationError, match="time zone"):
        d.Project(name="x", created_at=datetime(2026, 5, 1))


def test_environment_masks_secrets_everywhere() -> None:
    """repr, str and model dumps never show a sealed value."""
    env = d.Environment(
        project_id=uuid.uuid4(),
        name="local",
        base_url="http://h",
        secrets={"TOKEN": "cipher-xyz"},
    )

    shown = [repr(env), str(env), str(env.model_dump()), env.model_dump_json()]

    assert all("cipher-xyz" not in text for text in shown)
    assert "TOKEN=***" in str(env)
    assert env.secret_names == ["TOKEN"]


def test_bad_base_url_is_refused() -> None:
    """An environment needs an http(s) URL with a host."""
    with pytest.raises(pydantic.ValidationError, match="base_url"):
        d.Environment(project_id=uuid.uuid4(), name="x", base_url="file:///etc/passwd")


def test_card_payload_must_match_card_type() -> None:
    """A 'none' message carries no card; a 'plan' message must carry one."""
    with pytest.raises(pydantic.ValidationError):
        d.Message(
            conversation_id=uuid.uuid4(),
            role="user",
            content="x",
            card_payload={"a": 1},
        )
    with pytest.raises(pydantic.ValidationError):
        d.Message(
            conversation_id=uuid.uuid4(),
            role="assistant",
            content="x",
            card_type="plan",
        )


@pytest.mark.parametrize(
    ("moves", "refused"),
    [
        ([], d.RunStatus.PASSED),  # queued cannot pass without running
        ([d.RunStatus.RUNNING], d.RunStatus.QUEUED),
        ([d.RunStatus.RUNNING, d.RunStatus.PASSED], d.RunStatus.RUNNING),
        ([d.RunStatus.RUNNING, d.RunStatus.FAILED], d.RunStatus.PASSED),
        ([d.RunStatus.FAILED], "queued"),
    ],
)
def test_assigning_a_run_status_follows_the_state_machine(
    moves: list[d.RunStatus], refused: str
) -> None:
    """Plain assignment cannot move a run backwards or skip running."""
    run = make_run()
    for status in moves:
        run.status = status

    with pytest.raises(InvalidStateError, match="cannot go from"):
        run.status = refused  # type: ignore[assignment]

    assert run.status is (moves[-1] if moves else d.RunStatus.QUEUED)


def test_assigning_an_unknown_run_status_is_a_validation_error() -> None:
    """A value outside the enum is refused by validation, not by the state machine."""
    run = make_run()

    with pytest.raises(pydantic.ValidationError):
        run.status = "paused"  # type: ignore[assignment]


def failing_pack() -> d.RunPack:
    pack = make_pack()
    pack.replace_validations(
        [
            d.RunPackValidation(
                runpack_id=pack.id, file_path="tests/a.json", rule="R", passed=False
            )
        ]
    )
    return pack


def test_assigning_finalized_cannot_skip_the_validation_check() -> None:
    """status = finalized on a pack with a failed validation is refused."""
    pack = failing_pack()

    with pytest.raises(InvalidStateError, match="failed validations"):
        pack.status = d.PackStatus.FINALIZED

    assert pack.status is d.PackStatus.DRAFT


def test_pack_status_never_goes_back() -> None:
    """A finalized pack cannot become a draft; an expired one stays expired."""
    pack = make_pack()
    pack.finalize(now=NOW)

    with pytest.raises(InvalidStateError, match="finalized to draft"):
        pack.status = d.PackStatus.DRAFT
    pack.expire()
    with pytest.raises(InvalidStateError, match="expired to finalized"):
        pack.status = d.PackStatus.FINALIZED


def test_stored_values_cannot_describe_an_unforced_failing_finalized_pack() -> None:
    """Building a finalized pack with failed rows needs the forced-finalize record."""
    pack = failing_pack()
    data = pack.model_dump(exclude={"files_count", "files"})
    data["status"] = "finalized"

    with pytest.raises(InvalidStateError, match="forced finalization"):
        d.RunPack.model_validate(data)

    pack.finalize(now=NOW, force=True, reason="checked by hand")
    rebuilt = d.RunPack.model_validate(
        pack.model_dump(exclude={"files_count", "files"})
    )
    assert rebuilt.status is d.PackStatus.FINALIZED
