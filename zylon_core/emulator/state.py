"""The emulator's in-memory store: projects, threads, interactions, artifacts, collections.

Everything lives in plain dicts owned by one :class:`EmulatorState` (one per app). All
mutations happen on the server's event loop; tests may read the state from another
thread. Ids are deterministic (a counter hashed into a realistic-looking id).

Search: every ingested document is split into chunks (paragraphs, then windows of at
most ``chunk_words`` words). A chunk's relevance to a query is the cosine similarity of
their term-count vectors after dropping stop words: deterministic, in [0, 1], and 0 when
they share no content word.

Where a Workspace project's documents live in ZylonGPT is not documented. The emulator
puts them in the collection named after the project id (a convenience of the emulator,
nothing a client should rely on) and, like the real server is said to, gives their chunks
``project_id`` and ``org_id`` metadata, so a ZylonGPT ``metadata_filter`` on
``project_id`` finds a project's documents in any collection.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable

STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers herself him himself his how i if in into is it its itself
    just me more most my myself no nor not now of off on once only or other our ours ourselves out
    over own same she should so some such than that the their theirs them themselves then there
    these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself yourselves tell give show please
    el la los las de del y en un una que es por con para""".split()
)

_TERM = re.compile(r"\w+", re.UNICODE)


def terms(text: str) -> list[str]:
    return [t for t in _TERM.findall(text.lower()) if t not in STOP_WORDS]


def term_vector(text: str) -> Counter[str]:
    return Counter(terms(text))


def cosine(a: Counter[str], b: Counter[str]) -> float:
    if not a or not b:
        return 0.0
    dot = sum(count * b.get(term, 0) for term, count in a.items())
    if not dot:
        return 0.0
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return round(min(1.0, dot / norm), 6)


def chunk_text(text: str, max_words: int) -> list[str]:
    """Paragraphs (blank-line separated), long ones cut into ``max_words`` windows."""
    chunks: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        words = paragraph.split()
        for start in range(0, len(words), max_words):
            chunks.append(" ".join(words[start : start + max_words]))
    return chunks


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_micro() -> str:
    """An ISO timestamp with microseconds, as ZylonGPT writes them (``...:54.350174Z``)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def epoch(stamp: str) -> float:
    """An ISO ``...Z`` timestamp as epoch seconds (the older Workspace's numeric dates)."""
    return datetime.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).timestamp()


@dataclass
class Chunk:
    id: str  # a UUID, like the real server's node ids
    index: int
    text: str
    vector: Counter[str]
    shorter_id: str  # the 4-character citation identifier (``IK79``)


_SHORT_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def shorter_id(chunk_id: str) -> str:
    """A chunk's 4-character citation identifier, derived from its id."""
    number = int(hashlib.sha1(chunk_id.encode()).hexdigest(), 16)
    chars = []
    for _ in range(4):
        number, digit = divmod(number, len(_SHORT_ALPHABET))
        chars.append(_SHORT_ALPHABET[digit])
    return "".join(chars)


def stable_uuid(seed: str) -> str:
    """A UUID-shaped id derived from ``seed`` (deterministic)."""
    digest = hashlib.sha1(seed.encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-8{digest[17:20]}-{digest[20:32]}"


OPERATORS = ("==", "!=", ">", "<", ">=", "<=", "in", "nin")


def _comparable(left: Any, right: Any) -> tuple[Any, Any]:
    if isinstance(left, (int, float)) and not isinstance(left, bool) and isinstance(right, str):
        try:
            return left, float(right)
        except ValueError:
            return str(left), right
    return left, right


def metadata_matches(metadata: dict[str, Any], filters: Iterable[dict[str, Any]]) -> bool:
    """Whether ``metadata`` passes every ``{key, operator, value}`` filter (all must hold)."""
    for item in filters:
        key, operator, value = item.get("key"), item.get("operator", "=="), item.get("value")
        if key not in metadata:
            return False
        actual = metadata[key]
        if operator in ("in", "nin"):
            options = value if isinstance(value, list) else [v.strip() for v in str(value).split(",")]
            found = any(_comparable(actual, option)[0] == _comparable(actual, option)[1] for option in options)
            if found != (operator == "in"):
                return False
            continue
        left, right = _comparable(actual, value)
        try:
            ok = {
                "==": left == right,
                "!=": left != right,
                ">": left > right,
                "<": left < right,
                ">=": left >= right,
                "<=": left <= right,
            }[str(operator)]
        except (TypeError, KeyError):
            return False
        if not ok:
            return False
    return True


@dataclass
class Document:
    """An ingested text, searchable in one collection."""

    artifact: str
    collection: str
    text: str
    metadata: dict[str, Any]
    chunks: list[Chunk]
    name: str = ""


@dataclass
class Hit:
    """One search result (a chunk and its neighbours)."""

    chunk_id: str
    score: float
    text: str
    artifact_id: str
    collection: str
    name: str
    doc_metadata: dict[str, Any]
    previous: list[str]
    next: list[str]
    shorter_id: str = ""
    abs_idx: int = 0
    rel_idx: int = 0

    @property
    def file_name(self) -> str:
        return str(self.doc_metadata.get("file_name") or self.name)


@dataclass
class Project:
    id: str
    data: dict[str, Any]
    org: str = "default"


@dataclass
class Thread:
    id: str
    project_id: str
    name: str
    visibility: str
    created_at: str
    interactions: list[str] = field(default_factory=list)

    def to_json(self, state: str = "Active", numeric_dates: bool = False) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "visibility": self.visibility,
            "state": state,
            "project_id": self.project_id,
            "created_at": epoch(self.created_at) if numeric_dates else self.created_at,
        }


@dataclass
class InteractionRecord:
    id: str
    thread_id: str | None  # None: a project chat (no thread)
    project_id: str
    created_at: str
    messages: list[dict[str, Any]]  # the new turn as sent (pgpt.messages, wire form)
    user_input: dict[str, Any]
    artifact_ids: list[str] | None
    all_artifacts: bool | None
    state: str = "Processing"
    assistant_output: dict[str, Any] | None = None
    pending_output: dict[str, Any] | None = None  # the answer a stream will deliver
    pending_pieces: dict[int, list[str]] = field(default_factory=dict)
    cancel_requested: bool = False
    streams: int = 0  # streams currently delivering the pending answer
    sent_count: int = 0  # events of the pending answer written so far (by any stream)
    created: float = field(default_factory=time.time)

    def to_json(self, numeric_dates: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "project_id": self.project_id}
        if self.thread_id is not None:
            body["thread_id"] = self.thread_id
        body.update({
            "state": self.state,
            "user_input": self.user_input,
            "created_at": epoch(self.created_at) if numeric_dates else self.created_at,
        })
        if self.artifact_ids is not None:
            body["artifact_ids"] = self.artifact_ids
        if self.all_artifacts is not None:
            body["all_artifacts"] = self.all_artifacts
        if self.assistant_output is not None:
            body["assistant_output"] = self.assistant_output
        return body


@dataclass
class Artifact:
    id: str
    project_id: str
    data: dict[str, Any]  # the ArtifactDTO fields
    content: str | None = None
    private_props: dict[str, Any] | None = None
    reads_left: int = 0  # reads before a pending ingestion completes (option ingest_reads)
    file: bytes | None = None  # the uploaded bytes (``fileData``), for downloads

    @property
    def searchable(self) -> bool:
        return (
            self.content is not None
            and self.data.get("type") in ("Document", "InlineText")
            and self.data.get("ingest_status") == "Done"
        )


class EmulatorState:
    """Everything the emulator remembers, plus the log of requests it received."""

    def __init__(self, chunk_words: int = 80) -> None:
        self.chunk_words = chunk_words
        self.requests: list[dict[str, Any]] = []
        self._counter = itertools.count(1)
        self._ingests = 0
        self.started = time.monotonic()
        self.reset()

    def reset(self) -> None:
        """Forget every resource (the request log is kept; see ``requests.clear()``)."""
        self.projects: dict[str, Project] = {}
        self.threads: dict[str, Thread] = {}
        self.interactions: dict[str, InteractionRecord] = {}
        self.artifacts: dict[str, Artifact] = {}
        # collection -> artifact id -> document
        self.collections: dict[str, dict[str, Document]] = {}
        # ZylonGPT async messages: message_id -> record
        self.async_messages: dict[str, AsyncMessage] = {}

    def new_id(self, prefix: str, length: int = 16) -> str:
        number = next(self._counter)
        digest = hashlib.sha1(f"{prefix}:{number}".encode()).hexdigest()[:length]
        return f"{prefix}_{digest}"

    # -- documents and search --------------------------------------------------------------

    def ingest(self, collection: str, artifact: str, text: str, metadata: dict[str, Any] | None = None, name: str = "") -> Document:
        pieces = chunk_text(text, self.chunk_words)
        self._ingests += 1  # re-ingesting gives new chunk ids, as on the real server
        chunks = []
        for index, piece in enumerate(pieces):
            chunk_id = stable_uuid(f"{collection}/{artifact}/{self._ingests}/{index}")
            chunks.append(Chunk(chunk_id, index, piece, term_vector(piece), shorter_id(chunk_id)))
        meta = {"file_name": name or artifact, **(metadata or {}), "artifact_id": artifact, "collection": collection}
        document = Document(artifact, collection, text, meta, chunks, name or str(meta.get("file_name") or artifact))
        self.collections.setdefault(collection, {})[artifact] = document
        return document

    def has_artifact(self, artifact: str, collections: Iterable[str] | None = None) -> bool:
        names = list(self.collections) if collections is None else list(collections)
        return any(artifact in self.collections.get(name, {}) for name in names)

    def remove_document(self, collection: str, artifact: str) -> bool:
        docs = self.collections.get(collection)
        if docs is None or artifact not in docs:
            return False
        del docs[artifact]
        return True

    def search(
        self,
        query: str,
        *,
        collections: Iterable[str] | None = None,
        artifacts: Iterable[str] | None = None,
        limit: int = 10,
        score_threshold: float = 0.0,
        expand: bool = False,
        positive_only: bool = False,
        metadata_filter: Iterable[dict[str, Any]] | None = None,
    ) -> list[Hit]:
        """Best chunks first (score, then document order). ``collections=None``: all."""
        filters = list(metadata_filter or ())
        wanted = set(artifacts) if artifacts is not None else None
        names = list(self.collections) if collections is None else [c for c in collections if c in self.collections]
        vector = term_vector(query)
        scored: list[tuple[float, int, Hit]] = []
        order = 0
        for name in names:
            for document in self.collections[name].values():
                if wanted is not None and document.artifact not in wanted:
                    continue
                if filters and not metadata_matches(document.metadata, filters):
                    continue
                for chunk in document.chunks:
                    score = cosine(vector, chunk.vector)
                    order += 1
                    if score < score_threshold or (positive_only and score <= 0):
                        continue
                    before = [c.text for c in document.chunks[max(0, chunk.index - 1) : chunk.index]] if expand else []
                    after = [c.text for c in document.chunks[chunk.index + 1 : chunk.index + 2]] if expand else []
                    hit = Hit(
                        chunk.id, score, chunk.text, document.artifact, name, document.name,
                        dict(document.metadata), before, after, chunk.shorter_id, chunk.index, 0,
                    )
                    scored.append((-score, order, hit))
        scored.sort(key=lambda item: (item[0], item[1]))
        return [hit for _, _, hit in scored[:limit]]

    # -- Workspace helpers -------------------------------------------------------------------

    def project_artifacts(self, project_id: str) -> list[Artifact]:
        return [a for a in self.artifacts.values() if a.project_id == project_id]

    def delete_project(self, project_id: str) -> None:
        self.projects.pop(project_id, None)
        for thread in [t for t in self.threads.values() if t.project_id == project_id]:
            self.delete_thread(thread.id)
        for artifact in self.project_artifacts(project_id):
            self.artifacts.pop(artifact.id, None)
        self.collections.pop(project_id, None)

    def delete_thread(self, thread_id: str) -> Thread | None:
        thread = self.threads.pop(thread_id, None)
        if thread is not None:
            for interaction_id in thread.interactions:
                self.interactions.pop(interaction_id, None)
        return thread

    def delete_interaction(self, interaction_id: str) -> InteractionRecord | None:
        record = self.interactions.pop(interaction_id, None)
        if record is not None:
            thread = self.threads.get(record.thread_id or "")
            if thread is not None and interaction_id in thread.interactions:
                thread.interactions.remove(interaction_id)
        return record

    def thread_history(self, thread_id: str, before: str | None = None) -> list[dict[str, Any]]:
        """The conversation so far: every earlier turn's messages and finished answers."""
        thread = self.threads.get(thread_id)
        history: list[dict[str, Any]] = []
        if thread is None:
            return history
        for interaction_id in thread.interactions:
            if interaction_id == before:
                break
            record = self.interactions.get(interaction_id)
            if record is None:
                continue
            history.extend(m for m in record.messages if m.get("role") != "system")
            if record.assistant_output is not None:
                history.append({"role": "assistant", "content": record.assistant_output.get("content") or []})
        return history


@dataclass
class AsyncMessage:
    """A ZylonGPT async message: its whole stream, replayable until deleted."""

    message_id: str
    events: list[dict[str, Any]]
    created_at: str
    message_count: int
    thinking: bool
    status: str = "completed"
    cancelled: bool = False
    error_message: str | None = None

    def status_json(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "status": self.status,
            "created_at": self.created_at,
            "updated_at": self.created_at,
            "completed_at": self.created_at if self.status in ("completed", "cancelled") else None,
            "error_message": self.error_message,
            "stream_type": "chat_completion",
            "metadata": {"message_count": self.message_count, "thinking_enabled": self.thinking},
        }
