"""The suite's warning policy (pyproject.toml, ``filterwarnings``): a DeprecationWarning
raised from our own code fails the test; one raised from a dependency is only reported."""

from __future__ import annotations

import warnings

import pytest

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
