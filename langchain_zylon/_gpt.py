"""``ChatZylon``'s ZylonGPT side: token counts, the model profile and background
messages (mixed into :class:`~langchain_zylon.chat_models.ChatZylon`).

* ``get_num_tokens_from_messages`` asks ZylonGPT (``POST /api/gpt/v1/messages/count_tokens``);
  on the Workspace route, when the token does not reach ZylonGPT (a Workspace token:
  401), it counts with ``langchain_core.messages.utils.count_tokens_approximately``
  instead (remembered per client: asked once). No ``transformers`` needed.
* ``profile`` (LangChain's model profile): :data:`DEFAULT_PROFILE` at construction (no
  request is made then); :meth:`ZylonGPTFeatures.load_profile` reads the model's card
  from ``GET /api/gpt/v1/models`` (context window, output tokens, image/audio input,
  thinking and its effort levels).
* background messages (``api="gpt"``): :meth:`~ZylonGPTFeatures.submit` returns the
  ``message_id``; :meth:`~ZylonGPTFeatures.resume` (from any process holding the id)
  yields the answer as ``AIMessageChunk`` s from its start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, AsyncIterator, Iterator, Sequence

from langchain_core.language_models import LanguageModelInput, ModelProfile
from langchain_core.messages import AIMessageChunk, BaseMessage, HumanMessage
from langchain_core.messages.utils import count_tokens_approximately

from zylon_core import ConfigurationError, TurnResult
from zylon_core._gpt_models import count_tokens, model_info
from zylon_core.models import BackgroundStatus, ChatRequest, ModelInfo, System, Tool

from ._codec import ChunkBuilder, to_zylon_messages
from ._errors import mapped_errors
from ._tools import convert_tools

if TYPE_CHECKING:
    from zylon_core import AsyncZylonClient, ZylonClient
    from zylon_core._request import Turn

DEFAULT_PROFILE: ModelProfile = {
    "text_inputs": True,
    "image_inputs": False,
    "image_url_inputs": False,
    "audio_inputs": False,
    "video_inputs": False,
    "pdf_inputs": True,  # files are converted by the server itself (document_preprocessing)
    "attachment": True,
    "image_tool_message": False,
    "pdf_tool_message": True,
    "text_outputs": True,
    "image_outputs": False,
    "audio_outputs": False,
    "video_outputs": False,
    "tool_calling": True,
    "tool_choice": True,
    "tool_call_streaming": True,
    "structured_output": True,
    "reasoning_output": True,
    "temperature": True,
}
"""The profile without the server's models list: what both Zylon APIs take (images and
audio are each model's capability, off here as on the captured servers); no
``max_input_tokens`` (only the models list knows it)."""


def model_profile(card: ModelInfo | None) -> ModelProfile:
    """:data:`DEFAULT_PROFILE` completed from a model's card (``GET /models``):
    ``name``, ``max_input_tokens``, ``max_output_tokens``, ``image_inputs`` (and image
    URLs and images in tool messages), ``audio_inputs``, ``reasoning_output``,
    ``reasoning_effort_levels``, ``structured_output``."""
    profile: ModelProfile = {**DEFAULT_PROFILE}
    if card is None:
        return profile
    if card.display_name:
        profile["name"] = card.display_name
    if card.max_input_tokens:
        profile["max_input_tokens"] = card.max_input_tokens
    if card.max_tokens:
        profile["max_output_tokens"] = card.max_tokens
    images, audio = card.supports("image_input"), card.supports("audio_input")
    if images is not None:
        profile["image_inputs"] = profile["image_url_inputs"] = profile["image_tool_message"] = images
    if audio is not None:
        profile["audio_inputs"] = audio
    thinking, structured = card.supports("thinking"), card.supports("structured_outputs")
    if thinking is not None:
        profile["reasoning_output"] = thinking
    if card.effort_levels:
        profile["reasoning_effort_levels"] = list(card.effort_levels)
    if structured is not None:
        profile["structured_output"] = structured
    return profile


class ZylonGPTFeatures:
    """Token counts, model profile and background messages for ``ChatZylon``."""

    if TYPE_CHECKING:
        api: str
        model: str | None
        profile: ModelProfile | None
        stream_usage: bool

        @property
        def _client(self) -> ZylonClient: ...

        @property
        def _aclient(self) -> AsyncZylonClient: ...

        def _turn(self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]) -> Turn: ...

        def _convert_input(self, model_input: LanguageModelInput) -> Any: ...

    # -- tokens ---------------------------------------------------------------------------

    def get_num_tokens_from_messages(self, messages: list[BaseMessage], tools: Sequence[Any] | None = None) -> int:
        """The input tokens of ``messages`` (and ``tools``: anything ``bind_tools``
        takes) for this model, as ZylonGPT counts them: ``POST
        /api/gpt/v1/messages/count_tokens`` (``model``, ``messages``, ``system``,
        ``tools``). With ``api="gpt"`` its errors raise. On the Workspace route the same
        endpoint is asked when the token reaches ZylonGPT (a Gateway token); otherwise
        (401/403/404, remembered for this client) the count is
        ``langchain_core.messages.utils.count_tokens_approximately`` (about 4 characters
        a token), an estimate."""
        wire_tools = convert_tools(tools) if tools else None
        request = self._count_request(messages, wire_tools)
        with mapped_errors():
            counted = self._client.run(count_tokens(self._client.api, request, required=self.api == "gpt"))
        if counted is None:
            return count_tokens_approximately(messages, tools=list(wire_tools) if wire_tools else None)
        return counted

    def get_num_tokens(self, text: str) -> int:
        """The tokens of ``text`` sent as one user message (see
        :meth:`get_num_tokens_from_messages`; the count includes the message's framing)."""
        return self.get_num_tokens_from_messages([HumanMessage(content=text)])

    def _count_request(self, messages: list[BaseMessage], tools: list[dict[str, Any]] | None) -> ChatRequest:
        # ZylonGPT's own input form (documents as document blocks), whatever the route.
        system_text, zylon_messages = to_zylon_messages(messages, api="gpt", warn_unsigned=False)
        # The Workspace route's model name is only a label: ZylonGPT counts with its default.
        request = ChatRequest(model=self.model if self.api == "gpt" else "default", messages=zylon_messages)
        if system_text:
            request.system = System(text=system_text)
        if tools:
            request.tools = [Tool.model_validate(t) for t in tools]
        return request

    # -- model profile ----------------------------------------------------------------------

    def fetch_model_info(self) -> ModelInfo | None:
        """The card of this model from ``GET /api/gpt/v1/models`` (read once per client;
        None when the list does not name it, e.g. ``"default"`` with several models).
        With ``api="gpt"`` the list's errors raise; on the Workspace route a token that
        does not reach ZylonGPT gives None."""
        with mapped_errors():
            return self._client.run(model_info(self._client.api, self.model, quiet=self.api != "gpt"))

    def load_profile(self) -> ModelProfile:
        """Set ``profile`` from the model's card (:meth:`fetch_model_info`, see
        :func:`model_profile`) and return it; :data:`DEFAULT_PROFILE` when unknown."""
        self.profile = model_profile(self.fetch_model_info())
        return self.profile

    async def aload_profile(self) -> ModelProfile:
        """Async :meth:`load_profile`."""
        with mapped_errors():
            card = await self._aclient.run(model_info(self._aclient.api, self.model, quiet=self.api != "gpt"))
        self.profile = model_profile(card)
        return self.profile

    # -- background messages ----------------------------------------------------------------

    def _background_turn(self, model_input: LanguageModelInput, kwargs: dict[str, Any]) -> Turn:
        if self.api != "gpt":
            raise ConfigurationError(
                "background messages are ZylonGPT's (/api/gpt/v1/messages/async): submit needs ChatZylon(api='gpt')"
            )
        return self._turn(self._convert_input(model_input).to_messages(), kwargs.pop("stop", None), kwargs)

    def submit(self, input: LanguageModelInput, *, message_id: str | None = None, **kwargs: Any) -> str:
        """Start ``input`` as a background message (``POST /api/gpt/v1/messages/async``)
        and return its ``message_id`` (``message_id`` if given) at once; read the
        answer later with :meth:`resume`, from this process or another. Takes the
        per-call arguments ``invoke`` takes (tools bound with ``bind_tools`` are not
        seen here: pass ``tools=`` and ``tool_choice=`` in Zylon's form). Needs
        ``api="gpt"`` (``ConfigurationError``)."""
        turn = self._background_turn(input, kwargs)
        with mapped_errors():
            return self._client.submit_turn(turn.route, turn.request, message_id=message_id).message_id

    async def asubmit(self, input: LanguageModelInput, *, message_id: str | None = None, **kwargs: Any) -> str:
        """Async :meth:`submit`."""
        turn = self._background_turn(input, kwargs)
        with mapped_errors():
            return (await self._aclient.submit_turn(turn.route, turn.request, message_id=message_id)).message_id

    def _last(self, builder: ChunkBuilder, result: TurnResult | None) -> AIMessageChunk:
        # Unlike invoke/stream, model_name is the server's: the turn may have been submitted
        # with another model (from another process), which this object cannot know.
        assert result is not None, "the stream ended without a result"
        return builder.last(result.message, model_name=self.model or "default", usage=self.stream_usage)

    def resume(self, message_id: str, *, stop: list[str] | None = None) -> Iterator[AIMessageChunk]:
        """A background message's answer as ``AIMessageChunk`` s, from its start (``GET
        /api/gpt/v1/messages/async/{id}/stream``, which replays the whole stream, also
        after it finished): summed, they give the ``AIMessage`` ``invoke`` would have,
        its content as blocks (the request, which may have asked for tools, thinking or
        citations, is not known here). The last chunk carries usage (unless ``stream_usage=False``) and
        ``response_metadata``. An unknown or deleted id is a ``NotFoundError``; a
        message that failed ends in ``ServerStreamError`` with the server's explanation.
        Stopping early stops reading only (:meth:`cancel_background` stops the message).
        ``stop``: stop sequences to cut the text at (client side)."""
        stream = self._client.resume_turn(message_id, stop=stop)
        builder = ChunkBuilder(rich=True, source=stream.source_block)  # the request is not known here: content as blocks
        try:
            with mapped_errors():
                for delta in stream:
                    chunk = builder.chunk(delta)
                    if chunk is not None:
                        yield chunk
        finally:
            stream.close()
        yield self._last(builder, stream.result)

    async def aresume(self, message_id: str, *, stop: list[str] | None = None) -> AsyncIterator[AIMessageChunk]:
        """Async :meth:`resume`."""
        stream = self._aclient.resume_turn(message_id, stop=stop)
        builder = ChunkBuilder(rich=True, source=stream.source_block)  # the request is not known here: content as blocks
        try:
            with mapped_errors():
                async for delta in stream:
                    chunk = builder.chunk(delta)
                    if chunk is not None:
                        yield chunk
        finally:
            await stream.aclose()
        yield self._last(builder, stream.result)

    def background_status(self, message_id: str) -> BackgroundStatus:
        """``GET .../async/{id}/status``: ``status`` (``pending``, ``processing``,
        ``completed``, ``failed``, ``cancelled``, ``error``), times, ``error_message``."""
        with mapped_errors():
            return self._client.background.status(message_id)

    async def abackground_status(self, message_id: str) -> BackgroundStatus:
        with mapped_errors():
            return await self._aclient.background.status(message_id)

    def cancel_background(self, message_id: str) -> None:
        """``POST .../async/{id}/cancel`` (the server also answers it once finished)."""
        with mapped_errors():
            self._client.background.cancel(message_id)

    async def acancel_background(self, message_id: str) -> None:
        with mapped_errors():
            await self._aclient.background.cancel(message_id)

    def delete_background(self, message_id: str) -> None:
        """``DELETE .../async/{id}/delete``: afterwards the id is unknown (404)."""
        with mapped_errors():
            self._client.background.delete(message_id)

    async def adelete_background(self, message_id: str) -> None:
        with mapped_errors():
            await self._aclient.background.delete(message_id)
