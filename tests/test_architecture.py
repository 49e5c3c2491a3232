"""The layout of docs/ARCHITECTURE.md, checked: arrows between apps run one way, no module imports
itself back at load time, no module grows past ~600 lines.

Imports are read with `ast`, not by importing: what counts is what the source says. An import
inside a function body (the HackSoft way for a task to reach its service) is not a load-time
arrow and is left out of the cycle check, but it still may not point at a forbidden app.
"""

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("regions", "metrics", "dashboard", "digests", "demo", "sferum_migration")
MAX_LINES = 600
MAX_FUNCTION_LINES = 120
# Functions allowed to be longer, each with the reason written beside it in the code.
LONG_FUNCTIONS_ALLOWED = {
    "_parse_rows",  # the importer's hot loop: one pass per row, no calls per cell (see its comment)
}

# app → the apps it must never import (ARCHITECTURE.md, "The apps and their one-way arrows").
FORBIDDEN = {
    "regions": {"metrics", "dashboard", "digests", "demo"},
    "metrics": {"dashboard", "digests", "demo"},
    "digests": {"dashboard", "demo"},
    "dashboard": {"demo"},
}
# The one documented exception: the registry's admin moves organisations through metrics.
ALLOWED = {("regions/admin.py", "metrics")}


def _source_files(root: Path = ROOT):
    for app in APPS:
        for path in sorted((root / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(tree: ast.Module, module: str, is_package: bool):
    """(imported module, at load time?) for every import in the tree."""
    top_level = {id(node) for node in tree.body}
    # `if TYPE_CHECKING:` blocks do not run.
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            top_level -= {id(n) for n in ast.walk(node)}
        elif isinstance(node, ast.If | ast.Try):
            top_level |= {id(n) for n in ast.walk(node)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, id(node) in top_level
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield target, id(node) in top_level
            for alias in node.names:  # `from pkg import module` imports pkg.module
                yield f"{target}.{alias.name}", id(node) in top_level


def import_graph(root: Path = ROOT):
    """{module: {(imported project module, load time?)}} and {module: path}."""
    paths = {_module_name(p, root): p for p in _source_files(root)}
    graph = defaultdict(set)
    for module, path in paths.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for target, load_time in _imports(tree, module, path.name == "__init__.py"):
            # The longest project module the name refers to (`metrics.services.uploads.X` →
            # `metrics.services.uploads`).
            parts = target.split(".")
            while parts and ".".join(parts) not in paths:
                parts.pop()
            if parts and ".".join(parts) != module:
                graph[module].add((".".join(parts), load_time))
    return graph, paths


def arrow_violations(root: Path = ROOT):
    graph, paths = import_graph(root)
    found = set()
    for module, targets in graph.items():
        app = module.split(".")[0]
        rel = paths[module].relative_to(root).as_posix()
        for target, _ in targets:
            target_app = target.split(".")[0]
            if target_app in FORBIDDEN.get(app, ()) and (rel, target_app) not in ALLOWED:
                found.add(f"{rel} imports {target_app}")
    return sorted(found)


def load_time_cycles(root: Path = ROOT):
    """Every cycle among load-time imports, as a list of module names (Tarjan's SCCs)."""
    graph, paths = import_graph(root)
    edges = {m: sorted(t for t, load_time in graph.get(m, ()) if load_time) for m in paths}
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return cycles


def oversized_modules(root: Path = ROOT, limit: int = MAX_LINES):
    found = []
    for path in _source_files(root):
        lines = path.read_text(encoding="utf-8").count("\n")
        if lines > limit:
            found.append(f"{path.relative_to(root).as_posix()}: {lines} lines")
    return found


def long_functions(root: Path = ROOT, limit: int = MAX_FUNCTION_LINES):
    found = []
    for path in _source_files(root):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > limit and node.name not in LONG_FUNCTIONS_ALLOWED:
                    found.append(f"{path.relative_to(root).as_posix()}: {node.name}, {length} lines")
    return found


def test_arrows_between_apps_run_one_way():
    assert arrow_violations() == []


def test_no_import_cycle_at_load_time():
    assert load_time_cycles() == []


def test_no_module_over_600_lines():
    assert oversized_modules() == []


def test_no_function_over_120_lines():
    assert long_functions() == []


@pytest.fixture
def planted(tmp_path):
    """A small tree with one of each fault, to show the checks find what they claim to."""

    def write(rel, text):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    for app in APPS:
        write(f"{app}/__init__.py", "")
    write("regions/models.py", "from metrics.models import Snapshot\n")
    write("regions/admin.py", "from metrics.services import registry_move\n")
    write("metrics/models.py", "")
    write("metrics/services.py", "from metrics import tasks\n")
    write("metrics/tasks.py", "from metrics.services import upload_process\n")
    write("metrics/selectors.py", "def f():\n    from dashboard import views\n")
    write("metrics/pure.py", "from . import models\n")
    write("dashboard/views.py", "x = 1\n" * (MAX_LINES + 1))
    write("digests/content.py", "def long():\n" + "    x = 1\n" * MAX_FUNCTION_LINES)
    write("metrics/migrations/0001_initial.py", "x = 1\n" * (MAX_LINES + 1))
    return tmp_path


def test_the_checks_find_planted_faults(planted):
    assert arrow_violations(planted) == [
        "metrics/selectors.py imports dashboard",
        "regions/models.py imports metrics",
    ]
    assert load_time_cycles(planted) == [["metrics.services", "metrics.tasks"]]
    assert oversized_modules(planted) == [f"dashboard/views.py: {MAX_LINES + 1} lines"]
    assert long_functions(planted) == [f"digests/content.py: long, {MAX_FUNCTION_LINES + 1} lines"]
