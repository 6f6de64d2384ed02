"""Secrets never appear in results, events, artifacts or log records."""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import asdict
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chapi.demo import DemoServer
from chapi.runner import MASK, Event, Masker, PackFile, RunFinished, execute_pack
from chapi.specs.model import ApiModel
from conftest import DEMO_TOKEN


def _forms(value: str) -> list[str]:
    return [
        value,
        quote(value, safe=""),
        quote_plus(value),
        base64.b64encode(value.encode()).decode(),
    ]


def test_masker_hides_plain_encoded_and_base64_forms() -> None:
    """Every encoded form of a secret is replaced by ***."""
    secret = "p@ss w/rd+=?"
    masker = Masker({"PASSWORD": secret, "USERNAME": "alice"})
    basic = base64.b64encode(f"alice:{secret}".encode()).decode()
    text = " | ".join([*_forms(secret), f"Basic {basic}", json.dumps({"x": secret})])

    masked = masker.text(text)

    for form in [*_forms(secret), basic]:
        assert form not in masked
    assert MASK in masked


def test_masker_hides_userinfo_query_credentials_and_json_members() -> None:
    """Userinfo, credential query parameters and credential JSON members are hidden by name."""
    masker = Masker({})
    text = 'GET https://bob:hunter2@api.test/x?api_key=abc&page=2 {"access_token": "t0k", "name": "Rex"}'

    masked = masker.text(text)

    assert (
        masked
        == 'GET https://***@api.test/x?api_key=*** &page=2 {"access_token": "***", "name": "Rex"}'.replace(
            "*** &", "***&"
        )
    )


def test_masker_hides_credential_headers_whole() -> None:
    """Authorization, Cookie and key-like headers are hidden whatever their value."""
    masker = Masker({}, extra_header_names=["X-Custom-Credential-Field"])

    shown = dict(
        masker.headers(
            [
                ("Authorization", "Bearer abc"),
                ("Cookie", "sid=1"),
                ("X-API-Key", "k"),
                ("X-Custom-Credential-Field", "v"),
                ("Accept", "application/json"),
            ]
        )
    )

    assert shown == {
        "Authorization": MASK,
        "Cookie": MASK,
        "X-API-Key": MASK,
        "X-Custom-Credential-Field": MASK,
        "Accept": "application/json",
    }


def test_masker_masks_values_learned_later() -> None:
    """A value added during the run (a fetched token) is hidden from then on."""
    masker = Masker({})
    masker.add("fetched-token-xyz")

    assert masker.text("got fetched-token-xyz") == f"got {MASK}"


@settings(max_examples=50, deadline=None)
@given(
    secret=st.text(min_size=4, max_size=30).filter(
        lambda s: s.strip() == s and s.strip()
    )
)
def test_masker_never_lets_a_secret_through(secret: str) -> None:
    """For any secret of four or more characters, no masked text still holds it."""
    masker = Masker({"TOKEN": secret})

    masked = masker.text(f"a {secret} b {quote(secret, safe='')} c")

    assert secret not in masked
    assert quote(secret, safe="") not in masked


@pytest.fixture
def capture_logs(
    caplog: pytest.LogCaptureFixture,
) -> Iterator[pytest.LogCaptureFixture]:
    """Every log record of every logger at DEBUG."""
    caplog.set_level(logging.DEBUG)
    yield caplog


def test_no_secret_anywhere_after_a_run(
    demo: DemoServer,
    demo_api: ApiModel,
    demo_pack: list[PackFile],
    capture_logs: pytest.LogCaptureFixture,
) -> None:
    """No form of any secret appears in results, events, artifacts or log records."""
    secrets = {
        "TOKEN": DEMO_TOKEN,
        "USERNAME": "runner-user",
        "PASSWORD": "runner-pass-Word!",
        "API_KEY": "key-Value-8899",
    }
    echo = {
        "jsonir": 1,
        "name": "echo secrets back",
        "steps": [
            {
                "name": f"create a pet named after the {name} secret",
                "request": {"method": "POST", "path": "/pets", "json": {"name": value}},
                "expect": {"status": [500]},
            }
            for name, value in secrets.items()
        ],
    }
    pack = [*demo_pack, PackFile("tests/echo.json", json.dumps(echo))]
    events: list[Event] = []

    outcome = execute_pack(
        pack,
        api=demo_api,
        base_url=demo.base_url,
        secrets=secrets,
        on_event=events.append,
    )

    assert outcome.summary["failed"] == len(secrets)
    haystacks = [
        *outcome.artifacts.values(),
        *(json.dumps(asdict(c)) for c in outcome.results),
        *(repr(e) for e in events if not isinstance(e, RunFinished)),
        *(r.getMessage() for r in capture_logs.records),
        json.dumps(outcome.summary),
    ]
    basic = base64.b64encode(
        f"{secrets['USERNAME']}:{secrets['PASSWORD']}".encode()
    ).decode()
    needles = [form for value in secrets.values() for form in _forms(value)] + [basic]
    leaks = [
        (needle, hay[:80]) for hay in haystacks for needle in needles if needle in hay
    ]
    assert leaks == []
    assert any(MASK in hay for hay in outcome.artifacts.values())


@pytest.mark.parametrize(
    ("expires_in", "fetches"), [(None, 1), (3600, 1), ("3600", 1), (0, 6)]
)
def test_oauth2_client_credentials_token_is_cached_until_it_expires(
    capture_logs: pytest.LogCaptureFixture, expires_in: object, fetches: int
) -> None:
    """An oauth2 scheme exchanges CLIENT_ID/CLIENT_SECRET for a token, kept while valid.

    Without ``expires_in`` the token is fetched once per run; an expired one
    is fetched again. Every token issued is masked.
    """
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    calls = {"token": 0}
    issued: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _reply(self, status: int, payload: object) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = self.rfile.read(length).decode()
            expected = (
                "Basic " + base64.b64encode(b"client-1:client-Secret-77").decode()
            )
            calls["token"] += 1
            if (
                self.headers.get("Authorization") == expected
                and "grant_type=client_credentials" in form
            ):
                issued.append(f"issued-Access-Token-{calls['token']:03d}")
                answer: dict[str, object] = {
                    "access_token": issued[-1],
                    "token_type": "bearer",
                }
                if expires_in is not None:
                    answer["expires_in"] = expires_in
                self._reply(200, answer)
            else:
                self._reply(401, {"error": "invalid_client"})

        def do_GET(self) -> None:
            ok = self.headers.get("Authorization") in [f"Bearer {t}" for t in issued]
            self._reply(
                200 if ok else 401,
                {"token_seen": self.headers.get("Authorization", "")},
            )

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    from chapi.specs.model import Operation, SecurityScheme

    api = ApiModel(
        spec_version="3.0",
        operations=(Operation(method="GET", path="/data", security=(("oauth",),)),),
        security_schemes={
            "oauth": SecurityScheme(
                name="oauth",
                kind="oauth2",
                token_url="/oauth/token",
                flows=("clientCredentials",),
            )
        },
    )
    step = {
        "name": "data",
        "operation": "GET /data",
        "request": {"method": "GET", "path": "/data"},
        "expect": {"status": [200]},
    }
    pack = [
        PackFile(
            f"f{i}.json", json.dumps({"jsonir": 1, "name": "o", "steps": [step, step]})
        )
        for i in range(3)
    ]

    try:
        outcome = execute_pack(
            pack,
            api=api,
            base_url=f"http://127.0.0.1:{server.server_address[1]}",
            secrets={"CLIENT_ID": "client-1", "CLIENT_SECRET": "client-Secret-77"},
        )
    finally:
        server.shutdown()
        server.server_close()

    assert outcome.passed, [c.message for c in outcome.results]
    assert calls["token"] == fetches
    texts = [
        *outcome.artifacts.values(),
        *(r.getMessage() for r in capture_logs.records),
    ]
    assert [t for t in issued for text in texts if t in text] == []
