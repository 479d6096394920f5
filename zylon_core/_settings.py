"""Connection settings shared by every client and adapter.

Each value comes from the argument, else the environment, else the default. A missing
base URL or token is a ``ConfigurationError`` naming the variable to set; so is a value
that cannot work (a base URL with a query, a token with a control character, a negative
timeout), at construction rather than at the first request. Messages about the token
never contain it.
"""

from __future__ import annotations

import math
import numbers
import os
import ssl
from typing import Any, Literal, Union

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from .errors import ConfigurationError

ENV_BASE_URL = "ZYLON_BASE_URL"
ENV_API_TOKEN = "ZYLON_API_TOKEN"
ENV_ORG = "ZYLON_ORG"
ENV_MODEL = "ZYLON_MODEL"

DEFAULT_ORG = "default"
DEFAULT_MODEL = "default"
DEFAULT_READ_TIMEOUT = 60.0
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_DEADLINE = 600.0
DEFAULT_MAX_RETRIES = 2

WORKSPACE_PREFIX = "/api/v1/app"
GPT_PREFIX = "/api/gpt/v1"
HEALTH_PATH = "/api/health"

# The forms Zylon's own pages give for the base URL (the ZylonGPT setup pages say
# ``https://host/api/gpt``, the Workspace overview ``https://host/api/v1``...): one of
# these at the end of the path is cut off, longest first; any other path is kept (an
# instance behind a reverse proxy under a path prefix).
API_SUFFIXES = ("/api/gpt/v1", "/api/v1/app", "/api/gpt", "/api/v1", "/api")

PathLayout = Literal["auto", "current", "legacy"]
PATH_LAYOUTS: tuple[str, ...] = ("auto", "current", "legacy")
"""Where threads and interactions live: ``current`` (Zylon 1.50 and later:
``/thread/{id}``, ``/interaction/{id}``), ``legacy`` (before 1.50: under
``/project/{projectId}/...``), or ``auto`` (current until a thread route answers 404 while
the project id is known; then the legacy path is tried once and remembered)."""

# ``verify`` takes what httpx takes: True, False, a CA bundle path, or an SSLContext.
VerifyTypes = Union[bool, str, ssl.SSLContext]


# Variables people set by analogy (the api_key alias, other SDKs' names) that are not read:
# a missing setting's message names the one that is set, so the fix is a rename.
NEAR_BASE_URL = ("ZYLON_URL", "ZYLON_API_URL", "ZYLON_HOST", "ZYLON_BASE")
NEAR_API_TOKEN = ("ZYLON_API_KEY", "ZYLON_TOKEN", "ZYLON_KEY")


def _near_miss(wanted: str, near: tuple[str, ...]) -> str:
    found = [name for name in near if os.environ.get(name)]
    if not found:
        return ""
    return f" ({' and '.join(found)} {'is' if len(found) == 1 else 'are'} set, but only {wanted} is read)"


def normalize_base_url(value: str) -> str:
    """The instance root of ``value``: scheme, host, port and any path prefix, without a
    trailing ``/`` and without one of :data:`API_SUFFIXES`.

    Raises ``ConfigurationError`` for a value that is not an ``http(s)`` URL with a host,
    or that has a query, a fragment, credentials or an invalid port.
    """
    text = value.strip() if isinstance(value, str) else value
    if not isinstance(text, str) or not text.startswith(("http://", "https://")):
        raise ConfigurationError(f"base_url must start with http:// or https://, got {value!r}")
    if any(c.isspace() for c in text):
        raise ConfigurationError(f"base_url must not contain spaces, got {value!r}")
    try:
        url = httpx.URL(text)
    except httpx.InvalidURL as exc:
        raise ConfigurationError(f"base_url {value!r} is not a valid URL: {exc}") from None
    if url.userinfo:  # not echoed: it may hold a password
        raise ConfigurationError("base_url must not hold credentials (user:password@); pass the token as api_token")
    if not url.host:
        raise ConfigurationError(f"base_url {value!r} has no host (expected e.g. https://zylon.example.com)")
    if url.port is not None and not 1 <= url.port <= 65535:
        raise ConfigurationError(f"base_url {value!r} has an invalid port {url.port} (1..65535)")
    if url.query or "?" in text:
        raise ConfigurationError(f"base_url {value!r} must not have a query ('?...'): give the instance root")
    if url.fragment or "#" in text:
        raise ConfigurationError(f"base_url {value!r} must not have a fragment ('#...'): give the instance root")
    path = url.raw_path.decode("ascii").rstrip("/")
    for suffix in API_SUFFIXES:
        if path.endswith(suffix):
            path = path[: -len(suffix)].rstrip("/")
            break
    root = str(url.copy_with(path="/", query=None, fragment=None)).rstrip("/")
    return root + path


def check_token(token: str) -> str:
    """``token`` without surrounding whitespace (a newline copied with it, typically);
    an empty token, one starting with ``Bearer`` (the client adds that itself) or one
    holding a space, a non-ASCII or a control character is a ``ConfigurationError`` that
    does not show it (it could not be sent in a header, or not as the token)."""
    token = token.strip()
    if not token:
        raise ConfigurationError(f"the Zylon API token is empty: pass api_token=... (alias api_key) or set {ENV_API_TOKEN}")
    if token[:7].lower() == "bearer " or token.lower() == "bearer":
        raise ConfigurationError(
            "the Zylon API token starts with 'Bearer': give the token alone "
            "(the client sends 'Authorization: Bearer <token>' itself)"
        )
    for position, char in enumerate(token):
        if not char.isascii() or not char.isprintable() or char.isspace():
            kind = "a non-ASCII" if not char.isascii() else "a control or whitespace"
            raise ConfigurationError(
                f"the Zylon API token holds {kind} character (at position {position + 1} of {len(token)}); "
                "a token is printable ASCII: check for a stray character copied with it"
            )
    return token


def check_seconds(name: str, value: Any) -> float:
    """A duration in seconds: a finite number >= 0 (``ConfigurationError`` otherwise)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigurationError(f"{name} must be a number of seconds, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ConfigurationError(f"{name} must be a finite number of seconds >= 0, got {value!r}")
    return number


def check_deadline(value: Any) -> float:
    """The per-request deadline: a finite number of seconds > 0 (``ConfigurationError``
    otherwise; a deadline of 0 would refuse every request)."""
    number = check_seconds("deadline", value)
    if number == 0:
        raise ConfigurationError("deadline must be a number of seconds > 0, got 0")
    return number


def one_token(api_token: Any, api_key: Any) -> Any:
    """The token given as ``api_token`` or its alias ``api_key``; both with different
    values is a ``ConfigurationError`` (not showing them)."""
    if api_token is None or api_key is None:
        return api_key if api_token is None else api_token
    values = [v.get_secret_value() if isinstance(v, SecretStr) else v for v in (api_token, api_key)]
    if values[0] != values[1]:
        raise ConfigurationError(
            "api_token and api_key are one setting (api_key is an alias of api_token), "
            "but two different values were given: pass only one"
        )
    return api_token


class ZylonSettings(BaseModel):
    """Resolved settings. Build with :meth:`resolve` to apply the environment."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    base_url: str
    api_token: SecretStr
    org: str = DEFAULT_ORG
    model: str = DEFAULT_MODEL
    timeout: float = DEFAULT_READ_TIMEOUT
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    deadline: float = DEFAULT_DEADLINE
    """Seconds one request may take in all: its retries and their waits, reading its
    answer, reading its whole event stream. ``timeout`` bounds each wait for the next
    bytes, ``connect_timeout`` each connection attempt."""
    max_retries: int = Field(default=DEFAULT_MAX_RETRIES, ge=0)
    verify: Any = True
    paths: PathLayout = "auto"

    @field_validator("base_url")
    @classmethod
    def _root(cls, value: str) -> str:
        return normalize_base_url(value)

    @field_validator("api_token")
    @classmethod
    def _token(cls, value: SecretStr) -> SecretStr:
        return SecretStr(check_token(value.get_secret_value()))

    @field_validator("timeout", "connect_timeout", mode="before")
    @classmethod
    def _seconds(cls, value: Any, info: Any) -> float:
        return check_seconds(info.field_name, value)

    @field_validator("deadline", mode="before")
    @classmethod
    def _deadline(cls, value: Any) -> float:
        return check_deadline(value)

    @classmethod
    def resolve(
        cls,
        *,
        base_url: str | None = None,
        api_token: SecretStr | str | None = None,
        api_key: SecretStr | str | None = None,
        org: str | None = None,
        model: str | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        deadline: float | None = None,
        max_retries: int | None = None,
        verify: VerifyTypes | None = None,
        paths: str | None = None,
    ) -> "ZylonSettings":
        """Settings from arguments, else ``ZYLON_BASE_URL``, ``ZYLON_API_TOKEN``,
        ``ZYLON_ORG``, ``ZYLON_MODEL``, else the defaults. ``api_key`` is an alias of
        ``api_token``; ``paths`` is one of :data:`PATH_LAYOUTS` (default ``auto``);
        ``timeout`` (read, default 60 s), ``connect_timeout`` (default 5 s) and
        ``deadline`` (the whole request, default 600 s) are seconds.
        Raises ``ConfigurationError`` naming the setting that is missing or invalid."""
        base_url = base_url or os.environ.get(ENV_BASE_URL)
        if not base_url:
            raise ConfigurationError(
                f"Zylon base URL is not set: pass base_url=... or set {ENV_BASE_URL} "
                f"(e.g. https://zylon.example.com){_near_miss(ENV_BASE_URL, NEAR_BASE_URL)}"
            )
        root = normalize_base_url(base_url)
        given = one_token(api_token, api_key)
        token = given.get_secret_value() if isinstance(given, SecretStr) else given
        token = token or os.environ.get(ENV_API_TOKEN)
        if not token:
            raise ConfigurationError(
                f"Zylon API token is not set: pass api_token=... (alias api_key) or set {ENV_API_TOKEN}"
                f"{_near_miss(ENV_API_TOKEN, NEAR_API_TOKEN)}"
            )
        token = check_token(token)
        if isinstance(verify, str) and not os.path.exists(verify):
            raise ConfigurationError(f"verify={verify!r}: no CA bundle at that path (pass a readable PEM file)")
        if paths is not None and paths not in PATH_LAYOUTS:
            raise ConfigurationError(f"paths must be one of {', '.join(PATH_LAYOUTS)}; got {paths!r}")
        values: dict[str, Any] = {
            "base_url": root,
            "api_token": SecretStr(token),
            "org": org or os.environ.get(ENV_ORG) or DEFAULT_ORG,
            "model": model or os.environ.get(ENV_MODEL) or DEFAULT_MODEL,
        }
        for name, seconds in (("timeout", timeout), ("connect_timeout", connect_timeout)):
            if seconds is not None:
                values[name] = check_seconds(name, seconds)
        if deadline is not None:
            values["deadline"] = check_deadline(deadline)
        for name, value in (("max_retries", max_retries), ("verify", verify), ("paths", paths)):
            if value is not None:
                values[name] = value
        return cls(**values)

    def workspace_url(self, path: str) -> str:
        return f"{self.base_url}{WORKSPACE_PREFIX}{path}"

    def gpt_url(self, path: str) -> str:
        return f"{self.base_url}{GPT_PREFIX}{path}"

    def root_url(self, path: str) -> str:
        """A URL under the instance root (``/api/health``...)."""
        return f"{self.base_url}{path}"

    @property
    def gpt_path_prefix(self) -> str:
        """The path every ZylonGPT URL starts with (``/api/gpt/``, after any proxy prefix)."""
        return httpx.URL(self.base_url).raw_path.decode("ascii").rstrip("/") + "/api/gpt/"
