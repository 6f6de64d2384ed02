"""Loading, validating and normalizing OpenAPI 2.0, 3.0 and 3.1 descriptions.

The entry point is :func:`prepare_import`; the parts it composes are
:func:`load_document`, :func:`validate`, :func:`to_api_model` and
:func:`catalog_rows`.
"""

from .loader import Limits, LoadedDocument, detect_version, load_document
from .model import (
    ApiModel,
    MediaSchema,
    Operation,
    Parameter,
    RequestBody,
    Response,
    SecurityScheme,
)
from .normalize import catalog_rows, to_api_model
from .prepare import PreparedSpec, prepare_import
from .validate import validate

__all__ = [
    "ApiModel",
    "Limits",
    "LoadedDocument",
    "MediaSchema",
    "Operation",
    "Parameter",
    "PreparedSpec",
    "RequestBody",
    "Response",
    "SecurityScheme",
    "catalog_rows",
    "detect_version",
    "load_document",
    "prepare_import",
    "to_api_model",
    "validate",
]
