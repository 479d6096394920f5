"""``GET /api/health`` (no credentials) and ``GET /api/v1/app/me`` (who the token is).

Health answers the documented ``{"status", "uptime", "commit"}`` (system.mdx); ``/me`` a
``UserDTO`` (users/user.mdx) for the organization in ``x-org``, its ``created_at`` a number
on an older server (option ``paths="legacy"``).
"""

from __future__ import annotations

import time
from typing import Any

from ..context import WORKSPACE, Context, Endpoint
from ..state import epoch

COMMIT = "emulator"
USER_CREATED = "2026-01-01T00:00:00Z"


async def health(ctx: Context) -> Any:
    seconds = int(time.monotonic() - ctx.state.started)
    days, rest = divmod(seconds, 86400)
    uptime = f"{days}d {rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    return {"status": "ok", "uptime": uptime, "commit": COMMIT}


async def me(ctx: Context) -> Any:
    return {
        "id": "user_emulator",
        "org_id": f"org_{ctx.org}",
        "account_id": "acct_emulator",
        "name": "Emulator User",
        "email": "user@emulator.invalid",
        "state": "Active",
        "roles": ["AppAdmin"],
        "created_at": epoch(USER_CREATED) if ctx.numeric_dates else USER_CREATED,
    }


ROUTES = [
    Endpoint("/api/health", ["GET"], health, "open"),
    Endpoint(f"{WORKSPACE}/me", ["GET"], me, "workspace"),
]
