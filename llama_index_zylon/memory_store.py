"""``ZylonMemoryStore``: Zylon threads as the store of LlamaIndex's ``Memory``.

``llama_index.core.memory.Memory`` keeps its short-term conversation in an
``AsyncDBChatStore``: a FIFO of messages per session key, each ``active`` or
``archived`` (archived messages have left the short-term queue and were handed to the
memory blocks). Here the session key is a Zylon thread id and the conversation is the
thread's, under the same rules as :class:`~llama_index_zylon.ZylonChatStore` (a turn is
stored by running it; see :mod:`zylon_core._memory`).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.storage.chat_store.base_db import AsyncDBChatStore, MessageStatus

from zylon_core._memory import StoredTurn, clear_thread, delete_turns, latest_answer, thread_turns
from zylon_core.errors import ThreadRewriteError, UnsavedMessagesError

from ._codec.history import thread_messages, turn_messages
from .chat_store import ThreadKeyedStore

__all__ = ["MessageStatus", "ThreadRewriteError", "UnsavedMessagesError", "ZylonMemoryStore"]


class ZylonMemoryStore(ThreadKeyedStore, AsyncDBChatStore):
    """Zylon threads as the ``AsyncDBChatStore`` of LlamaIndex's ``Memory``: the key (the
    memory's ``session_id``) is a **thread id**.

    Configuration as for ``Zylon`` (``base_url``, ``api_token`` alias ``api_key``, ``org``,
    ``timeout``, ``max_retries``, ``verify``, with the ``ZYLON_*`` environment
    fallbacks), plus ``project_id`` for :meth:`get_keys` and :meth:`create_thread`
    (``ConfigurationError`` without it; it also reaches the threads of servers before
    Zylon 1.50) and ``page_size`` (items per page when reading).

    ```python
    from llama_index.core.memory import Memory
    from llama_index_zylon import Zylon, ZylonMemoryStore

    store = ZylonMemoryStore(project_id="proj_...")
    thread_id = store.create_thread("Support chat")
    memory = Memory.from_defaults(session_id=thread_id, chat_store=store)
    llm = Zylon(thread_id=thread_id)        # the same thread: the turns it runs are the memory
    ```

    What it keeps, and where (every read is ``GET /api/v1/app/thread/{id}/interaction``,
    every page, oldest first):

    * **Stored messages** are the thread's turns, rebuilt as in ``ZylonChatStore`` (user
      input → ``user`` / ``tool`` messages, answer → an ``assistant`` message with tool
      calls, thinking and citations; each carries ``additional_kwargs["thread_id"]`` and
      ``["interaction_id"]``). Zylon stores a turn **by running it**, so
      ``add_message(s)`` writes nothing: a message the thread already stored (an answer
      of ``Zylon(thread_id=key)``, a rebuilt message, an assistant message equal to the
      thread's latest answer) is recognised; a new user or tool message is kept
      **pending** in this object, after the stored ones, until the turn that sends it is
      added; an assistant message the thread did not produce raises
      :class:`~zylon_core.UnsavedMessagesError` (a ``ValueError``) and nothing changes.
      System messages are skipped (they go to ``system.text`` with every turn).
    * **Archived** messages: ``Memory`` archives the oldest messages when the
      conversation passes its token limit. The thread keeps them (Zylon still answers
      from the whole thread); which messages are archived is kept in this object, as a
      count of the oldest stored messages. A new store object starts with every stored
      message active, and ``Memory`` archives again as its limit requires. Pending
      messages are never archived (they are not stored yet).
    * ``get_messages(key, status, limit, offset)`` / ``count_messages(key, status)``:
      ``status`` ``ACTIVE`` (default), ``ARCHIVED`` or ``None`` (all), oldest first;
      ``offset`` and ``limit`` apply after the status filter.
    * ``set_messages(key, messages, status)``: ``messages`` must be the stored
      conversation followed by user/tool messages only (else ``ThreadRewriteError`` /
      ``UnsavedMessagesError``); with ``ACTIVE`` every message becomes active, with
      ``ARCHIVED`` the stored ones are archived and no new message may follow.
    * Deleting removes **whole turns** (``DELETE /api/v1/app/interaction/{id}``): a
      turn is one interaction holding a question and its answer, so deleting one of its
      messages deletes the others too. ``delete_messages(key, status)`` deletes the turns
      holding messages of that status (all of them for ``None``; the thread and its id
      stay), and drops the pending messages unless ``status`` is ``ARCHIVED``.
      ``delete_message(key, idx)`` takes a position in the whole conversation (archived,
      active, then pending; negative counts from the end) and returns that message.
      ``delete_oldest_messages(key, n)`` deletes the turns holding the ``n`` oldest
      active messages and returns every message removed (whole turns: it may be more
      than ``n``).
    * ``get_keys()``: the ids of every thread of ``project_id`` (every page).

    Adding with a status other than ``ACTIVE`` is a ``ValueError``: a new message is
    active until ``Memory`` archives it.
    """

    _archived: Dict[str, int] = PrivateAttr(default_factory=dict)

    @classmethod
    def class_name(cls) -> str:
        return "ZylonMemoryStore"

    # -- the conversation of a key ----------------------------------------------------

    async def _turns(self, key: str) -> List[StoredTurn]:
        self._pending_of(key)  # checks the key before any request
        return await self._arun(thread_turns(self._aclient.api, key, self.page_size, project_id=self.project_id))

    def _archived_count(self, key: str, stored: int) -> int:
        with self._lock:
            return min(self._archived.get(key, 0), stored)

    def _set_archived(self, key: str, count: int) -> None:
        with self._lock:
            self._archived[key] = max(count, 0)

    def _split(self, key: str, turns: Sequence[StoredTurn]) -> tuple[List[ChatMessage], List[ChatMessage], List[ChatMessage]]:
        """(archived, active stored, pending) messages of ``key``."""
        stored = thread_messages(turns, thread_id=key)
        archived = self._archived_count(key, len(stored))
        return stored[:archived], stored[archived:], self._pending_of(key).snapshot()

    async def _select(self, key: str, status: Optional[MessageStatus]) -> List[ChatMessage]:
        archived, active, pending = self._split(key, await self._turns(key))
        if status is None:
            return [*archived, *active, *pending]
        if MessageStatus(status) is MessageStatus.ARCHIVED:
            return archived
        return [*active, *pending]

    # -- reading ----------------------------------------------------------------------

    async def get_messages(
        self,
        key: str,
        status: Optional[MessageStatus] = MessageStatus.ACTIVE,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
    ) -> List[ChatMessage]:
        """The messages of thread ``key`` with ``status`` (None: all), oldest first."""
        messages = await self._select(key, status)
        start = offset or 0
        return messages[start:] if limit is None else messages[start : start + limit]

    async def count_messages(self, key: str, status: Optional[MessageStatus] = MessageStatus.ACTIVE) -> int:
        return len(await self._select(key, status))

    async def get_keys(self) -> List[str]:
        """Ids of every thread of ``project_id`` (``GET /api/v1/app/project/{id}/thread``)."""
        return await self._akeys()

    # -- adding -----------------------------------------------------------------------

    async def add_message(self, key: str, message: ChatMessage, status: MessageStatus = MessageStatus.ACTIVE) -> None:
        await self.add_messages(key, [message], status)

    async def add_messages(self, key: str, messages: List[ChatMessage], status: MessageStatus = MessageStatus.ACTIVE) -> None:
        """Apply the adding rules to ``messages``, all or nothing (no request is sent
        unless an assistant message must be compared with the thread's latest answer)."""
        if MessageStatus(status) is not MessageStatus.ACTIVE:
            raise ValueError(
                f"thread {key}: a message is added as active (got status={MessageStatus(status).value!r}); "
                "Memory archives the oldest ones itself (archive_oldest_messages)"
            )
        pending = self._pending_of(key)
        latest = None
        if pending.needs_latest_answer(messages):
            latest = await self._arun(latest_answer(self._aclient.api, key, self.page_size, project_id=self.project_id))
        pending.add(messages, latest)

    async def set_messages(self, key: str, messages: List[ChatMessage], status: MessageStatus = MessageStatus.ACTIVE) -> None:
        """Replace the history: the stored conversation, then only user/tool messages."""
        stored = thread_messages(await self._turns(key), thread_id=key)
        archive = MessageStatus(status) is MessageStatus.ARCHIVED
        if archive and len([m for m in messages if m.role != MessageRole.SYSTEM]) > len(stored):
            raise ValueError(f"thread {key}: only stored messages can be archived; a new message is added as active")
        self._pending_of(key).replace(stored, messages)
        self._set_archived(key, len(stored) if archive else 0)

    # -- archiving --------------------------------------------------------------------

    async def archive_oldest_messages(self, key: str, n: int) -> List[ChatMessage]:
        """Archive the ``n`` oldest active stored messages; returns them."""
        _, active, _ = self._split(key, await self._turns(key))
        moved = active[: max(n, 0)]
        with self._lock:
            self._archived[key] = self._archived.get(key, 0) + len(moved)
        return moved

    # -- deleting ---------------------------------------------------------------------

    async def delete_messages(self, key: str, status: Optional[MessageStatus] = None) -> None:
        """Delete the turns holding messages of ``status`` (None: every turn; the thread
        stays)."""
        pending = self._pending_of(key)
        if status is None:
            await self._arun(clear_thread(self._aclient.api, key, self.page_size, project_id=self.project_id))
            pending.clear()
            self._set_archived(key, 0)
            return
        archive = MessageStatus(status) is MessageStatus.ARCHIVED
        located = self._located(key, await self._turns(key))
        archived = self._archived_count(key, len(located))
        chosen = located[:archived] if archive else located[archived:]
        await self._delete_turns(key, located, _unique_turns(turn for _, turn in chosen))
        if not archive:
            pending.clear()

    async def delete_message(self, key: str, idx: int) -> Optional[ChatMessage]:
        """Delete the message at position ``idx`` of the whole conversation (a stored one
        with its turn); returns it, or None if there is no such position."""
        pending = self._pending_of(key)
        located = self._located(key, await self._turns(key))
        total = len(located) + len(pending.snapshot())
        position = idx + total if idx < 0 else idx
        if not 0 <= position < total:
            return None
        if position >= len(located):
            return pending.pop(position - len(located))
        message, turn = located[position]
        await self._delete_turns(key, located, [turn])
        return message

    async def delete_oldest_messages(self, key: str, n: int) -> List[ChatMessage]:
        """Delete the turns holding the ``n`` oldest active messages; returns every
        message removed, oldest first (pending ones among the ``n`` included)."""
        pending = self._pending_of(key)
        located = self._located(key, await self._turns(key))
        archived = self._archived_count(key, len(located))
        chosen = located[archived : archived + max(n, 0)]
        turns = _unique_turns(turn for _, turn in chosen)
        removed = await self._delete_turns(key, located, turns)
        for _ in range(min(max(n, 0) - len(chosen), len(pending.snapshot()))):
            removed.append(pending.pop(0))
        return removed

    def _located(self, key: str, turns: Sequence[StoredTurn]) -> List[tuple[ChatMessage, StoredTurn]]:
        """Every stored message of ``key`` with the turn holding it, oldest first."""
        return [(message, turn) for turn in turns for message in turn_messages(turn, thread_id=key)]

    async def _delete_turns(
        self, key: str, located: Sequence[tuple[ChatMessage, StoredTurn]], turns: Sequence[StoredTurn]
    ) -> List[ChatMessage]:
        """Delete ``turns``, keep the archived count on the same messages; returns the
        messages removed."""
        doomed = {turn.interaction_id for turn in turns}
        archived = self._archived_count(key, len(located))
        await self._arun(delete_turns(self._aclient.api, turns, project_id=self.project_id))
        self._set_archived(key, sum(1 for _, turn in located[:archived] if turn.interaction_id not in doomed))
        return [message for message, turn in located if turn.interaction_id in doomed]


def _unique_turns(turns: Any) -> List[StoredTurn]:
    seen: Dict[str, StoredTurn] = {}
    for turn in turns:
        seen.setdefault(turn.interaction_id, turn)
    return list(seen.values())
