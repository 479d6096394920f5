"""The emulator's endpoints, one module per resource; :data:`ENDPOINTS` is the whole table.

* :mod:`.system`: ``/api/health``.
* :mod:`.chat`: Workspace one-shot chat, its validation, and project chat.
* :mod:`.threads`: threads, interactions, and an interaction's stream and cancel.
* :mod:`.projects`: projects.
* :mod:`.artifacts`: a project's artifacts (JSON or multipart uploads) and their content.
* :mod:`.search`: the Workspace search.
* :mod:`.gpt`: ZylonGPT messages, validation, embeddings, chunk search and ingestion.
"""

from __future__ import annotations

from ..context import Endpoint
from . import artifacts, chat, gpt, projects, search, system, threads

ENDPOINTS: list[Endpoint] = [
    *system.ROUTES,
    *chat.ROUTES,
    *projects.ROUTES,
    *threads.ROUTES,
    *artifacts.ROUTES,
    *search.ROUTES,
    *gpt.ROUTES,
]
