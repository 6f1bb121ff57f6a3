"""What importing the runtime pulls in: never the language (``rasp``) or the
compiler, so a model file runs where only the runtime is installed; and
``raspc eval``, which only interprets, never imports JAX. Each check runs in a
fresh interpreter, where nothing else has imported them first."""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Top-level packages of this project: an import of one of them is a project import.
PROJECT = {"raspc", "rasp", "compiler", "runtime", "cli", "benchmark", "fuzz", "tests", "programs"}


def _modules_after(code: str) -> list[str]:
    """The names in sys.modules after running ``code`` in a fresh interpreter."""
    script = code + "\nimport json, sys\nprint('MODULES=' + json.dumps(sorted(sys.modules)))\n"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stdout.splitlines() if line.startswith("MODULES="))
    return json.loads(line[len("MODULES="):])


def _of_package(modules: list[str], package: str) -> list[str]:
    return [m for m in modules if m == package or m.startswith(package + ".")]


def _runtime_modules() -> list[str]:
    return sorted(".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
                  for path in (ROOT / "runtime").rglob("*.py"))


def test_the_runtime_imports_neither_the_language_nor_the_compiler():
    modules = _modules_after("import runtime, runtime.engine.forward, runtime.engine.packed, runtime.io, "
                             "runtime.lens, runtime.outputs")
    assert "runtime.engine.forward" in modules and "runtime.lens" in modules
    assert _of_package(modules, "compiler") == [] and _of_package(modules, "rasp") == []


def test_no_runtime_module_imports_the_language_or_the_compiler():
    names = _runtime_modules()
    assert "runtime.engine.dense" in names and "runtime.engine.batching" in names
    modules = _modules_after("\n".join(f"import {name}" for name in names))
    assert set(names) <= set(modules)
    assert _of_package(modules, "compiler") == [] and _of_package(modules, "rasp") == []


def test_raspc_eval_does_not_import_jax_or_the_compiler():
    modules = _modules_after(
        "import contextlib, io\n"
        "from cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    assert main(['eval', 'programs/reverse.rasp']) == 0\n"
        "assert 'reverse' in out.getvalue()\n")
    assert "cli.commands.eval" in modules
    assert _of_package(modules, "jax") == [] and _of_package(modules, "compiler") == []
    assert _of_package(modules, "runtime.engine") == []
    assert [m for m in modules if m.startswith("cli.commands.") and m != "cli.commands.eval"] == []
    assert _of_package(modules, "networkx") == []  # only the compiler's scheduler needs it


def function_level_project_imports(path: Path) -> list[str]:
    """``file:line`` of every import of a project module inside a function or class."""
    found = []
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.Import):
                names = [alias.name for alias in inner.names]
            elif isinstance(inner, ast.ImportFrom) and inner.level == 0 and inner.module:
                names = [inner.module]
            else:
                continue
            if any(name.split(".")[0] in PROJECT for name in names):
                found.append(f"{path.relative_to(ROOT)}:{inner.lineno}")
    return sorted(set(found))


#: The one module that imports inside functions: ``Runner`` imports the JAX passes
#: when a batch first needs them, so that a few inputs never import JAX.
LAZY = {ROOT / "runtime" / "engine" / "forward.py"}


def test_runtime_modules_import_at_their_top():
    assert [hit for path in sorted((ROOT / "runtime").rglob("*.py")) if path not in LAZY
            for hit in function_level_project_imports(path)] == []
    lazy = [hit for path in LAZY for hit in function_level_project_imports(path)]
    assert lazy and all(hit.startswith("runtime/engine/forward.py") for hit in lazy)


def test_raspc_run_on_one_input_does_not_import_jax():
    modules = _modules_after(
        "import contextlib, io\n"
        "from cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    assert main(['run', 'programs/reverse.rasp', '--input', 'abca']) == 0\n"
        "assert 'reverse(\"abca\") = [a, c, b, a]' in out.getvalue()\n")
    assert "cli.commands.run" in modules and "runtime.engine.small" in modules
    assert _of_package(modules, "jax") == []
