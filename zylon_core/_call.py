"""One HTTP request as data: where it goes, what it sends, how its answer is read, and
whether sending it twice is safe. Built by the call builders (``_api*.py``), sent by the
transport; it does no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Mapping, TypeVar

import httpx
from pydantic import BaseModel

from .errors import APIStatusError

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


@dataclass
class Call(Generic[T]):
    """One HTTP request and how to read its answer; built once, sent sync or async.

    ``idempotent``: whether sending it twice is as safe as sending it once. By default
    it is for GET, HEAD, OPTIONS, PUT and DELETE and not for POST; a POST that only
    reads (validate, embeddings, chunk search) says so with ``idempotent=True``.
    ``retry=False`` forbids every retry.
    """

    method: str
    url: str
    json: Any = None
    params: dict[str, Any] | None = None
    parse: Callable[[httpx.Response], T] | None = None
    retry: bool = True
    files: Any = None
    data: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    # Error statuses handed to ``parse`` instead of raised (409 on cancel: finished).
    accept_statuses: frozenset[int] = frozenset()
    # False: sent without ``Authorization`` and ``x-org`` (``/api/health``, a pre-signed URL).
    auth: bool = True
    idempotent: bool = None  # type: ignore[assignment]  # None: decided by the method

    def __post_init__(self) -> None:
        if self.idempotent is None:
            self.idempotent = self.method.upper() in IDEMPOTENT_METHODS

    @property
    def path(self) -> str:
        return httpx.URL(self.url).path

    def read(self, response: httpx.Response) -> T:
        if self.parse is None:
            return None  # type: ignore[return-value]
        return read_with(self, self.parse, response)


BASE_URL_HINT = (
    "is base_url the instance root (e.g. https://zylon.example.com), not a web page, a login page or a proxy in front of it?"
)


def html_page(content_type: str) -> str:
    return f"it is an HTML page ({content_type})"


def parse_model(model: type[M]) -> Callable[[httpx.Response], M]:
    """A reader of a JSON answer as ``model``."""
    return lambda response: model.model_validate(response.json())


def parse_json(response: httpx.Response) -> Any:
    """The JSON answer, or None for an empty body."""
    return response.json() if response.content else None


def body(payload: BaseModel | Mapping[str, Any]) -> dict[str, Any]:
    """A request body: one of our models as its wire dict, or a mapping as it is."""
    return payload.to_json_dict() if isinstance(payload, BaseModel) else dict(payload)  # type: ignore[attr-defined]


def read_with(call: Call[Any], parse: Callable[[httpx.Response], T], response: httpx.Response) -> T:
    """``parse(response)``; an answer it cannot read is an ``APIStatusError`` (one that
    is an HTML page says so: the base URL then names a web page, not the instance root)."""
    try:
        return parse(response)
    except (ValueError, RecursionError) as exc:  # malformed JSON, JSON nested too deep, an unexpected shape
        content_type = response.headers.get("content-type", "")
        problem = f"could not read the response: {exc}"
        if "html" in content_type.lower():
            problem = f"could not read the response: {html_page(content_type)}, not Zylon's JSON: {BASE_URL_HINT}"
        raise APIStatusError(
            f"{call.method} {call.path}: {problem}",
            response=response,
            body=response.text[:2000],
        ) from exc


@dataclass(frozen=True)
class Answered:
    """What a stream yields instead of events when the server answered with JSON (and
    the caller passed ``otherwise`` to read it): the value read."""

    value: Any
