"""Environment secrets: sealed at rest, masked, opened on request, rotated."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa

from chapi import Chapi
from chapi.errors import ConfigurationError, ConflictError, SecretError
from chapi.security import FernetKeyProvider, generate_key
from chapi.storage import SqlStorage

SECRET = "s3cret-value-4711"


def test_secrets_never_stored_in_plaintext(storage: SqlStorage) -> None:
    """The database holds only ciphertext; the service opens it on request."""
    chapi = Chapi(storage=storage, key_provider=FernetKeyProvider(generate_key()))
    project = chapi.projects.create("p")

    env = chapi.projects.add_environment(
        project.id, "local", base_url="http://127.0.0.1:8000", secrets={"TOKEN": SECRET}
    )

    with storage.engine.connect() as conn:
        stored = conn.execute(
            sa.text("SELECT CAST(secrets AS TEXT) FROM environments")
        ).scalar_one()
    assert SECRET not in stored
    assert "TOKEN" in stored
    assert SECRET not in repr(env) + str(env) + env.model_dump_json()
    assert chapi.projects.reveal_secrets(env.id) == {"TOKEN": SECRET}


def test_sqlite_file_never_holds_the_plaintext(tmp_path: Path) -> None:
    """Scanning the embedded database's bytes finds no secret value."""
    chapi = Chapi(home=tmp_path)
    project = chapi.projects.create("p")
    chapi.projects.add_environment(
        project.id, "local", base_url="http://h", secrets={"T": SECRET}
    )
    chapi.close()

    blobs = b"".join(
        p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("chapi.db")
    )

    assert SECRET.encode() not in blobs


def test_default_key_file_is_private(tmp_path: Path) -> None:
    """The embedded default creates its key file with mode 600."""
    chapi = Chapi(home=tmp_path)

    chapi.projects.create("p")

    mode = stat.S_IMODE((tmp_path / "secret.key").stat().st_mode)
    assert mode == 0o600


def test_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    """A key file others can read is a configuration error, not silently used."""
    key = tmp_path / "secret.key"
    key.write_text(generate_key())
    os.chmod(key, 0o644)

    with pytest.raises(ConfigurationError, match="chmod 600"):
        Chapi(home=tmp_path).keys  # noqa: B018


def test_wrong_key_is_a_secret_error(storage: SqlStorage) -> None:
    """Opening secrets with another key fails with SecretError."""
    first = Chapi(storage=storage, key_provider=FernetKeyProvider(generate_key()))
    project = first.projects.create("p")
    env = first.projects.add_environment(
        project.id, "e", base_url="http://h", secrets={"T": "v"}
    )
    second = Chapi(storage=storage, key_provider=FernetKeyProvider(generate_key()))

    with pytest.raises(SecretError, match="CHAPI_SECRET_KEY"):
        second.projects.reveal_secrets(env.id)


def test_rotation_re_encrypts_every_secret(storage: SqlStorage) -> None:
    """After rotation only the new key opens the stored secrets."""
    old_key, new_key = generate_key(), generate_key()
    chapi = Chapi(storage=storage, key_provider=FernetKeyProvider(old_key))
    project = chapi.projects.create("p")
    env = chapi.projects.add_environment(
        project.id, "e", base_url="http://h", secrets={"T": SECRET}
    )

    count = chapi.rotate_secret_key(new_key)

    assert count == 1
    assert chapi.projects.reveal_secrets(env.id) == {"T": SECRET}
    stale = Chapi(storage=storage, key_provider=FernetKeyProvider(old_key))
    with pytest.raises(SecretError):
        stale.projects.reveal_secrets(env.id)


def test_env_variable_key_is_used(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """CHAPI_SECRET_KEY wins over the key file, which is then never created."""
    monkeypatch.setenv("CHAPI_SECRET_KEY", generate_key())

    chapi = Chapi(home=tmp_path)
    chapi.projects.create("p")

    assert not (tmp_path / "secret.key").exists()


def test_invalid_key_is_a_configuration_error() -> None:
    """A malformed key names the setting to fix."""
    with pytest.raises(ConfigurationError, match="CHAPI_SECRET_KEY"):
        FernetKeyProvider("not-a-key")


def test_environment_lifecycle_through_the_facade(storage: SqlStorage) -> None:
    """Environments update, refuse duplicate names, and delete when unused."""
    chapi = Chapi(storage=storage, key_provider=FernetKeyProvider(generate_key()))
    project = chapi.projects.create("p")
    env = chapi.projects.add_environment(
        project.id, "e", base_url="http://h", secrets={"A": "1"}
    )

    changed = chapi.projects.update_environment(
        env.id, base_url="http://other", secrets={"B": "2"}, remove_secrets=["A"]
    )
    with pytest.raises(ConflictError, match="already has an environment"):
        chapi.projects.add_environment(project.name, "e", base_url="http://h")
    chapi.projects.remove_environment("e", project=project.name)

    assert changed.base_url == "http://other"
    assert changed.secret_names == ["B"]
    assert chapi.projects.get(project.id).environments == []
