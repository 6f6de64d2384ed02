"""Ctrl-C for real: a ``chapi run`` process gets SIGINT while a request hangs.

The command runs in its own Python process against a server on 127.0.0.1
that answers ``/fast`` at once and holds ``/hang`` open. Once the hanging
request has arrived, the test sends SIGINT to the process, as a terminal's
Ctrl-C would, and then reads the stored run back from the same home folder.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from runner_support import HangingServer, hanging_server

from chapi import Chapi
from chapi.domain import RunStatus

TOKEN = "interrupt-Secret-Token-0815"

# Python installs its Ctrl-C handler only when SIGINT is not ignored at start,
# and a test runner started in the background may pass SIGINT on ignored.
_DEFAULT_SIGINT = (
    "import signal, sys\nsignal.signal(signal.SIGINT, signal.default_int_handler)\n"
)

# ``chapi run`` as the console script runs it.
_CLI = (
    _DEFAULT_SIGINT
    + "from chapi.cli import main\nraise SystemExit(main(sys.argv[1:]))\n"
)

# A caller looping over ``chapi.runs.stream`` (the run is in a worker thread).
_STREAM = (
    _DEFAULT_SIGINT
    + """
from chapi import Chapi
home, pack = sys.argv[2], sys.argv[5]
with Chapi(home=home, llm=None) as chapi:
    try:
        for event in chapi.runs.stream(pack, "local", force=True, concurrency=1):
            print(type(event).__name__, flush=True)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\\n")
        raise SystemExit(130)
"""
)


@pytest.fixture
def server() -> Iterator[HangingServer]:
    """The hanging server in a thread."""
    with hanging_server() as instance:
        yield instance


def _file(name: str, *paths: str) -> str:
    steps = [
        {
            "name": f"get {path}",
            "request": {"method": "GET", "path": path},
            "expect": {"status": [200]},
        }
        for path in paths
    ]
    return json.dumps({"jsonir": 1, "name": name, "steps": steps})


@pytest.mark.parametrize("entry", [_CLI, _STREAM], ids=["cli-run", "runs-stream"])
def test_sigint_leaves_a_finished_failed_run_with_partial_results(
    server: HangingServer, tmp_path: Path, entry: str
) -> None:
    """SIGINT mid-run: exit 130, and the stored run is failed, cancelled, with what ran."""
    home = tmp_path / "home"
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    with Chapi(home=home, llm=None) as chapi:
        project = chapi.projects.create("stoppable")
        chapi.projects.add_environment(
            project.id, "local", base_url=base_url, secrets={"TOKEN": TOKEN}
        )
        pack = chapi.packs.create(
            project.id,
            {
                "tests/a_fast.json": _file("fast", "/fast", "/fast"),
                "tests/b_slow.json": _file("slow", "/fast", "/hang", "/fast"),
            },
            mode="json-ir",
        )

    command = [sys.executable, "-c", entry, "--home", str(home), "--offline"]
    command += ["run", str(pack.id), "local", "--force", "--concurrency", "1"]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert server.hanging.wait(60), "the run never reached the hanging request"
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert process.returncode == 130, stdout + stderr
    assert "interrupted" in stderr
    assert TOKEN not in stdout + stderr

    with Chapi(home=home, llm=None) as chapi:
        [run] = chapi.runs.list(project.id)
        assert run.status is RunStatus.FAILED
        assert run.completed_at is not None and run.completed_at >= run.created_at
        assert run.runpack_id == pack.id
        assert run.summary is not None
        assert run.summary["reason"] == "cancelled"
        assert (run.summary["passed"], run.summary["errors"]) == (3, 2)

        cases = [
            (c["file"], c["outcome"], c["message"]) for c in chapi.runs.results(run.id)
        ]
        assert cases == [
            ("tests/a_fast.json", "passed", ""),
            ("tests/a_fast.json", "passed", ""),
            ("tests/b_slow.json", "passed", ""),
            ("tests/b_slow.json", "error", "cancelled"),
            ("tests/b_slow.json", "error", "cancelled"),
        ]
        junit = ET.fromstring(chapi.runs.artifact(run.id, "junit.xml"))
        assert (junit.get("tests"), junit.get("errors")) == ("5", "2")
        paths = {a.path for a in chapi.runs.artifacts(run.id)}
        assert {"pack/tests/a_fast.json", "logs/tests/b_slow.json.log"} <= paths
        for artifact in chapi.runs.artifacts(run.id):
            assert TOKEN not in artifact.content, artifact.path
