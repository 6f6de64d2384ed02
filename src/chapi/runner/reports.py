"""The artifacts of a run: ``results.json``, ``junit.xml``, ``summary.md`` and logs.

Every function here is deterministic: the same results and summary give the
same bytes. Inputs are already masked by the collector.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any

from .results import CaseResult

__all__ = [
    "RESULTS_VERSION",
    "build_artifacts",
    "junit_xml",
    "log_path",
    "results_json",
    "summary_markdown",
]

RESULTS_VERSION = 1
"""The version of the ``results.json`` layout."""

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(value: str) -> str:
    """``value`` without the characters XML 1.0 cannot carry (shown as ``\\xNN``)."""
    return _XML_INVALID.sub(lambda m: f"\\x{ord(m.group(0)):02x}", value)


def results_json(
    results: Sequence[CaseResult],
    summary: Mapping[str, Any],
    *,
    run_id: str,
    base_url: str,
) -> str:
    """The ``results.json`` artifact: version, run id, summary and every case."""
    document = {
        "version": RESULTS_VERSION,
        "run_id": run_id,
        "base_url": base_url,
        "summary": dict(summary),
        "cases": [case.to_dict() for case in results],
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _by_file(results: Sequence[CaseResult]) -> dict[str, list[CaseResult]]:
    files: dict[str, list[CaseResult]] = {}
    for case in results:
        files.setdefault(case.file, []).append(case)
    return files


def junit_xml(results: Sequence[CaseResult], summary: Mapping[str, Any]) -> str:
    """The ``junit.xml`` artifact: one ``testsuite`` per file, one ``testcase`` per case.

    Failed cases carry a ``failure`` element and errored cases an ``error``
    element, both with the message as ``message`` attribute and text; skipped
    cases carry ``skipped``. Times are in seconds.
    """
    root = ET.Element(
        "testsuites",
        {
            "name": "chapi",
            "tests": str(summary.get("total", len(results))),
            "failures": str(summary.get("failed", 0)),
            "errors": str(summary.get("errors", 0)),
            "skipped": str(summary.get("skipped", 0)),
            "time": f"{summary.get('duration_ms', 0) / 1000:.3f}",
        },
    )
    for file, cases in _by_file(results).items():
        suite = ET.SubElement(
            root,
            "testsuite",
            {
                "name": _xml_text(file),
                "tests": str(len(cases)),
                "failures": str(sum(c.outcome == "failed" for c in cases)),
                "errors": str(sum(c.outcome == "error" for c in cases)),
                "skipped": str(sum(c.outcome == "skipped" for c in cases)),
                "time": f"{sum(c.duration_ms for c in cases) / 1000:.3f}",
            },
        )
        for case in cases:
            element = ET.SubElement(
                suite,
                "testcase",
                {
                    "classname": _xml_text(file),
                    "name": _xml_text(case.name),
                    "time": f"{case.duration_ms / 1000:.3f}",
                },
            )
            if case.outcome in ("failed", "error"):
                tag = "failure" if case.outcome == "failed" else "error"
                first = case.message.splitlines()[0] if case.message else case.outcome
                detail = ET.SubElement(
                    element, tag, {"message": _xml_text(first[:500])}
                )
                detail.text = _xml_text(
                    "\n\n".join(
                        filter(None, [case.message, case.request, case.response])
                    )
                )
            elif case.outcome == "skipped":
                ET.SubElement(element, "skipped", {"message": _xml_text(case.message)})
    ET.indent(root)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"
    )


def _cell(value: str) -> str:
    text = value.splitlines()[0] if value else ""
    return text.replace("|", "\\|")[:200]


def summary_markdown(
    results: Sequence[CaseResult], summary: Mapping[str, Any], *, run_id: str
) -> str:
    """The ``summary.md`` artifact: counts, then a table of the cases that did not pass."""
    verdict = "passed" if _passed(summary) else "failed"
    lines = [
        f"# Run {run_id}: {verdict}",
        "",
        f"- total: {summary.get('total', 0)}",
        f"- passed: {summary.get('passed', 0)}",
        f"- failed: {summary.get('failed', 0)}",
        f"- errors: {summary.get('errors', 0)}",
        f"- skipped: {summary.get('skipped', 0)}",
        f"- duration: {summary.get('duration_ms', 0) / 1000:.2f} s",
    ]
    if summary.get("reason"):
        lines.append(f"- stopped early: {summary['reason']}")
    lines.append("")
    problems = [c for c in results if c.outcome in ("failed", "error")]
    if problems:
        lines += ["| file | case | outcome | message |", "| --- | --- | --- | --- |"]
        lines += [
            f"| {_cell(c.file)} | {_cell(c.name)} | {c.outcome} | {_cell(c.message)} |"
            for c in problems
        ]
    else:
        lines.append("Every case passed." if results else "No case ran.")
    return "\n".join(lines) + "\n"


def _passed(summary: Mapping[str, Any]) -> bool:
    return (
        not summary.get("reason")
        and summary.get("total", 0) > 0
        and summary.get("failed", 0) == 0
        and summary.get("errors", 0) == 0
    )


def log_path(file: str) -> str:
    """The artifact path of a file's log: ``logs/<file>.log`` with a safe name."""
    cleaned = re.sub(r"[^A-Za-z0-9._/-]+", "_", file).strip("/")
    cleaned = "/".join(
        part for part in cleaned.split("/") if part not in ("", ".", "..")
    )
    return f"logs/{cleaned or 'file'}.log"


def build_artifacts(
    results: Sequence[CaseResult],
    summary: Mapping[str, Any],
    logs: Mapping[str, Sequence[str]],
    *,
    run_id: str,
    base_url: str,
) -> dict[str, str]:
    """Every artifact of a run, by path."""
    artifacts = {
        "results.json": results_json(
            results, summary, run_id=run_id, base_url=base_url
        ),
        "junit.xml": junit_xml(results, summary),
        "summary.md": summary_markdown(results, summary, run_id=run_id),
    }
    for file, lines in logs.items():
        artifacts[log_path(file)] = "\n".join(lines) + "\n" if lines else ""
    return artifacts
