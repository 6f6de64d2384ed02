"""The public surface: names exported from chapi stay exported."""

from __future__ import annotations

import chapi
import chapi.errors

EXPECTED = {
    "Chapi",
    "LLMConfig",
    "ChapiError",
    "ConflictError",
    "NotFoundError",
    "Project",
    "Environment",
    "RunPack",
    "Run",
    "RunStatus",
    "PackMode",
    "ValidationError",
    "SpecLoadError",
}


def test_public_names_are_exported_and_sorted() -> None:
    """__all__ lists the facade, models and errors, sorted, and each resolves."""
    names = chapi.__all__

    assert set(names) >= EXPECTED
    assert names == sorted(names)
    assert all(hasattr(chapi, n) for n in names)


def test_every_error_derives_from_chapi_error() -> None:
    """One error tree: every exported error is a ChapiError."""
    errors = [getattr(chapi.errors, n) for n in chapi.errors.__all__]

    assert all(issubclass(e, chapi.errors.ChapiError) for e in errors)
    assert issubclass(chapi.errors.NotFoundError, LookupError)
    assert issubclass(chapi.errors.MissingDependencyError, ImportError)


def test_import_touches_no_database(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Importing chapi and building the facade creates no files."""
    monkeypatch.chdir(tmp_path)

    chapi.Chapi()

    assert list(tmp_path.iterdir()) == []
