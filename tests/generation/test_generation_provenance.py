"""Inputs hashing and pack diffs."""

from __future__ import annotations

from typing import Any

from gen_support import petstore
from jsonschema import Draft202012Validator

from chapi.generation.card import Card, card_schema
from chapi.generation.diff import diff_packs
from chapi.generation.planner import plan_pack
from chapi.generation.provenance import inputs_hash, spec_hash

BASE: dict[str, Any] = {
    "generator": "offline-planner",
    "generator_version": "v1",
    "mode": "json-ir",
    "request": "smoke",
    "allowed_ops": ["GET", "POST"],
    "env": "local",
    "spec_hash": "sha256:abc",
    "operations": ["GET /a", "POST /a"],
}


def test_inputs_hash_ignores_set_order_and_case() -> None:
    """Allowed methods and operations hash as sets; method case does not matter."""
    first = inputs_hash(**BASE)

    second = inputs_hash(
        **{**BASE, "allowed_ops": ["post", "GET"], "operations": ["POST /a", "GET /a"]}
    )

    assert first == second and first.startswith("sha256:") and len(first) == 71


def test_inputs_hash_changes_with_llm_inputs() -> None:
    """Prompts and model are part of the hash, and prompt order matters."""
    plain = inputs_hash(**BASE)

    with_model = inputs_hash(**BASE, model="m1", prompts=["a", "b"])
    swapped = inputs_hash(**BASE, model="m1", prompts=["b", "a"])

    assert len({plain, with_model, swapped}) == 3


def test_spec_hash_is_key_order_independent() -> None:
    """Two documents equal as JSON hash the same whatever their key order."""
    assert spec_hash({"a": 1, "b": [1, {"c": 2, "d": 3}]}) == spec_hash(
        {"b": [1, {"d": 3, "c": 2}], "a": 1}
    )


def test_diff_lists_added_removed_and_changed() -> None:
    """Paths are sorted into added, removed and changed, each with a unified diff."""
    old = {"tests/a.json": "1\n2\n", "tests/b.sh": "x\n", "tests/same": "s\n"}
    new = {"tests/a.json": "1\n3\n", "tests/c.sh": "y", "tests/same": "s\n"}

    result = diff_packs(old, new)

    assert (result["added"], result["removed"], result["changed"]) == (
        ["tests/c.sh"],
        ["tests/b.sh"],
        ["tests/a.json"],
    )
    assert result["unchanged"] == 1
    assert "-2\n+3\n" in result["diffs"]["tests/a.json"]
    assert result["diffs"]["tests/a.json"].startswith(
        "--- a/tests/a.json\n+++ b/tests/a.json\n"
    )
    assert result["diffs"]["tests/c.sh"].endswith("+y\n\\ No newline at end of file\n")


def test_diff_of_identical_packs_is_empty() -> None:
    """Nothing changed: no paths and no diffs."""
    files = {"tests/a.json": "{}\n"}

    result = diff_packs(files, dict(files))

    assert result == {
        "added": [],
        "removed": [],
        "changed": [],
        "unchanged": 1,
        "diffs": {},
    }


def test_planner_cards_fit_the_card_schema_and_hash_their_content() -> None:
    """A planned card validates against card_schema; its digest follows every byte of a file."""
    card = plan_pack(petstore(), "smoke and auth tests", mode="hybrid").card
    changed = card.model_copy(
        update={
            "files": [
                card.files[0].model_copy(
                    update={"content": card.files[0].content + " "}
                ),
                *card.files[1:],
            ]
        }
    )

    errors = list(
        Draft202012Validator(card_schema()).iter_errors(card.model_dump(mode="json"))
    )

    assert errors == []
    assert card.digest().startswith("sha256:") and len(card.digest()) == 71
    assert Card.model_validate_json(card.canonical_json()).digest() == card.digest()
    assert changed.digest() != card.digest()


def test_card_schema_refuses_unsafe_shapes() -> None:
    """Unknown keys, a lower-case role and an unknown mode break the card schema."""
    validator = Draft202012Validator(card_schema())
    base = {"plan": {"summary": "s"}, "files": [], "actions": []}
    bad_file = {"path": "a.json", "role": "smoke", "mode": "python", "content": ""}

    assert list(validator.iter_errors(base)) == []
    assert list(validator.iter_errors({**base, "extra": 1}))
    assert len(list(validator.iter_errors({**base, "files": [bad_file]}))) == 2


def test_llm_settings_enter_the_hash_only_when_given() -> None:
    """The LLM's server and sampling change the hash; leaving them out changes nothing."""
    plain = inputs_hash(**BASE)
    settings = {"server": "http://127.0.0.1:8000/v1", "temperature": 0.0}

    with_none = inputs_hash(**BASE, llm=None)
    with_llm = inputs_hash(**BASE, llm=settings)
    warmer = inputs_hash(**BASE, llm={**settings, "temperature": 0.5})
    elsewhere = inputs_hash(**BASE, llm={**settings, "server": "http://127.0.0.1:9/v1"})

    assert with_none == plain
    assert len({plain, with_llm, warmer, elsewhere}) == 4


# The offline planner's inputs hash and card digest for the hand-built pets
# API, pinned: a change to the hash payload or to the rendered files shows
# here first (bump GENERATOR_VERSION when it is meant).
PINNED = {
    "json-ir": (
        "sha256:a1d94e1ed62485c831b5f76155cc27d742b5186a2d246bbb781f5af234dc5d07",
        "sha256:c485511899cd2e82ef41023b58ecd4804fbdb6e243ff9eba1865f52c716b3494",
    ),
    "bash-curl": (
        "sha256:5950107c4eb4ad5caec7c17a67a2eab5c1b28bbbb47b1e8daf2f44b1ff3e366c",
        "sha256:17091054b7369c2ef91ed731a751acfd900f5c97492b369536c0d4bf37d7c8e6",
    ),
    "hybrid": (
        "sha256:9f17997a063eab36cbc6c739afebe57eaf4ab073727d7ae60f6deb0c8fc82964",
        "sha256:c99b7953786ba65b0f741ab51763f22db8f1b81cfae7593251b6e42d34ff2c0c",
    ),
}


def test_offline_planner_hashes_and_files_are_pinned() -> None:
    """Same inputs, same hash and bytes as this version has always produced."""
    api = petstore()

    found = {}
    for mode in PINNED:
        result = plan_pack(api, "smoke, auth, crud and negative tests", mode=mode)  # type: ignore[arg-type]
        found[mode] = (result.inputs_hash, result.card.digest())

    assert found == PINNED
