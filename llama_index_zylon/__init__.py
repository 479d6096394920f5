"""LlamaIndex integrations for Zylon private AI.

* :class:`Zylon` - a ``FunctionCallingLLM`` over the Zylon Workspace chat API.

Built on :mod:`zylon_core`; this package never imports LangChain.
"""

from zylon_core import ConfigurationError, ZylonError

from .llms import Zylon

__all__ = ["ConfigurationError", "Zylon", "ZylonError"]
