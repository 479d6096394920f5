"""Values for a JSON schema, taken from a prompt: tool inputs and JSON answers.

Deterministic, like the rest of the engine (:mod:`.engine`). A schema gets its required
properties, then optional scalar ones; integers/numbers take the numbers of the text in
order (``magic_function(3)`` → ``{"input": 3}``, ``Add 5 and 7`` → ``a=5, b=7``),
clamped to the schema's bounds; strings take quoted text first (``'你好'``), then a
place after "in/at/for" for location-like names, the text itself for query-like names,
a capitalised name for name-like ones, else ``"<name> about <topic>"``; booleans are
``true``; enums take the value the text mentions, else the first; arrays get one item
(or all remaining numbers); ``$ref``/``anyOf``/``allOf`` are followed.
"""

from __future__ import annotations

import re
from collections import deque
from typing import Any

from .state import STOP_WORDS

_NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "twenty": 20, "hundred": 100,
}
_DIGITS = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?!\w)")
_QUOTED = re.compile(r"(?<!\w)'([^'\n]+?)'(?!\w)|\"([^\"\n]+?)\"|“([^”\n]+?)”|‘([^’\n]+?)’|「([^」\n]+?)」")
_LOCATION = re.compile(r"\b(?:in|at|for|from|near)\s+([A-Z][\w.'-]*(?:(?:,\s*|\s+)[A-Z][\w.'-]*)*)")
_TOOL_PHRASE = re.compile(r"\s*\b(?:use|call|using|with)\s+(?:the|a|your)\s+(?:tools?|functions?)\b[.!]?", re.IGNORECASE)


class Values:
    """What a prompt offers to fill a schema with; numbers and quotes are used up in order."""

    def __init__(self, prompt: str) -> None:
        self.prompt = prompt
        found = [float(m.group(0)) for m in _DIGITS.finditer(prompt)]
        if not found:
            found = [float(_NUMBER_WORDS[w.lower()]) for w in re.findall(r"\b[a-zA-Z]+\b", prompt) if w.lower() in _NUMBER_WORDS]
        self.numbers: deque[float] = deque(found)
        self.quoted: deque[str] = deque(next(g for g in m.groups() if g) for m in _QUOTED.finditer(prompt))
        about = re.search(r"\babout\s+([^.?!,;\n]+)", prompt, re.IGNORECASE)
        if about:
            self.topic = " ".join(about.group(1).split()[:6])
        else:
            content = [w for w in re.findall(r"\w+", prompt) if w.lower() not in STOP_WORDS]
            self.topic = " ".join(content[:6])
        self.clean = _TOOL_PHRASE.sub("", prompt).strip() or prompt

    def number(self) -> float | None:
        return self.numbers.popleft() if self.numbers else None

    def location(self) -> str | None:
        match = _LOCATION.search(self.prompt)
        return match.group(1).rstrip(".,") if match else None

    def proper_noun(self) -> str | None:
        tokens = list(re.finditer(r"[\w'-]+", self.prompt))
        run: list[str] = []
        for position, token in enumerate(tokens):
            word = token.group(0)
            start_of_sentence = position == 0 or re.search(r"[.!?]\s*$", self.prompt[: token.start()])
            if word[:1].isupper() and word != "I" and not start_of_sentence:
                run.append(word)
            elif run:
                break
        return " ".join(run) or None


def unwrap_json_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """``response_format.json_schema`` may be the schema or ``{name, schema, strict}``."""
    inner = schema.get("schema")
    if isinstance(inner, dict) and ("name" in schema or "strict" in schema or "type" not in schema):
        return inner
    return schema


def _resolve(schema: Any, root: dict[str, Any]) -> Any:
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 20:
        ref = schema["$ref"]
        target: Any = root
        if not ref.startswith("#"):
            return {}
        for part in ref.lstrip("#/").split("/"):
            if not part:
                continue
            target = target.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(target, dict) else {}
        extra = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**target, **extra} if isinstance(target, dict) else target
        seen += 1
    return schema


def _schema_type(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), kind[0] if kind else None)
    if kind is None:
        if "properties" in schema:
            return "object"
        if "items" in schema:
            return "array"
    return kind


def _is_simple(schema: Any, root: dict[str, Any]) -> bool:
    schema = _resolve(schema, root)
    if not isinstance(schema, dict):
        return False
    if "enum" in schema or "const" in schema:
        return True
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [_resolve(o, root) for o in schema[key]]
            options = [o for o in options if isinstance(o, dict) and o.get("type") != "null"]
            return len(options) == 1 and _is_simple(options[0], root)
    return _schema_type(schema) in ("string", "integer", "number", "boolean")


def fill_schema(schema: Any, values: Values, *, root: dict[str, Any], name: str = "", depth: int = 0, top: bool = False) -> Any:
    schema = _resolve(schema, root)
    if not isinstance(schema, dict) or depth > 8:
        return None if not top else {}
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        options = schema["enum"]
        for option in options:
            if isinstance(option, str) and re.search(r"(?<!\w)" + re.escape(option) + r"(?!\w)", values.prompt, re.IGNORECASE):
                return option
        return options[0]
    for key in ("anyOf", "oneOf"):
        if key in schema and schema[key]:
            options = [_resolve(o, root) for o in schema[key]]
            chosen = next((o for o in options if isinstance(o, dict) and o.get("type") != "null"), options[0])
            combined = {**{k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}, **chosen}
            return fill_schema(combined, values, root=root, name=name, depth=depth + 1, top=top)
    if "allOf" in schema:
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema["allOf"]:
            part = _resolve(part, root)
            if isinstance(part, dict):
                merged.setdefault("properties", {}).update(part.get("properties", {}))
                merged["required"] = list(merged.get("required", [])) + list(part.get("required", []))
                for k, v in part.items():
                    if k not in ("properties", "required"):
                        merged.setdefault(k, v)
        return fill_schema(merged, values, root=root, name=name, depth=depth + 1, top=top)
    kind = _schema_type(schema)
    if top and kind is None:
        kind = "object"
    if kind == "object":
        return _fill_object(schema, values, root, depth)
    if kind == "array":
        return _fill_array(schema, values, root, name, depth)
    if kind in ("integer", "number"):
        return _fill_number(schema, values, integer=kind == "integer")
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _fill_string(schema, values, name)


def _fill_object(schema: dict[str, Any], values: Values, root: dict[str, Any], depth: int) -> dict[str, Any]:
    properties = schema.get("properties") or {}
    required = [r for r in schema.get("required") or [] if isinstance(r, str)]
    filled: dict[str, Any] = {}
    for key in required:
        filled[key] = fill_schema(properties.get(key, {"type": "string"}), values, root=root, name=key, depth=depth + 1)
    for key, sub in properties.items():
        if key not in filled and _is_simple(sub, root):
            filled[key] = fill_schema(sub, values, root=root, name=key, depth=depth + 1)
    ordered = {key: filled[key] for key in properties if key in filled}
    ordered.update({key: value for key, value in filled.items() if key not in ordered})
    return ordered


def _fill_array(schema: dict[str, Any], values: Values, root: dict[str, Any], name: str, depth: int) -> list[Any]:
    items = _resolve(schema.get("items") or {}, root)
    count = max(int(schema.get("minItems") or 1), 1)
    if isinstance(items, dict) and _schema_type(items) in ("integer", "number") and len(values.numbers) > count:
        count = len(values.numbers)
    if isinstance(items, dict) and _schema_type(items) in (None, "string") and not items.get("enum") and len(values.quoted) > count:
        count = len(values.quoted)
    if schema.get("maxItems") is not None:
        count = min(count, int(schema["maxItems"]))
    singular = name[:-1] if name.endswith("s") else name
    return [fill_schema(items, values, root=root, name=singular, depth=depth + 1) for _ in range(count)]


def _fill_number(schema: dict[str, Any], values: Values, *, integer: bool) -> int | float:
    value = values.number()
    if value is None:
        value = 0.0
    step = 1 if integer else 0.5
    if schema.get("minimum") is not None:
        value = max(value, float(schema["minimum"]))
    if schema.get("exclusiveMinimum") is not None and not isinstance(schema["exclusiveMinimum"], bool):
        if value <= float(schema["exclusiveMinimum"]):
            value = float(schema["exclusiveMinimum"]) + step
    if schema.get("maximum") is not None:
        value = min(value, float(schema["maximum"]))
    if schema.get("exclusiveMaximum") is not None and not isinstance(schema["exclusiveMaximum"], bool):
        if value >= float(schema["exclusiveMaximum"]):
            value = float(schema["exclusiveMaximum"]) - step
    if integer or float(value).is_integer():
        return int(round(value))
    return value


_FORMATS = {
    "date": "2024-01-01",
    "date-time": "2024-01-01T00:00:00Z",
    "time": "00:00:00",
    "email": "user@example.com",
    "uri": "https://example.com",
    "url": "https://example.com",
    "uuid": "00000000-0000-0000-0000-000000000000",
}


def _fill_string(schema: dict[str, Any], values: Values, name: str) -> str:
    value: str | None = _FORMATS.get(schema.get("format") or "")
    lowered = name.lower()
    hints = f"{lowered} {(schema.get('description') or '').lower()}"
    if value is None and values.quoted:
        value = values.quoted.popleft()
    if value is None and re.search(r"locat|city|place|country|address|where|region|town", hints):
        value = values.location()
    if value is None and re.search(r"quer|search|question|prompt|text|input|message|content|topic|subject|keyword", lowered):
        value = values.clean
    if value is None and re.search(r"name|person|who|author|customer|user", lowered):
        value = values.proper_noun()
    if value is None:
        label = " ".join(re.split(r"[_\W]+", name)).strip() or "value"
        value = f"{label} about {values.topic}" if values.topic else label
    min_length = schema.get("minLength")
    if isinstance(min_length, int) and len(value) < min_length:
        value = value + "x" * (min_length - len(value))
    max_length = schema.get("maxLength")
    if isinstance(max_length, int) and len(value) > max_length:
        value = value[:max_length]
    return value
