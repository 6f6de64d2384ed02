"""Conversations: a person asks for tests in plain words and gets cards back."""

from __future__ import annotations

import builtins
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..domain import CardType, Conversation, Message, MessageRole, RunPack
from ..errors import ChapiError, ValidationError
from ..generation.card import Card
from ..generation.diff import diff_packs
from ..generation.planner import Mode
from ..storage import Storage, UnitOfWork
from ._common import Clock, Id, as_uuid, resolve_project
from ._generator import Generated
from .packs import GeneratedPack, PackService

__all__ = ["ChatService", "Reply"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reply:
    """The answer to one :meth:`ChatService.ask`.

    Attributes:
        conversation_id: the conversation asked in.
        question: the stored user message.
        message: the stored assistant message carrying the card.
        card: the plan (files, endpoints, roles, actions).
        pack: the pack the card describes.
        cached: true when an identical earlier pack was reused.
        diff: for a ``diff`` card, what changed against the previous pack
            of the conversation (``added``, ``removed``, ``changed``,
            ``diffs``); ``None`` for a ``plan`` card.
    """

    conversation_id: uuid.UUID
    question: Message
    message: Message
    card: Card
    pack: RunPack
    cached: bool
    diff: dict[str, Any] | None = None

    @property
    def card_type(self) -> CardType:
        """``plan`` for a first pack, ``diff`` for a changed one."""
        return self.message.card_type


class ChatService:
    """Conversations and their messages; asking generates packs.

    Reached as ``chapi.chat``. Each question is stored as a user message;
    the answer is an assistant message whose card is ``plan`` (the
    conversation's first pack) or ``diff`` (a new pack, with the file diff
    against the conversation's previous one). Later questions refine the
    earlier ones: the generator receives every question of the
    conversation, in order.
    """

    def __init__(self, storage: Storage, packs: PackService, clock: Clock) -> None:
        self._storage = storage
        self._packs = packs
        self._clock = clock

    def start(self, project: Id, title: str) -> Conversation:
        """Open a conversation in a project.

        Raises:
            NotFoundError: no such project.
            ValidationError: the title is empty.
        """
        if not title or not title.strip():
            raise ValidationError("a conversation needs a title")
        project_id = resolve_project(self._storage, project)
        now = self._clock()
        talk = Conversation(
            project_id=project_id, title=title.strip(), created_at=now, updated_at=now
        )
        with self._storage.unit_of_work() as uow:
            uow.conversations.add(talk)
            uow.commit()
        return talk

    def get(self, conversation: Id) -> Conversation:
        """A conversation with all its messages."""
        talk_id = as_uuid(conversation, "conversation")
        with self._storage.unit_of_work() as uow:
            return uow.conversations.get(talk_id)

    def list(self, project: Id) -> builtins.list[Conversation]:
        """A project's conversations, newest first (without messages)."""
        project_id = resolve_project(self._storage, project)
        with self._storage.unit_of_work() as uow:
            return uow.conversations.list(project_id)

    def messages(self, conversation: Id) -> builtins.list[Message]:
        """A conversation's messages, oldest first."""
        return self.get(conversation).messages

    def delete(self, conversation: Id) -> None:
        """Delete a conversation and its messages; its packs stay, unlinked."""
        talk_id = as_uuid(conversation, "conversation")
        with self._storage.unit_of_work() as uow:
            uow.conversations.delete(talk_id)
            uow.commit()

    def ask(
        self,
        conversation: Id,
        text: str,
        *,
        mode: Mode | None = None,
        env: str | None = None,
        allowed_ops: Iterable[str] | str | None = None,
        notes: str | None = None,
    ) -> Reply:
        """Ask for tests; the answer carries a ``plan`` or ``diff`` card and a pack.

        Args:
            conversation: the conversation's id.
            text: the request in plain words.
            mode: ``json-ir``, ``bash-curl`` or ``hybrid``; by default the
                mode of the conversation's previous pack, else ``json-ir``.
            env: the environment the pack is meant for; by default the
                previous pack's, else ``local``.
            allowed_ops: methods the pack may use (default: all, or the safe
                ones for a production environment).
            notes: extra hints for the generator.

        Raises:
            ValidationError: the text is empty.
            GenerationError, LLMError: no pack could be made. The question
                and an assistant message stating the failure are kept.
        """
        if not text or not text.strip():
            raise ValidationError("the question is empty")
        talk = self.get(conversation)
        now = self._clock()
        question = talk.add_message(MessageRole.USER, text.strip(), now=now)
        with self._storage.unit_of_work() as uow:
            uow.conversations.add_message(question)
            uow.commit()

        previous = self._previous_pack(talk)
        chosen_mode: Mode = mode or (previous.mode.value if previous else "json-ir")
        chosen_env = env or (
            previous.inputs.env if previous and previous.inputs else "local"
        )
        request = "\n".join(
            m.content for m in talk.messages if m.role is MessageRole.USER
        )
        holder: dict[str, Any] = {}

        def on_store(
            uow: UnitOfWork,
            pack: RunPack,
            card: Card,
            cached: bool,
            generated: Generated | None,
        ) -> uuid.UUID:
            message = self._answer(talk, pack, card, cached, generated, previous)
            uow.conversations.add_message(message)
            holder["message"] = message
            return message.id

        try:
            result: GeneratedPack = self._packs.generate_detailed(
                talk.project_id,
                request,
                mode=chosen_mode,
                env=chosen_env,
                allowed_ops=allowed_ops,
                notes=notes,
                conversation=talk,
                on_store=on_store,
            )
        except ChapiError as exc:
            failure = talk.add_message(
                MessageRole.ASSISTANT,
                f"No pack was generated: {exc}",
                now=self._clock(),
            )
            with self._storage.unit_of_work() as uow:
                uow.conversations.add_message(failure)
                uow.commit()
            raise
        message: Message = holder["message"]
        diff = (message.card_payload or {}).get("diff")
        return Reply(
            conversation_id=talk.id,
            question=question,
            message=message,
            card=result.card,
            pack=result.pack,
            cached=result.cached,
            diff=diff,
        )

    def _previous_pack(self, talk: Conversation) -> RunPack | None:
        for message in reversed(talk.messages):
            payload = message.card_payload or {}
            pack_id = payload.get("pack_id")
            if message.card_type in (CardType.PLAN, CardType.DIFF) and pack_id:
                try:
                    return self._packs.get(pack_id)
                except ChapiError:
                    return None
        return None

    def _answer(
        self,
        talk: Conversation,
        pack: RunPack,
        card: Card,
        cached: bool,
        generated: Generated | None,
        previous: RunPack | None,
    ) -> Message:
        payload: dict[str, Any] = {
            "pack_id": str(pack.id),
            "card_hash": pack.card_hash,
            "inputs_hash": pack.inputs_hash,
            "status": pack.status.value,
            "cached": cached,
            "card": card.model_dump(mode="json"),
        }
        if generated is not None:
            payload["generator"] = generated.generator
            payload["usage"] = generated.usage
            payload["attempts"] = generated.attempts
            if generated.model:
                payload["model"] = generated.model
        failed = sorted({f"{v.rule}:{v.file_path}" for v in pack.failed_validations})
        payload["validation"] = {"passed": not failed, "failed": failed}
        card_type = CardType.PLAN
        content = card.plan.summary
        if previous is not None and previous.id != pack.id:
            card_type = CardType.DIFF
            diff = diff_packs(
                {f.path: f.content for f in previous.files},
                {f.path: f.content for f in pack.files},
            )
            payload["previous_pack_id"] = str(previous.id)
            payload["diff"] = diff
            content = (
                f"{content}. Against the previous pack: {len(diff['added'])} added,"
                f" {len(diff['changed'])} changed, {len(diff['removed'])} removed."
            )
        if cached:
            content += " (an identical earlier pack was reused)"
        if failed:
            content += f" Validation failed: {', '.join(failed[:5])}."
        return talk.add_message(
            MessageRole.ASSISTANT,
            content,
            now=self._clock(),
            card_type=card_type,
            card_payload=payload,
        )
