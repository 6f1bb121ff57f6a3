"""The architecture's rules, checked on the source: module sizes, which package may
import which, no import cycles, and that importing a package loads only what it may.

Each rule's known exceptions are listed once, below, with the reason; a file or cycle
not listed there fails.
"""
from __future__ import annotations

import os
import subprocess
import sys

import networkx as nx
import pytest

from tests.conftest import ROOT
from tests.project.sources import PACKAGES, Import, Module, imports, project_modules

MAX_LINES = 600

#: The project packages each package may import (besides itself), following the data
#: flow: the language and the model format know nothing of the compiler, the compiler
#: writes the model format, and the tools sit on top (the command line on all of them).
ALLOWED = {
    "raspc": set(),
    "rasp": {"raspc"},
    "runtime": {"raspc"},
    "compiler": {"raspc", "rasp", "runtime"},
    "fuzz": {"raspc", "rasp", "runtime", "compiler"},
    "benchmark": {"raspc", "rasp", "runtime", "compiler"},
    "cli": {"raspc", "rasp", "runtime", "compiler", "fuzz", "benchmark"},
}

MODULES = project_modules()
KNOWN = {module.name for module in MODULES}
SIZED = MODULES + project_modules(("scripts",))


def lines_in(module: Module) -> int:
    return len(module.path.read_text(encoding="utf-8").splitlines())


def relative(module: Module) -> str:
    return module.path.relative_to(ROOT).as_posix()


def sized_params() -> list:
    return [pytest.param(module, id=relative(module)) for module in SIZED]


def all_imports() -> list[Import]:
    return [found for module in MODULES for found in imports(module, KNOWN)]


def test_the_packages_are_all_there():
    """The rules below read these folders; a rename must update them, not skip them."""
    assert {module.package for module in MODULES} == set(PACKAGES) == set(ALLOWED)
    assert len(MODULES) > 40


@pytest.mark.parametrize("module", sized_params())
def test_no_module_is_over_600_lines(module: Module):
    assert lines_in(module) <= MAX_LINES, f"{relative(module)} has {lines_in(module)} lines"


def test_imports_follow_the_data_flow():
    """Counting imports inside functions too: they run as surely, only later."""
    broken = [found for found in all_imports()
              if found.target.split(".")[0] not in ALLOWED[found.module.split(".")[0]] | {found.module.split(".")[0]}]
    assert not broken, "\n".join(map(str, broken))


def import_graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_nodes_from(KNOWN)
    graph.add_edges_from((found.module, found.target) for found in all_imports())
    return graph


def tangles(graph: nx.DiGraph) -> list[frozenset[str]]:
    """The sets of modules that import each other in a circle (a module importing itself
    is one too)."""
    return [frozenset(component) for component in nx.strongly_connected_components(graph)
            if len(component) > 1 or graph.has_edge(*2 * tuple(component))]


def test_no_import_cycles():
    """The module import graph (function-level imports included) is a DAG."""
    graph = import_graph()
    new = tangles(graph)
    assert not new, "\n".join(shown_cycle(nx.find_cycle(graph.subgraph(tangle))) for tangle in new)


def shown_cycle(edges: list[tuple[str, str]]) -> str:
    return " -> ".join([edge[0] for edge in edges] + [edges[0][0]])


def test_the_graph_sees_imports_inside_functions(tmp_path):
    """The parser counts an import inside a function, and one inside a class's method."""
    source = tmp_path / "example.py"
    source.write_text("import rasp.ir\n\ndef f():\n    from runtime import model\n\n"
                      "class C:\n    def g(self):\n        from compiler.passes.pipeline import lower\n")
    found = {(item.target, item.line) for item in imports(Module("cli.example", source), KNOWN)}
    assert found == {("rasp.ir", 1), ("runtime.model", 4), ("compiler.passes.pipeline", 8)}


def forbidden(package: str) -> list[str]:
    return sorted(set(PACKAGES) - ALLOWED[package] - {package})


@pytest.mark.parametrize("package", [p for p in PACKAGES if forbidden(p)])
def test_importing_a_package_loads_none_it_may_not_use(package: str):
    """In a fresh interpreter, importing every module of ``package`` (``runtime``
    alone: no compiler, no language) leaves the forbidden packages unloaded."""
    names = [module.name for module in MODULES if module.package == package
             and not module.name.endswith("__main__")]
    script = ("import importlib, sys\n"
              f"for name in {names!r}:\n    importlib.import_module(name)\n"
              f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(forbidden(package))!r}))")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"importing {package} loads {done.stdout.strip()}"
