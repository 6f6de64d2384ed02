"""The Conversation aggregate: a chat and its messages."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field, model_validator

from ._base import Entity, UtcDatetime, utc_now
from .enums import CardType, MessageRole

__all__ = ["Conversation", "Message"]


class Message(Entity):
    """One chat message; assistant messages may carry a structured card."""

    conversation_id: uuid.UUID
    role: MessageRole
    content: str
    card_type: CardType = CardType.NONE
    card_payload: dict[str, Any] | None = None
    created_at: UtcDatetime = Field(default_factory=utc_now)

    @model_validator(mode="after")
    def _card_matches_type(self) -> Message:
        if self.card_type is CardType.NONE and self.card_payload is not None:
            raise ValueError(
                "a message with card_type 'none' cannot carry a card payload"
            )
        if self.card_type is not CardType.NONE and self.card_payload is None:
            raise ValueError(f"a {self.card_type.value!r} card needs a payload")
        return self


class Conversation(Entity):
    """A chat in which a person asks for tests and gets cards back."""

    project_id: uuid.UUID
    title: str = Field(min_length=1)
    created_at: UtcDatetime = Field(default_factory=utc_now)
    updated_at: UtcDatetime = Field(default_factory=utc_now)
    messages: list[Message] = Field(default_factory=list)

    def add_message(
        self,
        role: MessageRole,
        content: str,
        *,
        now: datetime,
        card_type: CardType = CardType.NONE,
        card_payload: dict[str, Any] | None = None,
    ) -> Message:
        """Append a message; its timestamp never goes before the last one's."""
        if self.messages and now < self.messages[-1].created_at:
            now = self.messages[-1].created_at
        message = Message(
            conversation_id=self.id,
            role=role,
            content=content,
            card_type=card_type,
            card_payload=card_payload,
            created_at=now,
        )
        self.messages.append(message)
        self.updated_at = now
        return message
