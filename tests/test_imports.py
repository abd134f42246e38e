"""The import graph of qa/ and ui/ flows one way: every module imports in a fresh interpreter, and no chain of
imports (at module level or inside functions) leads back to where it started."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("qa", "ui")


def module_names() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def import_graph() -> dict[str, set[str]]:
    """Edges from each module to the project modules it names in an import statement, wherever it sits."""
    modules = module_names()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from qa.x import y`: y is a module of its own when there is one, else a name of qa.x
                targets = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module for a in node.names]
            else:
                continue
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found, state, stack = [], {}, []

    def visit(node: str) -> None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def test_the_import_graph_has_no_cycle():
    graph = import_graph()
    assert len(graph) > 40 and graph["qa.cli"], "the walk found the project's modules and their imports"
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c", "a"]]


# Top to bottom, as qa/__init__.py draws it: a module may import its own layer and those below it.
LAYERS = ("cli", "ui", "bench", "evaluation", "engine", "render", "llm", "neural", "answer", "search", "index", "embed", "ingest",
          "language", "messages", "errors", "settings", "qa")
SHARED = {"messages", "errors", "settings", "qa"}


def layer(module: str) -> str:
    parts = module.split(".")
    return "ui" if parts[0] == "ui" else parts[1] if len(parts) > 1 else "qa"


def test_imports_go_down_the_layers():
    upward = []
    for a, targets in import_graph().items():
        for b in targets:
            la, lb = layer(a), layer(b)
            if la == lb or lb in SHARED and la not in SHARED or la == "ui" and lb not in ("cli", "bench"):
                continue
            if LAYERS.index(lb) <= LAYERS.index(la):
                upward.append(f"{a} -> {b}")
    assert upward == []


def test_every_module_imports_in_a_fresh_interpreter():
    names = sorted(module_names())
    code = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\nprint('ok', len(sys.argv) - 1)"
    out = subprocess.run([sys.executable, "-c", code, *names], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == f"ok {len(names)}"
