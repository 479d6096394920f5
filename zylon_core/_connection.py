"""What a configured object (a chat model, a retriever, a store...) needs to talk to
Zylon: its connection fields resolved into settings, and one sync and one async client
made when first used. Both adapters' connection mixins hold one :class:`Connection`.

The fields can change after construction (``llm.base_url = ...``, ``model_copy(update=
...)``): each use compares them with the ones the clients were made
from and makes new clients when they differ, so a changed field always takes effect (a
value that cannot work raises the ``ConfigurationError`` the constructor would have).

A copy (``model_copy``) shares its original's connection, and so its HTTP clients,
until one of its connection fields changes. The clients are closed by ``close()`` /
``aclose()`` (also ``with`` / ``async with``), or when no object uses them any more
(see :mod:`._lifecycle`): dropping one object never closes clients another still uses.
"""

from __future__ import annotations

import ssl
from typing import Any, ClassVar, Literal, Mapping, Optional

from pydantic import AliasChoices, BaseModel, Field, PrivateAttr, SecretStr, ValidationError, field_validator
from typing_extensions import Self

from ._client import AsyncZylonClient, ZylonClient
from ._settings import DEFAULT_MAX_RETRIES, ZylonSettings, one_token
from .errors import ConfigurationError

CONNECTION_FIELDS = ("base_url", "api_token", "org", "timeout", "deadline", "max_retries", "verify", "paths")


def connection_key(values: Mapping[str, Any]) -> tuple[Any, ...]:
    """What identifies a connection: the fields' values (the token's, not its wrapper)."""
    key: list[Any] = []
    for name in (*CONNECTION_FIELDS, "model"):
        value = values.get(name)
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        elif isinstance(value, ssl.SSLContext):
            value = id(value)
        key.append(value)
    return tuple(key)


def connection_settings(config: Mapping[str, Any]) -> ZylonSettings:
    """Settings from a class's keyword arguments (``api_key`` is ``api_token``), for
    classmethods that talk to Zylon before their object exists."""
    values = {name: config.get(name) for name in (*CONNECTION_FIELDS, "model")}
    values["api_token"] = one_token(config.get("api_token"), config.get("api_key"))
    return Connection(values).settings


class Connection:
    """Settings resolved from connection field values, and the clients made from them."""

    __slots__ = ("settings", "key", "_client", "_aclient")

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.settings = ZylonSettings.resolve(**{name: values.get(name) for name in (*CONNECTION_FIELDS, "model")})
        self.key = connection_key(values)
        self._client: ZylonClient | None = None
        self._aclient: AsyncZylonClient | None = None

    def resolved(self) -> dict[str, Any]:
        """The resolved values to write back on the object's fields."""
        s = self.settings
        return {
            "base_url": s.base_url,
            "api_token": s.api_token,
            "org": s.org,
            "timeout": s.timeout,
            "deadline": s.deadline,
            "max_retries": s.max_retries,
            "paths": s.paths,
            "model": s.model,
        }

    def __copy__(self) -> Connection:
        return self  # a shallow copy of an object shares its connection

    def __deepcopy__(self, memo: dict[int, Any]) -> Connection:
        # A deep copy gets its own clients (HTTP clients hold locks and sockets, which
        # cannot be copied), made when first used.
        copied = Connection.__new__(Connection)
        copied.settings, copied.key, copied._client, copied._aclient = self.settings, self.key, None, None
        return copied

    @property
    def client(self) -> ZylonClient:
        if self._client is None:
            self._client = ZylonClient(self.settings)
        return self._client

    @property
    def aclient(self) -> AsyncZylonClient:
        if self._aclient is None:
            self._aclient = AsyncZylonClient(self.settings)
        return self._aclient

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    async def aclose(self) -> None:
        if self._aclient is not None:
            await self._aclient.aclose()
        self.close()


class ConnectionFields(BaseModel):
    """The connection fields of every configured class in both adapters, declared once.

    ``base_url``, ``api_token`` (alias ``api_key``), ``org``, ``timeout``,
    ``deadline``, ``max_retries`` and ``verify``, each falling back to the environment
    (``ZYLON_BASE_URL``, ``ZYLON_API_TOKEN``, ``ZYLON_ORG``); a missing base URL or token
    is a ``ConfigurationError`` naming the variable, raised by the constructor, and the
    resolved values are written back on the fields. ``_client`` / ``_aclient`` are made
    when first used, and made again when a connection field has changed since.
    ``_model_field`` names the class's model-name field, if it has one.

    ``close()`` releases the sync connections, ``aclose()`` both kinds; ``with obj:``
    and ``async with obj:`` do the same on leaving.
    """

    _model_field: ClassVar[Optional[str]] = None

    base_url: Optional[str] = Field(default=None, description="Instance root, e.g. https://zylon.example.com (env ZYLON_BASE_URL).")
    api_token: Optional[SecretStr] = Field(
        default=None,
        validation_alias=AliasChoices("api_token", "api_key"),
        exclude=True,
        repr=False,
        description="API token (alias api_key; env ZYLON_API_TOKEN). Never printed or serialised.",
    )
    org: Optional[str] = Field(default=None, description="Organization sent as x-org (env ZYLON_ORG, default 'default').")
    timeout: Optional[float] = Field(
        default=None, description="Seconds to wait for the next bytes of an answer (default 60; connecting: 5)."
    )
    deadline: Optional[float] = Field(
        default=None,
        description="Seconds one request may take in all: retries, waits, its whole answer or stream (default 600).",
    )
    max_retries: int = Field(default=DEFAULT_MAX_RETRIES, ge=0, description="Retries on transient failures (default 2).")
    verify: Any = Field(
        default=None,
        exclude=True,
        description="TLS verification: True (default), False, a CA bundle path or an ssl.SSLContext.",
    )
    paths: Optional[Literal["auto", "current", "legacy"]] = Field(
        default=None,
        description=(
            "Where threads and interactions live: 'current' (Zylon 1.50 and later), 'legacy' (before 1.50, "
            "under /project/{id}/...), or 'auto' (default: detected on a 404 when the project id is known)."
        ),
    )

    _connection: Optional[Connection] = PrivateAttr(default=None)

    @field_validator("timeout", "deadline", mode="before")
    @classmethod
    def _seconds(cls, value: Any, info: Any) -> Any:
        # A bool is an int to pydantic (True would be 1 second): refuse it by name here;
        # the value itself is checked when the settings are resolved.
        if isinstance(value, bool):
            raise ConfigurationError(f"{info.field_name} must be a number of seconds, got {value!r}")
        return value

    def __init__(self, **data: Any) -> None:
        if "api_token" in data and "api_key" in data:  # one setting under two names
            data["api_token"] = one_token(data["api_token"], data.pop("api_key"))
        try:
            super().__init__(**data)
        except ValidationError as exc:
            # A missing or bad setting is the plain ConfigurationError naming it.
            for error in exc.errors():
                cause = (error.get("ctx") or {}).get("error")
                if isinstance(cause, ConfigurationError):
                    raise cause from None
            raise

    def model_post_init(self, context: Any, /) -> None:
        super().model_post_init(context)
        self._adopt(Connection(self._connection_values()))

    def _adopt(self, connection: Connection) -> None:
        """Use ``connection``, writing its resolved values back on the fields."""
        resolved = connection.resolved()
        for name in ("base_url", "api_token", "org", "timeout", "deadline", "max_retries", "paths"):
            setattr(self, name, resolved[name])
        if self._model_field is not None:
            setattr(self, self._model_field, resolved["model"])
        connection.key = connection_key(self._connection_values())
        self._connection = connection

    def _connection_values(self) -> dict[str, Any]:
        values = {name: getattr(self, name) for name in CONNECTION_FIELDS}
        field = self._model_field
        # A model name left at its framework default is not a choice: the env decides.
        if field is not None and (field in self.model_fields_set or self._connection is not None):
            values["model"] = getattr(self, field)
        return values

    def _connection_fields(self) -> dict[str, Any]:
        """This object's connection fields, to configure another class of the package."""
        return {name: getattr(self, name) for name in CONNECTION_FIELDS}

    def _current(self) -> Connection:
        connection = self._connection
        values = self._connection_values()
        if connection is None or connection.key != connection_key(values):
            # A field changed since the clients were made: new ones, from the new values
            # (a ConfigurationError here is what the constructor would have raised).
            self._adopt(Connection(values))
            connection = self._connection
            assert connection is not None
        return connection

    @property
    def _settings(self) -> ZylonSettings:
        return self._current().settings

    @property
    def _client(self) -> ZylonClient:
        return self._current().client

    @property
    def _aclient(self) -> AsyncZylonClient:
        return self._current().aclient

    def close(self) -> None:
        """Close the sync HTTP connections (both kinds: :meth:`aclose`)."""
        if self._connection is not None:
            self._connection.close()

    async def aclose(self) -> None:
        """Close the async HTTP connections (of the running event loop) and the sync ones."""
        if self._connection is not None:
            await self._connection.aclose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()
