"""The LLM generator: asks an OpenAI-compatible server for a card, checks and repairs it.

It talks through the official ``openai`` SDK, so it serves OpenAI, Azure
OpenAI (:class:`openai.AzureOpenAI`), and any server that speaks the chat
completions API at a plain ``base_url``: vLLM, Ollama, LM Studio.

One :meth:`LLMGenerator.generate` call:

1. builds the system and user messages (:mod:`chapi.generation.prompts`);
2. asks for structured output with a ``json_schema`` response format; when
   the server refuses that with HTTP 400 (or 422) naming the response format,
   it falls back to ``json_object`` and then to plain instructions, and the
   generator remembers the fallback for its later calls;
3. parses the answer (:func:`parse_card_answer`): code fences stripped, JSON
   loaded, the :class:`~chapi.generation.card.Card` validated, every json-ir
   file checked against the json-ir schema, every file's mode, extension and
   relative path checked, bash-curl scripts checked for ``set -euo
   pipefail`` and absolute URLs, every request checked against the allowed
   operations, and the card handed to the caller's optional ``check`` (the
   guardrail rules, for instance);
4. on a bad answer, appends the answer and a user message listing the
   problems, and asks again, at most :attr:`LLMConfig.max_retries` times;
   then raises :class:`~chapi.errors.LLMError` naming the last problems.

Server errors, timeouts and refused connections become
:class:`~chapi.errors.LLMError` right away; the SDK's own retries are set to
:attr:`LLMConfig.transport_retries` (1 by default).

Nothing here logs the API key or a prompt's text: INFO lines carry the model,
attempt counts and token totals, DEBUG lines the prompt sizes.

Known shortcomings: the built-in checks are the ones a repair round can fix
cheaply; the guardrail rules judge the rendered pack in full unless passed
as ``check``. Token usage is zero when a server does not report it. Answers
are not streamed, so a long answer counts fully against the timeout.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, cast
from urllib.parse import urlsplit, urlunsplit

import openai
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam
from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic import ValidationError as PydanticValidationError

from ..errors import ConfigurationError, LLMError, ValidationError
from ..jsonir import dumps as jsonir_dumps
from ..jsonir import schema_errors
from ..specs.model import ApiModel
from .card import Card, card_schema
from .prompts import (
    PROMPT_VERSION,
    ChatMessage,
    build_messages,
    prompt_fingerprint,
    repair_message,
)

__all__ = [
    "GenerationResult",
    "LLMConfig",
    "LLMGenerator",
    "ResponseFormatMode",
    "TokenUsage",
    "parse_card_answer",
]

logger = logging.getLogger(__name__)

ResponseFormatMode = Literal["json_schema", "json_object", "none"]
"""How structured output is requested: a JSON Schema, any JSON object, or only by words."""

_FALLBACK: dict[ResponseFormatMode, ResponseFormatMode] = {
    "json_schema": "json_object",
    "json_object": "none",
}

_PLACEHOLDER_KEY = "not-needed"
"""Sent to local servers configured without a key (the SDK insists on one)."""


class LLMConfig(BaseModel):
    """How to reach an OpenAI-compatible chat completions server.

    Attributes:
        model: the model name (for Azure OpenAI, the deployment name is used
            when :attr:`deployment` is empty).
        base_url: the server's API root, such as ``http://127.0.0.1:11434/v1``
            for Ollama; ``None`` means OpenAI itself.
        api_key: the API key, masked in ``repr`` and dumps; local servers
            may need none.
        timeout: seconds to wait for one answer.
        max_retries: repair rounds after a bad answer (so at most
            ``max_retries + 1`` answers are asked for).
        transport_retries: the SDK's own retries on connection errors, 408,
            409, 429 and 5xx answers, per request.
        temperature: sampling temperature; 0 keeps answers as stable as the
            server allows; ``None`` sends none (for models that refuse it).
        max_tokens: upper bound on the answer's tokens, or the server default.
        organization: OpenAI organization id, if any.
        extra_headers: headers added to every request (hidden from ``repr``).
        api_version: Azure OpenAI API version, such as ``2024-10-21``.
        azure_endpoint: Azure OpenAI resource URL; setting it selects
            :class:`openai.AzureOpenAI`.
        deployment: Azure OpenAI deployment name.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str = Field(min_length=1)
    base_url: str | None = None
    api_key: SecretStr | None = None
    timeout: float = Field(default=120.0, gt=0)
    max_retries: int = Field(default=2, ge=0, le=10)
    transport_retries: int = Field(default=1, ge=0, le=5)
    temperature: float | None = Field(default=0.0, ge=0, le=2)
    max_tokens: int | None = Field(default=None, gt=0)
    organization: str | None = None
    extra_headers: dict[str, str] = Field(default_factory=dict, repr=False)
    api_version: str | None = None
    azure_endpoint: str | None = None
    deployment: str | None = None

    @property
    def is_azure(self) -> bool:
        """True when requests go to Azure OpenAI."""
        return self.azure_endpoint is not None

    @property
    def request_model(self) -> str:
        """The ``model`` value sent with each request (the deployment on Azure)."""
        if self.is_azure and self.deployment:
            return self.deployment
        return self.model

    @property
    def server(self) -> str:
        """Where requests go, for messages and logs: scheme and host, no path or key."""
        url = self.azure_endpoint or self.base_url or "https://api.openai.com/v1"
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.hostname}" + (
            f":{parts.port}" if parts.port else ""
        )

    @property
    def server_url(self) -> str:
        """The server's API root as the cache knows it: no userinfo, query or fragment.

        Scheme and host are lower-cased and a trailing ``/`` is dropped, so
        spellings of one URL agree; the path stays, since two servers may
        share a host under different paths. The API key is never part of it.
        """
        url = self.azure_endpoint or self.base_url or "https://api.openai.com/v1"
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        if ":" in host:
            host = f"[{host}]"
        try:
            port = parts.port
        except ValueError:
            port = None
        netloc = host + (f":{port}" if port is not None else "")
        return urlunsplit(
            (parts.scheme.lower(), netloc, parts.path.rstrip("/"), "", "")
        )

    def cache_identity(self) -> dict[str, Any]:
        """What besides the prompts and the model decides a generated pack.

        The server (:attr:`server_url`), the sampling settings, and on Azure
        OpenAI the deployment and API version. It goes into the pack's inputs
        hash and provenance, so two servers serving the same model name, or
        two temperatures, never share a cached pack. It holds no secret:
        neither the API key nor the extra headers.
        """
        identity: dict[str, Any] = {
            "server": self.server_url,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
        }
        if self.is_azure:
            identity["deployment"] = self.deployment
            identity["api_version"] = self.api_version
        return identity

    def create_client(self) -> openai.OpenAI:
        """A new SDK client for this configuration.

        Raises:
            ConfigurationError: Azure OpenAI is selected without an API
                version.
        """
        key = self.api_key.get_secret_value() if self.api_key else _PLACEHOLDER_KEY
        headers = dict(self.extra_headers) or None
        if self.azure_endpoint is not None:
            if not self.api_version:
                raise ConfigurationError(
                    "Azure OpenAI needs an API version (api_version or OPENAI_API_VERSION)"
                )
            return openai.AzureOpenAI(
                api_version=self.api_version,
                azure_endpoint=self.azure_endpoint,
                azure_deployment=self.deployment or self.model,
                api_key=key,
                organization=self.organization,
                timeout=self.timeout,
                max_retries=self.transport_retries,
                default_headers=headers,
            )

        return openai.OpenAI(
            api_key=key,
            base_url=self.base_url,
            organization=self.organization,
            timeout=self.timeout,
            max_retries=self.transport_retries,
            default_headers=headers,
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> LLMConfig | None:
        """The configuration described by environment variables, or ``None``.

        The model variable is the switch: without ``OPENAI_MODEL`` (or
        ``AZURE_OPENAI_DEPLOYMENT``) chapi does not use an LLM, even when an
        ``OPENAI_API_KEY`` is present for other tools.

        Variables: ``OPENAI_MODEL``, ``OPENAI_API_KEY``, ``OPENAI_BASE_URL``,
        ``OPENAI_ORG_ID``; for Azure OpenAI ``AZURE_OPENAI_ENDPOINT``,
        ``AZURE_OPENAI_API_KEY`` (else ``OPENAI_API_KEY``),
        ``OPENAI_API_VERSION``, ``AZURE_OPENAI_DEPLOYMENT``; and
        ``CHAPI_LLM_TIMEOUT`` (seconds), ``CHAPI_LLM_MAX_RETRIES`` (repair
        rounds).

        Args:
            environ: the variables to read; ``os.environ`` by default.

        Raises:
            ConfigurationError: a model is named but the rest does not fit
                (no key and no base URL, Azure without API version or key,
                a number that does not parse).
        """
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        model = get("OPENAI_MODEL")
        deployment = get("AZURE_OPENAI_DEPLOYMENT")
        azure_endpoint = get("AZURE_OPENAI_ENDPOINT")
        base_url = get("OPENAI_BASE_URL")
        if model is None and deployment is None:
            if get("OPENAI_API_KEY") or base_url or azure_endpoint:
                logger.info("LLM generation is off: set OPENAI_MODEL to turn it on")
            return None

        settings: dict[str, Any] = {
            "model": model or deployment,
            "organization": get("OPENAI_ORG_ID"),
        }
        if azure_endpoint:
            key = get("AZURE_OPENAI_API_KEY") or get("OPENAI_API_KEY")
            version = get("OPENAI_API_VERSION")
            if version is None:
                raise ConfigurationError(
                    "AZURE_OPENAI_ENDPOINT is set but OPENAI_API_VERSION is not"
                )
            if key is None:
                raise ConfigurationError(
                    "AZURE_OPENAI_ENDPOINT is set but neither AZURE_OPENAI_API_KEY"
                    " nor OPENAI_API_KEY is"
                )
            settings |= {
                "azure_endpoint": azure_endpoint,
                "api_version": version,
                "deployment": deployment or model,
                "api_key": key,
            }
        else:
            key = get("OPENAI_API_KEY")
            if key is None and base_url is None:
                raise ConfigurationError(
                    "OPENAI_MODEL is set but neither OPENAI_API_KEY nor OPENAI_BASE_URL is"
                )
            settings |= {"base_url": base_url, "api_key": key}
        if (timeout := get("CHAPI_LLM_TIMEOUT")) is not None:
            settings["timeout"] = _number("CHAPI_LLM_TIMEOUT", timeout, float)
        if (retries := get("CHAPI_LLM_MAX_RETRIES")) is not None:
            settings["max_retries"] = _number("CHAPI_LLM_MAX_RETRIES", retries, int)

        try:
            return cls.model_validate(settings)
        except PydanticValidationError as exc:
            problems = [
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
            ]
            raise ConfigurationError(
                "LLM settings from the environment do not fit: " + "; ".join(problems)
            ) from None


def _number(name: str, text: str, kind: type[int] | type[float]) -> float:
    try:
        return kind(text)
    except ValueError:
        raise ConfigurationError(f"{name}={text!r} is not a number") from None


class TokenUsage(BaseModel):
    """Tokens spent, summed over every request of one generation."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
        )


class GenerationResult(BaseModel):
    """What one :meth:`LLMGenerator.generate` call produced.

    Attributes:
        card: the validated card (json-ir contents re-serialized canonically).
        model: the model (or Azure deployment) that was asked.
        response_model: the model name the server reported, if any.
        usage: tokens spent over all attempts.
        attempts: answers asked for (1 when the first answer was usable).
        messages: the system and user messages of the first request.
        prompt_version: :data:`~chapi.generation.prompts.PROMPT_VERSION`.
        prompt_fingerprint: hash of prompt version, model and messages.
        response_format: how structured output was requested in the end.
        raw_answer: the text of the answer that was accepted.
        problems: for each rejected answer, the problems that were sent back.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    card: Card
    model: str
    response_model: str | None = None
    usage: TokenUsage
    attempts: int
    messages: list[ChatMessage] = Field(repr=False)
    prompt_version: str = PROMPT_VERSION
    prompt_fingerprint: str
    response_format: ResponseFormatMode
    raw_answer: str = Field(repr=False)
    problems: list[list[str]] = Field(default_factory=list)


class LLMGenerator:
    """Generates cards with an LLM behind an OpenAI-compatible API.

    One instance may serve many requests; it remembers a response-format
    fallback between them. Use it as a context manager, or call
    :meth:`close`, to release the connections of a client it made.

    Args:
        config: where the server is and how to ask it.
        client: an SDK client to use instead of one made from ``config``
            (tests, custom transports, proxies). It is used through
            ``with_options(timeout=config.timeout,
            max_retries=config.transport_retries)``.
    """

    def __init__(
        self, config: LLMConfig, *, client: openai.OpenAI | None = None
    ) -> None:
        self._config = config
        self._owns_client = client is None
        if client is None:
            self._client = config.create_client()
        else:
            self._client = client.with_options(
                timeout=config.timeout, max_retries=config.transport_retries
            )
        self._format: ResponseFormatMode = "json_schema"

    def close(self) -> None:
        """Close the HTTP connections of a client this generator made itself.

        An injected client belongs to the caller and stays open.
        """
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> LLMGenerator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def config(self) -> LLMConfig:
        """The configuration this generator was made with."""
        return self._config

    @property
    def response_format(self) -> ResponseFormatMode:
        """How structured output is requested now (it only ever falls back)."""
        return self._format

    def build_messages(
        self,
        request: str,
        *,
        api: ApiModel | None,
        endpoints_context: str,
        role_contexts: Mapping[str, str],
        allowed_ops: Sequence[str],
        mode: str,
        env: str,
        notes: str | None,
    ) -> list[ChatMessage]:
        """The messages :meth:`generate` would send first, without sending them."""
        return build_messages(
            request,
            api=api,
            endpoints_context=endpoints_context,
            role_contexts=role_contexts,
            allowed_ops=allowed_ops,
            mode=mode,
            env=env,
            notes=notes,
        )

    def prompt_fingerprint(self, messages: Sequence[ChatMessage]) -> str:
        """Fingerprint of ``messages`` for this generator's model (see :func:`~chapi.generation.prompts.prompt_fingerprint`)."""
        return prompt_fingerprint(messages, self._config.request_model)

    def generate(
        self,
        request: str,
        *,
        api: ApiModel | None,
        endpoints_context: str,
        role_contexts: Mapping[str, str],
        allowed_ops: Sequence[str],
        mode: str,
        env: str,
        notes: str | None = None,
        check: Callable[[Card], Sequence[str]] | None = None,
    ) -> GenerationResult:
        """Ask the LLM for a card answering ``request``, repairing bad answers.

        Args:
            request: the person's request in plain words.
            api: the API model; when given, json-ir steps must name its
                operations and its security schemes are described.
            endpoints_context: the compact endpoints context of the
                relevant endpoints.
            role_contexts: role name to that role's compact context.
            allowed_ops: HTTP methods (``"GET"``) or operations
                (``"GET /pets/{id}"``) the files may use; empty allows all.
            mode: ``json-ir``, ``bash-curl`` or ``hybrid``.
            env: the environment's name (``local``, ``staging``, ``prod``).
            notes: extra hints, if any.
            check: more checks on a card that passed the built-in ones, such
                as the guardrail rules; the problem lines it returns are sent
                back for repair like the built-in ones (empty means usable).

        Returns:
            The card with usage, prompts and attempt count.

        Raises:
            ValidationError: ``mode`` is unknown or ``request`` empty.
            LLMError: the server failed, timed out, could not be reached, or
                answered unusably ``max_retries + 1`` times.
        """
        messages = self.build_messages(
            request,
            api=api,
            endpoints_context=endpoints_context,
            role_contexts=role_contexts,
            allowed_ops=allowed_ops,
            mode=mode,
            env=env,
            notes=notes,
        )
        logger.debug(
            "LLM prompt: %d messages, %d characters",
            len(messages),
            sum(len(m["content"]) for m in messages),
        )

        conversation: list[ChatMessage] = list(messages)
        usage = TokenUsage()
        rejected: list[list[str]] = []
        limit = self._config.max_retries + 1
        for attempt in range(1, limit + 1):
            answer = self._complete(conversation)
            usage += answer.usage
            try:
                card = parse_card_answer(
                    answer.text, mode=mode, allowed_ops=allowed_ops, api=api
                )
                if check is not None and (extra := list(check(card))):
                    raise ValidationError("the card fails the extra checks", extra)
            except ValidationError as exc:
                problems = list(exc.problems) or [str(exc)]
                if answer.truncated:
                    problems.insert(0, "the answer was cut off at the token limit")
                rejected.append(problems)
                logger.info(
                    "LLM answer unusable (attempt %d of %d, %d problems)",
                    attempt,
                    limit,
                    len(problems),
                )
                logger.debug("LLM answer problems: %s", problems)
                conversation.append({"role": "assistant", "content": answer.text})
                conversation.append(repair_message(problems))
                continue

            logger.info(
                "LLM card generated: model=%s attempts=%d format=%s tokens=%d",
                self._config.request_model,
                attempt,
                self._format,
                usage.total_tokens,
            )
            return GenerationResult(
                card=card,
                model=self._config.request_model,
                response_model=answer.model,
                usage=usage,
                attempts=attempt,
                messages=messages,
                prompt_fingerprint=self.prompt_fingerprint(messages),
                response_format=self._format,
                raw_answer=answer.text,
                problems=rejected,
            )

        last = rejected[-1]
        raise LLMError(
            f"the LLM ({self._config.request_model}) answered unusably {limit} times;"
            " last problems: "
            + "; ".join(last[:10])
            + (" ..." if len(last) > 10 else "")
        )

    def _complete(self, conversation: Sequence[ChatMessage]) -> _Answer:
        """One chat completion, falling back on the response format when refused."""
        while True:
            try:
                response = self._client.chat.completions.create(
                    **self._request(conversation)
                )
            except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
                fallback = _FALLBACK.get(self._format)
                if fallback is not None and _about_response_format(exc):
                    logger.info(
                        "LLM server %s refused response_format %s; using %s",
                        self._config.server,
                        self._format,
                        fallback,
                    )
                    self._format = fallback
                    continue
                raise self._error(exc) from self._cause(exc)
            except openai.OpenAIError as exc:
                raise self._error(exc) from self._cause(exc)

            return _Answer.of(response)

    def _request(self, conversation: Sequence[ChatMessage]) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": self._config.request_model,
            "messages": cast(list[ChatCompletionMessageParam], list(conversation)),
            "timeout": self._config.timeout,
        }
        if self._config.temperature is not None:
            request["temperature"] = self._config.temperature
        if self._config.max_tokens is not None:
            request["max_tokens"] = self._config.max_tokens
        if self._format == "json_schema":
            request["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": "chapi_card",
                    "schema": card_schema(),
                    "strict": False,
                },
            }
        elif self._format == "json_object":
            request["response_format"] = {"type": "json_object"}

        return request

    def _error(self, exc: openai.OpenAIError) -> LLMError:
        where = self._config.server
        if isinstance(exc, openai.APITimeoutError):
            text = f"the LLM server {where} did not answer within {self._config.timeout:g} s"
        elif isinstance(exc, openai.APIConnectionError):
            reason = f" ({exc.__cause__})" if exc.__cause__ else ""
            text = f"cannot reach the LLM server {where}: {exc}{reason}"
        elif isinstance(exc, openai.APIStatusError):
            detail = exc.message
            if isinstance(exc.body, dict) and isinstance(exc.body.get("message"), str):
                detail = exc.body["message"]
            text = f"the LLM server {where} answered HTTP {exc.status_code}: {detail}"
        else:
            text = f"the LLM request to {where} failed: {exc}"

        return LLMError(self._scrub(text))

    def _cause(self, exc: openai.OpenAIError) -> BaseException | None:
        """``exc`` to chain, unless its text carries the API key (servers echo it)."""
        return None if self._scrub(str(exc)) != str(exc) else exc

    def _scrub(self, text: str) -> str:
        key = self._config.api_key.get_secret_value() if self._config.api_key else ""
        return text.replace(key, "***") if len(key) >= 4 else text


class _Answer:
    """The parts of a chat completion the generator uses."""

    def __init__(
        self, text: str, usage: TokenUsage, model: str | None, truncated: bool
    ) -> None:
        self.text = text
        self.usage = usage
        self.model = model
        self.truncated = truncated

    @classmethod
    def of(cls, response: ChatCompletion) -> _Answer:
        usage = TokenUsage()
        if response.usage is not None:
            usage = TokenUsage(
                prompt_tokens=response.usage.prompt_tokens or 0,
                completion_tokens=response.usage.completion_tokens or 0,
                total_tokens=response.usage.total_tokens or 0,
            )
        if not response.choices:
            raise LLMError("the LLM server answered with no choices")
        choice = response.choices[0]
        text = choice.message.content or ""
        if not text and choice.message.refusal:
            text = choice.message.refusal

        return cls(
            text, usage, response.model or None, choice.finish_reason == "length"
        )


def _about_response_format(exc: openai.APIStatusError) -> bool:
    text = f"{exc.message} {exc.body!s}".lower()
    return any(
        word in text for word in ("response_format", "json_schema", "json_object")
    )


# ---------------------------------------------------------------------------
# Answer parsing and checks

_FENCE = re.compile(r"```[A-Za-z0-9_-]*[ \t]*\r?\n(.*?)\r?\n?```", re.DOTALL)
_SAFE_PATH = re.compile(r"^[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*$")
_ABSOLUTE_URL = re.compile(r"\bhttps?://", re.IGNORECASE)
_CURL_METHOD = re.compile(r"(?:-X|--request)[ \t]*['\"]?([A-Za-z]+)")
_EXTENSIONS = {"json-ir": ".json", "bash-curl": ".sh"}


def _load_answer(text: str) -> Any:
    """The JSON value an answer holds, ignoring code fences and prose around it.

    A fenced block wins when the answer does not start with ``{``; the value
    is decoded from the start, or else from the first ``{``, and trailing text
    is ignored.

    Raises:
        ValueError: no JSON value can be decoded (the message says where).
    """
    candidate = text.strip()
    fenced = _FENCE.search(candidate)
    if fenced and not candidate.startswith("{"):
        candidate = fenced.group(1).strip()
    decoder = json.JSONDecoder()
    try:
        value, _ = decoder.raw_decode(candidate)
    except ValueError:
        start = candidate.find("{")
        if start <= 0:
            raise
        value, _ = decoder.raw_decode(candidate, start)

    return value


def _pydantic_problems(exc: PydanticValidationError) -> list[str]:
    problems = []
    for error in exc.errors():
        where = "/" + "/".join(str(part) for part in error["loc"])
        problems.append(f"card {where}: {error['msg']}")

    return problems


def _normalize_contents(document: dict[str, Any]) -> None:
    """Serialize json-ir contents given as objects instead of strings (in place)."""
    files = document.get("files")
    if not isinstance(files, list):
        return
    for item in files:
        if isinstance(item, dict) and isinstance(item.get("content"), dict | list):
            item["content"] = json.dumps(item["content"], ensure_ascii=False)


class _Allowed:
    """Allowed HTTP methods and operations; empty allows everything."""

    def __init__(self, allowed_ops: Sequence[str]) -> None:
        self.methods: set[str] = set()
        self.operations: set[str] = set()
        for raw in allowed_ops:
            entry = " ".join(raw.split()).upper()
            if " " in entry:
                self.operations.add(entry)
            elif entry:
                self.methods.add(entry)

    @property
    def restricted(self) -> bool:
        return bool(self.methods or self.operations)

    def permits(self, method: str, operation: str | None) -> bool:
        if not self.restricted or method.upper() in self.methods:
            return True
        return (
            operation is not None
            and " ".join(operation.split()).upper() in self.operations
        )


def _check_path(where: str, path: str, mode: str) -> list[str]:
    problems = []
    if path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", path):
        problems.append(f"{where}: path must be relative, not {path!r}")
    elif not _SAFE_PATH.match(path) or any(
        part in (".", "..") for part in path.split("/")
    ):
        problems.append(
            f"{where}: path {path!r} may only hold letters, digits, '.', '_', '-'"
            " and '/' separated names, without '.' or '..' parts"
        )
    extension = _EXTENSIONS.get(mode)
    if extension and not path.endswith(extension):
        problems.append(f"{where}: a {mode} file's path must end in {extension!r}")

    return problems


def _check_jsonir(
    where: str, content: str, allowed: _Allowed, api: ApiModel | None
) -> tuple[list[str], str]:
    try:
        document = json.loads(content)
    except ValueError as exc:
        return [f"{where}: content is not valid JSON: {exc}"], content
    problems = [f"{where}: json-ir {line}" for line in schema_errors(document)]
    if problems:
        return problems, content

    for index, step in enumerate(document["steps"]):
        method = step["request"]["method"]
        operation = step.get("operation")
        label = f"{where}: step {index} ({step['name']!r})"
        if not allowed.permits(method, operation):
            problems.append(
                f"{label}: {operation or method} is not among the allowed operations"
            )
        if operation is None:
            continue
        if operation.split(" ", 1)[0] != method:
            problems.append(
                f"{label}: operation {operation!r} does not match method {method}"
            )
        if api is not None and api.operation(operation) is None:
            problems.append(
                f"{label}: operation {operation!r} is not in the API description"
            )

    return problems, jsonir_dumps(document)


def _check_bash(where: str, content: str, allowed: _Allowed) -> list[str]:
    problems = []
    if "set -euo pipefail" not in content:
        problems.append(f"{where}: the script must run 'set -euo pipefail' first")
    if _ABSOLUTE_URL.search(content):
        problems.append(
            f'{where}: the script holds an absolute URL; use "${{BASE_URL}}/path" instead'
        )
    if allowed.restricted:
        for method in sorted({m.upper() for m in _CURL_METHOD.findall(content)}):
            if not allowed.permits(method, None):
                problems.append(
                    f"{where}: method {method} is not among the allowed operations"
                )

    return problems


def parse_card_answer(
    text: str,
    *,
    mode: str,
    allowed_ops: Sequence[str] = (),
    api: ApiModel | None = None,
) -> Card:
    """Parse and check an LLM's answer into a :class:`Card`.

    Code fences and surrounding prose are tolerated; json-ir contents given
    as JSON objects instead of strings are serialized. The returned card's
    json-ir contents are re-serialized canonically (:func:`chapi.jsonir.dumps`).

    Args:
        text: the answer's text.
        mode: the pack mode (``json-ir``, ``bash-curl`` or ``hybrid``); file
            modes must fit it.
        allowed_ops: allowed HTTP methods or ``METHOD /path`` operations;
            empty allows everything.
        api: when given, json-ir steps must name operations it holds.

    Raises:
        ValidationError: the answer cannot be used; ``problems`` lists every
            problem found, each naming where it is.
    """
    if not text.strip():
        raise ValidationError("the answer is not a card", ["the answer is empty"])
    try:
        document = _load_answer(text)
    except ValueError as exc:
        raise ValidationError(
            "the answer is not a card", [f"the answer is not valid JSON: {exc}"]
        ) from None
    if not isinstance(document, dict):
        raise ValidationError(
            "the answer is not a card",
            [f"the answer must be a JSON object, not {type(document).__name__}"],
        )
    _normalize_contents(document)
    try:
        card = Card.model_validate(document)
    except PydanticValidationError as exc:
        raise ValidationError(
            "the answer is not a card", _pydantic_problems(exc)
        ) from None

    problems: list[str] = []
    if not card.files:
        problems.append("card /files: the card has no files")
    allowed = _Allowed(allowed_ops)
    seen: set[str] = set()
    files = []
    for index, item in enumerate(card.files):
        where = f"file {index} {item.path!r}"
        if item.path in seen:
            problems.append(f"{where}: the path is used by an earlier file")
        seen.add(item.path)
        if mode != "hybrid" and item.mode != mode:
            problems.append(f"{where}: mode {item.mode!r} does not fit a {mode} pack")
        problems += _check_path(where, item.path, item.mode)
        if item.mode == "json-ir":
            found, content = _check_jsonir(where, item.content, allowed, api)
            problems += found
            item = item.model_copy(update={"content": content})
        else:
            problems += _check_bash(where, item.content, allowed)
        files.append(item)
    if problems:
        raise ValidationError("the card's files cannot be used", problems)

    return card.model_copy(update={"files": files})
