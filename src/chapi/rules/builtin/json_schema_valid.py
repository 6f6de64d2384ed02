"""JsonSchemaValid: json-ir files validate against the shipped json-ir schema."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from jsonschema import Draft202012Validator

from ...jsonir import is_valid, schema
from .._jsondoc import load_json
from ..finding import Finding
from ..rule import PackFile, Rule, RuleContext

__all__ = ["JsonSchemaValid"]


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema())


class JsonSchemaValid(Rule):
    """Every ``.json`` file is valid JSON and a valid json-ir version 1 document.

    One finding per schema violation, located at the line of the offending
    value. Duplicate object keys are refused too: a reader sees the first,
    the parser keeps the last. When the pack's API model is known, a step
    naming an operation the API does not have is a warning.
    """

    name = "JsonSchemaValid"
    description = "json-ir files validate against the json-ir version 1 schema"
    kinds = frozenset({"json-ir"})

    def check(self, file: PackFile, context: RuleContext) -> Iterable[Finding]:
        """Load the file, then report syntax errors, duplicate keys and schema violations."""
        doc = load_json(file.content)
        if doc.error is not None:
            yield self.finding(file, doc.error, line=doc.error_line)
            return

        for _, key in doc.duplicates:
            yield self.finding(file, f"duplicate object key {key!r}", key=key)
        # The compiled validator answers the common case (a valid file) fast;
        # only an invalid file is walked again to locate every violation.
        errors = (
            []
            if is_valid(doc.value)
            else sorted(
                _validator().iter_errors(doc.value),
                key=lambda e: [str(p) for p in e.absolute_path],
            )
        )
        for error in errors:
            path = list(error.absolute_path)
            pointer = "/" + "/".join(
                str(p).replace("~", "~0").replace("/", "~1") for p in path
            )
            yield self.finding(
                file,
                f"{pointer}: {error.message[:300]}",
                line=doc.line_of(path),
                pointer=pointer,
                validator=str(error.validator),
            )
        if errors or context.api is None or not isinstance(doc.value, dict):
            return
        for index, step in enumerate(doc.value.get("steps", [])):
            operation = step.get("operation")
            if isinstance(operation, str) and context.api.operation(operation) is None:
                yield self.finding(
                    file,
                    f"step names operation {operation!r}, which the API does not have",
                    severity="warning",
                    line=doc.line_of(["steps", index, "operation"]),
                    operation=operation,
                )
