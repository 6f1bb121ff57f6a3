"""What the READMEs point at exists: every path into the source, every module and name
they cite (``runtime.engine.forward``), every ``python -m`` module and ``make`` target.
"""
from __future__ import annotations

import importlib
import os
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.project.sources import PACKAGES

#: Folders that hold no documents of ours: tools' state, builds, the benchmark's output.
NOT_DOCUMENTS = {"bench", "build", "demo_out", "__pycache__"}


def markdown_files() -> list[str]:
    found = []
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [name for name in subfolders if not name.startswith(".") and name not in NOT_DOCUMENTS]
        found += [(Path(folder) / name).relative_to(ROOT).as_posix() for name in files if name.endswith(".md")]
    return sorted(found)


DOCUMENTS = markdown_files()

FOLDERS = PACKAGES + ("programs", "tests", "scripts")
PATH = re.compile(r"(?<![\w/.-])((?:%s)/[\w./-]*)" % "|".join(FOLDERS))
DOTTED = re.compile(r"(?<![\w/.-])((?:%s)(?:\.\w+)+)" % "|".join(PACKAGES))
RUN_MODULE = re.compile(r"python -m ([\w.]+)")
MAKE = re.compile(r"\bmake ([a-z][\w-]*)")
CODE = re.compile(r"```.*?```|`[^`\n]+`", re.S)


def text(document: str) -> str:
    return (ROOT / document).read_text(encoding="utf-8")


def code(document: str) -> str:
    """The code blocks and code spans only (prose may say "make" without a target)."""
    return "\n".join(CODE.findall(text(document)))


#: File names that stand for any file (``raspc verify programs/X.rasp``).
PLACEHOLDERS = {"X"}


def cited_paths(document: str) -> list[str]:
    """Paths into the project's folders, but for placeholders."""
    paths = {match.rstrip(".,;:") for match in PATH.findall(text(document))}
    return sorted(path for path in paths if path.rsplit("/", 1)[-1].split(".")[0] not in PLACEHOLDERS)


def resolves(dotted: str) -> bool:
    """A module, or a name defined in one (``runtime.engine.forward.Runner``)."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:end]))
        except ModuleNotFoundError:
            continue
        for name in parts[end:]:
            if not hasattr(found, name):
                return False
            found = getattr(found, name)
        return True
    return False


def make_targets() -> set[str]:
    return set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M))


@pytest.mark.parametrize("document", DOCUMENTS)
def test_cited_paths_exist(document: str):
    paths = cited_paths(document)
    missing = [path for path in paths if not (ROOT / path).exists()]
    assert not missing, f"{document} cites {missing}"


@pytest.mark.parametrize("document", DOCUMENTS)
def test_cited_modules_and_names_exist(document: str):
    cited = sorted(set(DOTTED.findall(text(document))) | set(RUN_MODULE.findall(text(document))))
    missing = [name for name in cited if not resolves(name)]
    assert not missing, f"{document} cites {missing}"


@pytest.mark.parametrize("document", DOCUMENTS)
def test_cited_make_targets_exist(document: str):
    missing = sorted(set(MAKE.findall(code(document))) - make_targets())
    assert not missing, f"{document} cites make {missing}"


def test_the_documents_are_found():
    assert {"README.md", "programs/README.md"} <= set(DOCUMENTS)
    assert len(cited_paths("README.md")) > 20


def test_the_patterns_find_what_they_should():
    """A stand-in for each kind of reference, and the three that must not be taken for one."""
    sample = ("see `compiler/passes/` and runtime/engine/forward.py, then `runtime.engine.forward.Runner`;\n"
              "python -m benchmark.main; make test-fast. Not: bench/results.md, lens.html, programs/X.rasp")
    assert PATH.findall(sample) == ["compiler/passes/", "runtime/engine/forward.py", "programs/X.rasp"]
    assert DOTTED.findall(sample) == ["runtime.engine.forward.Runner", "benchmark.main"]
    assert MAKE.findall(sample) == ["test-fast"]
    assert CODE.findall("a `make x` b\n```\nmake y\n```\nmake z") == ["`make x`", "```\nmake y\n```"]
    assert resolves("runtime.engine.forward.Runner") and not resolves("runtime.bench")
