"""Value-set inference: each expected set is worked out by hand from the program."""
from __future__ import annotations

from rasp import ir
from compiler.analysis.valuesets import (CATEGORICAL, NUMERICAL, ValueSet, infer, mean_values,
                            position_injective, selects_at_most_one)

VOCAB = ("a", "b", "c")


def sets_of(expr, vocab=VOCAB, max_len=4):
    return infer((expr,), vocab, max_len)


def test_leaves():
    sets = infer((ir.TOKENS, ir.INDICES, ir.LENGTH), VOCAB, 4)
    assert sets[ir.TOKENS.id].values == ("a", "b", "c")
    assert sets[ir.INDICES.id].values == (0, 1, 2, 3)
    assert sets[ir.LENGTH.id].values == (1, 2, 3, 4)
    assert all(s.encoding == CATEGORICAL for s in sets.values())


def test_map_applies_function_to_every_value():
    shifted = ir.INDICES + 10
    assert sets_of(shifted)[shifted.id].values == (10, 11, 12, 13)


def test_sequence_map_over_product_skips_failures():
    numbers = ir.Map(fn=lambda t: {"a": 5, "b": 6, "c": 7}[t], inner=ir.TOKENS)
    ratio = ir.SequenceMap(fn=lambda a, b: a // b, inputs=(numbers, ir.INDICES))
    # b = 0 fails (division by zero) and is skipped: 5..7 // 1..3.
    assert sets_of(ratio)[ratio.id].values == (1, 2, 3, 5, 6, 7)


def test_position_functions_only_meet_at_real_positions():
    # length and indices meet only where index < length: n // i for 1 <= i < n <= 4
    # gives 2 (2//1), 3, 1 (3//1, 3//2), 4, 2, 1 (4//1, 4//2, 4//3).
    ratio = ir.SequenceMap(fn=lambda a, b: a // b, inputs=(ir.LENGTH, ir.INDICES))
    assert sets_of(ratio)[ratio.id].values == (1, 2, 3, 4)
    opp = ir.LENGTH - ir.INDICES - 1
    assert sets_of(opp)[opp.id].values == (0, 1, 2, 3)


def test_values_are_type_exact():
    mixed = ir.Map(fn=lambda i: True if i == 0 else (1 if i == 1 else 1.0), inner=ir.INDICES)
    values = sets_of(mixed)[mixed.id].values
    assert len(values) == 3 and {type(v) for v in values} == {bool, int, float}


def test_selector_width_values():
    width = ir.SelectorWidth(ir.Select(keys=(ir.TOKENS,), queries=(ir.TOKENS,), predicate=ir.Compare("==", 0, 0)))
    assert sets_of(width, max_len=3)[width.id].values == (0, 1, 2, 3)


def test_string_aggregate_is_categorical_with_default():
    sel = ir.Select(keys=(ir.TOKENS,), queries=(ir.TOKENS,), predicate=ir.Compare("<", 0, 0))
    moved = ir.Aggregate(sel, ir.TOKENS, default="z")
    found = sets_of(moved)[moved.id]
    assert found.encoding == CATEGORICAL and found.values == ("a", "b", "c", "z")


def test_numeric_aggregate_of_single_selection_is_categorical():
    flip = ir.Select(keys=(ir.INDICES,), queries=(ir.LENGTH - ir.INDICES - 1,), predicate=ir.Compare("==", 0, 0))
    moved = ir.Aggregate(flip, ir.INDICES)
    found = sets_of(moved)[moved.id]
    assert found.encoding == CATEGORICAL and found.values == (0, 1, 2, 3)


def test_numeric_aggregate_of_several_is_numerical_means():
    ones = ir.Map(fn=lambda t: 1 if t == "a" else 0, inner=ir.TOKENS)
    prevs = ir.Select(keys=(ir.INDICES,), queries=(ir.INDICES,), predicate=ir.Compare("<=", 0, 0))
    frac = ir.Aggregate(prevs, ones, default=0)
    found = sets_of(frac, max_len=3)[frac.id]
    assert found.encoding == NUMERICAL
    # means of 1..3 values from {0, 1}: 0, 1, 1/2, 1/3, 2/3
    assert sorted(float(v) for v in found.values) == sorted([0.0, 1.0, 0.5, 1 / 3, 2 / 3])


def test_mean_values_counts_multisets():
    values, known = mean_values((0, 2), default=5, max_len=2)
    assert known and sorted(float(v) for v in values) == [0.0, 1.0, 2.0, 5.0]
    _, known = mean_values(tuple(range(100)), default=0, max_len=50, limit=100)
    assert not known


def test_mean_values_match_every_multiset():
    # Brute force: the mean of every multiset of 1..max_len values, as fractions.
    from fractions import Fraction
    from itertools import combinations_with_replacement

    for source, default, max_len in (((0, 1, -1), 0, 6), ((0.5, 2, 3), 1, 5), ((1, 0.25), 7, 7)):
        want = {Fraction(default)}
        for count in range(1, max_len + 1):
            for chosen in combinations_with_replacement(source, count):
                want.add(sum(Fraction(v) for v in chosen) / count)
        values, known = mean_values(source, default=default, max_len=max_len)
        # the default and a mean equal to it are two values when their types differ
        assert known and sorted({float(v) for v in values}) == sorted(float(w) for w in want)


def test_mean_values_scale_to_long_inputs():
    # +1/-1 steps at max_len 200: every k/n, found without listing multisets.
    from fractions import Fraction

    values, known = mean_values((1, -1), default=0, max_len=200, limit=20_000)
    want = {Fraction(2 * up - n, n) for n in range(1, 201) for up in range(n + 1)}
    assert known and sorted({float(v) for v in values}) == sorted(float(w) for w in want)


def test_whole_sequence_mean_of_positions_is_one_value_per_length():
    first = ir.Map(fn=lambda i: 1 if i == 0 else 0, inner=ir.INDICES)
    inverse = ir.Aggregate(ir.Select(predicate=ir.PredTrue()), first)
    found = sets_of(inverse, max_len=4)[inverse.id]
    assert found.encoding == NUMERICAL
    assert sorted(float(v) for v in found.values) == [0.25, 1 / 3, 0.5, 1.0]


def test_hints_override():
    hinted = (ir.INDICES + 1).hinted(ir.Encoding.NUMERICAL)
    assert sets_of(hinted)[hinted.id].encoding == NUMERICAL
    sel = ir.Select(keys=(ir.TOKENS,), queries=(ir.TOKENS,), predicate=ir.Compare("<", 0, 0))
    nums = ir.Map(fn=lambda t: ord(t), inner=ir.TOKENS)
    forced = ir.Aggregate(sel, nums).hinted(ir.Encoding.CATEGORICAL)
    assert sets_of(forced)[forced.id].encoding == CATEGORICAL


def test_bool_aggregate_is_never_averaged():
    flags = ir.Map(fn=lambda t: t == "a", inner=ir.TOKENS)
    sel = ir.Select(keys=(ir.TOKENS,), queries=(ir.TOKENS,), predicate=ir.Compare("<", 0, 0))
    moved = ir.Aggregate(sel, flags, default=False)
    found = sets_of(moved)[moved.id]
    assert found.encoding == CATEGORICAL and found.values == (False, True)


def test_injectivity_and_single_selection():
    sets = infer((ir.INDICES + 1, ir.INDICES * 0, ir.TOKENS), VOCAB, 4)
    plus, zero = ir.INDICES + 1, ir.INDICES * 0
    sets = infer((plus, zero), VOCAB, 4)
    assert position_injective(plus, sets)
    assert not position_injective(zero, sets)
    by_index = ir.Select(keys=(plus,), queries=(ir.INDICES,), predicate=ir.Compare("==", 0, 0))
    by_zero = ir.Select(keys=(zero,), queries=(ir.INDICES,), predicate=ir.Compare("==", 0, 0))
    sets = infer((ir.SelectorWidth(by_index), ir.SelectorWidth(by_zero)), VOCAB, 4)
    assert selects_at_most_one(by_index, sets)
    assert not selects_at_most_one(by_zero, sets)


def _earlier_copies(value=ir.TOKENS, order="<", extra=None):
    """How many earlier positions hold the same value (``extra``: one more conjunct)."""
    predicate = ir.PredAnd(ir.Compare("==", 0, 0), ir.Compare(order, 1, 1))
    keys, queries = (value, ir.INDICES), (value, ir.INDICES)
    if extra is not None:
        predicate = ir.PredAnd(predicate, ir.Compare("<", 2, 2))
        keys, queries = keys + (extra,), queries + (extra,)
    return ir.SelectorWidth(ir.Select(keys=keys, queries=queries, predicate=predicate))


def _width_over_flag(flag, predicate=ir.Compare("==", 0, 0)):
    always = ir.Map(fn=lambda i: True, inner=ir.INDICES)
    return ir.SelectorWidth(ir.Select(keys=(flag, ir.TOKENS), queries=(always, ir.TOKENS), predicate=predicate))


def _observed_widths(width, vocab, max_len):
    from itertools import product

    from rasp.interpreter import evaluate
    return {w for n in range(1, max_len + 1) for s in product(vocab, repeat=n) for w in evaluate(width, list(s))}


def test_width_over_first_copies_is_at_most_the_vocabulary():
    # Only one position per token has no earlier copy: at most 3 keys of 6.
    first = ir.Map(fn=lambda c: c == 0, inner=_earlier_copies())
    width = _width_over_flag(first)
    found = sets_of(width, max_len=6)[width.id].values
    assert found == (0, 1, 2, 3)
    assert _observed_widths(width, VOCAB, 6) <= set(found)
    # the last copies (no later copy) likewise
    last = ir.Map(fn=lambda c: c == 0, inner=_earlier_copies(order=">"))
    width = _width_over_flag(last)
    assert sets_of(width, max_len=6)[width.id].values == (0, 1, 2, 3)


def test_width_bound_needs_exactly_a_first_copy_test():
    later = ir.Map(fn=lambda c: c > 0, inner=_earlier_copies())  # copies after the first: many
    width = _width_over_flag(later)
    assert sets_of(width, max_len=6)[width.id].values == tuple(range(7))
    assert 3 < max(_observed_widths(width, ("a", "b"), 6))
    # a count with one more condition is zero at more than one position per token
    narrowed = ir.Map(fn=lambda c: c == 0, inner=_earlier_copies(extra=ir.Map(fn=lambda t: t, inner=ir.TOKENS)))
    width = _width_over_flag(narrowed)
    assert sets_of(width, max_len=6)[width.id].values == tuple(range(7))


def test_width_bound_of_an_or_with_a_shared_first_copy_test():
    first = ir.Map(fn=lambda c: c == 0, inner=_earlier_copies())
    flag_is_set = ir.Compare("==", 0, 0)
    either = ir.PredOr(ir.PredAnd(flag_is_set, ir.Compare("<", 1, 1)),
                       ir.PredAnd(flag_is_set, ir.Compare("==", 1, 1)))
    width = _width_over_flag(first, either)
    # each branch is bounded by 3, the sum by 6; the shared test bounds the whole by 3
    assert sets_of(width, max_len=6)[width.id].values == (0, 1, 2, 3)
    assert _observed_widths(width, VOCAB, 6) <= {0, 1, 2, 3}


def test_width_over_an_injective_key_is_at_most_one():
    width = ir.SelectorWidth(ir.Select(keys=(ir.INDICES,), queries=(ir.LENGTH - 1,), predicate=ir.Compare("==", 0, 0)))
    assert sets_of(width, max_len=5)[width.id].values == (0, 1)


def test_a_prefix_count_meets_each_index_below_its_bound():
    """``2 * count - indices - 1`` with ``count`` the width of a prefix selector
    (``keys <= query`` on indices): at index i the count is at most i + 1, so at
    max_len 5 the map takes -i-1 .. i+1 over i = 0..4, that is -5..5 (11 values,
    worked by hand), where every pair of a count 0..5 and an index 0..4 would give
    -5..9 (15 values)."""
    same_so_far = ir.Select(keys=(ir.TOKENS, ir.INDICES), queries=(ir.TOKENS, ir.INDICES),
                            predicate=ir.PredAnd(ir.Compare("==", 0, 0), ir.Compare("<=", 1, 1)))
    count = ir.SelectorWidth(selector=same_so_far)
    depth = ir.SequenceMap(fn=lambda w, i: 2 * w - i - 1, inputs=(count, ir.INDICES))
    assert sets_of(depth, max_len=5)[depth.id].values == tuple(range(-5, 6))
    from itertools import product

    from rasp.interpreter import evaluate
    seen = {v for n in range(1, 6) for tokens in product("ab", repeat=n) for v in evaluate(depth, tokens)}
    assert seen <= set(range(-5, 6))  # the interpreter never leaves the inferred set


def test_known_sets_are_reused_and_extended():
    known = {}
    plus = ir.INDICES + 1
    first = infer((plus,), VOCAB, 4, known)
    assert known == first and first[plus.id].values == (1, 2, 3, 4)
    # A node's set in the table is taken as it is (nodes never change, so it
    # cannot be stale): a map of it is inferred from that set.
    known[plus.id] = ValueSet((5,), CATEGORICAL)
    twice = ir.Map(fn=lambda x: 2 * x, inner=plus)
    assert infer((twice,), VOCAB, 4, known)[twice.id].values == (10,)
    assert known[twice.id].values == (10,)
