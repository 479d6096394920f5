"""The emulator's options: one frozen dataclass, built from keyword arguments."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

STREAM_SHAPES = ("full", "minimal")
STOP_REASON_STYLES = ("anthropic", "workspace")


@dataclass(frozen=True)
class EmulatorOptions:
    """How the emulator behaves. Every field has a default; unknown names are an error.

    * ``stream_shape``: ``"full"`` (``content_block_start``/``delta``/``stop`` with
      ``index`` and ``block_id``, ``message_delta`` with stop reason and usage) or
      ``"minimal"`` (the Workspace docs' shape: ``message_start``, key-less text deltas,
      ``content_block_synthetic`` for other blocks, ``message_stop``). Applies to
      Workspace streams; ZylonGPT ``/messages`` streams are always ``"full"``.
    * ``ping``: insert ``ping`` events (after ``message_start`` and every 10 events).
    * ``stream_delay``: seconds slept between stream events (0: the whole stream is
      written at once).
    * ``always_processing``: every new interaction starts ``Processing``, even without
      ``pgpt.stream`` (its answer is produced by ``GET /interaction/{id}/stream``).
    * ``stop_reason_style``: ``"anthropic"`` (``end_turn``/``tool_use``/``max_tokens``)
      or ``"workspace"`` (``stop``; the Workspace schema's enum) for Workspace answers.
      ZylonGPT answers always use the Anthropic vocabulary. ``cancelled`` is the same in
      both.
    * ``model_name``: the ``model`` reported in answers (default: ``"default"`` on
      Workspace routes, ``"private-gpt"`` on ZylonGPT routes, like the real server).
    * ``token``: if set, the only bearer token / ``x-api-key`` accepted (default: any
      non-empty token).
    * ``chunk_words``: maximum words per artifact chunk (paragraphs are split first).
    * ``ingest_reads``: how many reads of a new ``Document``/``InlineText`` artifact
      (``GET`` of it, or a list page holding it) it stays ``ingest_status: Processing``
      before it is ``Done`` and searchable (0: ingested at once). Deterministic, no
      clock: it lets tests exercise waiting for ingestion.
    * ``embedding_dim``: length of the hashed bag-of-words vectors of ``/embeddings``.
    * ``max_page_size``: the largest ``page_size`` a list endpoint accepts.
    """

    stream_shape: str = "full"
    ping: bool = False
    stream_delay: float = 0.0
    always_processing: bool = False
    stop_reason_style: str = "anthropic"
    model_name: str | None = None
    token: str | None = None
    chunk_words: int = 80
    ingest_reads: int = 0
    embedding_dim: int = 64
    max_page_size: int = 100

    def __post_init__(self) -> None:
        if self.stream_shape not in STREAM_SHAPES:
            raise ValueError(f"stream_shape must be one of {STREAM_SHAPES}, got {self.stream_shape!r}")
        if self.stop_reason_style not in STOP_REASON_STYLES:
            raise ValueError(
                f"stop_reason_style must be one of {STOP_REASON_STYLES}, got {self.stop_reason_style!r}"
            )
        if self.stream_delay < 0:
            raise ValueError("stream_delay must be >= 0")
        if self.chunk_words < 1 or self.embedding_dim < 1 or self.max_page_size < 1:
            raise ValueError("chunk_words, embedding_dim and max_page_size must be >= 1")
        if self.ingest_reads < 0:
            raise ValueError("ingest_reads must be >= 0")

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
