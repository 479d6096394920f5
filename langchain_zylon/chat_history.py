"""``ZylonChatMessageHistory``: a Zylon thread as LangChain chat message history."""

from __future__ import annotations

from typing import Any, Sequence

from langchain_core.chat_history import BaseChatMessageHistory
from langchain_core.messages import BaseMessage
from pydantic import SecretStr

from zylon_core import AsyncZylonClient, ZylonClient, ZylonSettings
from zylon_core.threads import (
    HISTORY_PAGE_SIZE,
    PendingTurn,
    Plan,
    ThreadPlans,
    UnsavedMessagesError,
    arun,
    run,
)

from ._codec.history import describe, mark_of, thread_messages
from ._errors import mapped_errors

__all__ = ["UnsavedMessagesError", "ZylonChatMessageHistory"]


class ZylonChatMessageHistory(BaseChatMessageHistory):
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
      stored: :class:`~zylon_core.threads.UnsavedMessagesError` (a ``ValueError``) names
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

    With ``RunnableWithMessageHistory`` the session id is the thread id, and the model
    takes its ``thread_id`` from the same config key::

        from langchain_core.runnables import ConfigurableField
        from langchain_core.runnables.history import RunnableWithMessageHistory

        llm = ChatZylon().configurable_fields(thread_id=ConfigurableField(id="session_id"))
        chat = RunnableWithMessageHistory(llm, lambda session_id: ZylonChatMessageHistory(session_id))
        chat.invoke("What is my name?", config={"configurable": {"session_id": history.thread_id}})
    """

    def __init__(
        self,
        thread_id: str,
        *,
        base_url: str | None = None,
        api_token: SecretStr | str | None = None,
        api_key: SecretStr | str | None = None,
        org: str | None = None,
        model: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        verify: Any = None,
        page_size: int = HISTORY_PAGE_SIZE,
    ) -> None:
        if not thread_id:
            raise ValueError("thread_id is required (ZylonChatMessageHistory.create(project_id=...) makes a new thread)")
        self.thread_id = thread_id
        self._settings = _resolve(
            base_url=base_url,
            api_token=api_token if api_token is not None else api_key,
            org=org,
            model=model,
            timeout=timeout,
            max_retries=max_retries,
            verify=verify,
        )
        self.base_url = self._settings.base_url
        self.api_token: SecretStr = self._settings.api_token
        self.org = self._settings.org
        self.model = self._settings.model
        self.timeout = self._settings.timeout
        self.max_retries = self._settings.max_retries
        self.page_size = page_size
        self._plans = ThreadPlans(self._settings, page_size=page_size)
        self._pending: PendingTurn[BaseMessage] = PendingTurn(thread_id, mark_of, describe)
        self._client: ZylonClient | None = None
        self._async_client: AsyncZylonClient | None = None

    # -- a new thread -----------------------------------------------------------------

    @classmethod
    def create(
        cls, project_id: str, name: str | None = None, *, visibility: str = "Private", **config: Any
    ) -> "ZylonChatMessageHistory":
        """Create a thread in ``project_id`` and return its (empty) history; the new id is
        ``history.thread_id``. ``config``: the constructor's keyword arguments."""
        settings = _resolve(**_settings_args(config))
        client = ZylonClient(settings)
        with mapped_errors():
            thread = run(client, ThreadPlans(settings).create_thread(project_id, name, visibility))
        history = cls(thread.id, **config)
        history._client = client
        return history

    @classmethod
    async def acreate(
        cls, project_id: str, name: str | None = None, *, visibility: str = "Private", **config: Any
    ) -> "ZylonChatMessageHistory":
        """Async :meth:`create`."""
        settings = _resolve(**_settings_args(config))
        client = AsyncZylonClient(settings)
        with mapped_errors():
            thread = await arun(client, ThreadPlans(settings).create_thread(project_id, name, visibility))
        history = cls(thread.id, **config)
        history._async_client = client
        return history

    # -- clients (made on first use) --------------------------------------------------

    def _run(self, plan: Plan[Any]) -> Any:
        if self._client is None:
            self._client = ZylonClient(self._settings)
        with mapped_errors():
            return run(self._client, plan)

    async def _arun(self, plan: Plan[Any]) -> Any:
        if self._async_client is None:
            self._async_client = AsyncZylonClient(self._settings)
        with mapped_errors():
            return await arun(self._async_client, plan)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    async def aclose(self) -> None:
        if self._async_client is not None:
            await self._async_client.aclose()

    # -- reading ----------------------------------------------------------------------

    @property
    def messages(self) -> list[BaseMessage]:  # type: ignore[override]
        """The stored conversation (every page), then the pending messages."""
        turns = self._run(self._plans.turns(self.thread_id))
        return [*thread_messages(turns, thread_id=self.thread_id, model_name=self.model), *self._pending.snapshot()]

    async def aget_messages(self) -> list[BaseMessage]:
        turns = await self._arun(self._plans.turns(self.thread_id))
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
        latest = self._run(self._plans.latest_answer(self.thread_id)) if self._pending.needs_latest_answer(messages) else None
        self._pending.add(messages, latest)

    async def aadd_messages(self, messages: Sequence[BaseMessage]) -> None:
        messages = list(messages)
        latest = None
        if self._pending.needs_latest_answer(messages):
            latest = await self._arun(self._plans.latest_answer(self.thread_id))
        self._pending.add(messages, latest)

    # -- clearing ---------------------------------------------------------------------

    def clear(self) -> None:
        """Delete every interaction of the thread (and the pending messages); the thread stays."""
        self._run(self._plans.clear(self.thread_id))
        self._pending.clear()

    async def aclear(self) -> None:
        await self._arun(self._plans.clear(self.thread_id))
        self._pending.clear()

    def delete_thread(self) -> None:
        """Delete the thread itself (with its interactions)."""
        self._run(self._plans.delete_thread(self.thread_id))
        self._pending.clear()

    async def adelete_thread(self) -> None:
        await self._arun(self._plans.delete_thread(self.thread_id))
        self._pending.clear()

    # -- display (no I/O: printing a history does not fetch it) ------------------------

    def __repr__(self) -> str:
        return f"{type(self).__name__}(thread_id={self.thread_id!r}, base_url={self.base_url!r}, org={self.org!r})"

    __str__ = __repr__


_SETTINGS_ARGS = ("base_url", "api_token", "api_key", "org", "model", "timeout", "max_retries", "verify")


def _settings_args(config: dict[str, Any]) -> dict[str, Any]:
    unknown = set(config) - {*_SETTINGS_ARGS, "page_size"}
    if unknown:
        raise TypeError(f"unexpected argument(s): {', '.join(sorted(unknown))}")
    args = {k: v for k, v in config.items() if k in _SETTINGS_ARGS and k != "api_key"}
    if args.get("api_token") is None and config.get("api_key") is not None:
        args["api_token"] = config["api_key"]
    return args


def _resolve(**values: Any) -> ZylonSettings:
    return ZylonSettings.resolve(**{k: v for k, v in values.items() if k != "api_key"})
