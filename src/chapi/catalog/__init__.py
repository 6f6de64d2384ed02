"""The endpoint catalog's read side: ranked search and the compact LLM context."""

from .context import ContextEntry, endpoint_line, endpoints_context
from .search import CatalogEntry, SearchHit, SearchIndex, rank, tokenize

__all__ = [
    "CatalogEntry",
    "ContextEntry",
    "SearchHit",
    "SearchIndex",
    "endpoint_line",
    "endpoints_context",
    "rank",
    "tokenize",
]
