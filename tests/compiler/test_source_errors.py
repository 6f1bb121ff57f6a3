"""Compile errors that point at the source: the place, the program's own names, a hint."""
from __future__ import annotations

import pytest

from compiler import compile_program
from compiler.errors import CompileError
from rasp.parser import parse
from rasp.stage import stage


def staged(source: str):
    return stage(parse(source, "prog.rasp"))


def test_an_operation_that_fails_on_every_value_is_refused_at_its_line():
    # A str plus an int fails on every token: the program can never succeed.
    program = staged('@vocab "abc";\n@max_len 20;\ny = tokens + 1;\n@output y;\n')
    with pytest.raises(CompileError) as caught:
        compile_program(program)
    error = caught.value
    assert (error.location.file, error.location.line, error.location.column) == ("prog.rasp", 3, 5)
    assert "y" in error.message and "every" in error.message


def test_an_operation_that_fails_on_some_values_still_compiles():
    # 6 / 0 fails, 6 / 1 does not: only the failing values are dropped.
    program = staged('@vocab "abc";\n@max_len 3;\ny = 6 / indices;\n@output y;\n')
    compile_program(program)
