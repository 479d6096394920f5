"""Record-or-replay for the cassette tests outside LangChain's standard suite.

A test records against the session emulator when its cassette does not exist yet (or
``ZYLON_RECORD=1``), else replays it with no server at all: requests go to an
unroutable ``.invalid`` host and match on method, path and JSON body (key order aside),
never on host or port. ``authorization``, ``x-api-key`` and ``x-org`` are filtered out
before a cassette is written. A replay must make every recorded request.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any, Iterator

import pytest
import vcr

REPLAY_URL = "http://zylon.cassette.invalid"
FILTERED_HEADERS = ("authorization", "x-api-key", "x-org")


def _json_body(r1: Any, r2: Any) -> None:
    """vcr matcher: equal JSON bodies (key order aside), or equal raw bodies."""

    def load(body: Any) -> Any:
        if isinstance(body, (bytes, bytearray)):
            body = body.decode("utf-8", "replace")
        if not body:
            return None
        try:
            return json.loads(body)
        except ValueError:
            return body

    assert load(r1.body) == load(r2.body), "request bodies differ"


@contextlib.contextmanager
def record_or_replay(request: pytest.FixtureRequest, folder: Path) -> Iterator[tuple[str, bool]]:
    """Yield ``(base_url, recording)`` for the requesting test's cassette in ``folder``."""
    name = f"{request.node.name}.yaml"
    recording = os.environ.get("ZYLON_RECORD") == "1" or not (folder / name).exists()
    base_url = request.getfixturevalue("emulator").base_url if recording else REPLAY_URL
    if recording:
        # vcrpy's "all" mode keeps the interactions already in the file: start it anew.
        (folder / name).unlink(missing_ok=True)
    recorder = vcr.VCR(
        cassette_library_dir=str(folder),
        record_mode="all" if recording else "none",
        match_on=("method", "path", "json_body"),
        filter_headers=FILTERED_HEADERS,
        decode_compressed_response=True,
    )
    recorder.register_matcher("json_body", _json_body)
    with recorder.use_cassette(name) as tape:
        yield base_url, recording
    if not recording:
        assert tape.all_played, "the replay did not make every recorded request"
