"""``ZylonChatMessageHistory``: a Zylon thread as LangChain chat message history."""

from __future__ import annotations

from typing import Any, ClassVar, Optional, Sequence

from langchain_core.chat_history import BaseChatMessageHistory
from langchain_core.messages import BaseMessage
from pydantic import ConfigDict, Field, PrivateAttr

from zylon_core import AsyncZylonClient, UnsavedMessagesError, ZylonClient
from zylon_core._connection import connection_settings
from zylon_core._memory import (
    HISTORY_PAGE_SIZE,
    PendingTurn,
    clear_thread,
    latest_answer,
    thread_create,
    thread_delete,
    thread_turns,
)
from zylon_core._plans import Plan
from zylon_core._request import check_call_arguments
from zylon_core.models.chat import ThreadVisibility

from ._codec.history import describe, mark_of, thread_messages
from ._config import ZylonConnection
from ._errors import mapped_errors

__all__ = ["UnsavedMessagesError", "ZylonChatMessageHistory"]


class ZylonChatMessageHistory(ZylonConnection, BaseChatMessageHistory):
    """The conversation of a Zylon thread, kept on the server.

    Setup: ``ZYLON_BASE_URL`` and ``ZYLON_API_TOKEN`` (or ``base_url`` / ``api_token``,
    alias ``api_key``; ``org``, ``timeout``, ``max_retries``, ``verify`` as for
    ``ChatZylon``). A missing setting is a ``ConfigurationError`` raised by the constructor.

    A Zylon thread stores a turn **by running it**: the chat model in thread mode
    (``ChatZylon(thread_id=...)``) sends the new turn, and the server stores the question
    with its answer. This history therefore:

    * ``messages`` / ``aget_messages()``: rebuilds the whole conversation from the
      thread's interactions, every page, in order: ``HumanMessage`` / ``ToolMessage`` for
      each user input, an ``AIMessage`` (tool calls, reasoning, sources) for each answer;
      then the pending messages (below). Each rebuilt message has a stable ``id``
      (``"<interaction id>:input"`` / ``":output"``) and ``response_metadata``
      ``thread_id`` and ``interaction_id``.
    * ``add_messages`` / ``aadd_messages``: a message the thread already stored is
      recognised and nothing is written: an answer ``ChatZylon`` produced in this thread
      (its ``response_metadata["thread_id"]``), any message rebuilt from the thread, or
      an ``AIMessage`` equal to the thread's latest answer. Such an answer also stores the
      human/tool messages before it. A human or tool message not stored yet is kept
      *pending* in this object (listed at the end of ``messages``, see
      ``pending_messages``) until the turn that sends it is added: the next
      ``ChatZylon(thread_id=...)`` call sends every message after the last answer. An
      ``AIMessage`` the thread did not produce (another model, another thread) cannot be
      stored: :class:`~zylon_core.UnsavedMessagesError` (a ``ValueError``) names
      it, and nothing changes. System messages are skipped (they go to ``system.text``
      with every turn). Pending messages live in this object only: a new process sees
      the stored conversation.
    * ``clear()`` / ``aclear()``: deletes every interaction of the thread (and the pending
      messages). The thread itself and its id stay, so the session goes on.
      ``delete_thread()`` removes the thread.

    ```python
    from langchain_zylon import ChatZylon, ZylonChatMessageHistory

    history = ZylonChatMessageHistory.create(project_id="proj_...", name="Support chat")
    llm = ChatZylon(thread_id=history.thread_id)
    answer = llm.invoke("My name is Ada.")      # stored in the thread by running it
    history.messages                            # [HumanMessage('My name is Ada.'), AIMessage(...)]
    ```

    In a LangGraph agent the checkpointer's ``thread_id`` can be the Zylon thread's id:
    ``langchain_zylon.middleware.ZylonThreadMiddleware`` runs the agent's model calls in
    that thread, and this history reads what Zylon kept. With the older (deprecated by
    LangChain) ``RunnableWithMessageHistory`` the session id is the thread id, and the
    model takes its ``thread_id`` from the same config key::

        from langchain_core.runnables import ConfigurableField
        from langchain_core.runnables.history import RunnableWithMessageHistory

        llm = ChatZylon().configurable_fields(thread_id=ConfigurableField(id="session_id"))
        chat = RunnableWithMessageHistory(llm, lambda session_id: ZylonChatMessageHistory(session_id))
        chat.invoke("What is my name?", config={"configurable": {"session_id": history.thread_id}})
    """

    model_config = ConfigDict(populate_by_name=True, protected_namespaces=(), extra="forbid")

    _model_field: ClassVar[Optional[str]] = "model"
    thread_id: str
    """The thread holding the conversation."""
    project_id: str | None = None
    """The thread's project: servers before Zylon 1.50 keep threads under it (set by ``create``)."""
    model: str | None = None
    """Model name put on rebuilt answers; env ``ZYLON_MODEL``, default ``"default"``."""
    page_size: int = Field(default=HISTORY_PAGE_SIZE, ge=1)
    """Interactions fetched per request when reading the thread."""

    _pending: PendingTurn[BaseMessage] = PrivateAttr()
    # BaseChatMessageHistory annotates ``messages``; here it is the property below, not a field.
    messages: ClassVar[Any]  # type: ignore[misc]

    def __init__(self, thread_id: str | None = None, **config: Any) -> None:
        if not thread_id:
            raise ValueError("thread_id is required (ZylonChatMessageHistory.create(project_id=...) makes a new thread)")
        super().__init__(**{**config, "thread_id": thread_id})
        self._pending = PendingTurn(thread_id, mark_of, describe)

    # -- a new thread -----------------------------------------------------------------

    @classmethod
    def create(
        cls, project_id: str, name: str | None = None, *, visibility: ThreadVisibility = "Private", **config: Any
    ) -> ZylonChatMessageHistory:
        """Create a thread in ``project_id`` and return its (empty) history; the new id is
        ``history.thread_id``. ``config``: the constructor's keyword arguments."""
        cls._check_config(config)
        with ZylonClient(connection_settings(config)) as client, mapped_errors():
            thread = client.run(thread_create(client.api, project_id, name, visibility))
        return cls(thread.id, project_id=project_id, **config)

    @classmethod
    async def acreate(
        cls, project_id: str, name: str | None = None, *, visibility: ThreadVisibility = "Private", **config: Any
    ) -> ZylonChatMessageHistory:
        """Async :meth:`create`."""
        cls._check_config(config)
        async with AsyncZylonClient(connection_settings(config)) as client:
            with mapped_errors():
                thread = await client.run(thread_create(client.api, project_id, name, visibility))
        return cls(thread.id, project_id=project_id, **config)

    @classmethod
    def _check_config(cls, config: dict[str, Any]) -> None:
        """Unknown arguments fail before the thread is created."""
        allowed = [name for name in cls.model_fields if name not in ("thread_id", "project_id")] + ["api_key"]
        check_call_arguments(config, allowed, f"{cls.__name__}.create")

    def _run(self, plan: Plan[Any]) -> Any:
        with mapped_errors():
            return self._client.run(plan)

    async def _arun(self, plan: Plan[Any]) -> Any:
        with mapped_errors():
            return await self._aclient.run(plan)

    # -- reading ----------------------------------------------------------------------

    @property  # type: ignore[no-redef]
    def messages(self) -> list[BaseMessage]:  # type: ignore[override]
        """The stored conversation (every page), then the pending messages."""
        turns = self._run(thread_turns(self._client.api, self.thread_id, self.page_size, project_id=self.project_id))
        return [*thread_messages(turns, thread_id=self.thread_id, model_name=self.model), *self._pending.snapshot()]

    async def aget_messages(self) -> list[BaseMessage]:
        turns = await self._arun(thread_turns(self._aclient.api, self.thread_id, self.page_size, project_id=self.project_id))
        return [*thread_messages(turns, thread_id=self.thread_id, model_name=self.model), *self._pending.snapshot()]

    @property
    def pending_messages(self) -> list[BaseMessage]:
        """Human/tool messages added here that no turn has stored in the thread yet."""
        return self._pending.snapshot()

    # -- adding -----------------------------------------------------------------------

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        """Recognise what the thread stored; keep new human/tool messages pending; raise
        :class:`UnsavedMessagesError` for an answer the thread did not produce."""
        messages = list(messages)
        latest = self._run(latest_answer(self._client.api, self.thread_id, self.page_size, project_id=self.project_id)) if self._pending.needs_latest_answer(messages) else None
        self._pending.add(messages, latest)

    async def aadd_messages(self, messages: Sequence[BaseMessage]) -> None:
        messages = list(messages)
        latest = None
        if self._pending.needs_latest_answer(messages):
            latest = await self._arun(latest_answer(self._aclient.api, self.thread_id, self.page_size, project_id=self.project_id))
        self._pending.add(messages, latest)

    # -- clearing ---------------------------------------------------------------------

    def clear(self) -> None:
        """Delete every interaction of the thread (and the pending messages); the thread stays."""
        self._run(clear_thread(self._client.api, self.thread_id, self.page_size, project_id=self.project_id))
        self._pending.clear()

    async def aclear(self) -> None:
        await self._arun(clear_thread(self._aclient.api, self.thread_id, self.page_size, project_id=self.project_id))
        self._pending.clear()

    def delete_thread(self) -> None:
        """Delete the thread itself (with its interactions)."""
        self._run(thread_delete(self._client.api, self.thread_id, self.project_id))
        self._pending.clear()

    async def adelete_thread(self) -> None:
        await self._arun(thread_delete(self._aclient.api, self.thread_id, self.project_id))
        self._pending.clear()

    # -- display (no I/O: printing a history does not fetch it) ------------------------

    def __repr__(self) -> str:
        return f"{type(self).__name__}(thread_id={self.thread_id!r}, base_url={self.base_url!r}, org={self.org!r})"

    __str__ = __repr__
