"""The project's own modules and the imports between them, read from the source.

Parsing rather than importing sees every import, those inside functions included, and
sees them whether or not the module would import today.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ROOT

#: The installed packages, in the order data flows through them: the shared errors,
#: the language, the model format and engine, the compiler, and the tools on top.
PACKAGES = ("raspc", "rasp", "runtime", "compiler", "fuzz", "benchmark", "cli")


@dataclass(frozen=True)
class Module:
    """One source file: its dotted name, its path, and its package (``compiler``)."""

    name: str
    path: Path

    @property
    def package(self) -> str:
        return self.name.split(".")[0]

    @property
    def is_package(self) -> bool:
        return self.path.name == "__init__.py"


@dataclass(frozen=True)
class Import:
    """One import of a project module: which module, from where, and on which line."""

    target: str
    module: str
    line: int

    def __str__(self) -> str:
        return f"{self.module}:{self.line} imports {self.target}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules(folders: tuple[str, ...] = PACKAGES) -> list[Module]:
    """Every .py file under the given top-level folders, sorted by name."""
    paths = [path for folder in folders for path in (ROOT / folder).rglob("*.py")
             if "__pycache__" not in path.parts]
    return sorted((Module(module_name(path), path) for path in paths), key=lambda m: m.name)


def resolve(module: Module, node: ast.ImportFrom) -> str:
    """The absolute name of what ``from ... import`` reads from."""
    if not node.level:
        return node.module or ""
    base = module.name.split(".")
    if not module.is_package:
        base = base[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def owner(name: str, known: set[str]) -> str | None:
    """The longest project module that ``name`` names or lies in (``a.b.f`` -> ``a.b``)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in known:
            return prefix
    return None


def imports(module: Module, known: set[str]) -> list[Import]:
    """The project modules ``module`` imports, anywhere in its body.

    ``from a.b import c`` imports the module ``a.b.c`` when there is one, otherwise
    ``a.b`` (``c`` is then a name defined in it).
    """
    found = []
    for node in ast.walk(ast.parse(module.path.read_text(encoding="utf-8"), str(module.path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = resolve(module, node)
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                     for alias in node.names]
        else:
            continue
        for name in names:
            target = owner(name, known)
            if target is not None and target != module.name:
                found.append(Import(target, module.name, node.lineno))
    return found
