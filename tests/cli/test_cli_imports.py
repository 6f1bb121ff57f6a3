"""The command line, the demo and the benchmark import project modules at the top
of their modules, and never import a command's module from elsewhere: what commands
share lives in ``cli.inputs``, ``cli.programs`` and ``cli.display``. The one
import inside a function is ``cli.main``'s of the chosen subcommand."""
from __future__ import annotations

import ast
from pathlib import Path

from tests.runtime.test_imports import function_level_project_imports

ROOT = Path(__file__).resolve().parents[2]

#: The command line's own modules, the demo's and the benchmark's. (``raspc fuzz``'s
#: module and the fuzzer have their own tests.)
CHECKED = sorted(set((ROOT / "benchmark").glob("*.py")) | set((ROOT / "cli").rglob("*.py"))
                 - {ROOT / "cli" / "commands" / "fuzz.py"})


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_project_imports_are_at_the_top_of_modules():
    found = [hit for path in CHECKED for hit in function_level_project_imports(path)]
    assert found == []


def test_the_demo_and_the_benchmark_import_no_command_module():
    users = [ROOT / "cli" / "demo.py", *sorted((ROOT / "benchmark").glob("*.py"))]
    assert {path.name for path in users} >= {"demo.py", "measure.py", "main.py"}
    assert {path.name: sorted(n for n in _imported(path) if n.startswith("cli.commands"))
            for path in users} == {path.name: [] for path in users}
