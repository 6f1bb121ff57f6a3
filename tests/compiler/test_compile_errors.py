"""Compile-time errors: one line naming the s-op, before any big allocation."""
from __future__ import annotations

import pytest

from tests.support import compile_cases as cases
from tests.support.compile_cases import select
from compiler import compile_expr, compile_program
from rasp import ir
from compiler.errors import CompileError


def test_parameter_bound_names_the_culprit():
    big = tuple(range(40))
    tokens_plus = ir.SequenceMap(fn=lambda a, b: (a, b), inputs=(ir.Aggregate(select(ir.INDICES, ir.INDICES, "<"),
                                                                             ir.TOKENS, default=0).hinted(ir.Encoding.CATEGORICAL),
                                                              ir.TOKENS)).named("pairs")
    with pytest.raises(CompileError) as raised:
        compile_expr(tokens_plus, big, 10, max_params=20_000)
    message = raised.value.message
    assert "pairs" in message and "20,000" in message and "\n" not in message


def test_parameter_bound_met_by_the_embeddings_alone():
    """A huge max_len makes the embeddings the largest part: the message says so."""
    shifted = ir.Map(fn=lambda i: i + 1, inner=ir.INDICES).named("shifted")
    with pytest.raises(CompileError) as raised:
        compile_expr(shifted, ("a", "b"), 100_000, max_params=1_000_000)
    message = raised.value.message
    assert "embeddings" in message and "100001 positions" in message and "\n" not in message


def test_missing_declarations():
    program = ir.Program(names={"reverse": cases.reverse()}, output="reverse")
    with pytest.raises(CompileError, match="vocabulary"):
        compile_program(program)
    with pytest.raises(CompileError, match="max_len"):
        compile_program(program, vocab=("a",))
    with pytest.raises(CompileError, match="output"):
        compile_program(ir.Program(names={}), vocab=("a",), max_len=3)


def test_unknown_pass():
    with pytest.raises(CompileError, match="unknown compiler pass"):
        compile_expr(ir.TOKENS, ("a",), 3, disabled_passes=("no_such_pass",))


def test_compile_program_and_dead_code():
    reverse = cases.reverse()
    unused = ir.SelectorWidth(select(ir.TOKENS, ir.TOKENS)).named("unused")
    program = ir.Program(names={"reverse": reverse, "unused": unused}, vocab=("a", "b"), max_len=4,
                         output="reverse")
    lean = compile_program(program)
    assert "unused" not in lean.layout
    full = compile_program(program, disabled_passes=("dead_code",))
    assert "unused" in full.layout and full.config.d_model > lean.config.d_model
    assert cases.mismatches(full, reverse, cases.all_inputs(("a", "b"), 4)) == []
    other = compile_program(program, "unused")
    assert other.config.output == "unused"


def test_model_records_what_it_was_compiled_for():
    # The declarations (max_len overridden, the repeated token dropped) and the
    # source ("<program>" for one built in Python), as the model file keeps them.
    program = ir.Program(names={"reverse": cases.reverse()}, vocab=("a", "b", "a"), max_len=4,
                         output="reverse")
    model = compile_program(program, max_len=3, disabled_passes=("share_heads",))
    assert model.settings == {"vocab": ["a", "b"], "max_len": 3, "max_params": 50_000_000,
                              "disabled_passes": ["share_heads"], "output": "reverse", "source": "<program>"}
    assert model.config.max_len == 3 and model.config.vocab[1:] == ("a", "b")
    assert compile_expr(cases.hist(), ("a",), 2).settings == {
        "vocab": ["a"], "max_len": 2, "max_params": 50_000_000, "disabled_passes": [], "output": "hist"}
