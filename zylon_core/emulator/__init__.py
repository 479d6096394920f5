"""A local Zylon-compatible server for development and tests: a stand-in, not a model.

It serves the Workspace API (``/api/v1/app``: chat, chat/validate, project chat,
projects, threads, interactions with create/get/list/delete/cancel/stream, artifacts,
search) and the ZylonGPT API (``/api/gpt/v1``: messages sync and SSE,
messages/validate, embeddings, chunk search, artifact ingestion) over one in-memory
state, validating requests with its own models of Zylon's published schemas
(:mod:`zylon_core.emulator.schemas`, which refuse unknown fields) and answering 400 with
every offending field named. It shares no code with the client it is used to check.

Answers come from a deterministic engine (:mod:`zylon_core.emulator.engine` documents
its rules): it echoes and remembers what the conversation said, calls tools with
arguments taken from the prompt, fills JSON schemas, quotes the project's artifacts with
sources, and emits thinking blocks; ``/deltas N`` streams exactly N text deltas for
benchmarks. It needs no model and no token to start.

Layout: :mod:`.app` (the Starlette app: recording, authentication, error envelope),
:mod:`.routes` (one module per resource), :mod:`.answers` (chat requests to engine answers
and SSE responses), :mod:`.engine` and :mod:`.schema_values` (the answer rules),
:mod:`.sse` (stream events), :mod:`.schemas` and :mod:`.validation` (request bodies),
:mod:`.state` (the in-memory store and its search).

* ``zylon-emulator --host 127.0.0.1 --port 8765`` (see ``--help`` for the options);
* :func:`create_app` for an in-process ASGI app (e.g. with ``httpx.ASGITransport``);
* :func:`zylon_core.emulator.testing.run_emulator` for a loopback server in tests.

Options (:class:`EmulatorOptions`): ``stream_shape`` (``full``/``minimal``), ``ping``,
``stream_delay``, ``always_processing``, ``stop_reason_style``
(``anthropic``/``workspace``), ``model_name``, ``token``, ``chunk_words``,
``ingest_reads``, ``embedding_dim``, ``max_page_size``.
"""

from .app import Emulator, create_app
from .options import EmulatorOptions

__all__ = ["Emulator", "EmulatorOptions", "create_app"]
