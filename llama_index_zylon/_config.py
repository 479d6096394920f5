"""The connection fields every LlamaIndex class of this package takes, declared once.

``base_url``, ``api_token`` (alias ``api_key``), ``org``, ``timeout``, ``max_retries`` and
``verify``, each falling back to the environment (``ZYLON_BASE_URL``,
``ZYLON_API_TOKEN``, ``ZYLON_ORG``); a missing base URL or token is a
``ConfigurationError`` naming the variable, raised by the constructor. Subclasses call
:meth:`ZylonConnection._connect` from ``__init__`` and use ``self._client`` /
``self._aclient`` (one of each per object, reused by every call).
"""

from __future__ import annotations

from typing import Any, Optional

from llama_index.core.bridge.pydantic import BaseModel, Field, PrivateAttr, SecretStr
from pydantic import AliasChoices

from zylon_core import AsyncZylonClient, ZylonClient, ZylonSettings
from zylon_core.settings import DEFAULT_MAX_RETRIES


class ZylonConnection(BaseModel):
    base_url: Optional[str] = Field(default=None, description="Zylon instance root (env ZYLON_BASE_URL).")
    api_token: Optional[SecretStr] = Field(
        default=None,
        validation_alias=AliasChoices("api_token", "api_key"),
        exclude=True,
        repr=False,
        description="API token (alias api_key; env ZYLON_API_TOKEN). Never printed.",
    )
    org: Optional[str] = Field(default=None, description="Organization sent as x-org (env ZYLON_ORG).")
    timeout: Optional[float] = Field(default=None, gt=0, description="Read timeout in seconds (default 60).")
    max_retries: int = Field(default=DEFAULT_MAX_RETRIES, ge=0, description="Retries on transient failures.")
    verify: Any = Field(
        default=None,
        exclude=True,
        description="TLS verification: True (default), a CA bundle path for a private CA, or an ssl.SSLContext.",
    )

    _settings: ZylonSettings = PrivateAttr()
    _client: ZylonClient = PrivateAttr()
    _aclient: AsyncZylonClient = PrivateAttr()

    def _connect(self, model: Optional[str] = None) -> ZylonSettings:
        """Resolve the settings (arguments, then environment), record the resolved
        values on the fields, and make this object's two clients."""
        settings = ZylonSettings.resolve(
            base_url=self.base_url,
            api_token=self.api_token,
            org=self.org,
            model=model,
            timeout=self.timeout,
            max_retries=self.max_retries,
            verify=self.verify,
        )
        self.base_url, self.org, self.timeout = settings.base_url, settings.org, settings.timeout
        self.api_token = settings.api_token
        self._settings = settings
        self._client = ZylonClient(settings)
        self._aclient = AsyncZylonClient(settings)
        return settings

    def close(self) -> None:
        """Close the sync HTTP connections (the async ones: :meth:`aclose`)."""
        self._client.close()

    async def aclose(self) -> None:
        await self._aclient.aclose()
