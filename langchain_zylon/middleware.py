"""``ZylonThreadMiddleware``: a LangChain 1.x agent whose model calls run in the Zylon
thread named by the LangGraph ``thread_id``.

Needs the ``langchain`` package (``create_agent`` and its middleware) and langgraph
1.1 or later, which puts the run's ``thread_id`` on the runtime.
"""

from __future__ import annotations

from typing import Awaitable, Callable

try:
    from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the install
    raise ModuleNotFoundError(
        'langchain_zylon.middleware needs LangChain agents: pip install "langchain>=1.0"', name=exc.name
    ) from None

__all__ = ["ZylonThreadMiddleware"]


class ZylonThreadMiddleware(AgentMiddleware):
    """Run every model call of the agent in the Zylon thread whose id is the LangGraph
    ``thread_id`` of the run (``config={"configurable": {"thread_id": ...}}``).

    The checkpointer keeps the graph's state per ``thread_id``; Zylon keeps the
    conversation the model answered in the thread of the same id, and
    ``ChatZylon`` in thread mode sends only the new turn. A run without a ``thread_id``
    (no checkpointer, or no config) is a ``ValueError`` before any request.

    ```python
    from langchain.agents import create_agent
    from langgraph.checkpoint.memory import InMemorySaver
    from langchain_zylon import ChatZylon
    from langchain_zylon.middleware import ZylonThreadMiddleware

    agent = create_agent(ChatZylon(), tools, middleware=[ZylonThreadMiddleware()], checkpointer=InMemorySaver())
    agent.invoke({"messages": [("user", "hi")]}, {"configurable": {"thread_id": "thread_..."}})
    ```
    """

    def wrap_model_call(self, request: ModelRequest, handler: Callable[[ModelRequest], ModelResponse]) -> ModelResponse:
        return handler(_in_zylon_thread(request))

    async def awrap_model_call(
        self, request: ModelRequest, handler: Callable[[ModelRequest], Awaitable[ModelResponse]]
    ) -> ModelResponse:
        return await handler(_in_zylon_thread(request))


def _in_zylon_thread(request: ModelRequest) -> ModelRequest:
    info = getattr(request.runtime, "execution_info", None)  # langgraph >= 1.1
    thread_id = getattr(info, "thread_id", None)
    if not thread_id:
        raise ValueError(
            "ZylonThreadMiddleware: this run has no LangGraph thread_id; compile the agent with a checkpointer "
            "and pass config={'configurable': {'thread_id': <a Zylon thread id>}}"
        )
    return request.override(model_settings={**request.model_settings, "thread_id": thread_id})
