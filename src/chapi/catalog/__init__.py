"""The endpoint catalog's read side: ranked search and the compact LLM context."""

from .context import ContextEntry, endpoint_line, endpoints_context
from .relevance import Relevance, hit_rates
from .search import CatalogEntry, SearchHit, SearchIndex, rank, tokenize

__all__ = [
    "CatalogEntry",
    "ContextEntry",
    "Relevance",
    "SearchHit",
    "SearchIndex",
    "endpoint_line",
    "endpoints_context",
    "hit_rates",
    "rank",
    "tokenize",
]
