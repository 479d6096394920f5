"""The packages' layering, read from the source (every import, TYPE_CHECKING ones too):
no import cycle among zylon_core's modules, the core knows neither framework, the
adapters never import each other, and modules stay small."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("zylon_core", "langchain_zylon", "llama_index_zylon")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports (absolute names), wherever the import statement is."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)  # `from . import x`
    return found


def _sources(package: str) -> dict[str, Path]:
    return {_module_name(p): p for p in (ROOT / package).rglob("*.py")}


def _core_graph() -> dict[str, set[str]]:
    modules = _sources("zylon_core")
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        if name.startswith("zylon_core.emulator") or name.startswith("zylon_core.doctor"):
            continue  # applications on top of the core, each checked on its own
        # Importing a submodule runs its package's __init__ first: a package edge is not a
        # cycle by itself, so only module-to-module edges count.
        graph[name] = {m for m in _imports(path) if m in modules and m != name and m != "zylon_core"}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycle_in_the_core() -> None:
    graph = _core_graph()
    assert len(graph) > 20  # the walk found the modules
    assert _cycle(graph) is None, f"import cycle: {' -> '.join(_cycle(graph) or [])}"


def test_the_cycle_finder_finds_cycles() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("zylon_core", ("langchain", "langchain_core", "langgraph", "llama_index", "langchain_zylon", "llama_index_zylon")),
        ("langchain_zylon", ("llama_index", "llama_index_zylon")),
        ("llama_index_zylon", ("langchain", "langchain_core", "langgraph", "langchain_zylon")),
    ],
)
def test_who_may_import_whom(package: str, forbidden: tuple[str, ...]) -> None:
    offenders = sorted(
        f"{name} imports {module}"
        for name, path in _sources(package).items()
        for module in _imports(path)
        if module.split(".")[0] in forbidden
    )
    assert offenders == []


def test_modules_stay_small() -> None:
    # The emulator, a program of its own, may hold larger route tables.
    large = sorted(
        f"{name}: {len(path.read_text().splitlines())} lines"
        for package in PACKAGES
        for name, path in _sources(package).items()
        if not name.startswith("zylon_core.emulator") and len(path.read_text().splitlines()) > 500
    )
    assert large == []
