"""The files a program reads while it is staged: ``load`` and ``@table``.

A name is looked for beside the file that names it, then on the search path, then
in the current directory.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from rasp.builtins import Env, table_atom
from rasp.errors import RaspNameError, RaspTypeError


class Recorder:
    """Stands between a loaded file and its loader: passes names on, keeps a list."""

    def __init__(self, target: Env):
        self.target = target
        self.shared: list[tuple[str, Any]] = []

    def set(self, name: str, value: Any, location) -> None:
        self.target.set(name, value, location)
        self.shared.append((name, value))


def find_file(name: str, file: str, search_path: tuple[str, ...], location, what: str) -> str:
    """The resolved path of ``name``, looked for beside ``file``, on ``search_path``,
    then in the current directory."""
    folders = []
    if file and not file.startswith("<"):
        folders.append(str(Path(file).resolve().parent))
    folders.extend(search_path)
    folders.append(os.getcwd())
    for folder in folders:
        candidate = Path(folder) / name
        if candidate.is_file():
            return str(candidate.resolve())
    raise RaspNameError(f"{what}: could not find {name!r} (looked in {', '.join(folders)})", location)


def read_source(path: str, location) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as failure:
        raise RaspNameError(f"cannot read {path}: {failure}", location) from None


def read_table(path: str, location) -> dict:
    """An ``@table`` file: one key and value per line, separated by a tab; blank lines
    and ``#`` comments skipped; numbers read as numbers."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as failure:
        raise RaspNameError(f"cannot read table {path}: {failure}", location) from None
    table: dict = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        columns = line.rstrip("\r\n").split("\t")
        if len(columns) < 2:
            raise RaspTypeError(f"{path}:{number}: a table line needs a key and a value "
                                "separated by a tab", location)
        table[table_atom(columns[0])] = table_atom(columns[1])
    return table
