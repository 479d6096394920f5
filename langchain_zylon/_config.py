"""The connection fields shared by ``ZylonEmbeddings`` and ``ZylonRetriever``."""

from __future__ import annotations

from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, ValidationError

from zylon_core import AsyncZylonClient, ConfigurationError, ZylonClient, ZylonSettings


class ZylonConnection(BaseModel):
    """``base_url``, ``api_token`` (alias ``api_key``), ``org``, ``timeout``,
    ``max_retries``, ``verify``; each falls back to the environment (``ZYLON_BASE_URL``,
    ``ZYLON_API_TOKEN``, ``ZYLON_ORG``) when not given. A missing base URL or token is a
    ``ConfigurationError`` raised by the constructor."""

    model_config = ConfigDict(populate_by_name=True, protected_namespaces=(), extra="forbid")

    base_url: Optional[str] = None
    """Instance root, e.g. ``https://zylon.example.com``; env ``ZYLON_BASE_URL``."""
    api_token: Optional[SecretStr] = Field(default=None, alias="api_key")
    """API token (alias ``api_key``); env ``ZYLON_API_TOKEN``. Never printed."""
    org: Optional[str] = None
    """Organization sent as ``x-org``; env ``ZYLON_ORG``, default ``"default"``."""
    timeout: Optional[float] = None
    """Read timeout in seconds (default 60; connect timeout 5)."""
    max_retries: int = 2
    """Retries on connect errors, 408/409/429/5xx."""
    verify: Any = Field(default=None, exclude=True)
    """TLS verification: ``True``/``False``, a CA bundle path or an ``ssl.SSLContext``."""

    _client: ZylonClient = PrivateAttr()
    _async_client: AsyncZylonClient = PrivateAttr()

    def __init__(self, **kwargs: Any) -> None:
        try:
            super().__init__(**kwargs)
        except ValidationError as exc:
            # A missing setting is the plain ConfigurationError naming the variable.
            for error in exc.errors():
                cause = (error.get("ctx") or {}).get("error")
                if isinstance(cause, ConfigurationError):
                    raise cause from None
            raise

    def model_post_init(self, context: Any, /) -> None:
        super().model_post_init(context)
        settings = ZylonSettings.resolve(
            base_url=self.base_url,
            api_token=self.api_token,
            org=self.org,
            model=getattr(self, "model", None),
            timeout=self.timeout,
            max_retries=self.max_retries,
            verify=self.verify,
        )
        self.base_url = settings.base_url
        self.api_token = settings.api_token
        self.org = settings.org
        self.timeout = settings.timeout
        if "model" in type(self).model_fields:
            self.model = settings.model
        self._client = ZylonClient(settings)
        self._async_client = AsyncZylonClient(settings)

    def close(self) -> None:
        """Close the sync HTTP connections (the async ones: :meth:`aclose`)."""
        self._client.close()

    async def aclose(self) -> None:
        await self._async_client.aclose()
