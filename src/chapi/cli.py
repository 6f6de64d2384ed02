"""The ``chapi`` command: a thin layer over :class:`chapi.Chapi` for shells and CI.

Every command maps to one facade call and prints a short, stable text
answer. Exit codes: 0 success (a run that passed), 1 a run or validation
that failed, 2 an error (the message names what was wrong).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import secrets
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO

from . import __version__
from .errors import ChapiError, ValidationError
from .facade import Chapi

__all__ = ["main"]

logger = logging.getLogger(__name__)

_MODES = ("json-ir", "bash-curl", "hybrid")


class _Output:
    """Where answers go (stdout) and how they are written."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def line(self, text: str = "") -> None:
        self.stream.write(text + "\n")

    def table(self, rows: Sequence[Sequence[object]]) -> None:
        if not rows:
            return
        widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            cells = [str(c).ljust(w) for c, w in zip(row, widths, strict=True)]
            self.line("  ".join(cells).rstrip())


def _secret_pairs(items: Sequence[str]) -> dict[str, str]:
    """``NAME=VALUE`` pairs; a bare ``NAME`` takes its value from the environment.

    The bare form keeps the value off the command line, where other users of
    the machine could read it in the process list.
    """
    pairs: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not name:
            raise ValidationError(
                "--secret takes NAME=VALUE or NAME, got an empty name"
            )
        if not sep:
            if name not in os.environ:
                raise ValidationError(
                    f"--secret {name}: no environment variable {name} is set"
                )
            value = os.environ[name]
        pairs[name] = value
    return pairs


def _open(args: argparse.Namespace) -> Chapi:
    return Chapi(args.database_url, home=args.home, llm=None if args.offline else "env")


# -- commands -------------------------------------------------------------------


def _project_create(c: Chapi, a: argparse.Namespace, out: _Output) -> int:
    project = c.projects.create(a.name, description=a.description)
    out.line(f"{project.id}  {project.name}")
    return 0


def _project_list(c: Chapi, a: argparse.Namespace, out: _Output) -> int:
    out.table(
        [
            (p.id, p.name, ",".join(e.name for e in p.environments) or "-")
            for p in c.projects.list()
        ]
    )
    return 0


def _project_delete(c: Chapi, a: argparse.Namespace, out: _Output) -> int:
    c.projects.delete(a.project)
    out.line(f"deleted {a.project}")
    return 0


def _env_add(c: Chapi, a: argparse.Namespace, out: _Output) -> int:
    env = c.projects.add_environment(
        a.project, a.name, base_url=a.base_url, secrets=_secret_pairs(a.secret)
    )
    out.line(f"{env.id}  {env}")
    return 0


def _env_list(c: Chapi, a: argparse.Namespace, out: _Output) -> int:
    out.table([(e.id, str(e)) for e in c.projects.get(a.project).environments])
    return 0


def _spec_import(c: Chapi, a: argparse.Namespace, out: _Output) -> int:
    spec = c.specs.import_spec(
        a.project,
        a.source,
        version=a.version,
        strict=a.strict,
        replace=a.replace,
        allow_remote=a.allow_remote,
    )
    count = len(c.specs.endpoints(a.project, spec=spec.id))
    out.line(f"{spec.id}  version {spec.version}: {count} endpoints")
    for warning in spec.warnings:
        out.line(f"warning: {warning}")
    return 0


def _spec_list(c: Chapi, a: argparse.Namespace, out: _Output) -> int:
    out.table(
        [
            (
                s.id,
                s.version,
                s.openapi_version,
                s.created_at.isoformat(timespec="seconds"),
            )
            for s in c.specs.list(a.project)
        ]
    )
    return 0


def _spec_search(c: Chapi, a: argparse.Namespace, out: _Output) -> int:
    for hit in c.specs.search(a.project, a.query, limit=a.limit):
        out.line(str(hit))
    return 0


def _spec_context(c: Chapi, a: argparse.Namespace, out: _Output) -> int:
    out.line(c.specs.context(a.project, a.query, max_chars=a.max_chars))
    return 0


def _generate(c: Chapi, a: argparse.Namespace, out: _Output) -> int:
    result = c.packs.generate_detailed(
        a.project,
        a.request,
        mode=a.mode,
        env=a.env,
        allowed_ops=a.allow_ops,
        notes=a.notes,
        finalize=not a.draft,
    )
    pack = result.pack
    if a.quiet:
        out.line(str(pack.id))
        return 0 if not pack.failed_validations else 1
    out.line(
        f"{pack.id}  {pack.status.value}  {len(pack.files)} files"
        + ("  (cached)" if result.cached else "")
    )
    out.line(result.card.plan.summary)
    for item in sorted(pack.files, key=lambda f: f.path):
        out.line(f"  {item.role:<9} {item.path}")
    for value in pack.failed_validations:
        out.line(f"  failed: {value.rule} on {value.file_path}")
    return 0 if not pack.failed_validations else 1


def _files(c: Chapi, a: argparse.Namespace, out: _Output) -> int:
    out.table([(f.role, f.size_bytes, f.path) for f in c.packs.files(a.pack)])
    return 0


def _show(c: Chapi, a: argparse.Namespace, out: _Output) -> int:
    for item in c.packs.files(a.pack):
        if a.path in (None, item.path):
            out.line(f"# {item.path} ({item.role})")
            out.line(item.content.rstrip("\n"))
    return 0


def _validate(c: Chapi, a: argparse.Namespace, out: _Output) -> int:
    report = c.packs.validate(a.pack, env=a.env)
    out.line(str(report))
    return 0 if report.passed else 1


def _finalize(c: Chapi, a: argparse.Namespace, out: _Output) -> int:
    pack = c.packs.finalize(a.pack, force=a.force, reason=a.reason)
    out.line(f"{pack.id}  {pack.status.value}")
    return 0


def _export(c: Chapi, a: argparse.Namespace, out: _Output) -> int:
    out.line(str(c.packs.export(a.pack, a.destination)))
    return 0


def _run(c: Chapi, a: argparse.Namespace, out: _Output) -> int:
    result = c.runs.execute(
        a.pack,
        a.env,
        concurrency=a.concurrency,
        timeout=a.timeout,
        run_timeout=a.run_timeout,
        force=a.force,
        progress=None if not a.quiet else False,
    )
    for case in result.failures:
        out.line(f"{case.outcome.upper()}: {case.file} :: {case.name}: {case.message}")
    _write_reports(c, result.id, a)
    out.line(str(result))
    return 0 if result.passed else 1


def _write_reports(c: Chapi, run_id: Any, a: argparse.Namespace) -> None:
    for option, artifact in (
        (a.junit, "junit.xml"),
        (a.results, "results.json"),
        (a.summary, "summary.md"),
    ):
        if option:
            path = Path(option)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(c.runs.artifact(run_id, artifact), encoding="utf-8")


def _runs(c: Chapi, a: argparse.Namespace, out: _Output) -> int:
    rows = []
    for run in c.runs.list(a.project, limit=a.limit):
        s = run.summary or {}
        rows.append(
            (
                run.id,
                run.status.value,
                run.created_at.isoformat(timespec="seconds"),
                f"{s.get('passed', 0)}/{s.get('total', 0)} passed",
                s.get("reason", ""),
            )
        )
    out.table(rows)
    return 0


_SPAN_PART = re.compile(r"(\d+(?:\.\d+)?)([dhms])")
_SPAN_UNITS = {"d": 86_400.0, "h": 3_600.0, "m": 60.0, "s": 1.0}


def _span(text: str) -> timedelta:
    """``90s``, ``15m``, ``1h30m``, ``2d`` or plain seconds as a timedelta."""
    cleaned = text.strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", cleaned):
        cleaned += "s"
    parts = _SPAN_PART.findall(cleaned)
    if not parts or "".join(n + u for n, u in parts) != cleaned:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a duration (examples: 90s, 15m, 1h30m, 2d)"
        )
    try:
        return timedelta(seconds=sum(float(n) * _SPAN_UNITS[u] for n, u in parts))
    except OverflowError:
        raise argparse.ArgumentTypeError(f"{text!r} is too long a duration") from None


def _recover(c: Chapi, a: argparse.Namespace, out: _Output) -> int:
    runs = c.runs.recover(a.project, older_than=a.older_than, dry_run=a.dry_run)
    rows = []
    for run in runs:
        reason = "" if a.dry_run else (run.summary or {}).get("reason", "")
        rows.append(
            (run.id, run.created_at.isoformat(timespec="seconds"), run.status, reason)
        )
    out.table(rows)
    verb = "would mark" if a.dry_run else "marked"
    out.line(f"{verb} {len(runs)} abandoned run(s) failed")
    return 0


def _policy_add(c: Chapi, a: argparse.Namespace, out: _Output) -> int:
    try:
        rules = json.loads(a.rules) if a.rules else {}
    except json.JSONDecodeError as exc:
        raise ValidationError(f"--rules is not valid JSON: {exc}") from None
    policy = c.policies.add(a.project, a.type, rules)
    out.line(f"{policy.id}  {policy.type}  {json.dumps(policy.rules)}")
    return 0


def _policy_list(c: Chapi, a: argparse.Namespace, out: _Output) -> int:
    out.table([(p.id, p.type, json.dumps(p.rules)) for p in c.policies.list(a.project)])
    return 0


def _migrate(c: Chapi, a: argparse.Namespace, out: _Output) -> int:
    c.migrate()
    out.line("database is up to date")
    return 0


def _demo(c: Chapi, a: argparse.Namespace, out: _Output) -> int:
    from .demo import DemoServer, openapi_document

    token = secrets.token_urlsafe(24)
    with DemoServer(token) as server:
        out.line(f"demo API listening on {server.base_url}")
        project = c.projects.get(a.project) if _exists(c, a.project) else None
        if project is None:
            project = c.projects.create(a.project, description="chapi demo pets API")
        if project.environment("local") is None:
            c.projects.add_environment(
                project.id, "local", base_url=server.base_url, secrets={"TOKEN": token}
            )
        else:
            c.projects.update_environment(
                "local",
                project=project.id,
                base_url=server.base_url,
                secrets={"TOKEN": token},
            )
        spec = c.specs.import_spec(
            project.id, openapi_document(server.base_url), replace=True
        )
        count = len(c.specs.endpoints(project.id, spec=spec.id))
        out.line(f"imported spec {spec.version}: {count} endpoints")

        result = c.packs.generate_detailed(
            project.id, a.request, mode=a.mode, env="local", finalize=False
        )
        pack = result.pack
        out.line(f"generated pack {pack.id} ({pack.mode.value}, offline planner):")
        for item in sorted(pack.files, key=lambda f: f.path):
            out.line(f"  {item.role:<9} {item.path}")
        report = c.packs.validate(pack.id)
        errors = len(report.errors)
        out.line(
            f"validated: {'passed' if report.passed else 'failed'}, {errors} errors"
        )
        if not report.passed:
            out.line(str(report))
            return 1
        c.packs.finalize(pack.id)
        out.line("finalized")
        run = c.runs.execute(pack.id, "local", progress=None)
        for case in run.failures:
            out.line(
                f"{case.outcome.upper()}: {case.file} :: {case.name}: {case.message}"
            )
        _write_reports(c, run.id, a)
        out.line(str(run))
        out.line(
            f"history: {len(c.runs.list(project.id))} run(s) stored in {_where(c)}"
        )
        return 0 if run.passed else 1


def _exists(c: Chapi, name: str) -> bool:
    return any(p.name == name for p in c.projects.list())


def _where(c: Chapi) -> str:
    return c.settings.shown_database_url


# -- parser ----------------------------------------------------------------------

Handler = Callable[[Chapi, argparse.Namespace, _Output], int]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chapi", description="AI-assisted API testing from OpenAPI descriptions."
    )
    parser.add_argument("--version", action="version", version=f"chapi {__version__}")
    parser.add_argument(
        "--database-url", help="SQLAlchemy URL (default: $CHAPI_DATABASE_URL or SQLite)"
    )
    parser.add_argument(
        "--home", help="chapi's folder (default: $CHAPI_HOME or ./.chapi)"
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        help="use the offline planner even when OPENAI_* variables are set",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log more")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler: Handler, help: str, into: Any = sub) -> Any:
        p = into.add_parser(name, help=help, description=help)
        p.set_defaults(handler=handler)
        return p

    def group(name: str, help: str) -> Any:
        p = sub.add_parser(name, help=help, description=help)
        return p.add_subparsers(dest="action", required=True, metavar="ACTION")

    p = command("demo", _demo, "run the whole flow against the built-in demo API")
    p.add_argument("--project", default="demo", help="project name (default: demo)")
    p.add_argument("--mode", choices=_MODES, default="hybrid")
    p.add_argument(
        "--request",
        default="smoke, auth, crud and negative tests for the pet endpoints",
        help="what to test, in plain words",
    )
    p.add_argument("--temporary", action="store_true", help="use a throw-away home")
    _report_options(p)

    projects = group("project", "create, list and delete projects")
    p = command("create", _project_create, "create a project", projects)
    p.add_argument("name")
    p.add_argument("--description")
    command("list", _project_list, "list projects", projects)
    p = command("delete", _project_delete, "delete a project and all it owns", projects)
    p.add_argument("project")

    envs = group("env", "a project's environments")
    p = command("add", _env_add, "add an environment", envs)
    p.add_argument("project")
    p.add_argument("name")
    p.add_argument("--base-url", required=True)
    p.add_argument(
        "--secret",
        action="append",
        default=[],
        metavar="NAME[=VALUE]",
        help="a secret; a bare NAME reads its value from the environment variable NAME",
    )
    p = command("list", _env_list, "list environments (secrets masked)", envs)
    p.add_argument("project")

    specs = group("spec", "API descriptions and the endpoint catalog")
    p = command("import", _spec_import, "import an OpenAPI document", specs)
    p.add_argument("project")
    p.add_argument("source", help="a path or an http(s) URL")
    p.add_argument("--version")
    p.add_argument("--strict", action="store_true")
    p.add_argument("--replace", action="store_true")
    p.add_argument("--allow-remote", action="store_true")
    p = command("list", _spec_list, "list imported versions", specs)
    p.add_argument("project")
    p = command("search", _spec_search, "search the endpoint catalog", specs)
    p.add_argument("project")
    p.add_argument("query")
    p.add_argument("--limit", type=int, default=10)
    p = command("context", _spec_context, "print the compact endpoints context", specs)
    p.add_argument("project")
    p.add_argument("query", nargs="?")
    p.add_argument("--max-chars", type=int, default=4000)

    p = command("generate", _generate, "generate a pack from a request")
    p.add_argument("project")
    p.add_argument("request")
    p.add_argument("--mode", choices=_MODES, default="json-ir")
    p.add_argument("--env", default="local")
    p.add_argument("--allow-ops", help="allowed methods, e.g. GET,POST")
    p.add_argument("--notes")
    p.add_argument("--draft", action="store_true", help="do not finalize")
    p.add_argument(
        "-q", "--quiet", action="store_true", help="print only the pack's id"
    )

    p = command("files", _files, "list a pack's files")
    p.add_argument("pack")
    p = command("show", _show, "print a pack's files")
    p.add_argument("pack")
    p.add_argument("path", nargs="?")
    p = command("validate", _validate, "check a pack with the rules and policies")
    p.add_argument("pack")
    p.add_argument("--env", help="environment whose secrets must not appear")
    p = command("finalize", _finalize, "validate and finalize a draft pack")
    p.add_argument("pack")
    p.add_argument("--force", action="store_true")
    p.add_argument("--reason")
    p = command("export", _export, "write a pack's files to a folder or .zip")
    p.add_argument("pack")
    p.add_argument("destination")

    p = command("run", _run, "run a finalized pack against an environment")
    p.add_argument("pack")
    p.add_argument("env", help="environment name or id")
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    p.add_argument("--run-timeout", type=float, help="seconds for the whole run")
    p.add_argument("--force", action="store_true", help="run a draft pack")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    _report_options(p)

    p = command("runs", _runs, "a project's run history, newest first")
    p.add_argument("project")
    p.add_argument("--limit", type=int, default=20)

    p = command(
        "recover",
        _recover,
        "mark runs a killed process left queued or running as failed",
    )
    p.add_argument("project", nargs="?", help="a project (default: every project)")
    p.add_argument(
        "--older-than",
        type=_span,
        required=True,
        metavar="SPAN",
        help="only runs created longer ago than this, e.g. 1h, 30m, 2d"
        " (longer than any run of yours takes)",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="list the runs, change nothing"
    )

    policies = group("policy", "project policies")
    p = command("add", _policy_add, "add a policy", policies)
    p.add_argument("project")
    p.add_argument("type", help="require-auth, validate-json-schema or rule")
    p.add_argument("--rules", help="the policy as JSON")
    p = command("list", _policy_list, "list policies", policies)
    p.add_argument("project")

    command("migrate", _migrate, "apply pending database migrations")
    return parser


def _report_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--junit", metavar="FILE", help="write junit.xml here")
    p.add_argument("--results", metavar="FILE", help="write results.json here")
    p.add_argument("--summary", metavar="FILE", help="write summary.md here")


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None) -> int:
    """Run the ``chapi`` command; returns the exit code."""
    args = _parser().parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    out = _Output(stdout or sys.stdout)
    if args.command == "demo" and args.temporary and args.home is None:
        args.home = tempfile.mkdtemp(prefix="chapi-demo-")
    try:
        with _open(args) as chapi:
            code: int = args.handler(chapi, args, out)
            return code
    except ChapiError as exc:
        sys.stderr.write(f"error: {exc}\n")
        for problem in getattr(exc, "problems", ())[:20]:
            sys.stderr.write(f"  - {problem}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
