"""Fixtures for the runner tests: the demo API, its model and the hand-written pack."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from chapi.demo import DemoServer, openapi_document
from chapi.runner import PackFile
from chapi.specs.model import ApiModel
from chapi.specs.normalize import to_api_model

DEMO_TOKEN = "demo-Secret-Token-4711/+="
DATA = Path(__file__).parent / "data"


@pytest.fixture
def demo() -> Iterator[DemoServer]:
    """A fresh demo pets API on 127.0.0.1."""
    with DemoServer(token=DEMO_TOKEN) as server:
        yield server


@pytest.fixture(scope="session")
def demo_api() -> ApiModel:
    """The demo API's description, normalized by the importer."""
    return to_api_model(openapi_document())


@pytest.fixture(scope="session")
def demo_pack() -> list[PackFile]:
    """The hand-written json-ir files and bash scripts for the demo API."""
    folder = DATA / "demo-pack"
    roles = {"smoke": "SMOKE", "auth": "AUTH", "crud": "CRUD", "negative": "NEGATIVE"}
    return [
        PackFile(f"tests/{path.name}", path.read_text("utf-8"), roles[path.stem])
        for path in sorted(folder.iterdir())
    ]


@pytest.fixture(scope="session")
def httpbin_url() -> Iterator[str]:
    """httpbin (from PyPI) under the waitress WSGI server in a thread on 127.0.0.1."""
    logging.getLogger("httpbin").setLevel(logging.ERROR)
    import httpbin
    from waitress.server import create_server

    server = create_server(httpbin.app, host="127.0.0.1", port=0, threads=8)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
