"""The suite's warning policy (pyproject.toml, ``filterwarnings``): a DeprecationWarning
raised from our own code fails the test; one raised from a dependency is only reported.
And tests.deprecations: a deprecated API used by a script a test runs (an example, a
README block) fails it, wherever the library's warning points."""

from __future__ import annotations

import runpy
import warnings
from pathlib import Path

import pytest

from tests.deprecations import no_deprecations_from

OURS = ["langchain_zylon.chat_models", "llama_index_zylon", "zylon_core._memory", "examples.thread_memory", "__main__"]
THEIRS = ["langchain_core.runnables.history", "llama_index.core.memory", "langchain_zylonish", "examples_extra"]


def deprecated_from(module: str) -> None:
    # As warnings.warn does for code in ``module`` (a fresh registry: never "already shown").
    warnings.warn_explicit("this API is deprecated", DeprecationWarning, f"{module}.py", 1, module=module, registry={})


@pytest.mark.parametrize("module", OURS)
def test_a_deprecation_from_our_code_is_an_error(module: str) -> None:
    with pytest.raises(DeprecationWarning, match="deprecated"):
        deprecated_from(module)


@pytest.mark.parametrize("module", THEIRS)
def test_a_deprecation_from_a_dependency_is_only_reported(module: str) -> None:
    with warnings.catch_warnings(record=True) as seen:  # keeps the configured filters
        deprecated_from(module)
    assert [str(w.message) for w in seen] == ["this API is deprecated"]


# A class deprecated by LangChain: its warning points one frame above the caller.
USES_A_DEPRECATED_CLASS = """
from langchain_core.chat_history import InMemoryChatMessageHistory
from langchain_core.runnables import RunnableLambda
from langchain_core.runnables.history import RunnableWithMessageHistory

RunnableWithMessageHistory(RunnableLambda(lambda x: x), lambda session_id: InMemoryChatMessageHistory())
"""


def test_a_script_run_by_exec_that_uses_a_deprecated_api_fails() -> None:
    with pytest.raises(AssertionError, match="RunnableWithMessageHistory is deprecated"):
        with no_deprecations_from(__file__, "README.md"):
            exec(compile(USES_A_DEPRECATED_CLASS, "README.md (a block)", "exec"), {"__name__": "__main__"})


def test_a_script_run_by_runpy_that_uses_a_deprecated_api_fails(tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(USES_A_DEPRECATED_CLASS, encoding="utf-8")
    with pytest.raises(AssertionError, match="RunnableWithMessageHistory is deprecated"):
        with no_deprecations_from(str(script)):
            runpy.run_path(str(script), run_name="__main__")


def test_a_dependency_deprecating_its_own_code_is_reported_not_failed() -> None:
    with warnings.catch_warnings(record=True) as reported:
        with no_deprecations_from(__file__):
            warnings.warn_explicit("old internals", DeprecationWarning, "/site-packages/lib/core.py", 3, module="lib.core")
    assert [str(w.message) for w in reported] == ["old internals"]
