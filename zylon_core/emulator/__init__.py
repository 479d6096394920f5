"""A local Zylon-compatible server for development and tests: a stand-in, not a model.

It serves the Workspace API (``/api/v1/app``: chat, chat/validate, project chat,
projects, threads, interactions with create/get/list/delete/cancel/stream, artifacts with
uploads, bulk operations, download and sync, search, ``/me``; ``/api/health``) and the
ZylonGPT API (``/api/gpt/v1``: messages sync, SSE and async, messages/validate,
count_tokens, models, embeddings, chunk search, artifact ingestion and content) over one
in-memory state. It shares no code with the client it is used to check.

By default it behaves as the real server does (``zylon-api/README.md``, "What the real
server does", and the captures): ZylonGPT bodies are validated by models shaped like the
server's own (:mod:`.gpt_schemas`), so a bad body gets the very 400 envelope the real
server sends; built-in tools and document inputs run as ``server_tool_use`` /
``server_tool_result``; citations are inline markup with integer indexes; sources are
``"object": "context.chunk"``; streams have the captured quirks (zero usage at the start,
usage in ``message_delta``, empty ``partial_json`` deltas, a search answer's last block
without ``content_block_stop``, ``error`` events without ``message_stop``). Workspace
validation answers 204, project chat answers an interaction, errors the (inferred) Kotlin
``{"type", "status", "message"}``. A Workspace request's ``pgpt`` is treated as ZylonGPT
would treat it, since the Workspace forwards it.

Answers come from a deterministic engine (:mod:`.engine` documents its rules, and
:mod:`.server_tools` what the server runs itself): it echoes and remembers what the
conversation said, calls tools with arguments taken from the prompt, fills JSON schemas,
quotes documents and artifacts with sources and citations, and emits signed thinking
blocks; ``/deltas N`` streams exactly N text deltas for benchmarks. It needs no model and
no token to start.

Layout: :mod:`.app` (the Starlette app: recording, authentication, error shapes),
:mod:`.routes` (one module per resource), :mod:`.answers` (chat requests to engine answers
and SSE responses), :mod:`.interactions`, :mod:`.engine`, :mod:`.server_tools` and
:mod:`.schema_values` (the answer rules), :mod:`.sse` (stream events),
:mod:`.gpt_schemas`, :mod:`.schemas` and :mod:`.validation` (request bodies),
:mod:`.errors`, :mod:`.state` (the in-memory store and its search).

* ``zylon-emulator --host 127.0.0.1 --port 8765`` (see ``--help`` for the options);
* :func:`create_app` for an in-process ASGI app (e.g. with ``httpx.ASGITransport``);
* :func:`zylon_core.emulator.testing.run_emulator` for a loopback server in tests.

Options (:class:`EmulatorOptions` documents each): ``stream_profile`` (``C``/``A``),
``stream_shape`` (``full``/``minimal``), ``ping``, ``stream_delay``,
``always_processing``, ``stop_reason_style``, ``model_name``, ``model_ids``,
``image_input``, ``audio_input``, ``source_key``, ``paths``
(``current``/``legacy``/``both``), ``project_chat_shape``, ``paging``, ``total_count``,
``download``, ``max_upload_bytes``, ``token``, ``token_kind`` (``gateway``/``workspace``),
``embedding_index``, ``chunk_words``, ``ingest_reads``, ``embedding_dim``,
``max_page_size``.
"""

try:
    import starlette  # noqa: F401
    import uvicorn  # noqa: F401
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the install
    raise ModuleNotFoundError(
        'the Zylon emulator needs its extra: pip install "zylon-integrations[emulator]"', name=exc.name
    ) from None

from .app import Emulator, create_app
from .options import EmulatorOptions

__all__ = ["Emulator", "EmulatorOptions", "create_app"]
