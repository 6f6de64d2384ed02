"""Differences between two packs' files, for ``diff`` cards."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

__all__ = ["diff_packs"]


def diff_packs(
    old_files: Mapping[str, str], new_files: Mapping[str, str]
) -> dict[str, Any]:
    """What changed between two packs, keyed by file path.

    Args:
        old_files: path → content of the earlier pack.
        new_files: path → content of the later pack.

    Returns:
        ``{"added": [...], "removed": [...], "changed": [...], "unchanged":
        n, "diffs": {path: unified diff}}``; path lists are sorted, and
        ``diffs`` holds one unified diff per added, removed or changed file
        (``a/`` and ``b/`` prefixes, three lines of context).
    """
    old_paths = set(old_files)
    new_paths = set(new_files)
    added = sorted(new_paths - old_paths)
    removed = sorted(old_paths - new_paths)
    common = sorted(old_paths & new_paths)
    changed = [p for p in common if old_files[p] != new_files[p]]

    diffs: dict[str, str] = {}
    for path in sorted([*added, *removed, *changed]):
        before = old_files.get(path, "")
        after = new_files.get(path, "")
        lines = difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile="/dev/null" if path in added else f"a/{path}",
            tofile="/dev/null" if path in removed else f"b/{path}",
        )
        diffs[path] = "".join(_terminated(line) for line in lines)
    return {
        "added": added,
        "removed": removed,
        "changed": changed,
        "unchanged": len(common) - len(changed),
        "diffs": diffs,
    }


def _terminated(line: str) -> str:
    return line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
