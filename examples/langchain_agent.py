"""A LangGraph agent over Zylon that calls a real Python tool.

Run it against your instance::

    export ZYLON_BASE_URL=https://zylon.example.com ZYLON_API_TOKEN=...
    python examples/langchain_agent.py

Without ``ZYLON_BASE_URL`` it starts the local Zylon emulator (a deterministic
stand-in, not a model) and runs against that.
"""

from __future__ import annotations

import warnings

from langchain_core.messages import AIMessage, AIMessageChunk, ToolMessage
from langchain_core.tools import tool

from langchain_zylon import ChatZylon
from zylon_core.emulator.instance import zylon_instance

ORDERS = {"A-1001": "shipped on 2026-02-03", "A-1002": "waiting for payment"}


@tool
def order_status(order_id: str) -> str:
    """Look up the status of a customer order by its id, e.g. 'A-1001'."""
    status = ORDERS.get(order_id.strip().upper())
    return f"Order {order_id}: {status}." if status else f"Order {order_id} was not found."


def build_agent():  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        # langgraph >= 1.0 points to langchain.agents.create_agent, which needs the
        # `langchain` package; the prebuilt agent works the same with ChatZylon.
        warnings.simplefilter("ignore")
        from langgraph.prebuilt import create_react_agent

        return create_react_agent(ChatZylon(temperature=0), [order_status])


def main() -> None:
    with zylon_instance():
        agent = build_agent()
        question = "What is the status of order 'A-1001'? Use the order_status tool."
        print(f"\nUser: {question}")

        result = agent.invoke({"messages": [("user", question)]})
        for message in result["messages"][1:]:
            if isinstance(message, AIMessage) and message.tool_calls:
                for call in message.tool_calls:
                    print(f"Agent calls tool: {call['name']}({call['args']})")
            elif isinstance(message, ToolMessage):
                print(f"Tool returns: {message.text}")
            elif isinstance(message, AIMessage):
                print(f"Agent answers: {message.text}")

        print("\nThe same question, streamed token by token:")
        print("Agent: ", end="", flush=True)
        for chunk, _metadata in agent.stream({"messages": [("user", question)]}, stream_mode="messages"):
            if isinstance(chunk, AIMessageChunk):
                for call in chunk.tool_call_chunks:
                    if call.get("name"):
                        print(f"[calling {call['name']}] ", end="", flush=True)
                print(chunk.text, end="", flush=True)
        print()


if __name__ == "__main__":
    main()
