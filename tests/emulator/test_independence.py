"""The emulator answers from its own code only: no module under ``zylon_core/emulator``
imports the client (``zylon_core`` outside ``zylon_core.emulator``).

The emulator is the stand-in the client is checked against; if it validated requests
with the client's models or rebuilt answers with the client's accumulator, a bug in
those would pass every test. ``zylon_core._version`` is the one module it may share.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import zylon_core.emulator

EMULATOR = Path(zylon_core.emulator.__file__).parent
ALLOWED = ("zylon_core.emulator", "zylon_core._version")


def module_name(path: Path) -> str:
    parts = path.relative_to(EMULATOR.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, is_package: bool) -> list[str]:
    """Every module ``source`` imports, relative imports resolved against ``module``."""
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # ``from . import x`` may import a submodule: check each name as one too.
            found.append(target)
            found.extend(f"{target}.{alias.name}" for alias in node.names if not node.module)
    return found


def client_imports(source: str, module: str, is_package: bool) -> list[str]:
    return [
        name
        for name in imported_modules(source, module, is_package)
        if (name == "zylon_core" or name.startswith("zylon_core."))
        and not any(name == allowed or name.startswith(allowed + ".") for allowed in ALLOWED)
    ]


@pytest.mark.parametrize(
    ("source", "module", "found"),
    [
        ("from ...streaming import StreamAccumulator", "zylon_core.emulator.routes.threads", ["zylon_core.streaming"]),
        ("from ..models import ChatRequest", "zylon_core.emulator.validation", ["zylon_core.models"]),
        ("from .. import models", "zylon_core.emulator.app", ["zylon_core", "zylon_core.models"]),
        ("import zylon_core.models.blocks", "zylon_core.emulator.sse", ["zylon_core.models.blocks"]),
        ("from zylon_core import errors", "zylon_core.emulator.app", ["zylon_core"]),
        ("from .schemas import ChatRequest\nfrom ..answers import envelope", "zylon_core.emulator.routes.chat", []),
        ("from zylon_core._version import __version__", "zylon_core.emulator.app", []),
    ],
)
def test_the_scan_tells_client_imports_from_emulator_ones(source: str, module: str, found: list[str]) -> None:
    assert client_imports(source, module, is_package=False) == found


def test_no_emulator_module_imports_the_client() -> None:
    files = sorted(EMULATOR.rglob("*.py"))
    assert len(files) > 10 and EMULATOR / "routes" / "chat.py" in files
    offenders = {}
    for path in files:
        found = client_imports(path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py")
        if found:
            offenders[str(path.relative_to(EMULATOR))] = found
    assert offenders == {}, f"emulator modules import the client: {offenders}"
