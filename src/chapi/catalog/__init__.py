"""The endpoint catalog's read side: ranked search and the compact LLM context."""

from .search import CatalogEntry, SearchHit, rank

__all__ = ["CatalogEntry", "SearchHit", "rank"]
