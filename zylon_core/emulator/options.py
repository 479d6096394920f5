"""The emulator's options: one frozen dataclass, built from keyword arguments.

The defaults behave as the real server does (``zylon-api/README.md``, "What the real
server does"); the other values imitate older servers, other tokens or the published
documents where they disagree with the real server, so clients can be tested against both.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

STREAM_SHAPES = ("full", "minimal")
STOP_REASON_STYLES = ("anthropic", "workspace")
STREAM_PROFILES = ("C", "A")
PATHS = ("current", "legacy", "both")
TOKEN_KINDS = ("gateway", "workspace")
EMBEDDING_INDEXES = ("lookup", "position")
PAGINGS = ("page", "cursor")
TOTAL_COUNTS = ("always", "requested")
PROJECT_CHAT_SHAPES = ("interaction", "message", "sse")
DOWNLOADS = ("text", "url")
SOURCE_KEYS = ("object", "type")

_CHOICES = {
    "stream_shape": STREAM_SHAPES,
    "stop_reason_style": STOP_REASON_STYLES,
    "stream_profile": STREAM_PROFILES,
    "paths": PATHS,
    "token_kind": TOKEN_KINDS,
    "embedding_index": EMBEDDING_INDEXES,
    "paging": PAGINGS,
    "total_count": TOTAL_COUNTS,
    "project_chat_shape": PROJECT_CHAT_SHAPES,
    "download": DOWNLOADS,
    "source_key": SOURCE_KEYS,
}


@dataclass(frozen=True)
class EmulatorOptions:
    """How the emulator behaves. Every field has a default; unknown names are an error.

    Streams and answers:

    * ``stream_profile``: ``"C"`` (default; the captured scripted server:
      ``message_delta`` with ``delta.stop_reason`` and top-level ``usage``, tool inputs as
      two empty ``partial_json`` deltas carrying ``partial_json_obj`` then the whole JSON, the
      last text of a search answer without ``content_block_stop``) or ``"A"`` (the captured
      mock server: ``message_delta`` ``{"delta": {}, "usage": {}}``, null usage in
      ``/messages`` answers, a tool's final JSON after the text that follows it). Both keep
      ``message_start`` usage at zero, as the real server does.
    * ``stream_shape``: Workspace streams ``"full"`` (the ZylonGPT events, as the Workspace
      forwards them) or ``"minimal"`` (the Workspace docs' shape: key-less text deltas,
      ``content_block_synthetic`` for other blocks, no ``message_delta``).
    * ``ping``: insert ``ping`` events (after ``message_start`` and every 10 events).
    * ``stream_delay``: seconds slept between stream events (0: written at once).
    * ``always_processing``: every new interaction (and project chat) starts
      ``Processing``; its answer comes through ``GET /interaction/{id}/stream``.
    * ``stop_reason_style``: Workspace answers' stop reasons ``"anthropic"``
      (``end_turn``...) or ``"workspace"`` (``stop``, the Workspace schema's enum).
    * ``model_name``: the ``model`` reported in answers (default ``"default"`` on Workspace
      routes, ``"private-gpt"`` on ZylonGPT routes, like the real server).
    * ``model_ids``: the models ``/v1/models`` lists; ``"default"`` is accepted too.
    * ``image_input`` / ``audio_input``: whether the models take images / audio (default:
      no, like the captured servers: 400, or an ``error`` event in a stream).
    * ``source_key``: sources tagged ``"object": "context.chunk"`` (the real server) or
      ``"type"`` (the current Workspace document).

    Workspace:

    * ``paths``: ``"current"`` (threads and interactions under ``/thread/{id}`` and
      ``/interaction/{id}``), ``"legacy"`` (a server before Zylon 1.50: only under
      ``/project/{projectId}/...``, numeric ``created_at``; the new paths 404) or ``"both"``.
    * ``project_chat_shape``: project chat answers an interaction (``"interaction"``, the
      documented answer), a bare message (``"message"``) or, with ``pgpt.stream``, its SSE
      stream (``"sse"``).
    * ``paging``: lists page by ``page`` (and cursors) or only by cursor (``"cursor"``:
      ``page`` is ignored, ``after`` walks ``next_cursor``).
    * ``total_count``: ``"always"`` in list answers (the docs' examples) or only when
      ``total_count=true`` is asked (``"requested"``).
    * ``download``: ``/artifact/{id}/download`` answers the raw text (the docs) or a
      temporary URL to it (the OpenAPI description).
    * ``max_upload_bytes``: larger uploads are a 413 (the docs: 250 MB).
    * ``ingest_reads``: reads of a new document it stays ``Processing`` (0: at once).
    * ``chunk_words``: maximum words per artifact chunk (paragraphs are split first).
    * ``max_page_size``: the largest ``page_size`` a list endpoint accepts.

    Tokens and ZylonGPT:

    * ``token``: if set, the only bearer token / ``x-api-key`` accepted (default: any).
    * ``token_kind``: ``"gateway"`` (reaches both APIs) or ``"workspace"`` (a Workspace token,
      or one made before Zylon 1.54: every ``/api/gpt`` route answers 401).
    * ``embedding_index``: ``"lookup"`` (the real server: each vector's ``index`` is the
      first input with an equal vector, so equal texts repeat an index) or ``"position"``.
    * ``embedding_dim``: length of the hashed bag-of-words vectors.
    """

    stream_profile: str = "C"
    stream_shape: str = "full"
    ping: bool = False
    stream_delay: float = 0.0
    always_processing: bool = False
    stop_reason_style: str = "anthropic"
    model_name: str | None = None
    model_ids: tuple[str, ...] = ("emulator",)
    image_input: bool = False
    audio_input: bool = False
    source_key: str = "object"
    paths: str = "current"
    project_chat_shape: str = "interaction"
    paging: str = "page"
    total_count: str = "always"
    download: str = "text"
    max_upload_bytes: int = 250 * 1024 * 1024
    token: str | None = None
    token_kind: str = "gateway"
    embedding_index: str = "lookup"
    chunk_words: int = 80
    ingest_reads: int = 0
    embedding_dim: int = 64
    max_page_size: int = 100

    def __post_init__(self) -> None:
        for name, allowed in _CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        if self.stream_delay < 0:
            raise ValueError("stream_delay must be >= 0")
        if self.chunk_words < 1 or self.embedding_dim < 1 or self.max_page_size < 1 or self.max_upload_bytes < 1:
            raise ValueError("chunk_words, embedding_dim, max_page_size and max_upload_bytes must be >= 1")
        if self.ingest_reads < 0:
            raise ValueError("ingest_reads must be >= 0")
        if not self.model_ids:
            raise ValueError("model_ids must name at least one model")
        object.__setattr__(self, "model_ids", tuple(self.model_ids))

    @classmethod
    def build(cls, options: "EmulatorOptions | None" = None, **overrides: Any) -> "EmulatorOptions":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise TypeError(f"unknown emulator option(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        if options is None:
            return cls(**overrides)
        values = {f.name: getattr(options, f.name) for f in fields(cls)}
        values.update(overrides)
        return cls(**values)

    @property
    def gpt_model(self) -> str:
        """The ``model`` ZylonGPT answers report."""
        return self.model_name or "private-gpt"

    @property
    def models_available(self) -> str:
        """The set the unknown-model error prints (``{'default', 'mock'}`` on the real server)."""
        return "{" + ", ".join(repr(m) for m in sorted({"default", *self.model_ids})) + "}"
