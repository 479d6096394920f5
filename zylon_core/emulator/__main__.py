"""``zylon-emulator``: serve the local Zylon emulator (a stand-in, not a model)."""

from __future__ import annotations

import argparse
from typing import Sequence

from .options import STOP_REASON_STYLES, STREAM_SHAPES


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zylon-emulator",
        description=(
            "A local Zylon-compatible server for development and tests. It answers with a "
            "deterministic stand-in engine, not a model. No token is needed to start it; "
            "requests must still carry 'Authorization: Bearer <any token>' (and 'x-org' on "
            "Workspace routes)."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port to bind (default: 8765)")
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
    parser.add_argument("--token", default=None, help="accept only this API token (default: any non-empty token)")
    parser.add_argument("--log-level", default="info", help="uvicorn log level (default: info)")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    import uvicorn

    from .app import create_app

    app = create_app(
        stream_shape=args.stream_shape,
        ping=args.ping,
        stream_delay=args.stream_delay,
        always_processing=args.always_processing,
        stop_reason_style=args.stop_reason_style,
        model_name=args.model_name,
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
