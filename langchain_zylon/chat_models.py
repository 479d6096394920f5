"""``ChatZylon``: a Zylon instance as a LangChain chat model.

This module only holds configuration, routing and I/O; every conversion between
LangChain and Zylon lives in the pure :mod:`langchain_zylon._codec` (and tools in
:mod:`langchain_zylon._tools`).
"""

from __future__ import annotations

from typing import Any, AsyncIterator, Callable, ClassVar, Iterator, Literal, Mapping, Optional, Sequence

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput, ModelProfile
from langchain_core.language_models.base import LangSmithParams
from langchain_core.language_models.chat_models import agenerate_from_stream, generate_from_stream
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from pydantic import ConfigDict, Field

from zylon_core import ConfigurationError, TurnResult
from zylon_core._checks import check_text
from zylon_core._request import TURN_FIELDS, Turn, build_turn, check_call_arguments, check_configuration
from zylon_core.models import ChatRequest, ChatValidationResult

from ._codec import ChunkBuilder, to_ai_message, to_zylon_messages
from ._config import ZylonConnection
from ._errors import mapped_errors
from ._gpt import ZylonGPTFeatures, model_profile
from ._structured import structured_runnable, warn_strict
from ._tools import convert_tool_choice, convert_tools

# Passed by LangChain internals (or harmless to accept): not request parameters.
_IGNORED_KWARGS = ("stream", "ls_structured_output_format", "structured_output_format")
_BOUND_KWARGS = ("tools", "tool_choice", "response_format")
_CALL_KWARGS = tuple(name for name in TURN_FIELDS if name != "stop") + _BOUND_KWARGS + ("model", "stream_usage")


class ChatZylon(ZylonGPTFeatures, ZylonConnection, BaseChatModel):
    """Chat with a private Zylon instance.

    Setup: ``pip install "zylon-integrations[langchain]"`` and set ``ZYLON_BASE_URL``
    and ``ZYLON_API_TOKEN`` (or pass ``base_url`` / ``api_token``; ``ZYLON_ORG`` and
    ``ZYLON_MODEL`` are optional). A missing setting is a ``ConfigurationError`` naming
    the variable, raised by the constructor.

    Routing (every routing and sampling field can also be passed per call, e.g.
    ``llm.invoke(x, thread_id=...)``, and then wins over the field):

    ```python
    from langchain_zylon import ChatZylon

    llm = ChatZylon()                                  # one-shot: POST /api/v1/app/chat
    llm = ChatZylon(project_id="proj_...")             # POST /project/{id}/chat
    llm = ChatZylon(thread_id="thread_...")            # POST /thread/{id}/interaction
    llm.invoke("Hello", thread_id="thread_...", temperature=0.2)
    llm = ChatZylon(api="gpt", model="default")        # ZylonGPT: POST /api/gpt/v1/messages
    llm.invoke("Hello", model="other-model")           # per call: another of its models
    ```

    ``api="gpt"`` (a Gateway token) sends the turn to ZylonGPT instead: ``model`` is sent
    (per call too: ``response_metadata["model_name"]`` is the model asked for), ``stop``
    also as ``stop_sequences``, ``effort`` as ``output_config.effort``, ``tool_context``
    scopes built-in tools; files go as ``document`` blocks, tool results as strings.
    Threads, projects, artifacts and agents are the Workspace's (``ConfigurationError``
    with ``api="gpt"``). ZylonGPT also runs turns in the background: :meth:`submit`,
    then :meth:`resume` (from any process), :meth:`background_status`,
    :meth:`cancel_background`, :meth:`delete_background`.

    In thread mode the server keeps the history: only the messages after the last
    ``AIMessage`` are sent (the new question, or the tool results answering its tool
    calls), whether the caller passes the whole history or just the new message.
    System messages always go to ``system.text``. An interaction that comes back
    ``Processing`` is followed to its end.

    Tools: ``bind_tools`` takes LangChain tools, functions, pydantic models and
    OpenAI/Anthropic-style dicts (custom tools, run by the caller) and Zylon built-in
    tools as ``{"type": "semantic_search_v1", "name": "search"}`` (run by the server);
    ``tool_choice`` is ``"auto"``, ``"any"``, ``"none"``, a tool name or ``True``.
    ``with_structured_output(schema, method="json_schema" | "function_calling",
    include_raw=...)``. ``validate_request(messages, **kwargs)`` asks Zylon whether a
    request is valid without running it.

    Where the answer lands on the ``AIMessage``:

    * text: ``content`` (a string for a text-only answer, else Zylon-shaped blocks). The
      text is clean: citation markup is removed, each citation becomes a standard
      ``citation`` annotation on its ``text`` block (``cited_text``, ``title``,
      ``start_index``/``end_index`` into the clean text, Zylon's ids in ``extras``), and
      the server's own text stays in the block's ``raw_text``;
      ``message.content_blocks`` (or ``output_version="v1"``) gives LangChain's
      standard blocks: ``reasoning``, ``tool_call``, ``server_tool_call`` /
      ``server_tool_result``, ``non_standard`` for the rest;
    * reasoning (``thinking=True``): ``{"type": "thinking", "thinking", "signature"}``
      blocks and ``additional_kwargs["reasoning_content"]``. Sent back as history, a
      signed thinking block is replayed; unsigned reasoning (another model's) is left
      out with a warning, as Zylon refuses it;
    * client tool calls: ``tool_calls``. What the server ran itself (built-in search,
      document conversion) stays in ``content`` as ``server_tool_use`` /
      ``server_tool_result`` blocks (or a Workspace ``tool_use`` + ``tool_result``),
      never a pending call;
    * sources (``citations=True``, built-in search tools: the request then asks for
      them with ``system.extensions: ["zylon"]``): every source, once, in
      ``response_metadata["sources"]`` and ``additional_kwargs["sources"]``;
    * unknown block types are kept as they came;
    * ``usage_metadata``; ``response_metadata``: ``id``, ``model_name`` (the model asked
      for on ZylonGPT, else the answer's), ``model`` (the server's own ``model`` field),
      ``model_provider="zylon"``, ``stop_reason`` (``end_turn``, ``tool_use``,
      ``max_tokens``, ``stop_sequence``...) and, in thread mode, ``interaction_id`` and
      ``thread_id``.

    LangChain conventions: ``get_num_tokens_from_messages`` asks ZylonGPT's
    ``/messages/count_tokens`` (approximated when a Workspace token cannot reach it);
    ``profile`` is a documented default until :meth:`load_profile` reads the model's
    card from ``GET /api/gpt/v1/models``; ``strict=True`` is not sent (Zylon has no
    strict mode) and says so with a ``UserWarning``; ``method="json_mode"`` is sent as
    ``json_schema`` with a ``UserWarning``.

    Input: files (LangChain ``file`` / ``text-plain`` blocks, OpenAI ``file``,
    Anthropic ``document``) are sent as ``binary`` blocks (``document`` with
    ``api="gpt"``), images and audio as
    ``{"data", "mime_type"}``; whether the instance's model takes images or audio is
    its own capability (the server answers 400, raised as ``BadRequestError`` with its
    explanation).

    Streaming yields ``AIMessageChunk`` s (text, reasoning, ``tool_call_chunks`` whose
    ``index`` is the Zylon block position, server tool blocks as content); summed, they
    give what ``invoke`` gives. The last chunk has ``usage_metadata`` (unless
    ``stream_usage=False``), ``response_metadata``, the sources and
    ``chunk_position="last"``. Stop sequences are applied by the client (the Workspace
    API has none; ZylonGPT also gets them). Errors are ``zylon_core`` errors that are also
    LangChain's standard model errors (``ModelRateLimitError``, ...).
    """

    model_config = ConfigDict(populate_by_name=True, protected_namespaces=(), extra="forbid")

    # -- connection: base_url, api_token (alias api_key), org, timeout, max_retries and
    # verify come from ZylonConnection (env fallbacks resolved at construction) ---------
    _model_field: ClassVar[Optional[str]] = "model"
    model: str | None = Field(default=None, alias="model_name")
    """The model (env ``ZYLON_MODEL``, default ``"default"``): sent with ``api="gpt"``;
    on the Workspace routes, whose instance model answers, only the name for tracing."""

    # -- routing ----------------------------------------------------------------------
    api: Literal["workspace", "gpt"] = "workspace"
    """Where turns go: the Workspace chat routes, or ZylonGPT's ``/api/gpt/v1/messages``
    (``"gpt"``, a Gateway token; not per call)."""
    project_id: str | None = None
    """Chat within a project (``POST /project/{id}/chat``) unless ``thread_id`` is set."""
    thread_id: str | None = None
    """Chat within a thread (``POST /thread/{id}/interaction``): only the new turn is sent."""
    artifact_ids: list[str] | None = None
    all_artifacts: bool | None = None
    agent: Literal["Default", "ProjectDeepResearch"] | None = None

    # -- request ----------------------------------------------------------------------
    # Out of range is a ValueError here, and per call before any request is sent.
    temperature: float | None = Field(default=None, ge=0, le=1)
    max_tokens: int | None = Field(default=None, ge=1)
    top_p: float | None = Field(default=None, ge=0, le=1)
    top_k: int | None = Field(default=None, ge=1)
    seed: int | None = None
    stop: list[str] | None = Field(default=None, alias="stop_sequences")
    """Stop sequences, applied by the client (and sent as ``stop_sequences`` with ``api="gpt"``)."""
    thinking: bool | None = None
    """``thinking.enabled``: reasoning comes back as thinking/reasoning content."""
    effort: Literal["low", "medium", "high", "max", "xhigh"] | None = None
    """``api="gpt"`` only: ``output_config.effort`` (thinking at that effort; a level the
    model's card does not list is a ``ValueError`` before the turn is sent)."""
    tool_context: list[dict[str, Any]] | None = None
    """What built-in tools work on (``[{"type": "ingested_artifact", "context_filter":
    {"collection": ...}}]``, ``sql_database``, ``text``, ``file``, ``uri`` items)."""
    citations: bool | None = None
    """``system.citations.enabled``: the answer cites sources."""
    use_default_prompt: bool | None = None
    """``system.use_default_prompt``."""
    streaming: bool = False
    """Stream internally even on ``invoke``."""
    stream_usage: bool = True
    """Usage on the last streamed chunk (``False``: none); also per call."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Other ``ChatRequest`` fields sent as they are (``min_p``, ``presence_penalty``, ...)."""

    def model_post_init(self, context: Any, /) -> None:
        # ZylonConnection resolves the settings and makes one sync and one async client
        # per instance, reused by every call (and shared by bind()/with_config() copies).
        super().model_post_init(context)
        unknown = set(self.model_kwargs) - set(ChatRequest.model_fields)
        if unknown:
            raise ConfigurationError(f"model_kwargs: not ChatRequest fields: {', '.join(sorted(unknown))}")
        check_configuration(self._configured())  # e.g. thread_id with api="gpt"

    def _resolve_model_profile(self) -> ModelProfile | None:
        # No request at construction: the documented default (load_profile() reads the server's).
        return model_profile(None)

    def _configured(self) -> dict[str, Any]:
        return {**{name: getattr(self, name) for name in TURN_FIELDS}, "api": self.api, "model": self.model}

    # -- LangChain metadata -----------------------------------------------------------

    @property
    def _llm_type(self) -> str:
        return "zylon-chat"

    @property
    def lc_secrets(self) -> dict[str, str]:
        return {"api_token": "ZYLON_API_TOKEN"}

    @classmethod
    def is_lc_serializable(cls) -> bool:
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        return ["langchain_zylon", "chat_models"]

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "api": self.api,
            "base_url": self.base_url,
            "org": self.org,
            **{name: getattr(self, name) for name in TURN_FIELDS},
            "streaming": self.streaming,
            "model_kwargs": self.model_kwargs,
        }

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider="zylon",
            ls_model_name=kwargs.get("model") or self.model or "default",
            ls_model_type="chat",
        )
        temperature = kwargs.get("temperature", self.temperature)
        if temperature is not None:
            params["ls_temperature"] = temperature
        max_tokens = kwargs.get("max_tokens", self.max_tokens)
        if max_tokens is not None:
            params["ls_max_tokens"] = max_tokens
        if ls_stop := stop or kwargs.get("stop") or self.stop:
            params["ls_stop"] = ls_stop
        return params

    # -- one turn ---------------------------------------------------------------------

    def _turn(self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]) -> Turn:
        """The checked turn of one call (route, request, stop sequences), before any I/O."""
        for name in (*_IGNORED_KWARGS, "stream_usage"):
            kwargs.pop(name, None)
        check_call_arguments(kwargs, _CALL_KWARGS, "ChatZylon")
        tools = convert_tools(kwargs["tools"]) if kwargs.get("tools") else None
        tool_choice = kwargs.get("tool_choice")
        if tool_choice is not None:
            tool_choice = convert_tool_choice(tool_choice, tools or [])
        if stop is not None:
            kwargs["stop"] = stop
        _check_text_blocks(messages)  # before conversion, which would drop such a block
        # In thread mode earlier answers are not sent: no reason to warn about their reasoning.
        thread = (kwargs["thread_id"] if "thread_id" in kwargs else self.thread_id) is not None
        system_text, zylon_messages = to_zylon_messages(messages, api=self.api, warn_unsigned=not thread)
        return build_turn(
            system_text,
            zylon_messages,
            configured=self._configured(),
            per_call=kwargs,
            tools=tools,
            tool_choice=tool_choice,
            response_format=kwargs.get("response_format"),
            extra=self.model_kwargs,
        )

    def _model_name(self, kwargs: dict[str, Any]) -> str:
        return kwargs.get("model") or self.model or "default"

    def _chat_result(self, result: TurnResult, turn: Turn, model_name: str) -> ChatResult:
        message = to_ai_message(
            result.message,
            model_name=model_name,
            client_tools=turn.client_tools,
            interaction_id=result.interaction_id,
            thread_id=result.thread_id if result.route.thread_id else None,
            model_sent=result.route.api == "gpt",
        )
        llm_output = {"id": result.message.id, "model_name": message.response_metadata["model_name"]}
        return ChatResult(generations=[ChatGeneration(message=message)], llm_output=llm_output)

    @staticmethod
    def _last_chunk(builder: ChunkBuilder, result: TurnResult | None, model_name: str, usage: bool) -> ChatGenerationChunk:
        assert result is not None, "the stream ended without a result"
        message = builder.last(
            result.message,
            model_name=model_name,
            interaction_id=result.interaction_id,
            thread_id=result.thread_id if result.route.thread_id else None,
            model_sent=result.route.api == "gpt",
            usage=usage,
        )
        return ChatGenerationChunk(message=message)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.streaming:
            return generate_from_stream(self._stream(messages, stop=stop, run_manager=run_manager, **kwargs))
        model_name = self._model_name(kwargs)
        turn = self._turn(messages, stop, kwargs)
        with mapped_errors():
            result = self._client.run_turn(turn.route, turn.request, stop=turn.stop)
        return self._chat_result(result, turn, model_name)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.streaming:
            return await agenerate_from_stream(self._astream(messages, stop=stop, run_manager=run_manager, **kwargs))
        model_name = self._model_name(kwargs)
        turn = self._turn(messages, stop, kwargs)
        with mapped_errors():
            result = await self._aclient.run_turn(turn.route, turn.request, stop=turn.stop)
        return self._chat_result(result, turn, model_name)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        model_name, usage = self._model_name(kwargs), kwargs.get("stream_usage", self.stream_usage)
        turn = self._turn(messages, stop, kwargs)
        stream = self._client.stream_turn(turn.route, turn.request, stop=turn.stop)
        builder = ChunkBuilder(rich=turn.rich, client_tools=turn.client_tools, source=stream.source_block)
        deltas = iter(stream)
        try:
            with mapped_errors():
                for delta in deltas:
                    message = builder.chunk(delta)
                    if message is None:
                        continue
                    chunk = ChatGenerationChunk(message=message)
                    if run_manager is not None:
                        run_manager.on_llm_new_token(message.text, chunk=chunk)
                    yield chunk
        finally:
            stream.close()  # leaving early cancels the interaction
        last = self._last_chunk(builder, stream.result, model_name, bool(usage))
        if run_manager is not None and last.text:
            run_manager.on_llm_new_token(last.text, chunk=last)
        yield last

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        model_name, usage = self._model_name(kwargs), kwargs.get("stream_usage", self.stream_usage)
        turn = self._turn(messages, stop, kwargs)
        stream = self._aclient.stream_turn(turn.route, turn.request, stop=turn.stop)
        builder = ChunkBuilder(rich=turn.rich, client_tools=turn.client_tools, source=stream.source_block)
        deltas = stream.__aiter__()
        try:
            with mapped_errors():
                async for delta in deltas:
                    message = builder.chunk(delta)
                    if message is None:
                        continue
                    chunk = ChatGenerationChunk(message=message)
                    if run_manager is not None:
                        await run_manager.on_llm_new_token(message.text, chunk=chunk)
                    yield chunk
        finally:
            await stream.aclose()
        last = self._last_chunk(builder, stream.result, model_name, bool(usage))
        if run_manager is not None and last.text:
            await run_manager.on_llm_new_token(last.text, chunk=last)
        yield last

    # -- checking a request without running it ----------------------------------------

    def validate_request(self, messages: LanguageModelInput, **kwargs: Any) -> ChatValidationResult:
        """Ask Zylon whether this request is valid, without running it: ``POST
        /chat/validate`` (Workspace) or ``POST /api/gpt/v1/messages/validate``
        (``api="gpt"``). Takes the same input and per-call arguments as ``invoke``."""
        turn = self._turn(self._convert_input(messages).to_messages(), kwargs.pop("stop", None), kwargs)
        with mapped_errors():
            if self.api == "gpt":
                return self._client.messages.validate(turn.request)
            return self._client.chat.validate(turn.request)

    async def avalidate_request(self, messages: LanguageModelInput, **kwargs: Any) -> ChatValidationResult:
        """Async :meth:`validate_request`."""
        turn = self._turn(self._convert_input(messages).to_messages(), kwargs.pop("stop", None), kwargs)
        with mapped_errors():
            if self.api == "gpt":
                return await self._aclient.messages.validate(turn.request)
            return await self._aclient.chat.validate(turn.request)

    # -- tools and structured output --------------------------------------------------

    def bind_tools(
        self,
        tools: Sequence[Mapping[str, Any] | type | Callable | BaseTool],
        *,
        tool_choice: dict[str, Any] | str | bool | None = None,
        parallel_tool_calls: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools: LangChain tools, pydantic models, functions and OpenAI/Anthropic-style
        dicts become custom tools; a dict whose ``type`` is a Zylon built-in
        (``{"type": "semantic_search_v1", "name": "search"}``) is run by the server.

        ``tool_choice``: ``"auto"``, ``"any"`` (or ``"required"``), ``"none"``, a tool
        name, ``True`` (the single tool, or any), or a dict. ``strict=True`` is not sent
        (Zylon has no strict mode): a ``UserWarning`` says so.
        """
        warn_strict(kwargs.pop("strict", None), "bind_tools")
        formatted = convert_tools(tools)
        choice = convert_tool_choice(tool_choice, formatted, parallel_tool_calls)
        if choice is not None:
            kwargs["tool_choice"] = choice
        return self.bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: Mapping[str, Any] | type | None = None,
        *,
        method: Literal["json_schema", "function_calling", "json_mode"] = "json_schema",
        include_raw: bool = False,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, Any]:
        """Answers as ``schema`` (a pydantic class → instances; a TypedDict or a JSON
        schema → dicts). A JSON schema may be given bare (titled or not), as OpenAI's
        ``{"name", "schema", "strict"}`` wrapper or as a function dict; its properties
        reach Zylon as given (:func:`zylon_core._tools.structured_output`). A schema
        that cannot work is a ``ValueError`` here, before any request.

        ``method="json_schema"`` (default) sends Zylon's ``response_format``;
        ``"function_calling"`` forces a tool call; ``"json_mode"`` is sent as
        ``"json_schema"`` (any JSON object without a schema) with a ``UserWarning``:
        Zylon has no JSON mode. ``strict=True`` is not sent (Zylon has no strict mode):
        a ``UserWarning`` says so.
        """
        strict = kwargs.pop("strict", None)
        if kwargs:
            raise ValueError(f"unexpected arguments: {', '.join(sorted(kwargs))}")
        return structured_runnable(self, schema, method=method, include_raw=include_raw, strict=strict)


def _check_text_blocks(messages: Sequence[BaseMessage]) -> None:
    """A ``{"type": "text"}`` content block whose ``text`` is not a string (``None``...)
    is a ``ValueError`` naming it, not a block silently left out."""
    for position, message in enumerate(messages):
        if isinstance(message.content, list):
            for index, block in enumerate(message.content):
                if isinstance(block, dict) and block.get("type") == "text":
                    check_text(block.get("text"), f"messages[{position}].content[{index}]")
