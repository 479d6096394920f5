"""``Zylon``: a LlamaIndex ``FunctionCallingLLM`` over the Zylon Workspace chat API, or
ZylonGPT's messages API (``api="gpt"``). A call's turn is built by :mod:`._turn`; the
ZylonGPT extras (model card, validation, background messages) are in :mod:`._gpt`."""

from __future__ import annotations

import logging
from typing import (
    Any,
    AsyncGenerator,
    ClassVar,
    Dict,
    Generator,
    List,
    Literal,
    Optional,
    Sequence,
    Type,
    Union,
)

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
    ToolCallBlock,
)
from llama_index.core.bridge.pydantic import Field

# LlamaIndex's documented import; the module re-exports it without __all__, which pyright reads as private.
from llama_index.core.instrumentation import get_dispatcher  # pyright: ignore[reportPrivateImportUsage]
from llama_index.core.instrumentation.events.llm import (
    LLMStructuredPredictEndEvent,
    LLMStructuredPredictStartEvent,
)
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.prompts import PromptTemplate
from llama_index.core.types import Model, PydanticProgramMode

from zylon_core._request import PASSTHROUGH_FIELDS, Turn, check_configuration
from zylon_core._tools import model_class

from ._codec import StreamState, response_format_for, to_zylon_tool_choice, to_zylon_tools
from ._codec.responses import chat_response, completion_response, final_chunk, stream_chunk
from ._codec.structured import Partials, parse_structured
from ._config import ZylonConnection
from ._gpt import ZylonGPTFeatures
from ._turn import call_arguments, configured, llm_turn

logger = logging.getLogger(__name__)
dispatcher = get_dispatcher(__name__)

DEFAULT_CONTEXT_WINDOW = 32768
DEFAULT_NUM_OUTPUT = 1024

class Zylon(ZylonGPTFeatures, ZylonConnection, FunctionCallingLLM):
    """Zylon private AI as a LlamaIndex LLM (chat, streaming, tools, structured output).

    Configuration falls back to the environment: ``ZYLON_BASE_URL``, ``ZYLON_API_TOKEN``,
    ``ZYLON_ORG`` (default ``"default"``), ``ZYLON_MODEL`` (default ``"default"``).

    Routing (per call keyword arguments override the fields):

    * ``api="gpt"`` (a Gateway token): ZylonGPT's ``POST /api/gpt/v1/messages``, where
      ``model`` is sent (per call too), ``stop`` also as ``stop_sequences``, ``effort`` as
      ``output_config.effort``; documents go as ``document`` blocks, tool results as
      strings. It takes none of the Workspace fields below (``ConfigurationError``), and
      runs turns in the background: :meth:`submit`, then :meth:`resume_chat` (from any
      process), :meth:`background_status`, :meth:`cancel_background`;
    * ``thread_id`` set: the turn is an interaction of that thread; the server keeps the
      history, so only the messages after the last assistant message are sent;
    * else ``project_id`` set: project chat (``artifact_ids`` / ``all_artifacts`` pick the
      documents in scope);
    * else one-shot chat.

    ``metadata.context_window``: the configured ``context_window``; unset, the model's
    ``max_input_tokens`` from ``GET /api/gpt/v1/models`` where known, else 32768;
    ``num_output`` likewise (``max_tokens``, the card's, else 1024). With ``api="gpt"``
    the list is read on first use, once per client (LlamaIndex reads ``metadata`` on
    every call, so a client's first call makes it; one attempt, a failure is logged and
    remembered). On the Workspace route ``metadata`` makes no request: the card counts
    once :meth:`fetch_model_info` has read it (a token that reaches ZylonGPT).

    Outputs: text as ``TextBlock`` s (citation markup removed; the server's text in
    ``message.additional_kwargs["raw_text"]`` when it differs), reasoning as a
    ``ThinkingBlock`` (``thinking=True``; its ``signature`` in ``additional_information``,
    sent back with it), client tool calls as ``ToolCallBlock`` s, server-run tools
    (built-in search, document conversion) in ``message.additional_kwargs
    ["server_tool_calls"]``, each citation (``citations=True``) as a ``CitationBlock``
    with its place in the text, the sources in ``message.additional_kwargs["sources"]``;
    blocks LlamaIndex has no type for in ``message.additional_kwargs["zylon_blocks"]``
    (sent back in place with the message); ``id``, ``model``, ``stop_reason``, ``usage``
    and (thread mode) ``interaction_id`` / ``thread_id`` in
    ``response.additional_kwargs`` and ``response.raw`` (the two ids also in
    ``response.message.additional_kwargs``, so thread memory recognises the answer).
    Inputs: ``DocumentBlock`` s go as ``binary`` blocks; images and audio as they are
    (Zylon refuses them for a model without that capability: the ``BadRequestError``
    says so).

    Example:
        ```python
        from llama_index_zylon import Zylon

        llm = Zylon(base_url="https://zylon.example.com", api_token="...")
        print(llm.complete("Say hello").text)
        ```
    """

    model: Optional[str] = Field(
        default=None, description="The model (env ZYLON_MODEL): sent with api='gpt', else a name for tracing."
    )
    api: Literal["workspace", "gpt"] = Field(
        default="workspace", description="Where turns go: the Workspace chat routes, or ZylonGPT (/api/gpt/v1/messages)."
    )

    project_id: Optional[str] = Field(default=None, description="Chat within this project.")
    thread_id: Optional[str] = Field(default=None, description="Chat as interactions of this thread.")
    artifact_ids: Optional[List[str]] = Field(default=None, description="Artifacts in scope (project/thread).")
    all_artifacts: Optional[bool] = Field(default=None, description="All the project's artifacts in scope.")
    agent: Optional[Literal["Default", "ProjectDeepResearch"]] = Field(
        default=None, description="Thread interaction agent."
    )

    temperature: Optional[float] = Field(default=None, ge=0.0, le=1.0, description="Sampling temperature, 0 to 1.")
    max_tokens: Optional[int] = Field(default=None, gt=0, description="Maximum tokens to generate.")
    top_p: Optional[float] = Field(default=None, ge=0.0, le=1.0, description="Nucleus sampling.")
    top_k: Optional[int] = Field(default=None, ge=1, description="Top-k sampling.")
    seed: Optional[int] = Field(default=None, description="Sampling seed.")
    stop: Optional[List[str]] = Field(default=None, description="Stop sequences (applied client-side).")
    thinking: Optional[bool] = Field(default=None, description="Ask for reasoning (ThinkingBlock).")
    effort: Optional[Literal["low", "medium", "high", "max", "xhigh"]] = Field(
        default=None, description="api='gpt' only: output_config.effort (thinking at that effort)."
    )
    tool_context: Optional[List[Dict[str, Any]]] = Field(
        default=None, description="What built-in tools work on (ingested_artifact, sql_database, text, file, uri items)."
    )
    citations: Optional[bool] = Field(default=None, description="Ask for sources / citations.")
    use_default_prompt: Optional[bool] = Field(default=None, description="Use Zylon's default system prompt.")
    streaming: bool = Field(
        default=False,
        description="chat/complete read the answer as a stream (as ChatZylon(streaming=True) does); the result is the same.",
    )

    structured_output_method: Literal["json_schema", "function_calling"] = Field(
        default="json_schema",
        description="structured_predict through response_format (json_schema) or a forced tool call.",
    )
    context_window: Optional[int] = Field(
        default=None, gt=0, description="Context window in tokens (unset: the model's, where known, else 32768)."
    )
    additional_kwargs: Dict[str, Any] = Field(
        default_factory=dict, description="Extra ChatRequest fields (min_p, presence_penalty, ...)."
    )


    _model_field: ClassVar[Optional[str]] = "model"

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)
        unknown = set(self.additional_kwargs) - set(PASSTHROUGH_FIELDS)
        if unknown:
            raise ValueError(
                f"additional_kwargs holds unknown Zylon request fields: {', '.join(sorted(unknown))}; "
                f"allowed: {', '.join(PASSTHROUGH_FIELDS)}"
            )
        check_configuration(configured(self))  # e.g. thread_id with api="gpt"

    @classmethod
    def class_name(cls) -> str:
        return "Zylon_LLM"

    @property
    def metadata(self) -> LLMMetadata:
        card = self._known_card() if self.context_window is None or self.max_tokens is None else None
        return LLMMetadata(
            context_window=self.context_window or (card and card.max_input_tokens) or DEFAULT_CONTEXT_WINDOW,
            num_output=self.max_tokens or (card and card.max_tokens) or DEFAULT_NUM_OUTPUT,
            is_chat_model=True,
            is_function_calling_model=True,
            model_name=self.model or "default",
            system_role=MessageRole.SYSTEM,
        )

    def _turn(self, messages: Sequence[ChatMessage], kwargs: Dict[str, Any]) -> Turn:
        """The checked turn of one call (route, request, stop sequences), before any I/O."""
        return llm_turn(self, messages, kwargs)

    def _prompt_message(self, prompt: str, formatted: bool) -> List[ChatMessage]:
        if not formatted and self.completion_to_prompt is not None:
            prompt = self.completion_to_prompt(prompt)
        return [ChatMessage(role=MessageRole.USER, content=prompt)]

    # -- sync ------------------------------------------------------------------------

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        turn = self._turn(messages, kwargs)
        if not self.streaming:
            return chat_response(self._client.run_turn(turn.route, turn.request, stop=turn.stop), turn.server_tools)
        stream = self._client.stream_turn(turn.route, turn.request, stop=turn.stop)
        try:
            for _ in stream:
                pass
        finally:
            stream.close()
        assert stream.result is not None  # a stream read to its end has its result (or raised)
        return chat_response(stream.result, turn.server_tools)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        turn = self._turn(messages, kwargs)

        def gen() -> ChatResponseGen:
            stream = self._client.stream_turn(turn.route, turn.request, stop=turn.stop)
            state = StreamState(turn.server_tools, source=stream.source_block)
            try:
                for delta in stream:
                    yield stream_chunk(state, delta)
            finally:
                stream.close()  # leaving early cancels a thread interaction
            yield final_chunk(state, stream.result, turn.server_tools)

        return gen()

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return completion_response(self.chat(self._prompt_message(prompt, formatted), **kwargs))

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        chunks = self.stream_chat(self._prompt_message(prompt, formatted), **kwargs)

        def gen() -> CompletionResponseGen:
            for chunk in chunks:
                yield completion_response(chunk)

        return gen()

    # -- async -----------------------------------------------------------------------

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        turn = self._turn(messages, kwargs)
        if not self.streaming:
            return chat_response(await self._aclient.run_turn(turn.route, turn.request, stop=turn.stop), turn.server_tools)
        stream = self._aclient.stream_turn(turn.route, turn.request, stop=turn.stop)
        try:
            async for _ in stream:
                pass
        finally:
            await stream.aclose()
        assert stream.result is not None
        return chat_response(stream.result, turn.server_tools)

    @llm_chat_callback()
    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        turn = self._turn(messages, kwargs)

        async def gen() -> ChatResponseAsyncGen:
            stream = self._aclient.stream_turn(turn.route, turn.request, stop=turn.stop)
            state = StreamState(turn.server_tools, source=stream.source_block)
            try:
                async for delta in stream:
                    yield stream_chunk(state, delta)
            finally:
                await stream.aclose()
            yield final_chunk(state, stream.result, turn.server_tools)

        return gen()

    @llm_completion_callback()
    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return completion_response(await self.achat(self._prompt_message(prompt, formatted), **kwargs))

    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        chunks = await self.astream_chat(self._prompt_message(prompt, formatted), **kwargs)

        async def gen() -> CompletionResponseAsyncGen:
            async for chunk in chunks:
                yield completion_response(chunk)

        return gen()

    # -- tools -----------------------------------------------------------------------

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[Any],
        user_msg: Optional[Union[str, ChatMessage]] = None,
        chat_history: Optional[List[ChatMessage]] = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: Any = None,
        **kwargs: Any,
    ) -> Dict[str, Any]:
        """Chat arguments with ``tools`` as Zylon tools and ``tool_choice`` set.

        ``tools`` are LlamaIndex tools (custom tools from their metadata) or dicts (a dict
        with a built-in ``type`` such as ``semantic_search_v1`` passes through);
        ``tool_choice`` is ``"auto"``, ``"any"``, ``"none"``, a tool name or a dict;
        ``tool_required`` means ``any`` when no choice is given.
        """
        messages = list(chat_history or [])
        if isinstance(user_msg, str):
            user_msg = ChatMessage(role=MessageRole.USER, content=user_msg)
        if user_msg is not None:
            messages.append(user_msg)
        zylon_tools = to_zylon_tools(tools)
        out: Dict[str, Any] = {"messages": messages, **kwargs}
        if zylon_tools:
            out["tools"] = zylon_tools
            out["tool_choice"] = to_zylon_tool_choice(
                tool_choice,
                tool_names=[t["name"] for t in zylon_tools],
                tool_required=tool_required,
                allow_parallel_tool_calls=allow_parallel_tool_calls,
            )
        return out

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence[Any],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        if not allow_parallel_tool_calls:
            calls = [b for b in response.message.blocks if isinstance(b, ToolCallBlock)]
            if len(calls) > 1:
                first = calls[0]
                response.message.blocks = [
                    b for b in response.message.blocks if not isinstance(b, ToolCallBlock) or b is first
                ]
        return response

    def get_tool_calls_from_response(
        self,
        response: ChatResponse,
        error_on_no_tool_call: bool = True,
        **kwargs: Any,
    ) -> List[ToolSelection]:
        """The client tool calls of a response (server-run tools are not included)."""
        selections = []
        for block in response.message.blocks:
            if isinstance(block, ToolCallBlock):
                arguments = call_arguments(block.tool_kwargs)
                selections.append(
                    ToolSelection(tool_id=block.tool_call_id or "", tool_name=block.tool_name, tool_kwargs=arguments)
                )
        if not selections:
            for call in response.message.additional_kwargs.get("tool_calls") or ():
                if isinstance(call, dict) and call.get("name"):
                    selections.append(
                        ToolSelection(
                            tool_id=str(call.get("id") or ""),
                            tool_name=call["name"],
                            tool_kwargs=call.get("input") or {},
                        )
                    )
        if not selections and error_on_no_tool_call:
            raise ValueError("Expected at least one tool call, but got 0 tool calls.")
        return selections

    # -- structured output -----------------------------------------------------------

    def _json_schema_mode(self, output_cls: Any) -> bool:
        model_class(output_cls, "structured_predict")  # a dict schema: ValueError before any request
        return self.pydantic_program_mode == PydanticProgramMode.DEFAULT and self.structured_output_method == "json_schema"

    def _structured_args(
        self, output_cls: Type[Model], prompt: PromptTemplate, llm_kwargs: Optional[Dict[str, Any]], prompt_args: Dict[str, Any]
    ) -> tuple[List[ChatMessage], Dict[str, Any]]:
        messages = self._get_messages(prompt, **prompt_args)
        kwargs = {**(llm_kwargs or {}), "response_format": response_format_for(output_cls)}
        kwargs.pop("tools", None)
        kwargs.pop("tool_choice", None)
        return messages, kwargs

    @dispatcher.span
    def structured_predict(
        self,
        output_cls: Type[Model],
        prompt: PromptTemplate,
        llm_kwargs: Optional[Dict[str, Any]] = None,
        **prompt_args: Any,
    ) -> Model:
        """A ``output_cls`` instance, through ``response_format`` (json_schema) unless
        ``structured_output_method="function_calling"`` or another program mode is set."""
        if not self._json_schema_mode(output_cls):
            return super().structured_predict(output_cls, prompt, llm_kwargs, **prompt_args)
        dispatcher.event(LLMStructuredPredictStartEvent(output_cls=output_cls, template=prompt, template_args=prompt_args))
        messages, kwargs = self._structured_args(output_cls, prompt, llm_kwargs, prompt_args)
        result = parse_structured(self.chat(messages, **kwargs).message.content or "", output_cls)
        dispatcher.event(LLMStructuredPredictEndEvent(output=result))
        return result

    @dispatcher.span
    async def astructured_predict(
        self,
        output_cls: Type[Model],
        prompt: PromptTemplate,
        llm_kwargs: Optional[Dict[str, Any]] = None,
        **prompt_args: Any,
    ) -> Model:
        if not self._json_schema_mode(output_cls):
            return await super().astructured_predict(output_cls, prompt, llm_kwargs, **prompt_args)
        dispatcher.event(LLMStructuredPredictStartEvent(output_cls=output_cls, template=prompt, template_args=prompt_args))
        messages, kwargs = self._structured_args(output_cls, prompt, llm_kwargs, prompt_args)
        response = await self.achat(messages, **kwargs)
        result = parse_structured(response.message.content or "", output_cls)
        dispatcher.event(LLMStructuredPredictEndEvent(output=result))
        return result

    def _structured_stream_call(
        self,
        output_cls: Type[Model],
        prompt: PromptTemplate,
        llm_kwargs: Optional[Dict[str, Any]] = None,
        **prompt_args: Any,
    ) -> Generator[Any, None, None]:
        """Partial objects (``FlexibleModel`` s) as the JSON streams in, then the full one."""
        if not self._json_schema_mode(output_cls):
            return super()._structured_stream_call(output_cls, prompt, llm_kwargs, **prompt_args)
        messages, kwargs = self._structured_args(output_cls, prompt, llm_kwargs, prompt_args)
        chunks = self.stream_chat(messages, **kwargs)

        def gen() -> Generator[Any, None, None]:
            partials = Partials(output_cls)
            text = ""
            for chunk in chunks:
                text = chunk.message.content or ""
                partial = partials.update(text) if chunk.delta else None
                if partial is not None:
                    yield partial
            yield parse_structured(text, output_cls)

        return gen()

    async def _structured_astream_call(
        self,
        output_cls: Type[Model],
        prompt: PromptTemplate,
        llm_kwargs: Optional[Dict[str, Any]] = None,
        **prompt_args: Any,
    ) -> AsyncGenerator[Any, None]:
        if not self._json_schema_mode(output_cls):
            return await super()._structured_astream_call(output_cls, prompt, llm_kwargs, **prompt_args)
        messages, kwargs = self._structured_args(output_cls, prompt, llm_kwargs, prompt_args)
        chunks = await self.astream_chat(messages, **kwargs)

        async def gen() -> AsyncGenerator[Any, None]:
            partials = Partials(output_cls)
            text = ""
            async for chunk in chunks:
                text = chunk.message.content or ""
                partial = partials.update(text) if chunk.delta else None
                if partial is not None:
                    yield partial
            yield parse_structured(text, output_cls)

        return gen()
