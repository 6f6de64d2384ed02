"""chapi's quick start, end to end, against the built-in demo pets API.

Starts the demo API on a free port of 127.0.0.1, imports its OpenAPI
description, asks for tests (written by the offline planner unless
OPENAI_MODEL is set), validates and finalizes the pack, runs it, and prints
the outcome. Everything is stored in a temporary folder, so the script can
be run again and again.

    python examples/quickstart.py

Exit status: 0 when the run passed, 1 when it failed.
"""

from __future__ import annotations

import sys
import tempfile

from chapi import Chapi, PackStatus, RunStatus
from chapi.demo import DemoServer, openapi_document

TOKEN = "s3cret"


def main() -> int:
    """Run the flow and return the exit status."""
    server = DemoServer(token=TOKEN).start()
    try:
        with tempfile.TemporaryDirectory() as home, Chapi(home=home) as chapi:
            p = chapi.projects.create("petstore")
            env = chapi.projects.add_environment(
                p.id, "local", base_url=server.base_url, secrets={"TOKEN": TOKEN}
            )
            print(env)

            spec = chapi.specs.import_spec(p.id, openapi_document(server.base_url))
            print(f"spec {spec.version}: {len(chapi.specs.endpoints(p.id))} endpoints")

            talk = chapi.chat.start(p.id, "pet tests")
            reply = chapi.chat.ask(
                talk.id,
                "smoke and auth tests for the pet endpoints",
                mode="json-ir",
                env="local",
            )
            for item in reply.pack.files:
                print(f"  {item.role:<8} {item.path} ({item.size_bytes} bytes)")

            report = chapi.packs.validate(reply.pack.id)
            print(f"validation passed: {report.passed}")
            for finding in report.findings:
                print(f"  {finding}")
            # A pack whose validation passes is finalized when it is generated;
            # a draft still needs finalize() (refused while an error stands).
            if chapi.packs.get(reply.pack.id).status is PackStatus.DRAFT:
                chapi.packs.finalize(reply.pack.id)

            run = chapi.runs.execute(reply.pack.id, env.id)
            print(run.status, run.summary)
            return 0 if run.status == RunStatus.PASSED else 1
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
