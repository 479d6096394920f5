"""The main job: every example, against a real Zylon instance or a local emulator.

With ``ZYLON_BASE_URL`` (and ``ZYLON_API_TOKEN``) set, the examples talk to that
instance. Without it, a local Zylon emulator is started on 127.0.0.1 for the run (a
deterministic stand-in, not a model) and the examples talk to it.
"""

from __future__ import annotations

import contextlib
import os
import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Each framework's examples; those not written yet are skipped with a note.
EXAMPLES = [
    "langchain_chain.py",
    "langchain_agent.py",
    "llama_index_chat.py",
    "rag_agent.py",
]


@contextlib.contextmanager
def zylon_instance():
    if os.environ.get("ZYLON_BASE_URL"):
        print(f"Using the Zylon instance at {os.environ['ZYLON_BASE_URL']}")
        yield
        return
    from zylon_core.emulator.testing import run_emulator

    with run_emulator() as server:
        os.environ["ZYLON_BASE_URL"] = server.base_url
        os.environ.setdefault("ZYLON_API_TOKEN", "emulator-token")
        print(f"ZYLON_BASE_URL is not set: started the local Zylon emulator at {server.base_url}")
        try:
            yield
        finally:
            del os.environ["ZYLON_BASE_URL"]


def main() -> int:
    with zylon_instance():
        for name in EXAMPLES:
            path = HERE / name
            if not path.exists():
                print(f"\n(skipping {name}: not present)")
                continue
            print(f"\n===== {name} =====")
            runpy.run_path(str(path), run_name="__main__")
    print("\nAll examples finished.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
