"""Reading roles and scope from plain-words requests."""

from __future__ import annotations

from gen_support import petstore

from chapi.domain.enums import FileRole
from chapi.generation.intent import default_allowed_ops, parse_roles, understand


def test_roles_default_to_smoke_and_auth() -> None:
    """A request naming no role gets SMOKE and AUTH."""
    roles = parse_roles("tests for the pets please")

    assert roles == (FileRole.SMOKE, FileRole.AUTH)


def test_roles_are_found_by_keyword_in_fixed_order() -> None:
    """Role words map to roles, listed SMOKE, AUTH, CRUD, NEGATIVE whatever the wording order."""
    roles = parse_roles("Invalid input, lifecycle and Authentication checks")

    assert roles == (FileRole.AUTH, FileRole.CRUD, FileRole.NEGATIVE)


def test_production_defaults_to_safe_methods() -> None:
    """prod allows only GET, HEAD and OPTIONS by default; other environments allow everything."""
    prod = default_allowed_ops("Production")
    local = default_allowed_ops("local")

    assert set(prod) == {"GET", "HEAD", "OPTIONS"}
    assert {"POST", "PUT", "PATCH", "DELETE"} <= set(local)


def test_no_scope_words_select_every_operation() -> None:
    """Only role words and filler: every operation is in scope."""
    api = petstore()

    intent = understand(api, "smoke and auth tests for all endpoints")

    assert intent.scope == "all"
    assert intent.operations == tuple(op.key for op in api.operations)


def test_explicit_path_selects_its_subtree() -> None:
    """'/pets/{id}' selects the item operations even though the spec names the parameter petId."""
    intent = understand(petstore(), "crud for /pets/{id}")

    assert intent.scope == "explicit"
    assert intent.operations == (
        "GET /pets/{petId}",
        "PUT /pets/{petId}",
        "DELETE /pets/{petId}",
    )


def test_ranking_narrows_the_scope() -> None:
    """A topic word selects the matching operations only."""
    intent = understand(petstore(), "smoke tests for pets")

    assert intent.scope == "ranked"
    assert "GET /health" not in intent.operations
    assert "GET /pets" in intent.operations


def test_allowed_methods_filter_the_selection_with_a_note() -> None:
    """Operations whose method is not allowed are dropped and the card says so."""
    intent = understand(petstore(), "crud for /pets", allowed_ops="GET, post")

    assert {k.split()[0] for k in intent.operations} == {"GET", "POST"}
    assert intent.allowed_ops == ("GET", "POST")
    assert any("not allowed" in n for n in intent.notes)


def test_prod_env_drops_writes_by_default() -> None:
    """In prod with no allowed list, no writing operation is selected."""
    intent = understand(petstore(), "everything", env="prod")

    assert intent.operations
    assert all(k.startswith("GET ") for k in intent.operations)


def test_asking_for_deletion_adds_the_crud_chain() -> None:
    """Deleting is covered by the CRUD chain, so a follow-up about it adds CRUD."""
    first = "smoke and auth tests for the pet endpoints"

    roles = parse_roles(f"{first}\nalso cover deleting a pet")

    assert parse_roles(first) == (FileRole.SMOKE, FileRole.AUTH)
    assert roles == (FileRole.SMOKE, FileRole.AUTH, FileRole.CRUD)
