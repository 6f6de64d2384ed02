"""chapi's own demo pets API: a stdlib server and its OpenAPI 3.1 description.

``DemoServer(token=...)`` runs it in a thread on 127.0.0.1 for examples,
tests and benchmarks; ``python -m chapi.demo --port 8000`` runs it in the
foreground.
"""

from .openapi import openapi_document
from .server import DemoServer, PetStore

__all__ = ["DemoServer", "PetStore", "openapi_document"]
