"""Tool definitions, ``tool_choice`` and JSON schemas in Zylon's wire form (pure).

Both adapters turn their framework's tools into a name, a description and a JSON schema;
everything after that (validation, built-in pass-through, the dict forms users write by
hand, ``tool_choice``, ``response_format``, the schema of a structured output in
whatever form it is given) is here, once.
"""

from __future__ import annotations

import copy
import inspect
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from pydantic import PydanticSchemaGenerationError, PydanticUserError, TypeAdapter

from .models import BUILTIN_TOOL_TYPES

TOOL_CHOICE_TYPES = ("auto", "any", "none", "tool")
"""The ``tool_choice`` types this client sends. ``any`` (call some tool) is accepted by
the ZylonGPT server the captures come from (``C_msg_tool_any``) and by the Workspace
(which passes ``pgpt`` on to it)."""

TOOL_CHOICE_TYPES_BY_API: dict[str, tuple[str, ...]] = {
    "workspace": TOOL_CHOICE_TYPES,  # ws.oas: a free string; the docs and README: these four
    "gpt": TOOL_CHOICE_TYPES,  # what the server does (captures)
}
"""Which ``tool_choice`` types each API takes, as far as the material shows."""

PUBLISHED_GPT_TOOL_CHOICE_TYPES = ("auto", "tool", "none")
"""The types ZylonGPT's published schema (``gpt.openapi.json`` ``ToolChoice``) lists:
no ``any``. A server built to that schema refuses ``any``; ``zylon-doctor`` can probe
it through ``/messages/validate`` and compare the answer with this set."""


MAX_SCHEMA_DEPTH = 64
"""How deep a tool's or an answer's JSON schema may nest (objects and lists inside one
another); real schemas stay far below it, and one deeper is refused before sending
rather than costing the client (and the server) a recursion."""


def check_schema_depth(schema: Any, where: str) -> None:
    """A ``ValueError`` naming ``where`` and the depth when ``schema`` nests deeper than
    :data:`MAX_SCHEMA_DEPTH` (walked without recursion, so any depth is measured)."""
    stack: list[tuple[Any, int]] = [(schema, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_SCHEMA_DEPTH:
            raise ValueError(
                f"{where}: the JSON schema nests deeper than {MAX_SCHEMA_DEPTH} levels (depth {depth} reached); "
                "flatten it, or define repeated parts once under $defs and refer to them with $ref"
            )
        children = node.values() if isinstance(node, Mapping) else node if isinstance(node, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, (Mapping, list)))


def custom_tool(name: Any, description: Any, schema: Any) -> dict[str, Any]:
    """``{name, description, inputSchema}``, checked: a name, and an object schema no
    deeper than :data:`MAX_SCHEMA_DEPTH`."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"every tool needs a non-empty string 'name', got {name!r}")
    if schema is None:
        schema = {"type": "object", "properties": {}}
    if not isinstance(schema, Mapping):
        raise ValueError(f"tool {name!r}: the input schema must be a JSON-schema object, got {type(schema).__name__}")
    check_schema_depth(schema, f"tool {name!r}")
    schema = inline_refs(schema)
    schema.pop("title", None)
    schema.setdefault("type", "object")
    if schema.get("type") != "object":
        raise ValueError(f"tool {name!r}: the input schema must describe an object (type 'object'), got {schema.get('type')!r}")
    schema.setdefault("properties", {})
    tool: dict[str, Any] = {"name": name, "inputSchema": schema}
    if description:
        # Docstrings reach us indented on Python < 3.13 and dedented on 3.13 (the compiler
        # strips them): the same tool must send the same description on every version.
        tool["description"] = inspect.cleandoc(str(description))
    return tool


def tool_from_dict(tool: Mapping[str, Any]) -> dict[str, Any] | None:
    """A hand-written tool dict in any common form, or None if it is not one.

    * ``{type: "semantic_search_v1", name?}``: a Zylon built-in, passed through;
    * ``{name, description, inputSchema}`` (Zylon), ``{name, input_schema}`` (Anthropic),
      ``{type: "function", function: {name, parameters}}`` (OpenAI) → a custom tool.

    None means "a dict this module does not recognise": the adapter may still convert
    it (a bare JSON schema, for instance). An unknown ``type`` is an error.
    """
    kind = tool.get("type")
    if kind in BUILTIN_TOOL_TYPES:
        name = tool.get("name") or kind
        if not isinstance(name, str):
            raise ValueError(f"built-in tool {kind!r}: 'name' must be a string")
        return {**tool, "name": name, "type": kind}
    if kind == "function" and isinstance(tool.get("function"), Mapping):
        function = tool["function"]
        return custom_tool(function.get("name"), function.get("description"), function.get("parameters"))
    if kind not in (None, "custom", "object"):  # "object": a bare JSON schema
        raise ValueError(
            f"unknown tool type {kind!r}: Zylon's built-in tools are {', '.join(BUILTIN_TOOL_TYPES)}; "
            "custom tools have no type"
        )
    for key in ("inputSchema", "input_schema"):
        if key in tool:
            return custom_tool(tool.get("name"), tool.get("description"), tool[key])
    return None


def check_unique_names(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names = [tool["name"] for tool in tools]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"tool names must be unique; repeated: {', '.join(repeated)}")
    return tools


def builtin_tool_names(tools: Iterable[Mapping[str, Any]] | None) -> frozenset[str]:
    """Names of the built-in (server-run) tools among wire tools."""
    return frozenset(t["name"] for t in tools or () if t.get("type") in BUILTIN_TOOL_TYPES)


def client_tool_names(tools: Iterable[Mapping[str, Any]] | None) -> frozenset[str]:
    """Names of the custom tools the caller runs itself."""
    return frozenset(t["name"] for t in tools or () if t.get("type") not in BUILTIN_TOOL_TYPES)


def tool_choice(
    choice: Any,
    tool_names: Iterable[str] = (),
    *,
    parallel_tool_calls: bool | None = None,
) -> dict[str, Any] | None:
    """Zylon ``tool_choice`` ``{type: auto|any|none|tool, name?, disable_parallel_tool_use?}``.

    Accepts ``"auto"``, ``"any"`` (also ``"required"``), ``"none"``, a tool name, ``True``
    (the only tool, else any), ``False``/None (no preference), a Zylon/Anthropic dict, an OpenAI
    ``{"type": "function", "function": {"name"}}`` dict, or None (no preference).
    A named tool must be among ``tool_names`` when those are given.
    """
    names = set(tool_names)
    out: dict[str, Any] | None
    if choice is None or choice is False:  # False: "do not force one", as in LangChain
        out = None
    elif choice is True:
        out = {"type": "tool", "name": next(iter(names))} if len(names) == 1 else {"type": "any"}
    elif isinstance(choice, str):
        lowered = choice.lower()
        if lowered in ("auto", "any", "none"):
            out = {"type": lowered}
        elif lowered == "required":
            out = {"type": "any"}
        else:
            out = {"type": "tool", "name": choice}
    elif isinstance(choice, Mapping):
        kind = choice.get("type")
        if kind == "function":
            function = choice.get("function")
            name = function.get("name") if isinstance(function, Mapping) else choice.get("name")
            out = {"type": "tool", "name": name}
        elif kind in TOOL_CHOICE_TYPES:
            out = {k: v for k, v in choice.items() if v is not None}
        else:
            raise ValueError(f"tool_choice type must be one of {', '.join(TOOL_CHOICE_TYPES)}; got {kind!r}")
    else:
        raise ValueError(f"unsupported tool_choice {choice!r}: expected a string, a bool, a dict or None")
    if out is not None and out["type"] == "tool":
        if not out.get("name"):
            raise ValueError("tool_choice of type 'tool' needs the tool's name")
        if names and out["name"] not in names:
            raise ValueError(
                f"tool_choice names {out['name']!r}, which is not among the tools: {', '.join(sorted(names))}"
            )
    if out is not None and out["type"] in ("any", "tool") and not names:
        raise ValueError(f"tool_choice={choice!r} needs at least one tool")
    if parallel_tool_calls is not None:
        out = out or {"type": "auto"}
        out.setdefault("disable_parallel_tool_use", not parallel_tool_calls)
    return out


def inline_refs(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``schema`` with local ``#/$defs/...`` references replaced by their
    definitions (recursive ones stay references, with their ``$defs`` kept)."""
    copied: dict[str, Any] = copy.deepcopy(dict(schema))
    defs = {**copied.pop("definitions", {}), **copied.pop("$defs", {})}
    if not defs:
        return copied
    recursive = False

    def resolve(node: Any, stack: tuple[str, ...]) -> Any:
        nonlocal recursive
        if isinstance(node, list):
            return [resolve(item, stack) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(("#/$defs/", "#/definitions/")):
            name = ref.rsplit("/", 1)[-1]
            if name in stack or name not in defs:
                recursive = recursive or name in stack
                return node
            merged = {**defs[name], **{k: v for k, v in node.items() if k != "$ref"}}
            return resolve(merged, stack + (name,))
        return {key: resolve(value, stack) for key, value in node.items()}

    out = resolve(copied, ())
    if recursive:
        out["$defs"] = defs
    return out


# Keywords of which a JSON schema that describes something has at least one.
_SCHEMA_KEYWORDS = ("type", "properties", "anyOf", "oneOf", "allOf", "$ref", "enum", "const", "items")
DEFAULT_OUTPUT_NAME = "output"


@dataclass(frozen=True)
class StructuredOutput:
    """What a structured-output request asks for: a ``name`` (the tool's, with
    ``function_calling``), an optional ``description`` and a self-contained JSON
    ``schema`` (``$ref`` s inlined), with its properties as given."""

    name: str
    description: str | None
    schema: dict[str, Any]

    def tool(self) -> dict[str, Any]:
        """The forced tool of ``method="function_calling"``: its input is the answer."""
        return custom_tool(self.name, self.description, self.schema)


def structured_output(output: Any) -> StructuredOutput:
    """The one reading of a structured-output schema, for both adapters.

    Takes a pydantic model class (named by its class name), another type pydantic can
    describe (a ``TypedDict``, a dataclass), or a dict in any of the forms users write:

    * a JSON schema, titled (its ``title`` names it) or not (named ``"output"``);
    * OpenAI's ``response_format`` wrapper ``{"name", "schema", "strict"?}``, or the
      whole ``{"type": "json_schema", "json_schema": {...}}``;
    * a function or tool: ``{"name", "parameters"}``, ``{"type": "function",
      "function": {...}}``, ``{"name", "input_schema" | "inputSchema"}``.

    Anything else, a schema that describes nothing (no ``type``, ``properties``,
    ``anyOf``...), one that is not an object where a name is needed, or one nested
    deeper than :data:`MAX_SCHEMA_DEPTH` is a ``ValueError``, before any request.
    """
    name: Any = None
    description: Any = None
    schema: Any
    if isinstance(output, type) and hasattr(output, "model_json_schema"):
        name, schema = output.__name__, output.model_json_schema()
        description = schema.get("description")
    elif isinstance(output, type):
        try:
            schema = TypeAdapter(output).json_schema()
        except (PydanticUserError, PydanticSchemaGenerationError, TypeError) as exc:
            raise ValueError(f"cannot describe {output!r} as a JSON schema for structured output: {exc}") from None
        name, description = output.__name__, schema.get("description")
    elif isinstance(output, Mapping):
        if output.get("type") == "json_schema" and isinstance(output.get("json_schema"), Mapping):
            return structured_output(output["json_schema"])
        if output.get("type") == "function" and isinstance(output.get("function"), Mapping):
            return structured_output(output["function"])
        wrapped = next((key for key in ("schema", "parameters", "input_schema", "inputSchema") if key in output), None)
        if wrapped is not None and not any(k in output for k in ("properties", "anyOf", "oneOf", "allOf")):
            name, description, schema = output.get("name"), output.get("description"), output[wrapped]
            if not isinstance(schema, Mapping):
                raise ValueError(f"structured output {name!r}: {wrapped!r} must be a JSON-schema object, got {schema!r:.100}")
        else:
            schema = output
            name, description = output.get("title"), output.get("description")
    else:
        raise ValueError(
            f"cannot use {output!r:.100} as a structured output schema: pass a pydantic model class, a TypedDict, "
            "a JSON schema dict, or a {'name', 'schema'} / function dict"
        )
    name = name if isinstance(name, str) and name.strip() else DEFAULT_OUTPUT_NAME
    check_schema_depth(schema, f"structured output {name!r}")
    if not any(key in schema for key in _SCHEMA_KEYWORDS):
        raise ValueError(
            f"structured output {name!r}: the JSON schema describes nothing (it has none of "
            f"{', '.join(_SCHEMA_KEYWORDS)}); got {dict(schema)!r:.200}"
        )
    return StructuredOutput(name, description if isinstance(description, str) else None, inline_refs(schema))


def model_class(output: Any, owner: str) -> Any:
    """``output`` if it is a pydantic model class (what ``owner`` returns instances of);
    anything else, a JSON-schema dict included, is a ``ValueError`` before any request."""
    if isinstance(output, type) and hasattr(output, "model_validate_json"):
        return output
    structured_output(output)  # a schema that cannot work says so first
    raise ValueError(
        f"{owner} returns instances of a pydantic model class, got {output!r:.100}; for a JSON schema dict "
        "pass response_format=<the schema> to chat() and read the JSON answer"
    )


def json_schema_of(output: Any) -> dict[str, Any]:
    """The self-contained JSON schema of a structured output (see :func:`structured_output`)."""
    return structured_output(output).schema


def response_format_for(output: Any) -> dict[str, Any]:
    """``response_format`` for a pydantic model or a schema in any form
    :func:`structured_output` reads, or ``{"type": "text"}``."""
    if isinstance(output, Mapping) and output.get("type") == "text":
        return {"type": "text"}
    return {"type": "json_schema", "json_schema": json_schema_of(output)}
