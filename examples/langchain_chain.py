"""A LangChain chain over Zylon: prompt | ChatZylon | StrOutputParser, streamed.

Run it against your instance::

    export ZYLON_BASE_URL=https://zylon.example.com ZYLON_API_TOKEN=...
    python examples/langchain_chain.py

Without ``ZYLON_BASE_URL`` it starts the local Zylon emulator (a deterministic
stand-in, not a model) and runs against that.
"""

from __future__ import annotations

from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from langchain_zylon import ChatZylon
from zylon_core.emulator.instance import zylon_instance


def main() -> None:
    with zylon_instance():
        llm = ChatZylon(temperature=0.2, max_tokens=200)  # settings from ZYLON_* variables
        prompt = ChatPromptTemplate.from_messages(
            [
                ("system", "You write short status updates for a support team."),
                ("human", "Write a one-sentence update about {topic}."),
            ]
        )
        chain = prompt | llm | StrOutputParser()

        topic = "closing the billing backlog"
        print(f"\nPrompt topic: {topic!r}")
        print("Streamed answer: ", end="", flush=True)
        pieces = 0
        for piece in chain.stream({"topic": topic}):
            print(piece, end="", flush=True)
            pieces += 1
        print(f"\n({pieces} streamed pieces)")

        answer = chain.invoke({"topic": "the new mobile login fix"})
        print(f"Invoked answer: {answer}")


if __name__ == "__main__":
    main()
