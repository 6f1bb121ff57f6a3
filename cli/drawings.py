"""``draw(sop, "abc");``: the picture ``rasp.draw`` makes, written as ``NAME.svg``.

Staging records each draw statement (what and on which input); ``raspc eval`` and
``raspc repl`` write the files, into the current directory or ``--draw-dir``, and
say where. No external program is needed.
"""
from __future__ import annotations

import re
from pathlib import Path

from rasp.draw import drawing, to_svg
from rasp.errors import RaspEvaluationError
from rasp.stage import Display
from raspc.errors import InputError, RaspcError


def file_stem(name: str) -> str:
    """A file name from an s-op's name: letters, digits, ``_`` and ``-`` kept."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._")
    return stem or "drawing"


def write_drawing(display: Display, folder: str | None) -> Path:
    """Draw ``display.value`` on ``display.input`` into ``folder/NAME.svg``; the path."""
    try:
        picture = drawing(display.value, display.input)
    except RaspcError as error:
        raise error.with_location(display.location)
    except RecursionError:
        raise RaspEvaluationError("the s-op is too deep to draw", display.location) from None
    path = Path(folder or ".") / f"{file_stem(display.name)}.svg"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(to_svg(picture), encoding="utf-8")
    except OSError as failure:
        raise InputError(f"cannot write the drawing {path}: {failure.strerror or failure}",
                         display.location) from None
    return path


def add_draw_option(parser) -> None:
    """--draw-dir: where ``draw`` statements write their pictures."""
    parser.add_argument("--draw-dir", metavar="DIR",
                        help="where draw(sop, input); writes NAME.svg (default: the current directory)")
