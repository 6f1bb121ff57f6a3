"""Every saved failing program (tests/regressions/*.rasp) must now compile to a model
that agrees with the interpreter on all its inputs, through the dense pass and the
packed one.

A file whose first lines hold ``# xfail: REASON`` records a known, not yet fixed,
compiler fault: its test is expected to fail, for that reason.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from fuzz.check import check_source
from fuzz.findings import REGRESSIONS

FILES = sorted(Path(REGRESSIONS).glob("*.rasp"))


def _case(path: Path):
    match = re.search(r"^# xfail: (.+)$", path.read_text(encoding="utf-8"), re.MULTILINE)
    marks = [pytest.mark.xfail(reason=match.group(1), strict=False)] if match else []
    return pytest.param(path, id=path.stem, marks=marks)


@pytest.mark.parametrize("path", [_case(p) for p in FILES])
def test_fuzz_regression(path: Path):
    outcome = check_source(path.read_text(encoding="utf-8"))
    assert outcome.status == "ok", (
        f"{outcome.status} in {outcome.failed_passes}: {outcome.detail} on {outcome.input!r}: "
        f"expected {outcome.expected!r}, got {outcome.got!r}")


def test_fuzz_regressions_folder_holds_only_programs():
    assert REGRESSIONS.is_dir()
    assert all(p.suffix in (".rasp", ".md") for p in REGRESSIONS.iterdir())
