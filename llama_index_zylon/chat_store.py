"""``ZylonChatStore``: Zylon threads as a LlamaIndex chat store (the key is a thread id).

The store does the I/O; rebuilding messages from stored turns, and recognising a message
the thread already stored, is the pure :mod:`llama_index_zylon._codec.history`.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar, Dict, List, Optional, Sequence

from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.storage.chat_store.base import BaseChatStore

from zylon_core import ConfigurationError
from zylon_core._memory import (
    HISTORY_PAGE_SIZE,
    PendingTurn,
    StoredTurn,
    clear_thread,
    delete_turns,
    latest_answer,
    project_threads,
    thread_create,
    thread_delete,
    thread_turns,
)
from zylon_core._plans import Plan
from zylon_core.errors import ThreadRewriteError, UnsavedMessagesError
from zylon_core.models.chat import ThreadVisibility

from ._codec.history import describe, mark_of, thread_messages, turn_messages
from ._config import ZylonConnection

__all__ = ["ThreadRewriteError", "UnsavedMessagesError", "ZylonChatStore"]


class ThreadKeyedStore(ZylonConnection):
    """What both thread-backed stores (this one and ``ZylonMemoryStore``) share: the
    connection, ``project_id`` and ``page_size``, each key's pending messages, and the
    thread lifecycle."""

    model: Optional[str] = Field(default=None, description="Model name (env ZYLON_MODEL).")
    project_id: Optional[str] = Field(
        default=None,
        description="Project whose threads get_keys lists and create_thread uses (also reaches threads on servers before Zylon 1.50).",
    )
    page_size: int = Field(default=HISTORY_PAGE_SIZE, ge=1, description="Items fetched per page when reading.")

    _model_field: ClassVar[Optional[str]] = "model"
    _pending: Dict[str, PendingTurn] = PrivateAttr(default_factory=dict)
    _lock: Any = PrivateAttr(default_factory=threading.Lock)

    # -- plumbing ---------------------------------------------------------------------

    def _run(self, plan: Plan[Any]) -> Any:
        return self._client.run(plan)

    async def _arun(self, plan: Plan[Any]) -> Any:
        return await self._aclient.run(plan)

    def _pending_of(self, key: str) -> PendingTurn:
        if not key:
            raise ValueError("the chat store key is a Zylon thread id; got an empty key")
        with self._lock:
            pending = self._pending.get(key)
            if pending is None:
                pending = self._pending[key] = PendingTurn(key, mark_of, describe)
            return pending

    def _project(self) -> str:
        if not self.project_id:
            raise ConfigurationError(f"{type(self).__name__} needs project_id=... to list or create threads")
        return self.project_id

    # -- threads ----------------------------------------------------------------------

    def create_thread(self, name: Optional[str] = None, visibility: ThreadVisibility = "Private") -> str:
        """Create a thread in ``project_id`` (``POST /api/v1/app/project/{id}/thread``);
        returns its id, the key to use. ``ConfigurationError`` without ``project_id``."""
        return self._run(thread_create(self._client.api, self._project(), name, visibility)).id

    async def acreate_thread(self, name: Optional[str] = None, visibility: ThreadVisibility = "Private") -> str:
        return (await self._arun(thread_create(self._aclient.api, self._project(), name, visibility))).id

    def delete_thread(self, key: str) -> None:
        """Delete the thread itself with its interactions (``DELETE /api/v1/app/thread/{id}``)."""
        pending = self._pending_of(key)
        self._run(thread_delete(self._client.api, key, self.project_id))
        pending.clear()

    async def adelete_thread(self, key: str) -> None:
        pending = self._pending_of(key)
        await self._arun(thread_delete(self._aclient.api, key, self.project_id))
        pending.clear()

    def pending_messages(self, key: str) -> List[ChatMessage]:
        """User/tool messages added for ``key`` that no turn has stored yet."""
        return self._pending_of(key).snapshot()

    def _keys(self) -> List[str]:
        return [thread.id for thread in self._run(project_threads(self._client.api, self._project(), self.page_size))]

    async def _akeys(self) -> List[str]:
        return [thread.id for thread in await self._arun(project_threads(self._aclient.api, self._project(), self.page_size))]


class ZylonChatStore(ThreadKeyedStore, BaseChatStore):
    """Chat history kept in Zylon threads: the key of every method is a **thread id**.

    Configuration as for ``Zylon`` (``base_url``, ``api_token`` alias ``api_key``, ``org``,
    ``timeout``, ``max_retries``, with the ``ZYLON_*`` environment fallbacks), plus
    ``project_id`` for :meth:`get_keys` and :meth:`create_thread`.

    A Zylon thread stores a turn **by running it**: ``Zylon(thread_id=key)`` sends the
    new turn and the server stores the question with its answer. So:

    * ``get_messages(key)``: the thread's whole conversation, rebuilt from its
      interactions (every page, in order: user input → ``user`` / ``tool`` messages,
      answer → ``assistant`` message with tool calls, thinking and citations), then the
      key's pending messages. Rebuilt messages carry ``additional_kwargs["thread_id"]``
      and ``["interaction_id"]``.
    * ``add_message(key, message)``: a message the thread already stored is recognised
      and nothing is written: an answer of ``Zylon(thread_id=key)`` (it carries the ids),
      a rebuilt message, or an assistant message whose text is the thread's latest answer.
      Such an answer also stores the user/tool messages before it. A user or tool message
      not stored yet is kept **pending** in this store object (listed at the end of
      ``get_messages``) until the turn that sends it is added: the next
      ``Zylon(thread_id=key)`` call sends every message after the last answer. An
      assistant message the thread did not produce raises
      :class:`~zylon_core._memory.UnsavedMessagesError` (a ``ValueError``) naming it;
      nothing changes. System messages are skipped (they go to ``system.text`` with
      every turn). Pending messages live in this object only.
    * ``set_messages(key, messages)``: ``messages`` must be the stored conversation
      followed by user/tool messages only (they become the pending ones); changing or
      dropping a stored turn raises :class:`~zylon_core._memory.ThreadRewriteError`.
    * ``delete_messages(key)``: deletes every interaction of the thread and the pending
      messages; returns what was there. The thread and its id stay (a memory's
      ``reset()`` then goes on in the same thread); :meth:`delete_thread` removes it.
    * ``delete_message(key, idx)`` / ``delete_last_message(key)``: a pending message is
      removed locally; a stored message is removed **with its whole turn** (the
      interaction holding the question and its answer). Returns the message.
    * ``get_keys()``: the ids of every thread of ``project_id`` (every page).

    LlamaIndex's current ``Memory`` takes an ``AsyncDBChatStore`` instead: use
    :class:`~llama_index_zylon.ZylonMemoryStore` there. This ``BaseChatStore`` serves
    code written against that interface (and the deprecated ``ChatMemoryBuffer``).

    ```python
    from llama_index_zylon import Zylon, ZylonChatStore

    store = ZylonChatStore(project_id="proj_...")
    thread_id = store.create_thread("Support chat")
    Zylon(thread_id=thread_id).complete("My name is Ada.")   # stored by running it
    store.get_messages(thread_id)                            # [user(...), assistant(...)]
    ```
    """

    @classmethod
    def class_name(cls) -> str:
        return "ZylonChatStore"

    # -- reading ----------------------------------------------------------------------

    def get_messages(self, key: str, **kwargs: Any) -> List[ChatMessage]:
        pending = self._pending_of(key)
        turns = self._run(thread_turns(self._client.api, key, self.page_size, project_id=self.project_id))
        return [*thread_messages(turns, thread_id=key), *pending.snapshot()]

    async def aget_messages(self, key: str, **kwargs: Any) -> List[ChatMessage]:
        pending = self._pending_of(key)
        turns = await self._arun(thread_turns(self._aclient.api, key, self.page_size, project_id=self.project_id))
        return [*thread_messages(turns, thread_id=key), *pending.snapshot()]

    def get_keys(self) -> List[str]:
        """Ids of every thread of ``project_id``."""
        return self._keys()

    async def aget_keys(self) -> List[str]:
        return await self._akeys()

    # -- adding -----------------------------------------------------------------------

    def add_message(self, key: str, message: ChatMessage, idx: Optional[int] = None) -> None:
        self._check_append(key, idx)
        pending = self._pending_of(key)
        latest = self._run(latest_answer(self._client.api, key, self.page_size, project_id=self.project_id)) if pending.needs_latest_answer([message]) else None
        pending.add([message], latest)

    async def async_add_message(self, key: str, message: ChatMessage, idx: Optional[int] = None) -> None:
        self._check_append(key, idx)
        pending = self._pending_of(key)
        latest = await self._arun(latest_answer(self._aclient.api, key, self.page_size, project_id=self.project_id)) if pending.needs_latest_answer([message]) else None
        pending.add([message], latest)

    def _check_append(self, key: str, idx: Optional[int]) -> None:
        if idx is not None:
            raise ValueError(
                f"thread {key}: messages can only be appended (idx={idx}): a Zylon thread keeps its turns in "
                "the order they ran"
            )

    def set_messages(self, key: str, messages: List[ChatMessage]) -> None:
        pending = self._pending_of(key)
        pending.replace(thread_messages(self._run(thread_turns(self._client.api, key, self.page_size, project_id=self.project_id)), thread_id=key), messages)

    async def aset_messages(self, key: str, messages: List[ChatMessage]) -> None:
        pending = self._pending_of(key)
        pending.replace(thread_messages(await self._arun(thread_turns(self._aclient.api, key, self.page_size, project_id=self.project_id)), thread_id=key), messages)

    # -- deleting ---------------------------------------------------------------------

    def delete_messages(self, key: str) -> Optional[List[ChatMessage]]:
        pending = self._pending_of(key)
        turns = self._run(clear_thread(self._client.api, key, self.page_size, project_id=self.project_id))
        return [*thread_messages(turns, thread_id=key), *pending.clear()]

    async def adelete_messages(self, key: str) -> Optional[List[ChatMessage]]:
        pending = self._pending_of(key)
        turns = await self._arun(clear_thread(self._aclient.api, key, self.page_size, project_id=self.project_id))
        return [*thread_messages(turns, thread_id=key), *pending.clear()]

    def delete_message(self, key: str, idx: int) -> Optional[ChatMessage]:
        self._pending_of(key)
        turns = self._run(thread_turns(self._client.api, key, self.page_size, project_id=self.project_id))
        found = self._locate(key, turns, idx)
        if found is None:
            return None
        message, turn = found
        if turn is not None:
            self._run(delete_turns(self._client.api, [turn], project_id=self.project_id))
        return message

    async def adelete_message(self, key: str, idx: int) -> Optional[ChatMessage]:
        self._pending_of(key)
        turns = await self._arun(thread_turns(self._aclient.api, key, self.page_size, project_id=self.project_id))
        found = self._locate(key, turns, idx)
        if found is None:
            return None
        message, turn = found
        if turn is not None:
            await self._arun(delete_turns(self._aclient.api, [turn], project_id=self.project_id))
        return message

    def delete_last_message(self, key: str) -> Optional[ChatMessage]:
        pending = self._pending_of(key)
        if pending.snapshot():
            return pending.pop()
        return self.delete_message(key, -1)

    async def adelete_last_message(self, key: str) -> Optional[ChatMessage]:
        pending = self._pending_of(key)
        if pending.snapshot():
            return pending.pop()
        return await self.adelete_message(key, -1)

    def _locate(
        self, key: str, turns: Sequence[StoredTurn], idx: int
    ) -> Optional[tuple[ChatMessage, Optional[StoredTurn]]]:
        """The message at ``idx`` and the stored turn it belongs to (None: pending;
        the pending message is removed here)."""
        stored: list[tuple[ChatMessage, StoredTurn]] = []
        for turn in turns:
            stored.extend((message, turn) for message in turn_messages(turn, thread_id=key))
        pending = self._pending_of(key)
        total = len(stored) + len(pending.snapshot())
        position = idx + total if idx < 0 else idx
        if not 0 <= position < total:
            return None
        if position < len(stored):
            return stored[position]
        return pending.pop(position - len(stored)), None
