"""The parts :class:`~zylon_core._streaming.StreamAccumulator` builds an answer from: the
open blocks deltas append to, the checks that a decoded event's fields have the JSON
types the protocol gives them (a :class:`StreamError` naming the event otherwise), and
the rules for a tool's input and for text that split a UTF-16 surrogate pair.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from .errors import StreamError

SURROGATE = re.compile("[\ud800-\udfff]")

# Pieces kept as separate strings before they are appended to the block's one string.
_JOIN_EVERY = 256


@dataclass(slots=True)
class OpenBlock:
    block: dict[str, Any]
    parts: list[str] = field(default_factory=list)  # the latest text / thinking / partial JSON pieces
    held: str = ""  # text held back while it may be the start of a stop sequence
    joined: str = ""  # every earlier piece, as one string
    surrogate: str = ""  # the first half of a UTF-16 pair whose second half is in the next piece
    obj: dict[str, Any] | None = None  # a tool's latest complete input object (partial_json_obj)
    length: int = 0  # characters added so far (the length of text()): it only ever grows
    last: str = ""  # the piece added last (the very object)

    def add(self, piece: str) -> None:
        parts = self.parts
        parts.append(piece)
        self.length += len(piece)
        self.last = piece
        if len(parts) >= _JOIN_EVERY:
            self._join()

    def _join(self) -> None:
        # Thousands of small strings cost ~50 bytes each on top of their text, so they
        # are folded into one string every _JOIN_EVERY pieces. The attribute lets go of
        # the string first so that ``+=`` can grow it in place (CPython resizes a string
        # nothing else refers to) instead of copying it every time.
        joined, self.joined = self.joined, ""
        joined += "".join(self.parts)
        self.joined = joined
        self.parts.clear()

    def text(self) -> str:
        """Everything added so far (held-back text excluded), as one string."""
        if self.parts:
            self._join()
        return self.joined

    def take(self) -> str:
        """Everything added so far, removed from the block (which starts empty again)."""
        text = self.text()
        self.joined, self.length, self.last = "", 0, ""
        return text

    def paired(self, text: str) -> str:
        """``text`` with a held first half of a surrogate pair in front, and its own
        trailing first half held back (servers that count UTF-16 units split pairs)."""
        text, self.surrogate = self.surrogate + text, ""
        if text and "\ud800" <= text[-1] <= "\udbff":
            text, self.surrogate = text[:-1], text[-1]
        return no_lone_surrogates(text)


class BlockText:
    """The text one block's text deltas add up to, for an adapter that must hand it out
    whole later (LangChain's ``raw_text`` once citation markup turns up, the raw text a
    LlamaIndex message is decoded from), without a second copy of the answer when the
    stream's accumulator holds the same text.

    ``source`` is the accumulator's :class:`OpenBlock` the deltas come from
    (``TurnStream.source_block``), or None. While that block holds exactly what was
    added here, :meth:`text` is read from it. That is checked on every :meth:`add`: the
    block's length is this one's and the piece it took last is this very piece (a block
    only grows, so it then grew by this piece and nothing else; a block that replaces
    it is another object). From the first piece that did not come from it (deltas made
    from a whole answer, a synthetic block replacing it, a delta of another kind growing
    it), the text is kept here, its pieces folded into one string every ``_JOIN_EVERY``.
    """

    __slots__ = ("length", "_source", "_parts", "_joined")

    def __init__(self, source: OpenBlock | None = None) -> None:
        self.length = 0  # characters added
        self._source = source
        self._parts: list[str] = []
        self._joined = ""

    def add(self, piece: str) -> None:
        self.length += len(piece)
        source = self._source
        if source is not None:
            if source.length == self.length and source.last is piece:
                return
            # The block grew by something else: from here on the text is kept here,
            # starting with what the block held of it (a prefix: blocks only grow).
            self._joined = source.text()[: self.length - len(piece)]
            self._source = None
        parts = self._parts
        parts.append(piece)
        if len(parts) >= _JOIN_EVERY:
            self._join()

    def _join(self) -> None:
        joined, self._joined = self._joined, ""  # see OpenBlock._join
        joined += "".join(self._parts)
        self._joined = joined
        self._parts.clear()

    def text(self) -> str:
        """Everything added so far, as one string."""
        source = self._source
        if source is not None:
            text = source.text()
            return text if len(text) == self.length else text[: self.length]
        if self._parts:
            self._join()
        return self._joined


# -- checking what the server sent ---------------------------------------------------------


def malformed(event: Any, problem: str) -> StreamError:
    name = event.get("type") if isinstance(event, dict) else type(event).__name__
    shown = json.dumps(event, default=repr)[:200] if isinstance(event, dict) else repr(event)[:200]
    return StreamError(f"malformed Zylon stream event {name!r} ({problem}): {shown}")


def field_object(event: dict[str, Any], key: str, holder: dict[str, Any] | None = None) -> dict[str, Any]:
    """``holder[key]`` (``holder`` defaults to the event): an object, ``{}`` if absent or null."""
    value = (event if holder is None else holder).get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise malformed(event, f"{key!r} is a {type(value).__name__}, not an object")
    return value


def field_list(event: dict[str, Any], holder: dict[str, Any], key: str) -> list[Any]:
    value = holder.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise malformed(event, f"{key!r} is a {type(value).__name__}, not a list")
    return value


def field_text(event: dict[str, Any], holder: dict[str, Any], key: str) -> str:
    value = holder.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise malformed(event, f"{key!r} is a {type(value).__name__}, not a string")
    return value


def usage_of(event: dict[str, Any], usage: Any) -> dict[str, Any]:
    if usage is None:
        return {}
    if not isinstance(usage, dict):
        raise malformed(event, f"'usage' is a {type(usage).__name__}, not an object")
    return {k: v for k, v in usage.items() if v is not None}


def checked_block(event: dict[str, Any], block: Any) -> dict[str, Any]:
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        raise malformed(event, "a content block must be an object with a string 'type'")
    for text_key in ("text", "thinking"):
        if block.get("type") == text_key and not isinstance(block.get(text_key) or "", str):
            raise malformed(event, f"the {text_key} block's {text_key!r} is not a string")
    return block


def block_of(event: dict[str, Any], key: str) -> dict[str, Any]:
    return checked_block(event, event.get(key))


def extend(block: dict[str, Any], key: str, items: list[Any]) -> None:
    current = block.get(key)
    if not isinstance(current, list):
        block[key] = current = []
    current.extend(items)


def own(block: dict[str, Any]) -> dict[str, Any]:
    """A copy the accumulator may grow (its lists too), leaving the caller's event intact."""
    return {k: list(v) if isinstance(v, list) else v for k, v in block.items()}


def open_block(block: dict[str, Any]) -> OpenBlock:
    """An open block; text and thinking move into ``parts``, where deltas append."""
    kind = block.get("type")
    if kind in ("text", "thinking"):
        block = dict(block)
        initial = block.pop(kind, "") or ""
        return OpenBlock(block, [initial], length=len(initial), last=initial)
    return OpenBlock(block)


def no_lone_surrogates(text: str) -> str:
    """Surrogate pairs joined into their character; a lone half becomes U+FFFD."""
    if text.isascii() or not SURROGATE.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def tool_input(block: dict[str, Any], obj: dict[str, Any] | None, partial_json: str) -> dict[str, Any]:
    """The joined ``partial_json`` if there is any; else the latest object; else the
    start block's input (complete there for ``document_preprocessing``)."""
    if not partial_json.strip():
        return dict(obj if obj is not None else block.get("input") or {})
    try:
        value = json.loads(partial_json)
    except ValueError as exc:
        if obj is not None:
            return dict(obj)
        raise StreamError(
            f"{block.get('type')} {block.get('name')!r} arguments are not valid JSON: {partial_json[:200]!r}"
        ) from exc
    if not isinstance(value, dict):
        if obj is not None:
            return dict(obj)
        raise StreamError(f"{block.get('type')} {block.get('name')!r} arguments are not a JSON object")
    return value
