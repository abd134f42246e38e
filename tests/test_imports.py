"""The import graph of qa/ and ui/ flows one way: every module imports in a fresh interpreter, and no chain of
imports (at module level or inside functions, absolute, relative or through importlib) leads back to where it
started or up the layers. Each rule is also run on a small tree written to break it, and must flag it."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from importlib.util import resolve_name
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("qa", "ui")
IMPORTERS = {"import_module", "__import__"}  # importlib.import_module("qa.x"), __import__("qa.x")


def module_names(root: Path = ROOT, packages=PACKAGES) -> dict[str, Path]:
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _package_of(name: str, path: Path) -> str:
    """The package a relative import in this module starts from."""
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def _string_import(node: ast.Call, package: str, modules) -> list[str] | None:
    """The modules an `import_module(...)` / `__import__(...)` call names; None when it is not one."""
    func = node.func
    called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    if called not in IMPORTERS or not node.args:
        return None
    arg = node.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        anchor = node.args[1] if called == "import_module" and len(node.args) > 1 else None
        anchor = next((k.value for k in node.keywords if k.arg == "package"), anchor)
        base = anchor.value if isinstance(anchor, ast.Constant) and isinstance(anchor.value, str) else package
        return [resolve_name(arg.value, base) if arg.value.startswith(".") else arg.value]
    if isinstance(arg, ast.JoinedStr) and arg.values and isinstance(arg.values[0], ast.Constant):
        # f"qa.formats.{kind}": any module under that prefix may be the one imported
        prefix = arg.values[0].value
        return [m for m in modules if m.startswith(prefix)] or [prefix]
    return ["?"]  # a name computed at run time: reported, since the graph cannot follow it


def import_graph(root: Path = ROOT, packages=PACKAGES, unresolved: list | None = None) -> dict[str, set[str]]:
    """Edges from each module to the project modules it imports, wherever the import sits. `unresolved` collects
    importlib calls whose module name is computed at run time."""
    modules = module_names(root, packages)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = _package_of(name, path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                # `from ..engine import Engine` in qa/index/segment.py is `from qa.engine import Engine`
                base = resolve_name("." * node.level + (node.module or ""), package) if node.level else node.module
                # `from qa.x import y`: y is a module of its own when there is one, else a name of qa.x
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            elif isinstance(node, ast.Call) and (targets := _string_import(node, package, modules)) is not None:
                if "?" in targets and unresolved is not None:
                    unresolved.append(f"{name}:{node.lineno}")
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


# Top to bottom, as qa/__init__.py draws it: a module may import its own layer and those below it.
LAYERS = ("cli", "cli_args", "ui", "bench", "evaluation", "engine", "render", "llm", "neural", "answer", "search", "index", "embed",
          "ingest", "language", "messages", "errors", "settings", "qa")
SHARED = {"messages", "errors", "settings", "qa"}


def layer(module: str) -> str:
    parts = module.split(".")
    return "ui" if parts[0] == "ui" else parts[1] if len(parts) > 1 else "qa"


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    upward = []
    for a, targets in sorted(graph.items()):
        for b in sorted(targets):
            la, lb = layer(a), layer(b)
            if la == lb or lb in SHARED and la not in SHARED or la == "ui" and lb not in ("cli", "bench"):
                continue
            if LAYERS.index(lb) <= LAYERS.index(la):
                upward.append(f"{a} -> {b}")
    return upward


def failed_imports(root: Path, names: list[str]) -> tuple[int, str]:
    """Import every module in one fresh interpreter started in `root`: its exit status and what it printed."""
    code = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\nprint('ok', len(sys.argv) - 1)"
    out = subprocess.run([sys.executable, "-c", code, *names], cwd=root, capture_output=True, text=True, timeout=300)
    return out.returncode, out.stdout + out.stderr


# --- the project itself -------------------------------------------------------------------


def test_the_import_graph_has_no_cycle():
    unresolved: list[str] = []
    graph = import_graph(unresolved=unresolved)
    assert len(graph) > 40 and graph["qa.cli"], "the walk found the project's modules and their imports"
    assert cycles(graph) == []
    assert unresolved == [], "importlib calls whose module the graph cannot follow"


def test_imports_go_down_the_layers():
    assert upward_imports(import_graph()) == []


def test_every_module_imports_in_a_fresh_interpreter():
    names = sorted(module_names())
    status, output = failed_imports(ROOT, names)
    assert status == 0, output[-2000:]
    assert output.strip() == f"ok {len(names)}"


# --- each rule breaks on a tree written to break it ---------------------------------------


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


# A miniature of the project's layout: engine above index.
TREE = {"qa/__init__.py": "", "qa/engine.py": "from qa.index import segment\n", "qa/index/__init__.py": "",
        "qa/index/segment.py": "X = 1\n", "qa/index/bm25.py": "from . import segment\n"}


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c", "a"]]


def test_a_clean_tree_passes_every_rule(tmp_path):
    graph = import_graph(write_tree(tmp_path, TREE), ("qa",))
    assert graph["qa.index.bm25"] == {"qa.index.segment"} and graph["qa.engine"] == {"qa.index.segment"}
    assert cycles(graph) == [] and upward_imports(graph) == []


@pytest.mark.parametrize("source", [
    "from ..engine import Engine\n",                                  # relative, two levels up
    "def late():\n    from .. import engine\n",                       # relative, inside a function
    "import importlib\nengine = importlib.import_module('qa.engine')\n",  # importlib by name
    "from importlib import import_module\nengine = import_module('..engine', 'qa.index')\n",  # importlib, relative
    "engine = __import__('qa.engine')\n",
])
def test_an_upward_import_is_flagged_however_it_is_written(tmp_path, source):
    tree = {**TREE, "qa/index/segment.py": source}
    graph = import_graph(write_tree(tmp_path, tree), ("qa",))
    assert "qa.index.segment -> qa.engine" in upward_imports(graph)
    assert ["qa.engine", "qa.index.segment", "qa.engine"] in cycles(graph)  # engine imports segment: a cycle too


def test_a_cycle_inside_one_layer_is_flagged(tmp_path):
    tree = {**TREE, "qa/index/segment.py": "import importlib\n\ndef f():\n    return importlib.import_module('qa.index.bm25')\n"}
    graph = import_graph(write_tree(tmp_path, tree), ("qa",))
    assert upward_imports(graph) == []  # same layer: allowed by the layer rule, caught by the cycle rule
    assert cycles(graph) == [["qa.index.segment", "qa.index.bm25", "qa.index.segment"]]


def test_an_import_by_a_computed_name_is_reported_and_a_prefixed_one_followed(tmp_path):
    tree = {**TREE, "qa/index/segment.py": "import importlib\n\ndef f(kind):\n    importlib.import_module(kind)\n"
                                           "    importlib.import_module(f'qa.eng{kind}')\n"}
    unresolved: list[str] = []
    graph = import_graph(write_tree(tmp_path, tree), ("qa",), unresolved)
    assert unresolved == ["qa.index.segment:4"]
    assert "qa.index.segment -> qa.engine" in upward_imports(graph)


def test_a_module_that_fails_to_import_is_flagged(tmp_path):
    root = write_tree(tmp_path, {"brokenpkg/__init__.py": "", "brokenpkg/good.py": "X = 1\n",
                                 "brokenpkg/bad.py": "from brokenpkg.good import Y\n"})
    status, output = failed_imports(root, sorted(module_names(root, ("brokenpkg",))))
    assert status != 0 and "ImportError" in output and "bad.py" in output
