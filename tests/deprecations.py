"""Deprecations caused by code that a test runs as a script (an example, a README block).

pyproject's ``filterwarnings`` turns a DeprecationWarning raised from our packages into an
error, by the module the warning points at. A library's warning points ``stacklevel``
frames up from itself, meant to land on its caller; some land one frame further (a
class deprecated through a wrapped ``__init__``), on whatever ran the script: the
``exec`` line of a test, or ``runpy``. :func:`no_deprecations_from` catches those too.
"""

from __future__ import annotations

import contextlib
import runpy
import warnings
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
OUR_CODE = tuple(str(ROOT / name) for name in ("langchain_zylon", "llama_index_zylon", "zylon_core", "examples"))


@contextlib.contextmanager
def no_deprecations_from(*runners: str) -> Iterator[None]:
    """Fail if the block raises a DeprecationWarning that points at our code, at a file
    named in ``runners`` (the code being run, and what runs it), or at ``runpy``. Other
    warnings are reported as usual."""
    places = (*OUR_CODE, *(str(r) for r in runners), str(runpy.__file__), "<frozen runpy>")
    with warnings.catch_warnings(record=True) as caught:  # keeps the configured filters
        yield
    ours = [w for w in caught if issubclass(w.category, DeprecationWarning) and str(w.filename).startswith(places)]
    for w in caught:
        if not any(w is o for o in ours):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    assert not ours, "deprecated APIs used: " + "; ".join(f"{w.filename}:{w.lineno}: {w.message}" for w in ours)
