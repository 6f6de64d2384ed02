"""The domain's view of a stored secret: sealed, never shown."""

from __future__ import annotations

from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

MASK = "***"
"""What chapi prints in place of any secret value."""


class SealedSecret:
    """An encrypted secret value as stored: the ciphertext token.

    The domain never holds a plaintext secret. ``repr``, ``str`` and model
    dumps show ``***``; only the secrets service, holding the key, can open it.
    """

    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        if not isinstance(token, str) or not token:
            raise ValueError("a sealed secret needs a non-empty ciphertext token")
        self.token = token

    def __repr__(self) -> str:
        return MASK

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SealedSecret) and other.token == self.token

    def __hash__(self) -> int:
        return hash(self.token)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        def validate(value: object) -> SealedSecret:
            if isinstance(value, SealedSecret):
                return value
            if isinstance(value, str):
                return SealedSecret(value)
            raise ValueError("expected a SealedSecret or its token")

        return core_schema.no_info_plain_validator_function(
            validate,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda _v: MASK, when_used="always"
            ),
        )
