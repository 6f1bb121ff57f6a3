"""Compile errors that point at the source: the place, the program's own names, a hint."""
from __future__ import annotations

import pytest

from compiler import compile_program
from compiler.errors import CompileError
from rasp.parser import parse
from rasp.stage import stage
from tests.support.compile_cases import all_inputs, expected, mismatches


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


def test_an_empty_file_names_the_output_declaration_as_written():
    with pytest.raises(CompileError) as caught:
        compile_program(staged(""))
    assert "'@output NAME;'" in caught.value.message
    assert caught.value.location.file == "prog.rasp"


def test_a_500_term_sum_compiles_as_the_interpreter_evaluates_it():
    source = "@vocab [1, 2];\n@max_len 3;\ny = tokens_int" + " + 1" * 500 + ";\n@output y;\n"
    program = staged(source)
    model = compile_program(program)
    inputs = all_inputs((1, 2), 3)
    # Worked by hand: each token plus 500.
    assert [list(t) for t in inputs] and not mismatches(model, program.names["y"], inputs)
    assert expected(program.names["y"], (2, 1)) == [502, 501]


def test_averaging_tokens_of_a_numeric_vocabulary_points_at_tokens_int():
    source = ("@vocab [1, 2, 3];\n@max_len 5;\n"
              "y = aggregate(select(indices, indices, <=), tokens);\n@numerical y;\n@output y;\n")
    with pytest.raises(CompileError) as caught:
        compile_program(staged(source))
    error = caught.value
    assert (error.location.line, error.location.column) == (3, 5)
    assert "tokens_int" in error.message and "select_" not in error.message


def test_too_many_combinations_names_the_operation_and_its_line():
    source = ("@vocab [i for i in range(1100)];\n@max_len 3;\n"
              "z = aggregate(select(indices, indices, ==), tokens_int);\ny = tokens_int * z;\n@output y;\n")
    with pytest.raises(CompileError) as caught:
        compile_program(staged(source))
    error = caught.value
    assert (error.location.line, error.location.column) == (4, 5)
    assert "'y = tokens_int * z'" in error.message
