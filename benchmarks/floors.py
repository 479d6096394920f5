"""Each framework's floor: a model in that framework that does no I/O and returns the
same message (and the same stream of deltas) the server would. What any adapter must pay
on top of the wire is at least this.

``*_over_wire`` variants are the same floors with their answer fetched by a given raw
httpx function inside the call (the least an adapter could do: one request, no
conversion beyond picking the text). They show what "raw httpx + floor" costs when the
two run back to back in one call, as an adapter's do, rather than each in a hot loop of
its own.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Iterable, Iterator, Sequence


def _usage(output_tokens: int) -> dict[str, int]:
    return {"input_tokens": 1, "output_tokens": output_tokens, "total_tokens": output_tokens + 1}


def langchain_floor(
    reply: str,
    pieces: list[str],
    *,
    call: Callable[[str], str] | None = None,
    stream: Callable[[str], Iterable[str]] | None = None,
    acall: Callable[[str], Awaitable[str]] | None = None,
) -> Any:
    """A LangChain chat model answering ``reply`` (streaming ``pieces``) with no I/O; with
    ``call``/``stream``/``acall`` it gets them from those functions (given the last
    message's text)."""
    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.messages import AIMessage, AIMessageChunk
    from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

    class FloorChatModel(BaseChatModel):
        @property
        def _llm_type(self) -> str:
            return "floor"

        def _generate(self, messages: list[Any], stop: Any = None, run_manager: Any = None, **kw: Any) -> ChatResult:
            return self._result(call(messages[-1].content) if call is not None else reply)

        async def _agenerate(self, messages: list[Any], stop: Any = None, run_manager: Any = None, **kw: Any) -> ChatResult:
            return self._result(await acall(messages[-1].content) if acall is not None else reply)

        def _result(self, text: str) -> ChatResult:
            message = AIMessage(content=text, usage_metadata=_usage(len(pieces)), response_metadata={"id": "msg", "stop_reason": "end_turn"})
            return ChatResult(generations=[ChatGeneration(message=message)])

        def _stream(self, messages: list[Any], stop: Any = None, run_manager: Any = None, **kw: Any) -> Iterator[ChatGenerationChunk]:
            count = 0
            for piece in stream(messages[-1].content) if stream is not None else pieces:
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
                if run_manager:
                    run_manager.on_llm_new_token(piece, chunk=chunk)
                count += 1
                yield chunk
            yield ChatGenerationChunk(message=AIMessageChunk(content="", usage_metadata=_usage(count)))

    return FloorChatModel()


def llama_index_floor(
    reply: str,
    pieces: list[str],
    *,
    call: Callable[[str], str] | None = None,
    stream: Callable[[str], Iterable[str]] | None = None,
    acall: Callable[[str], Awaitable[str]] | None = None,
) -> Any:
    """A LlamaIndex LLM answering ``reply`` (streaming ``pieces``, each response carrying
    the cumulative text as LlamaIndex streams do) with no I/O, or through ``call``/``stream``."""
    from llama_index.core.base.llms.types import (
        ChatMessage,
        ChatResponse,
        ChatResponseGen,
        CompletionResponse,
        CompletionResponseGen,
        LLMMetadata,
        MessageRole,
    )
    from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
    from llama_index.core.llms.llm import LLM

    class FloorLLM(LLM):
        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata(is_chat_model=True, model_name="floor")

        @llm_chat_callback()
        def chat(self, messages: Sequence[ChatMessage], **kw: Any) -> ChatResponse:
            text = call(messages[-1].content or "") if call is not None else reply
            return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text), raw={"id": "msg"})

        @llm_chat_callback()
        async def achat(self, messages: Sequence[ChatMessage], **kw: Any) -> ChatResponse:
            text = await acall(messages[-1].content or "") if acall is not None else reply
            return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text), raw={"id": "msg"})

        @llm_chat_callback()
        def stream_chat(self, messages: Sequence[ChatMessage], **kw: Any) -> ChatResponseGen:
            source = stream(messages[-1].content or "") if stream is not None else pieces

            def gen() -> ChatResponseGen:
                content = ""
                for piece in source:
                    content += piece
                    yield ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=content), delta=piece)

            return gen()

        @llm_completion_callback()
        def complete(self, prompt: str, formatted: bool = False, **kw: Any) -> CompletionResponse:
            return CompletionResponse(text=reply)

        @llm_completion_callback()
        def stream_complete(self, prompt: str, formatted: bool = False, **kw: Any) -> CompletionResponseGen:
            raise NotImplementedError

        async def acomplete(self, prompt: str, formatted: bool = False, **kw: Any) -> CompletionResponse:
            return self.complete(prompt)

        async def astream_chat(self, messages: Sequence[ChatMessage], **kw: Any) -> Any:
            raise NotImplementedError

        async def astream_complete(self, prompt: str, formatted: bool = False, **kw: Any) -> Any:
            raise NotImplementedError

    return FloorLLM()
