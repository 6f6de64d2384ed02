"""Facade settings: arguments first, then CHAPI_* variables, then defaults; no I/O."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chapi import Chapi
from chapi.config import Settings
from chapi.security import generate_key


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("CHAPI_DATABASE_URL", "CHAPI_HOME", "CHAPI_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults_are_sqlite_under_dot_chapi(clean_env: pytest.MonkeyPatch) -> None:
    """With nothing set, chapi lives in ./.chapi with a key file."""
    settings = Settings.resolve()

    assert settings.home == Path(".chapi")
    assert settings.secret_key is None
    assert settings.effective_database_url == (
        f"sqlite:///{(Path('.chapi') / 'chapi.db').resolve()}"
    )


def test_environment_variables_fill_what_arguments_leave_out(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """CHAPI_DATABASE_URL, CHAPI_HOME and CHAPI_SECRET_KEY are read when no argument is given."""
    key = generate_key()
    clean_env.setenv("CHAPI_DATABASE_URL", "postgresql+psycopg://env@127.0.0.1/envdb")
    clean_env.setenv("CHAPI_HOME", str(tmp_path / "env-home"))
    clean_env.setenv("CHAPI_SECRET_KEY", key)

    settings = Settings.resolve()

    assert settings.database_url == "postgresql+psycopg://env@127.0.0.1/envdb"
    assert settings.home == tmp_path / "env-home"
    assert settings.secret_key == key


def test_arguments_win_over_environment_variables(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An argument given to Chapi() overrides the matching variable."""
    env_key, arg_key = generate_key(), generate_key()
    clean_env.setenv("CHAPI_DATABASE_URL", "postgresql+psycopg://env@127.0.0.1/envdb")
    clean_env.setenv("CHAPI_HOME", str(tmp_path / "env-home"))
    clean_env.setenv("CHAPI_SECRET_KEY", env_key)

    chapi = Chapi(
        f"sqlite:///{tmp_path / 'arg.db'}",
        home=tmp_path / "arg-home",
        secret_key=arg_key,
        llm=None,
    )

    assert chapi.settings.database_url == f"sqlite:///{tmp_path / 'arg.db'}"
    assert chapi.settings.home == tmp_path / "arg-home"
    assert chapi.settings.secret_key == arg_key


def test_home_from_the_environment_holds_database_and_key(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """CHAPI_HOME alone decides where the embedded database and key file go."""
    clean_env.setenv("CHAPI_HOME", str(tmp_path / "home"))
    (tmp_path / "cwd").mkdir()
    clean_env.chdir(tmp_path / "cwd")

    chapi = Chapi(llm=None)
    chapi.projects.create("p")
    chapi.close()

    assert (tmp_path / "home" / "chapi.db").is_file()
    assert (tmp_path / "home" / "secret.key").is_file()
    assert list((tmp_path / "cwd").iterdir()) == []


def test_settings_repr_hides_password_and_key(clean_env: pytest.MonkeyPatch) -> None:
    """Printing the settings shows neither the database password nor the key."""
    key = generate_key()
    settings = Settings.resolve(
        "postgresql+psycopg://app:hunter2@127.0.0.1/chapi", secret_key=key
    )

    shown = repr(settings) + repr(
        Chapi(settings.database_url, secret_key=key, llm=None)
    )

    assert "hunter2" not in shown and key not in shown
    assert "***" in shown


def test_importing_every_module_and_building_the_facade_touches_nothing(
    tmp_path: Path,
) -> None:
    """In a fresh interpreter, importing all of chapi and calling Chapi() opens no
    database and creates no file."""
    code = (
        "import importlib, pkgutil, chapi\n"
        "for info in pkgutil.walk_packages(chapi.__path__, 'chapi.'):\n"
        "    if not info.name.endswith('__main__'):\n"
        "        importlib.import_module(info.name)\n"
        "c = chapi.Chapi(llm=None)\n"
        "print(repr(c), c.settings)\n"
    )
    env = {
        **os.environ,
        "CHAPI_DATABASE_URL": f"sqlite:///{tmp_path / 'never.db'}",
        "CHAPI_HOME": str(tmp_path / "home"),
    }
    env.pop("CHAPI_SECRET_KEY", None)

    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    assert "never.db" in done.stdout
    assert sorted(tmp_path.iterdir()) == []
