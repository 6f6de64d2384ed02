"""Environment secrets: sealed at rest, masked, opened on request, rotated."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa

from chapi import Chapi
from chapi.errors import ConfigurationError, ConflictError, SecretError
from chapi.security import FernetKeyProvider, KeyProvider, generate_key
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


class EnvelopeKms:
    """A stand-in for a KMS client: AES-GCM under a named master key held "remotely".

    Stored text is ``kms:<key-id>:<base64 nonce+ciphertext>``; the plaintext
    key never leaves this object, as with a real KMS.
    """

    def __init__(self, key_id: str) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self.key_id = key_id
        self._aead = AESGCM(AESGCM.generate_key(bit_length=256))
        self.calls = 0

    def encrypt(self, plaintext: str) -> str:
        import base64

        self.calls += 1
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), self.key_id.encode())
        return f"kms:{self.key_id}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str) -> str:
        import base64

        from cryptography.exceptions import InvalidTag

        self.calls += 1
        prefix, key_id, body = token.split(":", 2)
        if prefix != "kms" or key_id != self.key_id:
            raise SecretError(f"secret was not sealed by KMS key {self.key_id}")
        raw = base64.b64decode(body)
        try:
            return self._aead.decrypt(raw[:12], raw[12:], key_id.encode()).decode()
        except InvalidTag as exc:
            raise SecretError("KMS refused to open the secret") from exc


def test_a_kms_key_provider_plugs_in(storage: SqlStorage) -> None:
    """Any object with encrypt/decrypt is a KeyProvider; chapi stores what it returns."""
    kms = EnvelopeKms("alias/chapi")
    chapi = Chapi(storage=storage, key_provider=kms)
    project = chapi.projects.create("p")

    env = chapi.projects.add_environment(
        project.id, "e", base_url="http://h", secrets={"T": SECRET}
    )

    with storage.engine.connect() as conn:
        stored = conn.execute(
            sa.text("SELECT CAST(secrets AS TEXT) FROM environments")
        ).scalar_one()
    assert isinstance(kms, KeyProvider)
    assert "kms:alias/chapi:" in stored and SECRET not in stored
    assert chapi.projects.reveal_secrets(env.id) == {"T": SECRET}
    assert kms.calls == 2


def test_rotation_from_fernet_to_kms_and_back(storage: SqlStorage) -> None:
    """Rotation moves every secret to the new provider; the old one opens none."""
    old = FernetKeyProvider(generate_key())
    chapi = Chapi(storage=storage, key_provider=old)
    project = chapi.projects.create("p")
    a = chapi.projects.add_environment(
        project.id, "a", base_url="http://h", secrets={"T": SECRET, "U": "u"}
    )
    b = chapi.projects.add_environment(project.id, "b", base_url="http://h")
    kms = EnvelopeKms("alias/new")

    moved = chapi.rotate_secret_key(kms)

    assert moved == 1  # b has no secrets
    assert chapi.projects.reveal_secrets(a.id) == {"T": SECRET, "U": "u"}
    assert chapi.projects.reveal_secrets(b.id) == {}
    with pytest.raises(SecretError):
        Chapi(storage=storage, key_provider=old).projects.reveal_secrets(a.id)
    back = generate_key()
    assert chapi.rotate_secret_key(back) == 1
    assert Chapi(
        storage=storage, key_provider=FernetKeyProvider(back)
    ).projects.reveal_secrets(a.id) == {"T": SECRET, "U": "u"}


def test_failed_rotation_changes_nothing(storage: SqlStorage) -> None:
    """A secret the current key cannot open stops the rotation before anything is written."""
    first = Chapi(storage=storage, key_provider=FernetKeyProvider(generate_key()))
    project = first.projects.create("p")
    first.projects.add_environment(
        project.id, "a", base_url="http://h", secrets={"T": "1"}
    )
    key = generate_key()
    second = Chapi(storage=storage, key_provider=FernetKeyProvider(key))
    env = second.projects.add_environment(
        project.id, "b", base_url="http://h", secrets={"T": "2"}
    )
    with storage.engine.connect() as conn:
        before = conn.execute(
            sa.text("SELECT CAST(secrets AS TEXT) FROM environments ORDER BY name")
        ).all()

    with pytest.raises(SecretError):
        second.rotate_secret_key(generate_key())

    with storage.engine.connect() as conn:
        after = conn.execute(
            sa.text("SELECT CAST(secrets AS TEXT) FROM environments ORDER BY name")
        ).all()
    assert after == before
    assert second.projects.reveal_secrets(env.id) == {"T": "2"}


def test_rotation_with_the_key_file_replaces_it(tmp_path: Path) -> None:
    """Without CHAPI_SECRET_KEY, rotation rewrites the key file (mode 600) for later runs."""
    chapi = Chapi(home=tmp_path, llm=None)
    project = chapi.projects.create("p")
    env = chapi.projects.add_environment(
        project.id, "e", base_url="http://h", secrets={"T": SECRET}
    )
    old_key = (tmp_path / "secret.key").read_text().strip()

    chapi.rotate_secret_key()
    chapi.close()

    new_key = (tmp_path / "secret.key").read_text().strip()
    assert new_key != old_key
    assert stat.S_IMODE((tmp_path / "secret.key").stat().st_mode) == 0o600
    later = Chapi(home=tmp_path, llm=None)
    assert later.projects.reveal_secrets(env.id) == {"T": SECRET}
    later.close()


def test_environment_used_by_a_run_cannot_be_removed(storage: SqlStorage) -> None:
    """The facade refuses, naming the environment; the environment and run stay."""
    from chapi import domain as d

    chapi = Chapi(storage=storage, key_provider=FernetKeyProvider(generate_key()))
    project = chapi.projects.create("p")
    env = chapi.projects.add_environment(project.id, "staging", base_url="http://h")
    run = d.Run(project_id=project.id, env_id=env.id, user_query="q")
    with storage.unit_of_work() as uow:
        uow.runs.add(run)
        uow.commit()

    with pytest.raises(ConflictError, match="'staging' is used by runs"):
        chapi.projects.remove_environment(env.id)

    assert [e.id for e in chapi.projects.get(project.id).environments] == [env.id]
    with storage.unit_of_work() as uow:
        assert uow.runs.get(run.id).env_id == env.id


def test_duplicate_project_name_through_the_facade(storage: SqlStorage) -> None:
    """Creating or renaming to a taken name is a ConflictError naming it."""
    chapi = Chapi(storage=storage, key_provider=FernetKeyProvider(generate_key()))
    chapi.projects.create("taken")
    other = chapi.projects.create("free")

    with pytest.raises(ConflictError, match="'taken' already exists"):
        chapi.projects.create("taken")
    with pytest.raises(ConflictError, match="'taken' already exists"):
        chapi.projects.update(other.id, name="taken")


def test_no_log_line_shows_a_secret(
    storage: SqlStorage, caplog: pytest.LogCaptureFixture
) -> None:
    """chapi's logs, SQLAlchemy's statement log (with parameters) and a user's
    log of the environment never carry the plaintext."""
    import logging

    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    chapi = Chapi(storage=storage, key_provider=FernetKeyProvider(generate_key()))
    project = chapi.projects.create("p")
    env = chapi.projects.add_environment(
        project.id, "e", base_url="http://h", secrets={"TOKEN": SECRET}
    )
    chapi.projects.update_environment(env.id, secrets={"OTHER": SECRET + "-2"})
    opened = chapi.projects.reveal_secrets(env.id)
    chapi.rotate_secret_key(generate_key())
    logging.getLogger("user.code").info("env %s / %r / %s", env, env, env.model_dump())

    assert opened["TOKEN"] == SECRET
    assert any("INSERT INTO environments" in r.getMessage() for r in caplog.records)
    assert "TOKEN=***" in caplog.text
    assert SECRET not in caplog.text
