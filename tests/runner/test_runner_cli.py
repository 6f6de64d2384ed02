"""The ``chapi`` command: each step of the CI flow, its exit codes, and the example CI script."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from chapi.cli import main
from chapi.demo import DemoServer
from conftest import DEMO_TOKEN

ROOT = Path(__file__).resolve().parents[2]


class Cli:
    """Runs ``chapi`` in-process against one home folder."""

    def __init__(self, home: Path) -> None:
        self.home = home

    def __call__(self, *argv: str) -> tuple[int, str]:
        out = io.StringIO()
        code = main(["--home", str(self.home), "--offline", *argv], stdout=out)
        return code, out.getvalue()


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """The command line over a fresh home folder."""
    return Cli(tmp_path / "home")


def _setup(cli: Cli, demo: DemoServer) -> None:
    assert cli("project", "create", "pets")[0] == 0
    code, _ = cli(
        "env", "add", "pets", "local", "--base-url", demo.base_url,
        "--secret", f"TOKEN={DEMO_TOKEN}",
    )  # fmt: skip
    assert code == 0
    code, out = cli("spec", "import", "pets", f"{demo.base_url}/openapi.json")
    assert code == 0, out


def test_ci_flow_generate_validate_run_and_history(
    cli: Cli, demo: DemoServer, tmp_path: Path
) -> None:
    """generate → validate → run --junit → runs, each exiting 0."""
    _setup(cli, demo)

    code, pack = cli("generate", "pets", "smoke and auth tests", "--quiet")
    assert code == 0
    pack = pack.strip()
    assert len(pack) == 36

    code, out = cli("validate", pack)
    assert code == 0, out
    code, out = cli("finalize", pack)
    assert (code, out.split()[-1]) == (0, "finalized")

    junit = tmp_path / "reports" / "junit.xml"
    code, out = cli("run", pack, "local", "--quiet", "--junit", str(junit))
    assert code == 0, out
    assert "passed" in out.splitlines()[-1]
    suites = ET.parse(junit).getroot()
    assert int(suites.get("tests", "0")) > 0
    assert int(suites.get("failures", "0")) == 0

    code, out = cli("runs", "pets")
    assert code == 0
    assert len(out.splitlines()) == 1
    assert " passed " in out

    export = tmp_path / "export"
    assert cli("export", pack, str(export))[0] == 0
    assert any(export.rglob("*.json"))


def test_failed_run_exits_one_and_names_the_failures(
    cli: Cli, demo: DemoServer
) -> None:
    """A wrong token makes valid-auth cases fail: exit 1, one line per failure."""
    assert cli("project", "create", "pets")[0] == 0
    cli(
        "env", "add", "pets", "local", "--base-url", demo.base_url,
        "--secret", "TOKEN=wrong-token",
    )  # fmt: skip
    cli("spec", "import", "pets", f"{demo.base_url}/openapi.json")
    _, pack = cli("generate", "pets", "smoke tests", "--quiet")

    code, out = cli("run", pack.strip(), "local", "--quiet")

    assert code == 1
    assert out.startswith("FAILED: ")
    assert "wrong-token" not in out


def test_errors_exit_two_with_a_message(
    cli: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown project is exit 2, with the message on stderr."""
    code, out = cli("spec", "search", "nowhere", "pets")

    assert code == 2
    assert out == ""
    assert "nowhere" in capsys.readouterr().err


def test_bare_secret_name_reads_the_environment(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--secret TOKEN`` takes $TOKEN; an unset variable is a clear error."""
    from chapi import Chapi

    cli("project", "create", "pets")
    monkeypatch.setenv("CHAPI_T_TOKEN", "from-the-env")

    code, _ = cli(
        "env", "add", "pets", "ci", "--base-url", "http://127.0.0.1:9",
        "--secret", "CHAPI_T_TOKEN",
    )  # fmt: skip
    missing, _ = cli(
        "env", "add", "pets", "other", "--base-url", "http://127.0.0.1:9",
        "--secret", "CHAPI_T_UNSET",
    )  # fmt: skip

    assert (code, missing) == (0, 2)
    with Chapi(home=cli.home, llm=None) as chapi:
        env = chapi.projects.environment("ci", project="pets")
        assert chapi.projects.reveal_secrets(env.id) == {
            "CHAPI_T_TOKEN": "from-the-env"
        }


def test_demo_command_runs_the_whole_flow(cli: Cli) -> None:
    """``chapi demo`` starts the demo API, generates, validates, runs: exit 0."""
    code, out = cli("demo")

    assert code == 0, out
    assert "validated: passed" in out
    assert "history: 1 run(s)" in out


def test_example_ci_script_runs_against_the_demo_api(
    demo: DemoServer, tmp_path: Path
) -> None:
    """``examples/ci_run.sh`` passes and leaves a JUnit report."""
    junit = tmp_path / "junit.xml"
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "API_BASE_URL": demo.base_url,
        "API_TOKEN": DEMO_TOKEN,
        "API_SPEC": f"{demo.base_url}/openapi.json",
        "JUNIT_FILE": str(junit),
        "CHAPI_HOME": str(tmp_path / "home"),
    }

    done = subprocess.run(
        ["bash", str(ROOT / "examples" / "ci_run.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert int(ET.parse(junit).getroot().get("tests", "0")) > 0
    assert DEMO_TOKEN not in done.stdout + done.stderr


def test_quickstart_example_passes(tmp_path: Path) -> None:
    """``examples/quickstart.py`` runs the documented flow and exits 0."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}

    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "TOKEN=***" in done.stdout
    assert "s3cret" not in done.stdout
    assert list(tmp_path.iterdir()) == []
