"""Threads as conversation memory, written once for both adapters and both clients.

A Zylon thread keeps its conversation on the server: each interaction stores the user
side of one turn (``user_input``) and the answer (``assistant_output``). Zylon stores a
turn **by running it**: there is no endpoint that appends a message without asking the
model. So memory classes built on a thread (``ZylonChatMessageHistory`` in LangChain,
``ZylonChatStore`` in LlamaIndex) follow one set of rules, kept here:

* **reading**: the conversation is every interaction of the thread, page after page, in
  the server's order (oldest first): its user input, then its answer (an interaction
  still ``Processing`` has no answer yet; a failed one keeps what it produced, if
  anything);
* **adding** (:class:`PendingTurn`): a message the thread already stored is recognised
  and nothing happens. That is any message carrying this thread's id (answers of
  ``ChatZylon`` / ``Zylon`` in thread mode, and messages rebuilt from the thread), or an
  answer whose text is the thread's latest stored answer. User-side messages (user text,
  tool results) not stored yet are kept *pending* in the memory object: they are
  listed after the stored conversation and are what the next turn run in the thread
  sends (an adapter in thread mode sends every message after the last answer); once the
  answer of that turn is added, they are stored and no longer pending. An answer the
  thread did not produce cannot be stored: :class:`UnsavedMessagesError` names it and
  nothing changes. System messages are never stored (instructions go to
  ``system.text`` with every turn).
* **clearing**: deletes every interaction of the thread; the thread (and its id) stays,
  so a conversation can go on in it.

Every operation that talks to the server is a plan (:mod:`._plans`), run by a client's
``run`` (sync) or ``arun`` (async), so the sync and async paths share every decision.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Generic, Iterable, Literal, Sequence, TypeVar

from ._api import DEFAULT_PAGE_SIZE, Endpoints, PageQuery
from ._citations import parse_citations
from ._operations import on_thread_route, paged
from ._plans import Plan
from .errors import NotFoundError, ThreadRewriteError, UnsavedMessagesError
from .models import Interaction, MessageInput, MessageOutput, Page, Thread
from .models.chat import ThreadVisibility

T = TypeVar("T")
M = TypeVar("M")

DEFAULT_THREAD_NAME = "New conversation"
HISTORY_PAGE_SIZE = DEFAULT_PAGE_SIZE
"""Items fetched per page when reading a thread or a project's threads (the resources'
default page size; the API's own default is 20)."""


# -- reading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredTurn:
    """One interaction of a thread, as conversation: the user side and the answer."""

    interaction: Interaction

    @property
    def interaction_id(self) -> str:
        return self.interaction.id

    @property
    def user_input(self) -> MessageInput | None:
        return self.interaction.user_input

    @property
    def answer(self) -> MessageOutput | None:
        """The stored answer; None while ``Processing`` or when it holds no content."""
        output = self.interaction.assistant_output
        if output is None or not output.content:
            return None
        return output

    @property
    def answer_text(self) -> str:
        answer = self.answer
        if answer is None:
            return ""
        # The clean text, as the adapters show it (citation markup removed).
        return "".join(parse_citations(b.text)[0] for b in answer.content if b.type == "text")


def stored_turns(interactions: Iterable[Interaction]) -> list[StoredTurn]:
    return [StoredTurn(i) for i in interactions if i.user_input is not None or i.assistant_output is not None]


# -- adding ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageMark:
    """What the pending-turn rules need to know about a framework message.

    ``thread_id`` / ``interaction_id``: set on answers a chat model produced in thread
    mode and on messages rebuilt from a thread. ``text``: the message's text, used to
    recognise an answer that lost those ids (e.g. rebuilt by a streaming chat engine).
    """

    role: Literal["system", "user", "assistant"]
    thread_id: str | None = None
    interaction_id: str | None = None
    text: str = ""


@dataclass
class PendingTurn(Generic[M]):
    """The user-side messages of a thread not stored yet (see the module docstring).

    Thread-safe: a memory object may be shared by several threads of a program.
    """

    thread_id: str
    mark: Callable[[M], MessageMark]
    describe: Callable[[M], str] = repr
    messages: list[M] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def snapshot(self) -> list[M]:
        with self._lock:
            return list(self.messages)

    def clear(self) -> list[M]:
        with self._lock:
            dropped, self.messages = self.messages, []
            return dropped

    def pop(self, index: int = -1) -> M:
        with self._lock:
            return self.messages.pop(index)

    def needs_latest_answer(self, incoming: Sequence[M]) -> bool:
        """Whether :meth:`add` must compare an answer with the thread's latest one."""
        for message in incoming:
            mark = self.mark(message)
            if mark.role == "assistant" and mark.thread_id is None:
                return True
        return False

    def add(self, incoming: Sequence[M], latest_answer: str | None = None) -> None:
        """Apply the adding rules to ``incoming`` (all or nothing).

        ``latest_answer``: the text of the thread's latest stored answer, needed only when
        :meth:`needs_latest_answer` says so.
        """
        with self._lock:
            pending = list(self.messages)
            unsaved: list[M] = []
            for message in incoming:
                mark = self.mark(message)
                if mark.role == "system":
                    continue
                if mark.thread_id == self.thread_id:
                    if mark.role == "assistant":
                        pending.clear()  # the turn that produced it sent (and stored) them
                    continue
                if mark.thread_id is not None:
                    unsaved.append(message)  # from another thread
                elif mark.role == "user":
                    pending.append(message)
                elif latest_answer is not None and mark.text.strip() and _comparable(mark.text) == _comparable(latest_answer):
                    pending.clear()
                else:
                    unsaved.append(message)
            if unsaved:
                raise UnsavedMessagesError(self.thread_id, unsaved, self.describe)
            self.messages = pending


    def replace(self, stored: Sequence[M], messages: Sequence[M]) -> None:
        """Replace the whole history (``set_messages``): ``messages`` must be the stored
        conversation (system messages aside; a message matches by its interaction id, or
        by role and text), then only user-side messages, which become the pending ones.
        """
        given = [m for m in messages if self.mark(m).role != "system"]
        kept = [m for m in stored if self.mark(m).role != "system"]
        for position, (old, new) in enumerate(zip(kept, given, strict=False)):  # given may be longer
            if not _same(self.mark(old), self.mark(new)):
                raise ThreadRewriteError(
                    f"thread {self.thread_id}: message {position} differs from the stored one "
                    f"({self.describe(new)} instead of {self.describe(old)}). {_APPEND_ONLY}"
                )
        if len(given) < len(kept):
            raise ThreadRewriteError(
                f"thread {self.thread_id}: the new history has {len(given)} message(s) but the thread "
                f"stores {len(kept)}; stored turns are not removed by replacing the history. {_APPEND_ONLY}"
            )
        tail = given[len(kept) :]
        unsaved = [m for m in tail if self.mark(m).role != "user"]
        if unsaved:
            raise UnsavedMessagesError(self.thread_id, unsaved, self.describe)
        with self._lock:
            self.messages = list(tail)


_APPEND_ONLY = (
    "A Zylon thread keeps its turns as they ran: a new history may only add user messages "
    "after them. Clearing deletes every turn; deleting one message deletes its whole turn."
)


def _same(stored: MessageMark, given: MessageMark) -> bool:
    if stored.role != given.role:
        return False
    if given.interaction_id is not None and stored.interaction_id is not None:
        return given.interaction_id == stored.interaction_id
    return _comparable(stored.text) == _comparable(given.text)


def _comparable(text: str) -> str:
    """``text`` as two copies of one answer compare equal: without citation markup and
    without whitespace (adapters show the text clean and join its text blocks with or
    without a newline; the server keeps the raw text)."""
    return "".join(parse_citations(text)[0].split())


# -- plans -----------------------------------------------------------------------------


def thread_create(api: Endpoints, project_id: str, name: str | None = None, visibility: ThreadVisibility = "Private") -> Plan[Thread]:
    thread = yield api.thread_create(project_id, name or DEFAULT_THREAD_NAME, visibility)
    return thread


def thread_delete(api: Endpoints, thread_id: str, project_id: str | None = None) -> Plan[None]:
    yield from on_thread_route(api, project_id, lambda legacy: api.thread_delete(thread_id, project_id, legacy=legacy))


def project_threads(api: Endpoints, project_id: str, page_size: int = HISTORY_PAGE_SIZE) -> Plan[list[Thread]]:
    """Every thread of a project, across pages."""
    return (yield from paged(lambda q: api.thread_page(project_id, q), page_size=page_size))


def thread_turns(
    api: Endpoints, thread_id: str, page_size: int = HISTORY_PAGE_SIZE, *, project_id: str | None = None
) -> Plan[list[StoredTurn]]:
    """Every turn of a thread, across pages, oldest first: asked with ``page_order=ASC``
    and sorted by ``created_at`` as well (a server that ignores the order still gives
    a conversation in order). ``project_id`` reaches threads of servers before Zylon
    1.50 (see :func:`._operations.on_thread_route`)."""

    def page(query: PageQuery) -> Plan[Page[Interaction]]:
        return on_thread_route(api, project_id, lambda legacy: api.interaction_page(thread_id, query, project_id, legacy=legacy))

    interactions = yield from paged(page, page_size=page_size, order="ASC")
    return stored_turns(chronological(interactions))


def chronological(interactions: Sequence[Interaction]) -> list[Interaction]:
    """``interactions`` sorted by ``created_at`` (ISO-8601 strings, or epoch numbers on
    older servers); the order given is kept when any of them has no readable time."""
    times = [_instant(getattr(i, "created_at", None)) for i in interactions]
    known = [t for t in times if t is not None]
    if len(known) != len(times):
        return list(interactions)
    return [interactions[n] for n in sorted(range(len(known)), key=known.__getitem__)]


_FRACTION = re.compile(r"\.(\d+)")


def _instant(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) / 1000.0 if value > 1e11 else float(value)  # milliseconds, or seconds
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    text = _FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], text, count=1)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def latest_answer(
    api: Endpoints, thread_id: str, page_size: int = HISTORY_PAGE_SIZE, *, project_id: str | None = None
) -> Plan[str | None]:
    """The text of the thread's latest stored answer (None if there is none)."""
    turns = yield from thread_turns(api, thread_id, page_size, project_id=project_id)
    for turn in reversed(turns):
        if turn.answer is not None:
            return turn.answer_text
    return None


def delete_turns(api: Endpoints, turns: Sequence[StoredTurn], *, project_id: str | None = None) -> Plan[None]:
    """Delete interactions; one already gone (404) is not an error."""
    for turn in turns:
        project = project_id or turn.interaction.project_id
        try:
            yield api.interaction_delete(turn.interaction_id, project)
        except NotFoundError:
            pass


def clear_thread(
    api: Endpoints, thread_id: str, page_size: int = HISTORY_PAGE_SIZE, *, project_id: str | None = None
) -> Plan[list[StoredTurn]]:
    """Delete every interaction of the thread (listed first, then deleted); the thread
    stays. Returns what was deleted."""
    turns = yield from thread_turns(api, thread_id, page_size, project_id=project_id)
    yield from delete_turns(api, turns, project_id=project_id)
    return turns
