"""The import entry point: everything needed to store a spec, computed up front."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chapi.domain import SpecWarning
from chapi.errors import SpecError, SpecLoadError, SpecValidationError

from .loader import Limits, SpecVersion, load_document
from .model import ApiModel
from .normalize import catalog_rows, to_api_model
from .validate import validate

__all__ = ["PreparedSpec", "prepare_import"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PreparedSpec:
    """A loaded, validated and normalized spec, ready to be stored in one transaction.

    Attributes:
        document: the bundled document (``ApiSpec.raw_json``).
        source: the path or URL it came from (``ApiSpec.source_url``), if any.
        spec_version: ``"2.0"``, ``"3.0"`` or ``"3.1"``.
        version: the version label (``ApiSpec.version``): the one given, else
            ``info.version``, else ``"unversioned"``.
        warnings: validation findings (``ApiSpec.warnings``).
        model: the normalized API.
        rows: one catalog row per operation (``Endpoint`` fields).
    """

    document: dict[str, Any]
    source: str | None
    spec_version: SpecVersion
    version: str
    warnings: list[SpecWarning]
    model: ApiModel
    rows: list[dict[str, Any]] = field(default_factory=list)


def prepare_import(
    source: str | Path | dict[str, Any] | bytes,
    *,
    strict: bool = False,
    allow_remote: bool = False,
    version: str | None = None,
    base_dir: str | Path | None = None,
    limits: Limits | None = None,
) -> PreparedSpec:
    """Load, bundle, validate and normalize an API description.

    Pure: nothing is stored, so a failure leaves nothing behind.

    Args:
        source: a path, an ``http(s)`` URL, a dict, or JSON/YAML text or bytes.
        strict: refuse the document when validation has any finding.
        allow_remote: follow ``http(s)`` ``$ref``s (never to internal addresses).
        version: the version label to store; defaults to ``info.version``.
        base_dir: folder that relative file references of a dict or text
            source resolve against.
        limits: size, alias, depth and network bounds.

    Returns:
        The prepared spec.

    Raises:
        SpecLoadError: the document or a reference cannot be read or is refused.
        SpecValidationError: not an API description, or ``strict`` and findings.
    """
    loaded = load_document(
        source, base_dir=base_dir, allow_remote=allow_remote, limits=limits
    )
    try:
        warnings = validate(loaded.document)
    except RecursionError:
        raise SpecLoadError("document is nested too deeply to validate") from None
    if strict and warnings:
        raise SpecValidationError(
            f"{loaded.source or 'document'} has {len(warnings)} validation findings",
            [f"{w.location}: {w.message}" for w in warnings],
        )
    try:
        model = to_api_model(loaded.document)
        rows = catalog_rows(model)
    except SpecError:
        raise
    except (ValueError, TypeError) as exc:  # pydantic refuses a value we let through
        raise SpecValidationError(f"document cannot be normalized: {exc}") from None
    label = version or str(model.version or "").strip() or "unversioned"
    logger.info(
        "prepared spec %s: %d operations, %d findings",
        loaded.source or "document",
        len(rows),
        len(warnings),
    )

    return PreparedSpec(
        document=loaded.document,
        source=loaded.source,
        spec_version=model.spec_version,
        version=label,
        warnings=warnings,
        model=model,
        rows=rows,
    )
