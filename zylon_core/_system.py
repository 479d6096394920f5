"""Who a token is (``GET /api/v1/app/me``) and whether the server is up
(``GET /api/health``): the two answers' models.

They belong with :mod:`zylon_core.models`; kept here until that package takes them.
"""

from __future__ import annotations

from typing import Any, Optional, Union

from pydantic import Field

from .models import ZylonModel


class User(ZylonModel):
    """``UserDTO`` (``GET /api/v1/app/me``). ``created_at`` is a string on current
    servers and a number (epoch) on 2025-08 ones; ``roles`` such as ``AppAdmin``."""

    id: str
    org_id: Optional[str] = None
    account_id: Optional[str] = None
    name: Optional[str] = None
    email: Optional[str] = None
    state: Optional[str] = None
    roles: list[str] = Field(default_factory=list)
    created_at: Optional[Union[str, float]] = None
    job_position_name: Optional[str] = None
    job_position_description: Optional[str] = None
    profile_picture: Optional[Any] = None


class Health(ZylonModel):
    """``GET /api/health``: ``{"status": "ok", "uptime": "3d 04:12:33", "commit": "9f1c2a3"}``."""

    status: str
    uptime: Optional[str] = None
    commit: Optional[str] = None
