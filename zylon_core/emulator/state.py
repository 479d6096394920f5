"""The emulator's in-memory store: projects, threads, interactions, artifacts, collections.

Everything lives in plain dicts owned by one :class:`EmulatorState` (one per app). All
mutations happen on the server's event loop; tests may read the state from another
thread. Ids are deterministic (a counter hashed into a realistic-looking id).

Search: every ingested document is split into chunks (paragraphs, then windows of at
most ``chunk_words`` words). A chunk's relevance to a query is the cosine similarity of
their term-count vectors after dropping stop words: deterministic, in [0, 1], and 0 when
they share no content word. A Workspace project is a ZylonGPT collection whose name is
the project id, so artifacts created in a project are searchable both ways.
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


@dataclass
class Chunk:
    id: str
    index: int
    text: str
    vector: Counter[str]


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


@dataclass
class Project:
    id: str
    data: dict[str, Any]


@dataclass
class Thread:
    id: str
    project_id: str
    name: str
    visibility: str
    created_at: str
    interactions: list[str] = field(default_factory=list)

    def to_json(self, state: str = "Active") -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "visibility": self.visibility,
            "state": state,
            "project_id": self.project_id,
            "created_at": self.created_at,
        }


@dataclass
class InteractionRecord:
    id: str
    thread_id: str
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

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "project_id": self.project_id,
            "thread_id": self.thread_id,
            "state": self.state,
            "user_input": self.user_input,
            "created_at": self.created_at,
        }
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
        self.reset()

    def reset(self) -> None:
        """Forget every resource (the request log is kept; see ``requests.clear()``)."""
        self.projects: dict[str, Project] = {}
        self.threads: dict[str, Thread] = {}
        self.interactions: dict[str, InteractionRecord] = {}
        self.artifacts: dict[str, Artifact] = {}
        # collection -> artifact id -> document
        self.collections: dict[str, dict[str, Document]] = {}

    def new_id(self, prefix: str) -> str:
        number = next(self._counter)
        digest = hashlib.sha1(f"{prefix}:{number}".encode()).hexdigest()[:16]
        return f"{prefix}_{digest}"

    # -- documents and search --------------------------------------------------------------

    def ingest(self, collection: str, artifact: str, text: str, metadata: dict[str, Any] | None = None, name: str = "") -> Document:
        pieces = chunk_text(text, self.chunk_words)
        key = hashlib.sha1(f"{collection}/{artifact}".encode()).hexdigest()[:12]
        chunks = [
            Chunk(id=f"chunk_{key}_{index}", index=index, text=piece, vector=term_vector(piece))
            for index, piece in enumerate(pieces)
        ]
        meta = {"file_name": name or artifact, **(metadata or {}), "artifact_id": artifact, "collection": collection}
        document = Document(artifact, collection, text, meta, chunks, name or str(meta.get("file_name") or artifact))
        self.collections.setdefault(collection, {})[artifact] = document
        return document

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
    ) -> list[Hit]:
        """Best chunks first (score, then document order). ``collections=None``: all."""
        wanted = set(artifacts) if artifacts is not None else None
        names = list(self.collections) if collections is None else [c for c in collections if c in self.collections]
        vector = term_vector(query)
        scored: list[tuple[float, int, Hit]] = []
        order = 0
        for name in names:
            for document in self.collections[name].values():
                if wanted is not None and document.artifact not in wanted:
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
                        dict(document.metadata), before, after,
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
            thread = self.threads.get(record.thread_id)
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
