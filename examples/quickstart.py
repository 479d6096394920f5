"""The main job: every example, against a real Zylon instance or a local emulator.

With ``ZYLON_BASE_URL`` (and ``ZYLON_API_TOKEN``) set, the examples talk to that
instance. Without it, a local Zylon emulator is started on 127.0.0.1 for the run (a
deterministic stand-in, not a model) and the examples talk to it.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from zylon_core.emulator.instance import zylon_instance

HERE = Path(__file__).resolve().parent

# Every example, in the order a new user would read them.
EXAMPLES = [
    "langchain_chain.py",
    "langchain_agent.py",
    "llama_index_chat.py",
    "thread_memory.py",
    "rag_agent.py",
    "vector_store.py",
    "zylongpt.py",
]


def main() -> int:
    with zylon_instance():
        for name in EXAMPLES:
            print(f"\n===== {name} =====")
            runpy.run_path(str(HERE / name), run_name="__main__")
    print("\nAll examples finished.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
