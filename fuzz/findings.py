"""Where the differential fuzzer's findings are written, and how.

A finding is a shrunk program that compiled to a wrong answer (or crashed the
compiler), saved as ``<hash>.rasp`` with what it showed in a comment at the top. By
default findings go into a fresh folder under the system's temporary directory
(``findings_folder``), never into the source tree; ``tests/regressions/``
(``REGRESSIONS``), whose files the regression tests run forever after, receives them
only when asked (``raspc fuzz --save-regressions``).
"""
from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from fuzz.check import Outcome

#: The saved findings the regression tests run (tests/fuzz/test_fuzz_regressions.py).
REGRESSIONS = Path(__file__).resolve().parents[1] / "tests" / "regressions"


def findings_folder() -> Path:
    """A new, empty folder for one run's findings, under the system's temporary
    directory (``$TMPDIR``, else /tmp)."""
    return Path(tempfile.mkdtemp(prefix="raspc-fuzz-"))


def finding_note(outcome: Outcome) -> str:
    """The comment a saved finding starts with: what it showed, and through which pass."""
    if outcome.status == "mismatch":
        lines = [f"# Found by the differential fuzzer: on input {list(outcome.input or ())!r}",
                 f"# the interpreter gives {outcome.expected!r}"]
        for found in outcome.mismatches:
            where = "" if found.input == outcome.input else f" on input {list(found.input)!r}"
            lines.append(f"# the compiled model's {found.pass_name} pass gave {found.got!r}{where}")
        return "\n".join(lines) + "\n"
    return f"# Found by the differential fuzzer: {outcome.status}: {' '.join(outcome.detail.split())}\n"


def save_finding(source: str, outcome: Outcome, folder: Path) -> Path:
    """Write a (shrunk) failing program as ``<hash>.rasp`` in ``folder``, with what it showed."""
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha1(source.encode()).hexdigest()[:12]
    path = folder / f"{digest}.rasp"
    path.write_text(finding_note(outcome) + source, encoding="utf-8")
    return path
