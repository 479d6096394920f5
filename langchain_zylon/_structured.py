"""``ChatZylon.with_structured_output`` and the ``strict`` flag, as LangChain's
conventions have them (no I/O; the runnable calls the chat model).

Neither Zylon API has a ``strict`` flag (custom tools are ``{name, description,
inputSchema}``; ``response_format`` is ``{type, json_schema}``), so ``strict=True`` is
not sent: a ``UserWarning`` says so, never a silent drop. Nor has Zylon a JSON mode:
``method="json_mode"`` is sent as ``json_schema`` (with the given schema, or any JSON
object without one), with a ``UserWarning``.
"""

from __future__ import annotations

import warnings
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Mapping

from langchain_core.language_models import LanguageModelInput
from langchain_core.output_parsers import JsonOutputKeyToolsParser, JsonOutputParser, PydanticOutputParser, PydanticToolsParser
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from langchain_core.utils.function_calling import convert_to_json_schema, convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass

from zylon_core._tools import StructuredOutput, structured_output

if TYPE_CHECKING:
    from .chat_models import ChatZylon

METHODS = ("json_schema", "function_calling", "json_mode")
# What json_mode without a schema asks for: any JSON object.
ANY_OBJECT: dict[str, Any] = {"type": "object"}


def warn_strict(strict: Any, what: str) -> None:
    """The ``UserWarning`` for ``strict=True`` (None and False say nothing)."""
    if strict:
        warnings.warn(
            f"{what}: strict=True is not sent: Zylon has no strict mode (its tools and response_format take no "
            "'strict' flag), so the arguments or JSON it returns are not guaranteed to match the schema; they are "
            "parsed against it",
            UserWarning,
            stacklevel=3,
        )


def structured_runnable(
    llm: ChatZylon,
    schema: Mapping[str, Any] | type | None,
    *,
    method: str,
    include_raw: bool,
    strict: bool | None,
) -> Runnable[LanguageModelInput, Any]:
    """See :meth:`ChatZylon.with_structured_output`."""
    if method not in METHODS:
        raise ValueError(f"unknown structured output method {method!r}: use 'json_schema', 'function_calling' or 'json_mode'")
    if method == "json_mode":
        warnings.warn(
            "Zylon has no JSON mode: method='json_mode' is sent as a json_schema response_format "
            + ("with the given schema" if schema is not None else "asking for any JSON object"),
            UserWarning,
            stacklevel=3,
        )
        method = "json_schema"
        if schema is None:
            return _with_raw(llm.bind(response_format={"type": "json_schema", "json_schema": dict(ANY_OBJECT)}), JsonOutputParser(), include_raw)
    if schema is None:
        raise ValueError("with_structured_output needs a schema (a pydantic class, TypedDict or JSON schema)")
    warn_strict(strict, f"with_structured_output(method={method!r})")
    output = _structured_output(schema, method)
    is_pydantic = isinstance(schema, type) and is_basemodel_subclass(schema)
    bound: Runnable[LanguageModelInput, Any]
    if method == "json_schema":
        bound = llm.bind(
            response_format={"type": "json_schema", "json_schema": output.schema},
            ls_structured_output_format={"kwargs": {"method": "json_schema"}, "schema": schema},
        )
        parser: Runnable = PydanticOutputParser(pydantic_object=schema) if is_pydantic else JsonOutputParser()  # type: ignore[arg-type,unused-ignore]
    else:
        bound = llm.bind_tools(
            [output.tool()],
            tool_choice=output.name,
            ls_structured_output_format={"kwargs": {"method": "function_calling"}, "schema": schema},
        )
        parser = (
            PydanticToolsParser(tools=[schema], first_tool_only=True)  # type: ignore[list-item,unused-ignore]
            if is_pydantic
            else JsonOutputKeyToolsParser(key_name=output.name, first_tool_only=True)
        )
    return _with_raw(bound, parser, include_raw)


def _with_raw(bound: Runnable, parser: Runnable, include_raw: bool) -> Runnable[LanguageModelInput, Any]:
    if not include_raw:
        return bound | parser
    parse_or_none = RunnablePassthrough.assign(
        parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
    ).with_fallbacks([RunnablePassthrough.assign(parsed=lambda _: None)], exception_key="parsing_error")
    return RunnableMap(raw=bound) | parse_or_none


def _structured_output(schema: Any, method: str) -> StructuredOutput:
    """The schema, name and description to send. A class (pydantic, TypedDict) is read
    the LangChain way first (``Annotated`` descriptions, the function form of
    ``function_calling``); every dict form goes straight to the core's one reader
    (:func:`zylon_core._tools.structured_output`), which keeps its properties as given
    or raises ``ValueError`` before any request."""
    if isinstance(schema, type):
        if method == "function_calling":
            return structured_output(convert_to_openai_tool(schema))
        return structured_output({"name": schema.__name__, "schema": convert_to_json_schema(schema)})
    return structured_output(schema)
