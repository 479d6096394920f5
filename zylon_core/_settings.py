"""Connection settings shared by every client and adapter.

Each value comes from the argument, else the environment, else the default. A missing
base URL or token is a ``ConfigurationError`` naming the variable to set.
"""

from __future__ import annotations

import os
import ssl
from typing import Any, Union

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
DEFAULT_MAX_RETRIES = 2

WORKSPACE_PREFIX = "/api/v1/app"
GPT_PREFIX = "/api/gpt/v1"

# ``verify`` takes what httpx takes: True, False, a CA bundle path, or an SSLContext.
VerifyTypes = Union[bool, str, ssl.SSLContext]


class ZylonSettings(BaseModel):
    """Resolved settings. Build with :meth:`resolve` to apply the environment."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    base_url: str
    api_token: SecretStr
    org: str = DEFAULT_ORG
    model: str = DEFAULT_MODEL
    timeout: float = DEFAULT_READ_TIMEOUT
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    max_retries: int = Field(default=DEFAULT_MAX_RETRIES, ge=0)
    verify: Any = True

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.strip().rstrip("/")

    @classmethod
    def resolve(
        cls,
        *,
        base_url: str | None = None,
        api_token: SecretStr | str | None = None,
        org: str | None = None,
        model: str | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        max_retries: int | None = None,
        verify: VerifyTypes | None = None,
    ) -> "ZylonSettings":
        base_url = base_url or os.environ.get(ENV_BASE_URL)
        if not base_url:
            raise ConfigurationError(
                f"Zylon base URL is not set: pass base_url=... or set {ENV_BASE_URL} "
                "(e.g. https://zylon.example.com)"
            )
        if not base_url.strip().startswith(("http://", "https://")):
            raise ConfigurationError(f"base_url must start with http:// or https://, got {base_url!r}")
        token = api_token.get_secret_value() if isinstance(api_token, SecretStr) else api_token
        token = token or os.environ.get(ENV_API_TOKEN)
        if not token:
            raise ConfigurationError(
                f"Zylon API token is not set: pass api_token=... (alias api_key) or set {ENV_API_TOKEN}"
            )
        if isinstance(verify, str) and not os.path.exists(verify):
            raise ConfigurationError(f"verify={verify!r}: no CA bundle at that path (pass a readable PEM file)")
        values: dict[str, Any] = {
            "base_url": base_url,
            "api_token": SecretStr(token),
            "org": org or os.environ.get(ENV_ORG) or DEFAULT_ORG,
            "model": model or os.environ.get(ENV_MODEL) or DEFAULT_MODEL,
        }
        for name, value in (
            ("timeout", timeout),
            ("connect_timeout", connect_timeout),
            ("max_retries", max_retries),
            ("verify", verify),
        ):
            if value is not None:
                values[name] = value
        return cls(**values)

    def workspace_url(self, path: str) -> str:
        return f"{self.base_url}{WORKSPACE_PREFIX}{path}"

    def gpt_url(self, path: str) -> str:
        return f"{self.base_url}{GPT_PREFIX}{path}"
