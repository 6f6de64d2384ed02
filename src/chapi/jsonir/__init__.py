"""json-ir, chapi's declarative test format (version 1).

A json-ir file is one JSON document: a name, an optional role, and a list of
steps run in order. The shipped JSON Schema (:func:`schema`) is the
definition; :func:`parse` validates a file's text against it and returns
typed models.
"""

from .model import (
    Assertion,
    AuthCase,
    Expect,
    JsonIrFile,
    Request,
    Step,
    dumps,
    is_valid,
    parse,
    schema,
    schema_errors,
)

__all__ = [
    "Assertion",
    "AuthCase",
    "Expect",
    "JsonIrFile",
    "Request",
    "Step",
    "dumps",
    "is_valid",
    "parse",
    "schema",
    "schema_errors",
]
