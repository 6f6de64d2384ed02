"""Fixtures for the runner tests: the demo API, its model and the hand-written pack."""

from __future__ import annotations

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
