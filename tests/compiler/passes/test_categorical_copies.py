"""categorical_copies: a numerical s-op that a selector reads gets a categorical copy."""
from __future__ import annotations

from compiler.analysis.valuesets import CATEGORICAL, NUMERICAL, infer
from compiler.passes.categorical_copies import categorical_copies, categorical_readers
from rasp import ir
from tests.compiler.passes.equivalence import mismatches, run

VOCAB = ("a", "b", "c")
MAX_LEN = 5


def prefix_share():
    """The share of a's up to each position: a numerical mean."""
    ones = ir.Map(fn=lambda t: 1 if t == "a" else 0, inner=ir.TOKENS)
    prevs = ir.Select(keys=(ir.INDICES,), queries=(ir.INDICES,), predicate=ir.Compare("<=", 0, 0))
    return ir.Aggregate(prevs, ones).named("frac")


def test_numerical_select_operands_need_categorical_copies():
    ones = ir.Map(fn=lambda t: 1 if t == "a" else 0, inner=ir.TOKENS)
    prevs = ir.Select(keys=(ir.INDICES,), queries=(ir.INDICES,), predicate=ir.Compare("<=", 0, 0))
    frac = ir.Aggregate(prevs, ones)
    reread = ir.Select(keys=(frac,), queries=(frac,), predicate=ir.Compare("==", 0, 0))
    width = ir.SelectorWidth(reread)
    sets = infer((width,), VOCAB, 3)
    assert categorical_readers((width,), sets) == {frac.id}


def test_selector_reads_one_copy_of_a_numerical_s_op():
    frac = prefix_share()
    same_share = ir.Select(keys=(frac,), queries=(frac,), predicate=ir.Compare("==", 0, 0))
    width = ir.SelectorWidth(same_share)
    graph = run(categorical_copies, width, VOCAB, MAX_LEN)
    assert graph.sets[frac.id].encoding == NUMERICAL
    select = graph.outputs[0].selector
    (copy,) = select.keys
    # One copy for both sides: the identity, one-hot.
    assert select.queries == (copy,) and copy.inner is frac and copy.fn(0.5) == 0.5
    assert copy.name == "frac_onehot" and copy.encoding_hint == ir.Encoding.CATEGORICAL
    assert graph.sets[copy.id].encoding == CATEGORICAL
    assert mismatches((width,), graph.outputs, VOCAB, MAX_LEN) == []


def test_categorical_operands_are_read_as_they_are():
    same = ir.Select(keys=(ir.TOKENS,), queries=(ir.TOKENS,), predicate=ir.Compare("==", 0, 0))
    moved = ir.Aggregate(same, prefix_share())  # the mean is numerical; the selector is not
    assert run(categorical_copies, moved, VOCAB, MAX_LEN).outputs == (moved,)
