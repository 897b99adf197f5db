"""The import graph of the project's packages has no cycle (issue 18).

Every ``import`` statement counts, those inside functions too: a "late" import hides a
cycle from the interpreter, not from the design (``access → auth → web → privacy →
access`` was one). The graph is read from the source (``ast``), so the test needs no
imports of its own and names the modules of a cycle when it finds one.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("dashboard", "layouts", "queries")


def module_files(root: Path, packages=PACKAGES) -> dict[str, Path]:
    """Module name → file, for every ``.py`` file of ``packages`` under ``root``."""
    out = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


def import_graph(files: dict[str, Path]) -> dict[str, set[str]]:
    """Module → the project modules it imports anywhere in its body (``from x import y``
    counts as ``x.y`` when that is a module, else ``x``)."""

    def resolve(name: str) -> str | None:
        while name and name not in files:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for name, path in files.items():
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                targets = [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            deps.update(t for t in map(resolve, targets) if t and t != name)
        graph[name] = deps
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_project_import_graph_has_no_cycle():
    files = module_files(ROOT)
    assert "dashboard.access" in files and "dashboard.persons" in files
    graph = import_graph(files)
    # the edges that made the old cycle are gone, the needed ones are there
    assert "dashboard.access" not in graph["dashboard.auth.policy"]
    assert "dashboard.privacy" in graph["dashboard.persons"]
    assert not any(m.startswith("dashboard.privacy") for m in graph["dashboard.auth.web"])
    assert cycles(graph) == []


def test_the_walk_finds_a_cycle_through_a_late_import(tmp_path):
    # the shape of the old cycle: a → b at the top, b → a inside a function
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "a.py").write_text("from pkg import b\n")
    (tmp_path / "pkg" / "b.py").write_text("def f():\n    from pkg.a import x\n")
    (tmp_path / "pkg" / "c.py").write_text("import pkg.a\n")
    graph = import_graph(module_files(tmp_path, ("pkg",)))
    assert cycles(graph) == [["pkg.a", "pkg.b"]]


@pytest.mark.parametrize("module", ["dashboard.access", "dashboard.persons"])
def test_a_module_imports_alone_in_a_fresh_interpreter(module):
    done = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
