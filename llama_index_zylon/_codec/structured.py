"""Structured output from a JSON answer (pure): the whole object, and partial objects
while the JSON streams in."""

from __future__ import annotations

import re
from typing import Any, Type

from llama_index.core.llms.utils import parse_partial_json
from llama_index.core.types import Model

_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


def parse_structured(text: str, output_cls: Type[Model]) -> Model:
    """``output_cls`` from the model's JSON answer (a ```json fence is tolerated)."""
    match = _FENCE.match(text)
    candidate = match.group(1) if match else text.strip()
    try:
        return output_cls.model_validate_json(candidate)
    except ValueError as first_error:
        start, end = candidate.find("{"), candidate.rfind("}")
        if 0 <= start < end:
            try:
                return output_cls.model_validate_json(candidate[start : end + 1])
            except ValueError:
                pass
        raise ValueError(
            f"Zylon's answer is not a valid {output_cls.__name__}: {first_error}; answer was: {text[:500]!r}"
        ) from first_error


class Partials:
    """Partial objects from a growing JSON text (only when something new parsed)."""

    def __init__(self, output_cls: Type[Model]) -> None:
        from llama_index.core.program.utils import create_flexible_model

        self._flexible = create_flexible_model(output_cls)
        self._last: Any = None

    def update(self, text: str) -> Any:
        match = _FENCE.match(text)
        text = (match.group(1) if match else text).strip().removeprefix("```json").removeprefix("```")
        if not text.startswith("{"):
            return None
        try:
            data = parse_partial_json(text)
            partial = self._flexible.model_validate(data)
        except (ValueError, TypeError):
            return None
        if data == self._last:
            return None
        self._last = data
        return partial
