"""Staging runs whatever a file says, so it runs under fixed bounds.

Each source below would, without them, raise OverflowError, MemoryError or
RecursionError, hang, or build something too large to hold. Each must instead end in
a RaspcError at the hand-counted line and column of the statement or expression at
fault, whose message names the bound, and ``raspc compile`` must print it on one
line with exit status 2.
"""
from __future__ import annotations

import pytest

from raspc.errors import RaspcError
from rasp.parser import parse
from rasp.stage import stage
from cli.main import main

NESTED_40 = "x = [1];\nfor i in range(40) { x = [x, x]; }\n"

CASES = [
    # (source, line, column, words the message must hold)
    ("x = range(99999999999999999999);", 1, 5, "range of 99999999999999999999 elements"),
    ("x = range(0 - 99999999999999999999, 99999999999999999999);", 1, 5, "range of 199999999999999999998"),
    ("x = len(range(99999999999999999999));", 1, 9, "longer than 100000"),
    ("y = 1;\nx = range(100001);", 2, 5, "range of 100001 elements is longer than 100000"),
    ("x = [0] * 99999999999999999999;", 1, 5, "repetition would make a list of 99999999999999999999"),
    ('x = "ab" * 99999999999999999999;', 1, 5, "a string of 199999999999999999998"),
    ("x = [0] * 60000;\ny = x + x;", 2, 5, "concatenation would make a list of 120000"),
    ('x = "a" * 60000;\ny = x + x;', 2, 5, "concatenation would make a string of 120000"),
    ("x = 2 ^ 20000;", 1, 5, "more than 10000 bits"),
    ("x = 1;\ny = 2 ^ " + "9" * 400 + ";", 2, 5, "more than 10000 bits"),  # an exponent no float holds
    ("x = 2 ^ 9000;\ny = x * x;", 2, 5, "product has more than 10000 bits"),
    ("x = 2 ^ 9999;\ny = x + x;", 2, 5, "result of + has more than 10000 bits"),
    ("x = (0 - 8) ^ 0.5;", 1, 5, "not a real number"),
    ("@max_len 99999999999999999999;", 1, 1, "more than 100000 (the limit for sequence lengths)"),
    # Where the work bound is crossed depends on what was counted before: any column
    # of the right line will do (None).
    ("x = 0;\nfor i in range(100000) {\n  for j in range(100) { x = x + 1; }\n}", 3, None,
     "more than 2000000 steps of work"),
    ("x = [[j for j in range(1000)] for i in range(1000)];", 1, None, "steps of work"),
    ("x = [0] * 99999;\nfor i in range(300) { y = 5 in x; }", 2, None, "steps of work"),
    (NESTED_40 + "z = [1];\nfor i in range(40) { z = [z, z]; }\ny = x == z;", 5, 5, "steps of work"),
    ("x = [1];\nz = [1];\nfor i in range(300) { x = [x]; z = [z]; }\ny = x == z;", 4, 5,
     "nested more than 200 deep"),
    ("def f(a) { return f(a); }\nx = f(1);", 1, 19, "nest deeper than 150"),
    ("def f(a) { return f(a + indices); }\nx = f(1);", 1, 19, "nest deeper than 150"),
]


@pytest.mark.parametrize("source, line, column, words", CASES, ids=range(len(CASES)))
def test_bounds_end_in_a_positioned_error_naming_them(source, line, column, words):
    with pytest.raises(RaspcError) as caught:
        stage(parse(source, "t.rasp"))
    error = caught.value
    assert error.location is not None
    if column is None:
        column = error.location.column
        assert 1 <= column <= len(source.split("\n")[line - 1])
    assert (error.location.line, error.location.column) == (line, column), error.format()
    assert words in error.message


def test_a_list_shared_exponentially_often_is_named_cheaply():
    """The error message writes the list within a bounded length, not 2**40 elements."""
    with pytest.raises(RaspcError) as caught:
        stage(parse(NESTED_40 + "y = x + indices;", "t.rasp"))
    assert "(list)" in caught.value.message and caught.value.location.line == 3


def test_programs_well_inside_the_bounds_still_stage():
    """Meta-level work on lists of thousands is ordinary, and must stay allowed."""
    source = ("x = [i for i in range(5000)];\ny = [a * 2 for a in x];\nbig = 2 ^ 9000;\n"
              "z = indices + len(y) + (big - big);\nw = range(99999999999999999999, 0);\n")
    program = stage(parse(source, "t.rasp"))
    assert "z" in program.names


def test_compile_prints_a_bound_on_one_line_and_exits_2(tmp_path, capsys):
    path = tmp_path / "huge.rasp"
    path.write_text('@vocab "ab"; @max_len 3; @output y;\nx = range(99999999999999999999);\ny = indices;\n')
    status = main(["compile", str(path)])
    error = capsys.readouterr().err
    assert status == 2
    assert error.splitlines()[0].startswith(f"{path}:2:5: error: range of 99999999999999999999 elements")
    assert "Traceback" not in error


def test_range_sizes_beyond_what_len_can_give():
    """``len(range)`` fails past 2**63; the size staging reports is the same count,
    checked against Python's own ``len`` where it works and against exact division
    where it does not."""
    from fractions import Fraction
    import math

    from rasp.stage import _range_size

    for start, stop, step in [(0, 10, 1), (3, 10, 4), (10, 0, -3), (0, 0, 1), (5, 1, 1), (-7, 7, 5), (7, -7, -5)]:
        assert _range_size(range(start, stop, step)) == len(range(start, stop, step))
    for start, stop, step in [(0, 10 ** 20, 1), (-(10 ** 20), 10 ** 20, 7), (10 ** 20, 0, -3)]:
        assert _range_size(range(start, stop, step)) == math.ceil(Fraction(stop - start, step))
