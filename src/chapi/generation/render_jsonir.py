"""The json-ir renderer: a planned document → canonical file text, schema-checked."""

from __future__ import annotations

from typing import Any

from ..errors import GenerationError
from ..jsonir import dumps, schema_errors

__all__ = ["render_jsonir"]


def render_jsonir(document: dict[str, Any]) -> str:
    """``document`` serialized canonically (:func:`chapi.jsonir.dumps`) after validation.

    Raises:
        GenerationError: the document breaks the json-ir version 1 schema
            (every violation is in the message).
    """
    problems = schema_errors(document)
    if problems:
        shown = "; ".join(problems[:10])
        raise GenerationError(
            f"json-ir document {str(document.get('name'))[:80]!r} breaks the schema: {shown}"
        )
    return dumps(document)
