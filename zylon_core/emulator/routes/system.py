"""``GET /api/health``: the emulator is up (no credentials needed)."""

from __future__ import annotations

from typing import Any

from ..context import Context, Endpoint


async def health(ctx: Context) -> Any:
    return {"status": "ok", "emulator": True}


ROUTES = [Endpoint("/api/health", ["GET"], health, "open")]
