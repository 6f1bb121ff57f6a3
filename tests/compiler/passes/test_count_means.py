"""count_means: means of 0/1 s-ops become maps of selector widths. Each expected
graph is worked out by hand from the two forms the pass recognises."""
from __future__ import annotations

from compiler.passes.count_means import means_as_widths, sign_tests_as_widths
from rasp import ir
from tests.compiler.passes.equivalence import mismatches, run

VOCAB = ("a", "b", "c")
MAX_LEN = 5  # inputs of every length up to this are checked


def is_a():
    return ir.Map(fn=lambda t: 1 if t == "a" else 0, inner=ir.TOKENS).named("is_a")


def test_prefix_mean_is_a_count_over_the_index():
    # select(indices, indices, <=) selects i + 1 keys at query i whatever the
    # length: the mean is (how many selected keys hold 1) / (i + 1).
    ones = is_a()
    prevs = ir.Select(keys=(ir.INDICES,), queries=(ir.INDICES,), predicate=ir.Compare("<=", 0, 0))
    frac = ir.Aggregate(prevs, ones).named("frac_prevs")
    after = run(means_as_widths, frac, VOCAB, MAX_LEN).outputs
    (mean,) = after
    assert isinstance(mean, ir.SequenceMap) and mean.name == "frac_prevs"
    assert mean.encoding_hint == ir.Encoding.NUMERICAL
    width, index = mean.inputs
    assert index is ir.INDICES and isinstance(width, ir.SelectorWidth) and width.name == "frac_prevs_ones"
    counted = width.selector
    # The same selector, and the source compared with the constant 1 in a new slot.
    assert counted.keys == (ir.INDICES, ones)
    assert counted.queries[0] is ir.INDICES and counted.queries[1].value == 1
    assert counted.predicate == ir.PredAnd(ir.Compare("<=", 0, 0), ir.Compare("==", 1, 1))
    # Worked by hand: "aab" has prefix means 1, 1.0 (2 * 1.0 / 2), 0.666...
    assert mean.fn(2, 2) == 2 * 1.0 / 3 and mean.fn(1, 0) == 1 and type(mean.fn(2, 1)) is float
    assert mismatches((frac,), after, VOCAB, MAX_LEN) == []


def test_mean_whose_count_depends_on_the_length_is_kept():
    # select(indices, indices, >=) selects n - i keys: a second width would be
    # needed for the denominator, which costs a layer; the mean stays.
    ones = is_a()
    later = ir.Select(keys=(ir.INDICES,), queries=(ir.INDICES,), predicate=ir.Compare(">=", 0, 0))
    frac = ir.Aggregate(later, ones)
    assert run(means_as_widths, frac, VOCAB, MAX_LEN).outputs == (frac,)


def test_first_position_mean_counts_the_others():
    # The original paper's count: a 1 at position 0 only, selected by every
    # query along with its own matches: mean = 1 / (1 + matches other than 0).
    first = ir.Map(fn=lambda i: 1 if i == 0 else 0, inner=ir.INDICES).named("first")
    same_or_first = ir.Select(keys=(ir.TOKENS, ir.INDICES), queries=(ir.TOKENS, ir.Constant(value=0)),
                              predicate=ir.PredOr(ir.Compare("==", 0, 0), ir.Compare("==", 1, 1)))
    mean = ir.Aggregate(same_or_first, first).named("share")
    after = run(means_as_widths, mean, VOCAB, MAX_LEN).outputs
    (result,) = after
    assert isinstance(result, ir.Map) and result.name == "share"
    width = result.inner
    assert isinstance(width, ir.SelectorWidth) and width.name == "share_others"
    assert width.selector.predicate == ir.PredAnd(ir.Compare("==", 0, 0), ir.PredNot(ir.Compare("==", 1, 1)))
    # No other match: the 1 alone is selected and passes unchanged; two others: 1/3.
    assert result.fn(0) == 1 and type(result.fn(0)) is int and result.fn(2) == 1 / 3
    assert mismatches((mean,), after, VOCAB, MAX_LEN) == []


def test_positive_mean_is_a_test_of_a_width():
    # "does any selected key hold 1": true exactly when the count of selected
    # ones is positive, whatever the denominator.
    ones = is_a()
    same = ir.Select(keys=(ir.TOKENS,), queries=(ir.TOKENS,), predicate=ir.Compare("==", 0, 0))
    mean = ir.Aggregate(same, ones)
    any_a = ir.Map(fn=lambda m: m > 0, inner=mean).named("any_a")
    after = run(sign_tests_as_widths, any_a, VOCAB, MAX_LEN).outputs
    (test,) = after
    assert isinstance(test, ir.Map) and test.name == "any_a" and isinstance(test.inner, ir.SelectorWidth)
    assert test.inner.selector.keys == (ir.TOKENS, ones)
    assert test.fn(0) is False and test.fn(1) is True and test.fn(3) is True
    assert test.description == "{0} > 0 ? True : False"
    assert mismatches((any_a,), after, VOCAB, MAX_LEN) == []


def test_hinted_means_are_left_alone():
    ones = is_a()
    prevs = ir.Select(keys=(ir.INDICES,), queries=(ir.INDICES,), predicate=ir.Compare("<=", 0, 0))
    hinted = ir.Aggregate(prevs, ones).hinted(ir.Encoding.CATEGORICAL)
    assert run(means_as_widths, hinted, VOCAB, MAX_LEN).outputs == (hinted,)
    test = ir.Map(fn=lambda m: m > 0, inner=hinted)
    assert run(sign_tests_as_widths, test, VOCAB, MAX_LEN).outputs == (test,)
