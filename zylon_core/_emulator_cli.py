"""The ``zylon-emulator`` command: the emulator's CLI, or one line saying which extra to
install when its dependencies (starlette, uvicorn) are missing."""

from __future__ import annotations

import sys
from typing import Sequence

INSTALL = 'pip install "zylon-integrations[emulator]"'


def main(argv: Sequence[str] | None = None) -> None:
    try:
        from .emulator.__main__ import main as run
    except ModuleNotFoundError as exc:
        if exc.name not in ("starlette", "uvicorn") and not str(exc.name or "").startswith(("starlette.", "uvicorn.")):
            raise
        print(f"zylon-emulator needs the emulator extra ({exc.name} is not installed): {INSTALL}", file=sys.stderr)
        raise SystemExit(1) from None
    run(argv)
