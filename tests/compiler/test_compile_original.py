"""The original RASP paper's programs (tests/data/original_conformance/paper_examples.rasp,
written for the original interpreter, unchanged) compiled and compared with the
reference interpreter: on the file's own examples, at the example's length with its
tokens as the vocabulary, and on seeded random inputs up to that length.

These programs count with means (``round((indices+1) * aggregate(prefix, x))``,
``1 / aggregate(s or select(indices, 0, ==), indicator(indices == 0))``) and with
``or``-ed selectors over several s-ops; compiled literally they ran to hundreds of
millions of parameters. The checks below are that they now compile within the
default bound and agree with the interpreter everywhere they are tried."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.support.compile_cases import all_inputs, mismatches
from compiler import compile_expr
from rasp import ir
from rasp.stage import load_file

HERE = Path(__file__).parents[1] / "data" / "original_conformance"
BOS = "§"


def _examples() -> dict[str, tuple[ir.SOp, tuple]]:
    staged = load_file(str(HERE / "paper_examples_run.rasp"))
    found = {}
    for display in staged.displays:
        if display.kind == "example" and isinstance(display.value, ir.SOp):
            found[display.text.split("(")[0]] = (display.value, tuple(display.input))
    return found


EXAMPLES = _examples()


def _random_inputs(vocab: tuple, max_len: int, count: int, seed: int) -> list[tuple]:
    """Half start with the paper's beginning-of-sequence token (how the programs are
    meant to be used), half are arbitrary (the interpreter defines those too)."""
    rng = random.Random(seed)
    inputs = []
    for k in range(count):
        length = rng.randint(1, max_len)
        tokens = [rng.choice(vocab) for _ in range(length)]
        if k % 2 == 0 and BOS in vocab:
            tokens[0] = BOS
        inputs.append(tuple(tokens))
    return inputs


def test_every_paper_program_has_an_example():
    assert set(EXAMPLES) == {"hist_bos", "hist_nobos", "sort_bos", "hist2_bos", "sort_by_most_freq",
                             "dyck1_ptf", "dyck2_ptf", "dyck3_ptf"}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_paper_example_at_its_own_length(name):
    expr, example = EXAMPLES[name]
    vocab = tuple(sorted(set(example)))
    model = compile_expr(expr, vocab, len(example))
    inputs = [example] + _random_inputs(vocab, len(example), 24, seed=len(name))
    bad = mismatches(model, expr, inputs)
    assert not bad, f"{len(bad)} mismatches, e.g. {bad[:2]}"


@pytest.mark.slow
@pytest.mark.parametrize("name, vocab", [
    ("hist_bos", ("§", "a", "b")), ("sort_bos", ("§", "a", "b", "c")), ("hist2_bos", ("§", "a", "b")),
    ("sort_by_most_freq", ("§", "a", "b")), ("dyck1_ptf", ("(", ")")), ("dyck2_ptf", ("(", ")", "{", "}")),
    ("dyck3_ptf", ("(", ")", "[", "]", "{", "}"))])
def test_paper_program_at_max_len_16(name, vocab):
    expr, _ = EXAMPLES[name]
    model = compile_expr(expr, vocab, 16)
    inputs = all_inputs(vocab, 3) + _random_inputs(vocab, 16, 40, seed=7)
    bad = mismatches(model, expr, inputs)
    assert not bad, f"{len(bad)} mismatches, e.g. {bad[:2]}"


def test_prefix_counts_become_widths():
    # n_opens = round((indices+1) * mean of the prefix) is the width of "prefix and
    # opener": a head and one MLP, as deep as the paper draws it, at a length where
    # the literal mean would have had hundreds of values.
    expr, _ = EXAMPLES["dyck1_ptf"]
    model = compile_expr(expr, ("(", ")"), 40)
    assert model.config.n_layers <= 3
    bad = mismatches(model, expr, [tuple("(" * 20 + ")" * 20), tuple("()" * 20), tuple(")" + "(" * 39)]
                     + _random_inputs(("(", ")"), 40, 30, seed=1))
    assert not bad, f"{len(bad)} mismatches, e.g. {bad[:2]}"


@pytest.mark.parametrize("disabled", [("count_means",), ("simplify_selects",)])
def test_rewrites_can_be_switched_off_without_changing_meaning(disabled):
    expr, _ = EXAMPLES["hist_bos"]
    vocab = ("§", "a", "b")
    model = compile_expr(expr, vocab, 5, disabled_passes=disabled)
    bad = mismatches(model, expr, all_inputs(vocab, 4))
    assert not bad, f"{len(bad)} mismatches, e.g. {bad[:2]}"


def test_any_selected_one_is_a_width_test():
    # rover's shared_sighting: aggregate(select(tokens, tokens, ==), indicator(x)) > 0
    # asks only whether some selected key holds 1.
    is_a = ir.Map(fn=lambda t: 1 if t == "a" else 0, inner=ir.TOKENS, description="indicator({0} == 'a')")
    same = ir.Select(keys=(ir.TOKENS,), queries=(ir.TOKENS,), predicate=ir.Compare("==", 0, 0))
    later_a = ir.Select(keys=(ir.INDICES, is_a), queries=(ir.INDICES, ir.Constant(value=1)),
                        predicate=ir.PredAnd(ir.Compare(">", 0, 0), ir.Compare("==", 1, 1)))
    for selector in (same, later_a):
        mean = ir.Aggregate(selector=selector, sop=is_a)
        seen = ir.Map(fn=lambda m: m > 0, inner=mean, description="{0} > 0")
        model = compile_expr(seen, ("a", "b", "c"), 12)
        bad = mismatches(model, seen, all_inputs(("a", "b", "c"), 4)
                         + _random_inputs(("a", "b", "c"), 12, 40, seed=3))
        assert not bad, f"{len(bad)} mismatches, e.g. {bad[:2]}"


def test_key_side_tests_against_constants_share_one_slot():
    # rover's loaders: (rcp == 2 or rcp == 6) on the key side, the same on the query
    # side, and'ed with an equality and an inequality of other s-ops.
    rcp = ir.Map(fn=lambda i: i % 4, inner=ir.INDICES, description="{0} % 4")
    c = ir.Constant
    loader = ir.Select(
        keys=(ir.TOKENS, ir.INDICES, rcp, rcp, c(value=0), c(value=2)),
        queries=(ir.TOKENS, ir.INDICES, c(value=0), c(value=2), rcp, rcp),
        predicate=ir.PredAnd(ir.PredAnd(ir.Compare("==", 0, 0), ir.Compare("!=", 1, 1)),
                             ir.PredAnd(ir.PredOr(ir.Compare("==", 2, 2), ir.Compare("==", 3, 3)),
                                        ir.PredOr(ir.Compare("==", 4, 4), ir.Compare("==", 5, 5)))))
    moved = ir.Aggregate(selector=loader, sop=ir.INDICES, default=-1)
    model = compile_expr(moved, ("a", "b"), 10)
    bad = mismatches(model, moved, all_inputs(("a", "b"), 5) + _random_inputs(("a", "b"), 10, 40, seed=5))
    assert not bad, f"{len(bad)} mismatches, e.g. {bad[:2]}"


@pytest.mark.slow
def test_rover_example_compiles_within_the_default_bound():
    # rover.rasp (the original repository's stress test) in its first example: 33
    # layers, counted exactly on the built blocks (about 13M parameters), and the
    # model gives the interpreter's answer on the example's input.
    staged = load_file(str(HERE / "rover_run.rasp"))
    display = next(d for d in staged.displays if d.kind == "example")
    vocab = tuple(sorted(set(display.input), key=repr))
    model = compile_expr(display.value, vocab, len(display.input))
    assert model.stats["n_params"] < 50_000_000
    assert not mismatches(model, display.value, [tuple(display.input)])
