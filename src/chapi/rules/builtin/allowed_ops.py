"""AllowedOps: no request outside the pack's allowed operations."""

from __future__ import annotations

from collections.abc import Iterable

from .._ops import _template_regex, file_steps, step_operation
from .._shell import ShellParseError, curl_calls, parse_script
from ..finding import Finding
from ..rule import PackFile, Rule, RuleContext

__all__ = ["AllowedOps"]


def _allowed(
    method: str, path: str | None, operation: str | None, allowed: tuple[str, ...]
) -> bool:
    for entry in allowed:
        entry_method, _, entry_path = entry.strip().partition(" ")
        if entry_method.upper() != method:
            continue
        if not entry_path:
            return True
        if operation and operation == f"{method} {entry_path}":
            return True
        if path and _template_regex(entry_path).match(path):
            return True
    return False


class AllowedOps(Rule):
    """Every request uses an allowed method (or operation) of the pack.

    ``allowed_ops`` entries are methods (``"GET"``) or operations
    (``"DELETE /pets/{id}"``). json-ir steps are read from
    ``request.method``; curl calls from ``-X/--request``, else ``-I`` (HEAD),
    ``-G`` (GET), a data or form option (POST), ``-T`` (PUT), else GET. A
    method that is not static (``-X "$METHOD"``) is an error. When the pack
    records no allowed operations, the rule has nothing to enforce.
    """

    name = "AllowedOps"
    description = "requests stay within the pack's allowed methods and operations"
    kinds = frozenset({"json-ir", "bash"})

    def check(self, file: PackFile, context: RuleContext) -> Iterable[Finding]:
        """Compare every request's method (and operation) with ``context.allowed_ops``."""
        allowed = tuple(
            op.upper() if " " not in op else op for op in context.allowed_ops
        )
        if not allowed:
            return
        if file.kind == "bash":
            yield from self._bash(file, allowed)
            return
        for step in file_steps(file):
            if step.method is None:
                continue
            operation = step_operation(step, context.api)
            if not _allowed(step.method, step.path, operation, allowed):
                yield self.finding(
                    file,
                    f"{step.method} {step.path} is outside the allowed operations",
                    line=step.line,
                    method=step.method,
                    allowed=list(allowed),
                )

    def _bash(self, file: PackFile, allowed: tuple[str, ...]) -> Iterable[Finding]:
        try:
            script = parse_script(file.content)
        except ShellParseError:
            return
        from .._ops import bash_url_path

        for call in curl_calls(script):
            if call.method is None:
                yield self.finding(
                    file, "curl request method is not static", line=call.line
                )
                continue
            paths = [bash_url_path(u) for u in call.urls] or [None]
            for path in paths:
                if not _allowed(call.method, path, None, allowed):
                    yield self.finding(
                        file,
                        f"curl sends {call.method} {path or ''}".rstrip()
                        + ", outside the allowed operations",
                        line=call.line,
                        method=call.method,
                        allowed=list(allowed),
                    )
