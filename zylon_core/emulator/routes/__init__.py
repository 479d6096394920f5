"""The emulator's endpoints, one module per resource; :func:`endpoints` is the whole table.

* :mod:`.system`: ``/api/health`` and ``/api/v1/app/me``.
* :mod:`.chat`: Workspace one-shot chat, its validation, and project chat.
* :mod:`.threads`: threads, interactions, and an interaction's stream and cancel (current
  or legacy paths, by the option ``paths``).
* :mod:`.projects`: projects.
* :mod:`.artifacts` and :mod:`.artifact_ops`: a project's artifacts (JSON or multipart
  uploads), their content, bulk update/delete, download, sync, linked-artifact checks.
* :mod:`.search`: the Workspace search.
* :mod:`.gpt`: ZylonGPT messages, validation, token counting, models, legacy completions.
* :mod:`.gpt_async`: ZylonGPT async messages.
* :mod:`.gpt_artifacts`: ZylonGPT embeddings, chunk search and artifacts.
"""

from __future__ import annotations

from ..context import Endpoint
from ..options import EmulatorOptions
from . import artifact_ops, artifacts, chat, gpt, gpt_artifacts, gpt_async, projects, search, system, threads


def endpoints(options: EmulatorOptions) -> list[Endpoint]:
    return [
        *system.ROUTES,
        *chat.ROUTES,
        *projects.ROUTES,
        *threads.routes(options.paths),
        *artifact_ops.ROUTES,  # before artifacts: ``/artifact/bulk`` is not an artifact id
        *artifacts.ROUTES,
        *search.ROUTES,
        *gpt.ROUTES,
        *gpt_async.ROUTES,
        *gpt_artifacts.ROUTES,
    ]
