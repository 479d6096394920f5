"""Each framework's floor: a model in that framework that does no I/O and returns the
same message (and the same stream of deltas) the server would. What any adapter must pay
on top of the wire is at least this."""

from __future__ import annotations

from typing import Any, Iterator, Sequence


def langchain_floor(reply: str, pieces: list[str]) -> Any:
    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.messages import AIMessage, AIMessageChunk
    from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

    usage = {"input_tokens": 1, "output_tokens": len(pieces), "total_tokens": len(pieces) + 1}

    class FloorChatModel(BaseChatModel):
        @property
        def _llm_type(self) -> str:
            return "floor"

        def _generate(self, messages: list[Any], stop: Any = None, run_manager: Any = None, **kw: Any) -> ChatResult:
            message = AIMessage(content=reply, usage_metadata=usage, response_metadata={"id": "msg", "stop_reason": "end_turn"})
            return ChatResult(generations=[ChatGeneration(message=message)])

        async def _agenerate(self, messages: list[Any], stop: Any = None, run_manager: Any = None, **kw: Any) -> ChatResult:
            return self._generate(messages)

        def _stream(self, messages: list[Any], stop: Any = None, run_manager: Any = None, **kw: Any) -> Iterator[ChatGenerationChunk]:
            for piece in pieces:
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
                if run_manager:
                    run_manager.on_llm_new_token(piece, chunk=chunk)
                yield chunk
            yield ChatGenerationChunk(message=AIMessageChunk(content="", usage_metadata=usage))

    return FloorChatModel()


def llama_index_floor(reply: str, pieces: list[str]) -> Any:
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
            return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=reply), raw={"id": "msg"})

        @llm_chat_callback()
        async def achat(self, messages: Sequence[ChatMessage], **kw: Any) -> ChatResponse:
            return self.chat(messages)

        @llm_chat_callback()
        def stream_chat(self, messages: Sequence[ChatMessage], **kw: Any) -> ChatResponseGen:
            def gen() -> ChatResponseGen:
                content = ""
                for piece in pieces:
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
