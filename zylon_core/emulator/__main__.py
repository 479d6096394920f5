"""``zylon-emulator``: serve the local Zylon emulator (a stand-in, not a model)."""

from __future__ import annotations

import argparse
import socket
from typing import Sequence

from .options import (
    DOWNLOADS,
    EMBEDDING_INDEXES,
    PAGINGS,
    PATHS,
    PROJECT_CHAT_SHAPES,
    SOURCE_KEYS,
    STOP_REASON_STYLES,
    STREAM_PROFILES,
    STREAM_SHAPES,
    TOKEN_KINDS,
    TOTAL_COUNTS,
)


def port_number(text: str) -> int:
    """A TCP port, 1 to 65535 (argparse turns the ValueError into a one-line usage error)."""
    port = int(text)
    if not 1 <= port <= 65535:
        raise ValueError(text)
    return port


port_number.__name__ = "port (1 to 65535)"  # argparse names the type in its message


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zylon-emulator",
        description=(
            "A local Zylon-compatible server for development and tests. It answers with a "
            "deterministic stand-in engine, not a model, and behaves as the real server does "
            "by default; the options imitate older servers and other tokens. No token is needed "
            "to start it; requests must still carry 'Authorization: Bearer <any token>' (and "
            "'x-org' on Workspace routes)."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=port_number, default=8765, help="port to bind (default: 8765)")
    parser.add_argument("--stream-profile", choices=STREAM_PROFILES, default="C", help="C: the scripted server's streams (usage, stop reason); A: the mock server's (no usage, empty delta)")
    parser.add_argument("--stream-shape", choices=STREAM_SHAPES, default="full", help="Workspace SSE shape")
    parser.add_argument("--ping", action="store_true", help="insert ping events in streams")
    parser.add_argument("--stream-delay", type=float, default=0.0, help="seconds between stream events")
    parser.add_argument(
        "--always-processing",
        action="store_true",
        help="create every interaction Processing (its answer comes through /interaction/{id}/stream)",
    )
    parser.add_argument("--stop-reason-style", choices=STOP_REASON_STYLES, default="anthropic")
    parser.add_argument("--model-name", default=None, help="model name reported in answers")
    parser.add_argument("--model-id", action="append", default=None, help="a model /v1/models lists (repeatable; default: emulator)")
    parser.add_argument("--image-input", action="store_true", help="models accept images (default: refused, like the real server)")
    parser.add_argument("--audio-input", action="store_true", help="models accept audio (default: refused)")
    parser.add_argument("--source-key", choices=SOURCE_KEYS, default="object", help="key tagging sources (object: the real server)")
    parser.add_argument("--paths", choices=PATHS, default="current", help="legacy: a server before Zylon 1.50 (interactions under /project/{id}/)")
    parser.add_argument("--token-kind", choices=TOKEN_KINDS, default="gateway", help="workspace: every /api/gpt route answers 401")
    parser.add_argument("--project-chat-shape", choices=PROJECT_CHAT_SHAPES, default="interaction")
    parser.add_argument("--paging", choices=PAGINGS, default="page", help="cursor: lists ignore page and page by cursor only")
    parser.add_argument("--total-count", choices=TOTAL_COUNTS, default="always", help="requested: total_count only with total_count=true")
    parser.add_argument("--download", choices=DOWNLOADS, default="text", help="artifact download answers the text or a URL to it")
    parser.add_argument("--embedding-index", choices=EMBEDDING_INDEXES, default="lookup", help="lookup: equal vectors repeat the first index")
    parser.add_argument("--token", default=None, help="accept only this API token (default: any non-empty token)")
    parser.add_argument("--log-level", default="info", help="uvicorn log level (default: info)")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:  # before printing where to point clients: a port in use is one line, not a banner then uvicorn's error
        socket.create_server((args.host, args.port)).close()
    except OSError as exc:
        parser.error(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    import uvicorn

    from .app import create_app

    app = create_app(
        stream_profile=args.stream_profile,
        stream_shape=args.stream_shape,
        ping=args.ping,
        stream_delay=args.stream_delay,
        always_processing=args.always_processing,
        stop_reason_style=args.stop_reason_style,
        model_name=args.model_name,
        model_ids=tuple(args.model_id or ("emulator",)),
        image_input=args.image_input,
        audio_input=args.audio_input,
        source_key=args.source_key,
        paths=args.paths,
        token_kind=args.token_kind,
        project_chat_shape=args.project_chat_shape,
        paging=args.paging,
        total_count=args.total_count,
        download=args.download,
        embedding_index=args.embedding_index,
        token=args.token,
    )
    print(
        f"Zylon emulator (a deterministic stand-in, not a model) on http://{args.host}:{args.port}\n"
        f"  export ZYLON_BASE_URL=http://{args.host}:{args.port} ZYLON_API_TOKEN=any-token",
        flush=True,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)


if __name__ == "__main__":
    main()
