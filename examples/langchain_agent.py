"""A LangChain agent over Zylon: real Python tools, a person approving the risky one.

Run it against your instance::

    export ZYLON_BASE_URL=https://zylon.example.com ZYLON_API_TOKEN=...
    python examples/langchain_agent.py

Without ``ZYLON_BASE_URL`` it starts the local Zylon emulator (a deterministic
stand-in, not a model) and runs against that.

``langchain.agents.create_agent`` builds the agent (a LangGraph graph). Its
``HumanInTheLoopMiddleware`` pauses before ``cancel_order`` runs; the pause is a LangGraph
interrupt, so the agent has a checkpointer and every conversation a ``thread_id``, and the
run goes on with ``Command(resume=...)``. ``ChatZylon`` here is not in thread mode: the
checkpointer keeps the conversation and each model call sends it whole (see
``thread_memory.py`` for a conversation kept in a Zylon thread).
"""

from __future__ import annotations

from typing import Any

from langchain.agents import create_agent
from langchain.agents.middleware import HumanInTheLoopMiddleware
from langchain_core.messages import AIMessage, AIMessageChunk, ToolMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from langchain_zylon import ChatZylon
from zylon_core.emulator.instance import zylon_instance

ORDERS = {"A-1001": "shipped on 2026-02-03", "A-1002": "waiting for payment"}


@tool
def order_status(order_id: str) -> str:
    """Look up the status of a customer order by its id, e.g. 'A-1001'."""
    status = ORDERS.get(order_id.strip().upper())
    return f"Order {order_id}: {status}." if status else f"Order {order_id} was not found."


@tool
def cancel_order(order_id: str) -> str:
    """Cancel a customer order by its id, e.g. 'A-1002'. Needs a person's approval."""
    if ORDERS.pop(order_id.strip().upper(), None) is None:
        return f"Order {order_id} was not found."
    return f"Order {order_id} is cancelled."


def build_agent() -> Any:
    return create_agent(
        ChatZylon(temperature=0),
        [order_status, cancel_order],
        system_prompt="You help customers with their orders. Use the tools.",
        middleware=[HumanInTheLoopMiddleware(interrupt_on={"cancel_order": {"allowed_decisions": ["approve", "reject"]}})],
        checkpointer=InMemorySaver(),  # an interrupt needs somewhere to wait
    )


def show(messages: list[Any]) -> None:
    for message in messages:
        if isinstance(message, AIMessage) and message.tool_calls:
            for call in message.tool_calls:
                print(f"Agent calls tool: {call['name']}({call['args']})")
        elif isinstance(message, ToolMessage):
            print(f"Tool returns: {message.text}")
        elif isinstance(message, AIMessage):
            print(f"Agent answers: {message.text}")


def ask(agent: Any, thread_id: str, question: str) -> dict[str, Any]:
    print(f"\nUser: {question}")
    result = agent.invoke({"messages": [("user", question)]}, {"configurable": {"thread_id": thread_id}})
    show(result["messages"][1:])
    return result


def review(agent: Any, thread_id: str, result: dict[str, Any], decision: dict[str, Any]) -> None:
    """Answer the agent's approval request with ``decision``; show what follows."""
    config = {"configurable": {"thread_id": thread_id}}
    for interrupt in result["__interrupt__"]:
        for action in interrupt.value["action_requests"]:
            print(f"Approval needed: {action['name']}({action['args']}) -> {decision['type']}")
    seen = len(agent.get_state(config).values["messages"])
    after = agent.invoke(Command(resume={"decisions": [decision]}), config)
    show(after["messages"][seen:])


def main() -> None:
    with zylon_instance():
        agent = build_agent()

        question = "What is the status of order 'A-1001'? Use the order_status tool."
        ask(agent, "order-status", question)

        print("\nThe same question, streamed token by token:")
        print("Agent: ", end="", flush=True)
        config = {"configurable": {"thread_id": "order-status-streamed"}}
        for chunk, _metadata in agent.stream({"messages": [("user", question)]}, config, stream_mode="messages"):
            if isinstance(chunk, AIMessageChunk):
                for call in chunk.tool_call_chunks:
                    if call.get("name"):
                        print(f"[calling {call['name']}] ", end="", flush=True)
                print(chunk.text, end="", flush=True)
        print()

        # Human in the loop: cancel_order waits for a decision.
        paused = ask(agent, "cancel-a1002", "Cancel order 'A-1002' with the cancel_order tool.")
        review(agent, "cancel-a1002", paused, {"type": "approve"})
        paused = ask(agent, "cancel-a1001", "Cancel order 'A-1001' with the cancel_order tool.")
        review(agent, "cancel-a1001", paused, {"type": "reject", "message": "Order A-1001 has already shipped."})
        print(f"\nOrders still open: {', '.join(sorted(ORDERS))}")


if __name__ == "__main__":
    main()
