"""``Zylon``'s ZylonGPT side (mixed into :class:`~llama_index_zylon.llms.Zylon`): the
model's card from ``GET /api/gpt/v1/models`` (for ``metadata``), request validation on
either API, and background messages (``/api/gpt/v1/messages/async``): submit a long
request now, resume its stream later, from this process or another.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence

from llama_index.core.base.llms.types import ChatMessage, ChatResponseAsyncGen, ChatResponseGen

from zylon_core import ConfigurationError
from zylon_core._gpt_models import model_info
from zylon_core.models import BackgroundStatus, ChatValidationResult, ModelInfo

from ._codec import StreamState
from ._codec.responses import final_chunk, stream_chunk
from ._turn import llm_turn

if TYPE_CHECKING:
    from zylon_core import AsyncZylonClient, ZylonClient
    from zylon_core._request import Turn


class ZylonGPTFeatures:
    """Model card, validation and background messages for ``Zylon``."""

    if TYPE_CHECKING:
        api: str
        model: Optional[str]

        @property
        def _client(self) -> ZylonClient: ...

        @property
        def _aclient(self) -> AsyncZylonClient: ...

    # -- the model's card ---------------------------------------------------------------

    def fetch_model_info(self) -> Optional[ModelInfo]:
        """The card of this model from ``GET /api/gpt/v1/models`` (``max_input_tokens``,
        ``max_tokens``, ``capabilities``), read once per client and then used by
        ``metadata`` on either route; None when the list does not name the model
        (``"default"`` with several models listed). With ``api="gpt"`` the list's
        errors raise; on the Workspace route a token that does not reach ZylonGPT gives
        None."""
        return self._client.run(model_info(self._client.api, self.model, quiet=self.api != "gpt"))

    def _known_card(self) -> Optional[ModelInfo]:
        """For ``metadata``: with ``api="gpt"`` the card (one ``GET /models`` per client,
        a failure remembered and logged, then None); on the Workspace route only a card
        already read (no request)."""
        if self.api == "gpt":
            return self._client.run(model_info(self._client.api, self.model, quiet=True))
        return self._client.models.cached(self.model)

    # -- validation -----------------------------------------------------------------------

    def validate_request(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatValidationResult:
        """Ask Zylon whether this request is valid without running it: ``POST
        /chat/validate`` (Workspace) or ``POST /api/gpt/v1/messages/validate``
        (``api="gpt"``). Takes the same messages and keyword arguments as ``chat``; an
        invalid request is ``valid=False`` with the server's ``errors``."""
        turn = llm_turn(self, messages, kwargs)  # type: ignore[arg-type]
        if self.api == "gpt":
            return self._client.messages.validate(turn.request)
        return self._client.chat.validate(turn.request)

    async def avalidate_request(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatValidationResult:
        """Async :meth:`validate_request`."""
        turn = llm_turn(self, messages, kwargs)  # type: ignore[arg-type]
        if self.api == "gpt":
            return await self._aclient.messages.validate(turn.request)
        return await self._aclient.chat.validate(turn.request)

    # -- background messages --------------------------------------------------------------

    def _background_turn(self, messages: Sequence[ChatMessage], kwargs: Dict[str, Any]) -> Turn:
        if self.api != "gpt":
            raise ConfigurationError(
                "background messages are ZylonGPT's (/api/gpt/v1/messages/async): submit needs Zylon(api='gpt')"
            )
        return llm_turn(self, messages, kwargs)  # type: ignore[arg-type]

    def submit(self, messages: Sequence[ChatMessage], *, message_id: Optional[str] = None, **kwargs: Any) -> str:
        """Start ``messages`` as a background message (``POST /api/gpt/v1/messages/async``)
        and return its ``message_id`` (``message_id`` if given) at once; read the answer
        later with :meth:`resume_chat`, here or in another process. Takes ``chat``'s
        keyword arguments. Needs ``api="gpt"`` (``ConfigurationError``)."""
        turn = self._background_turn(messages, kwargs)
        return self._client.submit_turn(turn.route, turn.request, message_id=message_id).message_id

    async def asubmit(self, messages: Sequence[ChatMessage], *, message_id: Optional[str] = None, **kwargs: Any) -> str:
        """Async :meth:`submit`."""
        turn = self._background_turn(messages, kwargs)
        return (await self._aclient.submit_turn(turn.route, turn.request, message_id=message_id)).message_id

    def resume_chat(self, message_id: str, *, stop: Optional[List[str]] = None) -> ChatResponseGen:
        """A background message's answer as ``stream_chat`` gives one (each
        ``ChatResponse`` holds the message so far and its ``delta``; the last one the
        whole answer with its metadata), read from the start: ``GET
        /api/gpt/v1/messages/async/{id}/stream`` replays the whole stream, also after it
        finished. An unknown or deleted id is a ``NotFoundError``; a message that failed
        ends in ``ServerStreamError`` with the server's explanation. Stopping early stops
        reading only (:meth:`cancel_background` stops the message). ``stop``: stop
        sequences cut by the client."""
        stream = self._client.resume_turn(message_id, stop=stop)

        def gen() -> ChatResponseGen:
            state = StreamState(source=stream.source_block)
            try:
                for delta in stream:
                    yield stream_chunk(state, delta)
            finally:
                stream.close()
            yield final_chunk(state, stream.result)

        return gen()

    async def aresume_chat(self, message_id: str, *, stop: Optional[List[str]] = None) -> ChatResponseAsyncGen:
        """Async :meth:`resume_chat` (awaited, it gives the async generator, as
        ``astream_chat`` does)."""
        stream = self._aclient.resume_turn(message_id, stop=stop)

        async def gen() -> ChatResponseAsyncGen:
            state = StreamState(source=stream.source_block)
            try:
                async for delta in stream:
                    yield stream_chunk(state, delta)
            finally:
                await stream.aclose()
            yield final_chunk(state, stream.result)

        return gen()

    def background_status(self, message_id: str) -> BackgroundStatus:
        """``GET .../async/{id}/status``: ``status`` (``pending``, ``processing``,
        ``completed``, ``failed``, ``cancelled``, ``error``), times, ``error_message``."""
        return self._client.background.status(message_id)

    async def abackground_status(self, message_id: str) -> BackgroundStatus:
        return await self._aclient.background.status(message_id)

    def cancel_background(self, message_id: str) -> None:
        """``POST .../async/{id}/cancel`` (the server also answers it once finished)."""
        self._client.background.cancel(message_id)

    async def acancel_background(self, message_id: str) -> None:
        await self._aclient.background.cancel(message_id)

    def delete_background(self, message_id: str) -> None:
        """``DELETE .../async/{id}/delete``: afterwards the id is unknown (404)."""
        self._client.background.delete(message_id)

    async def adelete_background(self, message_id: str) -> None:
        await self._aclient.background.delete(message_id)
