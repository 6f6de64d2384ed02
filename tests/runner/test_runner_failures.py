"""Runs against servers that die, hang or lie, and runs that are stopped, still return outcomes."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from chapi.demo import DemoServer
from chapi.runner import PackFile, RunFinished, execute_pack
from chapi.specs.model import ApiModel, Operation, SecurityScheme
from conftest import DEMO_TOKEN


def _file(name: str, *steps: dict[str, Any]) -> PackFile:
    return PackFile(name, json.dumps({"jsonir": 1, "name": name, "steps": list(steps)}))


def _get(name: str, path: str = "/pets", **expect: Any) -> dict[str, Any]:
    return {
        "name": name,
        "request": {"method": "GET", "path": path},
        "expect": expect or {"status": [200]},
    }


class _DyingServer(ThreadingHTTPServer):
    """Answers ``limit`` requests, then drops the connection and stops listening."""

    daemon_threads = True

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.served = 0
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _DyingHandler)


class _DyingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _DyingServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.served += 1
            alive = self.server.served <= self.server.limit
            if not alive and self.server.socket.fileno() != -1:
                self.server.socket.close()
        if not alive:
            self.close_connection = True
            return
        body = b"[]"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _BadJsonHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        body = b'{"id": 1, "name": '
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def hanging_url() -> Iterator[str]:
    """A TCP server that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except (TimeoutError, OSError):
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    listener.close()


def _serve(server: ThreadingHTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


def test_server_dying_mid_run_fails_remaining_cases() -> None:
    """After the server dies, later steps fail with a transport reason and the outcome returns."""
    server = _DyingServer(limit=3)
    _serve(server)
    pack = [_file("dies.json", *[_get(f"step {i}") for i in range(6)])]

    try:
        outcome = execute_pack(
            pack,
            api=None,
            base_url=f"http://127.0.0.1:{server.server_address[1]}",
            concurrency=1,
        )
    finally:
        server.shutdown()
        server.server_close()

    outcomes = [c.outcome for c in outcome.results]
    assert outcomes[:3] == ["passed"] * 3
    assert outcomes[3:] == ["failed"] * 3
    assert all("could not reach the server" in c.message for c in outcome.results[3:])
    assert not outcome.passed and outcome.reason is None


def test_connection_refused_is_a_failed_case() -> None:
    """A base URL where nothing listens gives failed cases, not an exception."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()

    outcome = execute_pack(
        [_file("refused.json", _get("one"))],
        api=None,
        base_url=f"http://127.0.0.1:{port}",
    )

    assert outcome.results[0].outcome == "failed"
    assert "ConnectError" in outcome.results[0].message


def test_hanging_server_hits_the_request_timeout(hanging_url: str) -> None:
    """A server that never answers fails the step after request_timeout."""
    started = time.perf_counter()

    outcome = execute_pack(
        [_file("hang.json", _get("hangs"))],
        api=None,
        base_url=hanging_url,
        request_timeout=0.3,
    )

    assert outcome.results[0].outcome == "failed"
    assert outcome.results[0].message.startswith("request timed out")
    assert time.perf_counter() - started < 5


class _DripHandler(BaseHTTPRequestHandler):
    """Sends a 200 whose six body bytes arrive 0.25 s apart."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "6")
        self.end_headers()
        for _ in range(6):
            self.wfile.write(b"x")
            self.wfile.flush()
            time.sleep(0.25)


def test_request_timeout_covers_the_whole_exchange() -> None:
    """A server dripping bytes faster than the read timeout still times out overall."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _DripHandler)
    server.daemon_threads = True
    _serve(server)
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    pack = [_file("drip.json", _get("drips"))]

    try:
        slow = execute_pack(pack, api=None, base_url=base_url, request_timeout=0.6)
        patient = execute_pack(pack, api=None, base_url=base_url, request_timeout=5)
    finally:
        server.shutdown()
        server.server_close()

    assert slow.results[0].outcome == "failed"
    assert slow.results[0].message == "request timed out (no full response in 0.6s)"
    assert patient.results[0].outcome == "passed"


class _DripTokenHandler(_DripHandler):
    """Drips its OAuth2 token answer; answers GET at once."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        super().do_GET()

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def test_request_timeout_covers_the_oauth2_token_exchange() -> None:
    """A token endpoint dripping its answer is cut off by the request timeout too."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _DripTokenHandler)
    server.daemon_threads = True
    _serve(server)
    scheme = SecurityScheme(
        name="oauth", kind="oauth2", token_url="/token", flows=("clientCredentials",)
    )
    api = ApiModel(
        spec_version="3.0",
        operations=(Operation(method="GET", path="/data", security=(("oauth",),)),),
        security_schemes={"oauth": scheme},
    )
    step = {
        "name": "data",
        "operation": "GET /data",
        "request": {"method": "GET", "path": "/data"},
    }

    try:
        outcome = execute_pack(
            [_file("o.json", step)],
            api=api,
            base_url=f"http://127.0.0.1:{server.server_address[1]}",
            secrets={"CLIENT_ID": "client-1", "CLIENT_SECRET": "client-Secret-77"},
            request_timeout=0.6,
        )
    finally:
        server.shutdown()
        server.server_close()

    [case] = outcome.results
    assert case.outcome == "failed"
    assert case.message.startswith("could not get an OAuth2 token from http://")
    assert case.message.endswith("/token: no full answer in 0.6s")


def test_invalid_json_is_a_clean_failure() -> None:
    """A body that is not JSON where JSON was expected fails the step with a clear message."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BadJsonHandler)
    server.daemon_threads = True
    _serve(server)
    step = _get(
        "bad json", "/pet", status=[200], json=[{"pointer": "/id", "equals": 1}]
    )

    try:
        outcome = execute_pack(
            [_file("bad.json", step)],
            api=None,
            base_url=f"http://127.0.0.1:{server.server_address[1]}",
        )
    finally:
        server.shutdown()
        server.server_close()

    assert outcome.results[0].outcome == "failed"
    assert outcome.results[0].message.startswith("response body is not valid JSON")


def test_run_timeout_records_unfinished_cases(hanging_url: str) -> None:
    """When the run's time is up, unfinished steps are errors with reason 'run timed out'."""
    pack = [_file(f"f{i}.json", _get("a"), _get("b")) for i in range(3)]
    events: list[Any] = []
    started = time.perf_counter()

    outcome = execute_pack(
        pack,
        api=None,
        base_url=hanging_url,
        request_timeout=30,
        run_timeout=0.5,
        on_event=events.append,
    )

    assert time.perf_counter() - started < 5
    assert outcome.reason == "run timed out" and not outcome.passed
    assert outcome.summary["reason"] == "run timed out"
    assert [c.outcome for c in outcome.results] == ["error"] * 6
    assert all(c.message == "run timed out" for c in outcome.results)
    assert isinstance(events[-1], RunFinished) and events[-1].reason == "run timed out"


def test_cancel_event_stops_the_run(hanging_url: str) -> None:
    """Setting the cancel event from another thread ends the run with reason 'cancelled'."""
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()

    outcome = execute_pack(
        [_file("c.json", _get("a"))], api=None, base_url=hanging_url, cancel=cancel
    )

    assert outcome.reason == "cancelled"
    assert outcome.results[0].outcome == "error"


def test_ctrl_c_returns_the_outcome(hanging_url: str) -> None:
    """SIGINT during execute_pack ends the run as cancelled instead of raising."""
    threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()

    outcome = execute_pack(
        [_file("k.json", _get("a"), _get("b"))], api=None, base_url=hanging_url
    )

    assert outcome.reason == "cancelled"
    assert [c.outcome for c in outcome.results] == ["error", "error"]


def test_inside_a_running_loop_the_run_gets_its_own_thread(demo: DemoServer) -> None:
    """As in a Jupyter cell: execute_pack called while a loop runs still runs the pack."""
    seen: list[Any] = []

    async def cell() -> Any:
        return execute_pack(
            [_file("j.json", _get("a"), _get("b"))],
            api=None,
            base_url=demo.base_url,
            secrets={"TOKEN": DEMO_TOKEN},
            on_event=seen.append,
        )

    outcome = asyncio.run(cell())

    assert outcome.passed
    assert [c.outcome for c in outcome.results] == ["passed", "passed"]
    assert isinstance(seen[-1], RunFinished) and seen[-1].passed


def test_ctrl_c_inside_a_running_loop_returns_the_outcome(hanging_url: str) -> None:
    """SIGINT while a loop runs (a notebook kernel interrupt) cancels the run, which returns."""
    loop = asyncio.new_event_loop()
    threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()

    async def cell() -> Any:
        return execute_pack(
            [_file("k.json", _get("a"), _get("b"))], api=None, base_url=hanging_url
        )

    try:
        outcome = loop.run_until_complete(cell())
    finally:
        loop.close()

    assert outcome.reason == "cancelled"
    assert [c.outcome for c in outcome.results] == ["error", "error"]


def test_executor_crash_is_recorded_not_raised() -> None:
    """An unexpected exception inside a file becomes error cases naming it."""

    def explode(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("transport exploded")

    outcome = execute_pack(
        [_file("boom.json", _get("a"), _get("b")), _file("also.json", _get("c"))],
        api=None,
        base_url="http://127.0.0.1:9",
        transport=httpx.MockTransport(explode),
    )

    assert [c.outcome for c in outcome.results] == ["error", "error", "error"]
    assert outcome.results[0].message == "crashed: RuntimeError: transport exploded"


def test_invalid_jsonir_file_is_an_error_case(demo: DemoServer) -> None:
    """A file that breaks the json-ir schema becomes one error case; others still run."""
    pack = [
        PackFile("broken.json", '{"jsonir": 1}'),
        _file("ok.json", _get("health", "/health")),
    ]

    outcome = execute_pack(pack, api=None, base_url=demo.base_url)

    assert [(c.file, c.outcome) for c in outcome.results] == [
        ("broken.json", "error"),
        ("ok.json", "passed"),
    ]
    assert "breaks the version 1 schema" in outcome.results[0].message


def test_missing_capture_fails_clearly(demo: DemoServer) -> None:
    """A placeholder nobody captured fails its step and names the capture."""
    pack = [_file("m.json", _get("uses nothing", "/pets/{{pet_id}}"))]

    outcome = execute_pack(
        pack, api=None, base_url=demo.base_url, secrets={"TOKEN": DEMO_TOKEN}
    )

    assert outcome.results[0].outcome == "failed"
    assert "{{pet_id}} has no captured value" in outcome.results[0].message


def test_steps_needing_a_lost_capture_are_skipped(demo: DemoServer) -> None:
    """When a capturing step fails, steps that need its value are skipped, others still run."""
    create = {
        "name": "create",
        "request": {"method": "POST", "path": "/pets", "json": {}},
        "expect": {"status": [201]},
        "capture": {"pet_id": "/id"},
    }
    pack = [_file("s.json", create, _get("read", "/pets/{{pet_id}}"), _get("list"))]

    outcome = execute_pack(
        pack, api=None, base_url=demo.base_url, secrets={"TOKEN": DEMO_TOKEN}
    )

    assert [c.outcome for c in outcome.results] == ["failed", "skipped", "passed"]
    assert "which step 'create' did not capture" in outcome.results[1].message


def test_captured_values_cannot_leave_the_path_segment(demo: DemoServer) -> None:
    """A captured value with '/', '?' or '..' is percent-encoded and cannot change the route."""
    create = {
        "name": "create",
        "request": {
            "method": "POST",
            "path": "/pets",
            "json": {"name": "../../health?x=1"},
        },
        "expect": {"status": [201]},
        "capture": {"evil": "/name"},
    }
    pack = [_file("e.json", create, _get("read", "/pets/{{evil}}", status=[404]))]

    outcome = execute_pack(
        pack, api=None, base_url=demo.base_url, secrets={"TOKEN": DEMO_TOKEN}
    )

    assert [c.outcome for c in outcome.results] == ["passed", "passed"]
    assert "/pets/..%2F..%2Fhealth%3Fx%3D1" in outcome.results[1].request


def test_a_path_that_could_change_host_is_refused(demo: DemoServer) -> None:
    """A path holding a backslash (read as a slash by some servers) is refused before sending."""
    pack = [_file("x.json", _get("backslash trick", "/\\evil.example/pets"))]

    outcome = execute_pack(pack, api=None, base_url=demo.base_url)

    assert outcome.results[0].outcome == "failed"
    assert "must start with a single '/'" in outcome.results[0].message
    assert demo.requests_served == 0


def test_a_static_path_is_checked_and_reused_per_step(demo: DemoServer) -> None:
    """A refused static path fails every step that uses it; query params stay per step."""
    with_query = _get("with a query", "/pets")
    with_query["request"]["query"] = {"limit": 1}
    pack = [
        _file(
            "x.json",
            _get("first", "/\\evil.example/pets"),
            _get("second", "/\\evil.example/pets"),
            with_query,
            _get("without a query", "/pets"),
        )
    ]

    outcome = execute_pack(
        pack, api=None, base_url=demo.base_url, secrets={"TOKEN": DEMO_TOKEN}
    )

    first, second, queried, plain = outcome.results
    assert (first.outcome, second.outcome) == ("failed", "failed")
    assert first.message == second.message
    assert "must start with a single '/'" in second.message
    assert (queried.outcome, plain.outcome) == ("passed", "passed")
    assert queried.request.startswith(f"GET {demo.base_url}/pets?limit=1\n")
    assert plain.request.startswith(f"GET {demo.base_url}/pets\n")
    assert demo.requests_served == 2


def test_a_pack_run_twice_gives_the_same_results(demo: DemoServer) -> None:
    """Running the same files again (parsed models reused) changes nothing; bad files stay bad."""
    create = {
        "name": "create",
        "request": {"method": "POST", "path": "/pets", "json": {"name": "Rex"}},
        "expect": {"status": [201]},
        "capture": {"pet_id": "/id"},
    }
    pack = [
        _file("c.json", create, _get("read", "/pets/{{pet_id}}")),
        PackFile("broken.json", '{"jsonir": 1}'),
    ]

    runs = [
        execute_pack(
            pack, api=None, base_url=demo.base_url, secrets={"TOKEN": DEMO_TOKEN}
        )
        for _ in range(2)
    ]

    for outcome in runs:
        assert [(c.name, c.outcome) for c in outcome.results] == [
            ("create", "passed"),
            ("read", "passed"),
            ("broken.json", "error"),
        ]
    assert runs[0].results[1].request != runs[1].results[1].request
    assert "/pets/1\n" in runs[0].results[1].request
    assert "/pets/2\n" in runs[1].results[1].request


BASH_SLEEPER = """#!/usr/bin/env bash
echo "1..2"
echo "ok 1 - started"
sleep 300 &
echo "# child $!"
sleep 300
echo "ok 2 - never printed"
"""


def _alive(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    try:
        text = status.read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in text


def test_bash_script_past_its_time_is_killed_with_its_children() -> None:
    """A script that sleeps forever is killed with its whole process group."""
    started = time.perf_counter()

    outcome = execute_pack(
        [PackFile("sleep.sh", BASH_SLEEPER)],
        api=None,
        base_url="http://127.0.0.1:9",
        script_timeout=1,
    )

    log = outcome.artifacts["logs/sleep.sh.log"]
    child = int(log.split("# child ")[1].split()[0])
    time.sleep(0.2)
    assert time.perf_counter() - started < 10
    assert [c.outcome for c in outcome.results] == ["passed", "error"]
    assert "timed out after 1s" in outcome.results[1].message
    assert not _alive(child)


def test_bash_run_timeout_kills_the_script() -> None:
    """The run timeout also stops a running script and records it as 'run timed out'."""
    outcome = execute_pack(
        [PackFile("sleep.sh", BASH_SLEEPER)],
        api=None,
        base_url="http://127.0.0.1:9",
        run_timeout=1,
    )

    child = int(outcome.artifacts["logs/sleep.sh.log"].split("# child ")[1].split()[0])
    time.sleep(0.2)
    assert outcome.reason == "run timed out"
    assert (
        outcome.results[-1].outcome == "error"
        and outcome.results[-1].message == "run timed out"
    )
    assert not _alive(child)


def test_bash_nonzero_exit_without_plan_is_an_error() -> None:
    """A script that exits non-zero without printing a plan gives an error case with stderr."""
    script = "#!/usr/bin/env bash\necho 'something broke' >&2\nexit 3\n"

    outcome = execute_pack(
        [PackFile("bad.sh", script)], api=None, base_url="http://127.0.0.1:9"
    )

    assert [c.outcome for c in outcome.results] == ["error"]
    assert "exited with status 3" in outcome.results[0].message
    assert "something broke" in outcome.results[0].message


def test_bash_environment_is_minimal() -> None:
    """A script sees BASE_URL, a fixed PATH, its own HOME and only the secrets it names."""
    script = """#!/usr/bin/env bash
echo 1..4
[ "$BASE_URL" = "http://127.0.0.1:9" ] && echo "ok 1 - base url" || echo "not ok 1 - base url"
[ "$PATH" = "/usr/local/bin:/usr/bin:/bin" ] && echo "ok 2 - path" || echo "not ok 2 - path"
[ "$HOME" = "$PWD" ] && echo "ok 3 - home is the temp folder" || echo "not ok 3 - home"
[ -n "${TOKEN:-}" ] && [ -z "$(env | grep -e other-12 -e CHAPI_TEST_LEAK)" ] && echo "ok 4 - only named secrets" || echo "not ok 4 - secrets"
"""
    os.environ["CHAPI_TEST_LEAK"] = "leak"

    try:
        outcome = execute_pack(
            [PackFile("env.sh", script)],
            api=None,
            base_url="http://127.0.0.1:9",
            secrets={"TOKEN": "tok-123456", "OTHER_SECRET": "other-123456"},
        )
    finally:
        del os.environ["CHAPI_TEST_LEAK"]

    assert [(c.name, c.outcome) for c in outcome.results] == [
        ("base url", "passed"),
        ("path", "passed"),
        ("home is the temp folder", "passed"),
        ("only named secrets", "passed"),
    ]


def test_bash_output_is_capped() -> None:
    """A script printing far more than the cap still ends, with its log cut."""
    script = "#!/usr/bin/env bash\necho 1..1\necho 'ok 1 - noisy'\nhead -c 5000000 /dev/zero | tr '\\0' 'x'\n"

    outcome = execute_pack(
        [PackFile("noisy.sh", script)], api=None, base_url="http://127.0.0.1:9"
    )

    assert [c.outcome for c in outcome.results] == ["passed"]
    assert len(outcome.artifacts["logs/noisy.sh.log"]) < 1_200_000


def test_bash_more_tests_than_planned_is_an_error() -> None:
    """A script reporting more tests than its plan announced gets an error case."""
    script = "#!/usr/bin/env bash\necho 1..1\necho 'ok 1 - a'\necho 'ok 2 - b'\n"

    outcome = execute_pack(
        [PackFile("extra.sh", script)], api=None, base_url="http://127.0.0.1:9"
    )

    assert [c.outcome for c in outcome.results] == ["passed", "passed", "error"]
    assert outcome.results[2].message == "plan said 1 tests, the script reported 2"


def test_bash_output_cut_inside_a_line_drops_that_line() -> None:
    """When stdout passes the cap mid-line, the cut line is not logged (it may end in a secret)."""
    script = (
        "#!/usr/bin/env bash\necho 1..1\necho 'ok 1 - noisy'\n"
        "head -c 2000000 /dev/zero | tr '\\0' 'x'\necho ' secret-Tail-1234'\n"
    )

    outcome = execute_pack(
        [PackFile("cut.sh", script)],
        api=None,
        base_url="http://127.0.0.1:9",
        secrets={"TAIL": "secret-Tail-1234"},
    )

    log = outcome.artifacts["logs/cut.sh.log"]
    assert [c.outcome for c in outcome.results] == ["passed"]
    assert "[stdout cut at 1048576 bytes]" in log.splitlines()
    assert "xxxx" not in log
