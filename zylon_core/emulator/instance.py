"""``zylon_instance()``: the instance the examples talk to.

With ``ZYLON_BASE_URL`` set, that instance (and ``ZYLON_API_TOKEN``). Without it, a
local emulator on 127.0.0.1 for the duration of the block, with ``ZYLON_BASE_URL`` and
a placeholder ``ZYLON_API_TOKEN`` pointing at it, so code that reads the environment
(every class in this package) just works.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any, Iterator


@contextlib.contextmanager
def zylon_instance(**emulator_options: Any) -> Iterator[str]:
    """Yield the base URL in use (the real instance's, or a fresh emulator's).

    ``SystemExit`` with one line when ``ZYLON_BASE_URL`` is set without
    ``ZYLON_API_TOKEN`` (the examples would each fail on it with a traceback)."""
    if os.environ.get("ZYLON_BASE_URL"):
        if not os.environ.get("ZYLON_API_TOKEN", "").strip():
            raise SystemExit(
                f"ZYLON_BASE_URL is set ({os.environ['ZYLON_BASE_URL']}) but ZYLON_API_TOKEN is not: set it to a token "
                "of that instance, or unset ZYLON_BASE_URL to run against a local emulator"
            )
        print(f"Zylon instance: {os.environ['ZYLON_BASE_URL']}")
        yield os.environ["ZYLON_BASE_URL"]
        return
    from .testing import run_emulator

    placeholder_token = "ZYLON_API_TOKEN" not in os.environ
    with run_emulator(**emulator_options) as server:
        os.environ["ZYLON_BASE_URL"] = server.base_url
        if placeholder_token:
            os.environ["ZYLON_API_TOKEN"] = "emulator-token"
        print(f"ZYLON_BASE_URL is not set: using a local Zylon emulator (a stand-in, not a model) at {server.base_url}")
        try:
            yield server.base_url
        finally:
            del os.environ["ZYLON_BASE_URL"]
            if placeholder_token:
                del os.environ["ZYLON_API_TOKEN"]
