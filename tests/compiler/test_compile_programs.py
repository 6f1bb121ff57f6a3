"""Compiled models against the reference interpreter, on every input up to length 4
(or 5) over a small vocabulary and on seeded random inputs up to max_len."""
from __future__ import annotations

import pytest

from tests.support import compile_cases as cases
from tests.support.compile_cases import check, select
from compiler import PASSES
from rasp import ir

ABC = ("a", "b", "c")
NUMS = (1, 2, 3, 4)


@pytest.mark.slow
@pytest.mark.parametrize("name, depth", [("reverse", 2), ("hist", 1), ("double_hist", 2),
                                         ("sort_unique", 2)])
def test_paper_programs_exact_with_paper_depth(name, depth):
    model = check(getattr(cases, name)(), ABC, 8, exhaustive_len=5)
    assert model.config.n_layers == depth


@pytest.mark.slow
def test_most_freq_adds_its_two_counts_in_one_mlp():
    # Its place is the sum of two widths (more frequent; as frequent and earlier),
    # never more than max_len: on short inputs the two scratches 1/(w+1) are read
    # together on one sloped line, so the place is a one-hot in the MLP of the
    # layer that counts, and the paper's three layers hold.
    model = check(cases.most_freq(), ABC, 8, exhaustive_len=5)
    assert model.config.n_layers == 3


def test_sort_of_numbers_unique_keys():
    check(cases.sort_unique(), NUMS, 6, exhaustive_len=4)


def test_stable_sort_with_duplicates():
    # The lexicographic selector is an "or" of two disjoint selectors: two heads
    # whose widths add (no joint key), read together by one MLP.
    model = check(cases.sort_stable(), NUMS, 6, exhaustive_len=4)
    assert model.config.n_layers == 2


@pytest.mark.slow
@pytest.mark.parametrize("max_len, depth", [(20, 2), (40, 3)])
def test_two_widths_are_added_exactly_at_every_length(max_len, depth):
    # At max_len 20 the pairs of scratches whose widths sum to at most 20 still
    # fall apart on a line; at 40 no line keeps them apart in float32, so each
    # width is decoded to an integer first and the sum costs an MLP, a layer.
    model = check(cases.sort_stable(), NUMS, max_len, exhaustive_len=2, n_random=150, seed=11)
    assert model.config.n_layers == depth


def test_equal_widths_compare_without_decoding():
    # w1 == w2 is a function of 1/(w1+1) - 1/(w2+1): one MLP, no extra layer.
    left = ir.SelectorWidth(select(ir.TOKENS, ir.TOKENS, "<"))
    right = ir.SelectorWidth(select(ir.INDICES, ir.INDICES, "<"))
    same_count = ir.SequenceMap(fn=lambda a, b: a == b, inputs=(left, right))
    model = check(same_count, ABC, 30, exhaustive_len=3, n_random=100, seed=3)
    assert model.config.n_layers == 1


def _priority_program():
    """most_freq's order as a map: more frequent first, then earlier first."""
    counts = ir.SelectorWidth(select(ir.TOKENS, ir.TOKENS)).named("hist")
    priority = ir.SequenceMap(fn=lambda h, i: h * 1000 - i, inputs=(counts, ir.INDICES)).named("priority")
    ahead = ir.SelectorWidth(select(priority, priority, ">")).named("ahead")
    return ir.Aggregate(select(ahead, ir.INDICES), ir.TOKENS).named("ordered")


def test_lexicographic_map_comparison_is_split_into_pairs():
    program = _priority_program()
    split = check(program, ABC, 8, exhaustive_len=4, n_random=60)
    whole = check(program, ABC, 8, exhaustive_len=4, n_random=60, disabled_passes=("split_lexicographic",))
    # without the pass, priority is a one-hot over every (count, index) pair
    assert split.config.d_model < whole.config.d_model
    assert not any(s.name == "priority" for s in split.layout.subspaces)
    assert any(s.name == "priority" for s in whole.layout.subspaces)


def test_frac_prevs_is_a_numerical_mean():
    model = check(cases.frac_prevs(), ABC, 8, exhaustive_len=5)
    assert model.config.output_encoding == "numerical"


def test_length():
    model = check(ir.LENGTH, ABC, 8, exhaustive_len=3)
    assert model.config.n_layers == 1


@pytest.mark.slow
def test_selector_combinations():
    lt = ir.Compare("<", 0, 0)
    eq = ir.Compare("==", 1, 1)
    for predicate in (ir.PredAnd(lt, ir.PredNot(eq)), ir.PredOr(lt, eq), ir.PredNot(ir.PredAnd(lt, eq)),
                      ir.PredOr(ir.PredNot(lt), ir.PredAnd(eq, lt))):
        sel = ir.Select(keys=(ir.INDICES, ir.TOKENS), queries=(ir.INDICES, ir.TOKENS), predicate=predicate)
        check(ir.SelectorWidth(sel), ABC, 5, exhaustive_len=4, n_random=40)


@pytest.mark.parametrize("op", ["==", "!=", "<", ">", "<=", ">="])
def test_every_comparison(op):
    moved = ir.Aggregate(select(ir.TOKENS, ir.TOKENS, op), ir.INDICES, default=0)
    check(moved, ABC, 5, exhaustive_len=4, n_random=40)


def test_numerical_aggregate_with_nonzero_default():
    values = ir.Map(fn=lambda t: {"a": 1, "b": 3, "c": 6}[t], inner=ir.TOKENS)
    mean = ir.Aggregate(select(ir.TOKENS, ir.TOKENS, "<"), values, default=5)
    check(mean, ABC, 6, exhaustive_len=4, n_random=60)


def test_numerical_mean_read_categorically():
    ones = ir.Map(fn=lambda t: 1 if t == "a" else 0, inner=ir.TOKENS)
    frac = ir.Aggregate(select(ir.INDICES, ir.INDICES, "<="), ones)
    bucket = ir.Map(fn=lambda x: "high" if x > 0.5 else "low", inner=frac)
    check(bucket, ABC, 5, exhaustive_len=4, n_random=40)
    # ... and as a select key (a numerical -> categorical copy)
    same = ir.SelectorWidth(select(frac, frac))
    check(same, ABC, 4, exhaustive_len=4)


def test_maps_of_maps_and_sequence_maps():
    width = ir.SelectorWidth(select(ir.TOKENS, ir.TOKENS))
    chain = ir.Map(fn=lambda x: x % 3, inner=ir.Map(fn=lambda x: x * 2 + 1, inner=width))
    two = ir.SequenceMap(fn=lambda a, b: a + b, inputs=(chain, ir.INDICES))
    three = ir.SequenceMap(fn=lambda a, b, c: f"{a}{b}{c}", inputs=(two, ir.TOKENS, width))
    check(three, ABC, 5, exhaustive_len=4, n_random=40)


def test_string_and_bool_values():
    flags = ir.Map(fn=lambda t: t == "a", inner=ir.TOKENS)
    moved = ir.Aggregate(select(ir.INDICES, ir.INDICES, "<"), flags, default=False)  # several -> error rows
    shifted = ir.Aggregate(select(ir.INDICES, ir.INDICES + 1), ir.TOKENS, default="_")
    words = ir.SequenceMap(fn=lambda a, b: a + b, inputs=(shifted, ir.TOKENS))
    check(shifted, ABC, 5, exhaustive_len=4, n_random=40)
    check(words, ABC, 5, exhaustive_len=4, n_random=40)
    check(ir.Map(fn=lambda f: not f, inner=flags), ABC, 4)
    single = ir.Aggregate(select(ir.INDICES, ir.INDICES), flags, default=False)
    check(single, ABC, 4)
    check(moved, ABC, 3, exhaustive_len=3)  # only inputs the interpreter accepts


def test_constants_and_folded_maps():
    const = ir.Constant(value=7)
    mixed = ir.SequenceMap(fn=lambda i, c: i + c, inputs=(ir.INDICES, const))
    model = check(mixed, ABC, 5, exhaustive_len=3)
    assert model.config.n_layers == 0  # folded into the position embedding
    model = check(ir.Map(fn=lambda t: t.upper(), inner=ir.TOKENS), ABC, 4, exhaustive_len=3)
    assert model.config.n_layers == 0


@pytest.mark.slow
@pytest.mark.parametrize("name", PASSES)
def test_each_pass_can_be_disabled(name):
    programs = (cases.reverse(), cases.most_freq())
    if name == "compact_numerical":
        programs += (cases.frac_prevs(),)
    for program in programs:
        check(program, ABC, 5, exhaustive_len=4, n_random=30, disabled_passes=(name,))


@pytest.mark.slow
def test_all_passes_disabled():
    for program in (cases.reverse(), cases.sort_stable(), cases.double_hist()):
        check(program, ABC, 5, exhaustive_len=4, n_random=30, disabled_passes=PASSES)


@pytest.mark.slow
def test_random_inputs_up_to_max_len_20():
    for program in (cases.reverse(), cases.sort_unique(), cases.hist()):
        check(program, ABC, 20, exhaustive_len=3, n_random=200, seed=7)


def test_heads_with_one_pattern_are_shared():
    prev = select(ir.INDICES, ir.INDICES + 1)
    letters = ir.Aggregate(prev, ir.TOKENS, default="_")
    places = ir.Aggregate(prev, ir.INDICES, default=0)
    both = ir.SequenceMap(fn=lambda t, i: f"{t}{i}", inputs=(letters, places))
    shared = check(both, ABC, 5, exhaustive_len=4, n_random=30)
    separate = check(both, ABC, 5, exhaustive_len=4, n_random=30, disabled_passes=("share_heads",))
    assert shared.n_heads == 1 and separate.n_heads == 2


def test_most_freq_and_stable_sort_at_max_len_20():
    check(cases.most_freq(), ABC, 20, exhaustive_len=2, n_random=150, seed=5)
    check(cases.sort_stable(), NUMS, 20, exhaustive_len=2, n_random=150, seed=6)


@pytest.mark.slow
def test_numerical_hints_and_conversions():
    width = ir.SelectorWidth(select(ir.TOKENS, ir.TOKENS, "<")).hinted(ir.Encoding.NUMERICAL)
    model = check(width, ABC, 6, exhaustive_len=4)
    assert model.config.output_encoding == "numerical"
    # read as a key: the numerical -> categorical copy fuses with the width decoding
    moved = ir.Aggregate(select(width, width), ir.TOKENS, default="x")
    assert check(moved, ABC, 5, exhaustive_len=4).config.n_layers == 2
    # a mean of means, and a mean added to a categorical s-op
    weights = ir.Map(fn=lambda t: {"a": 1, "b": 2, "c": 4}[t], inner=ir.TOKENS)
    mean = ir.Aggregate(select(ir.INDICES, ir.INDICES, "<="), weights)
    check(ir.Aggregate(select(ir.TOKENS, ir.TOKENS), mean), ABC, 5, exhaustive_len=4, n_random=40)
    check(ir.SequenceMap(fn=lambda a, b: a + b, inputs=(mean, ir.INDICES)), ABC, 5, exhaustive_len=4,
          n_random=40)


def test_inputs_as_outputs():
    assert check(ir.TOKENS, ABC, 4).config.n_layers == 0
    assert check(ir.INDICES, ABC, 4).config.n_layers == 0


def test_difference_of_widths_is_decoded_into_one_number():
    # opened - closed over the prefix (a nesting depth): each width is decoded into
    # one shared numerical direction by the MLP of its own layer, so one layer,
    # at a max_len where a grid of the two scratches would not resolve.
    prefix = ir.Select(keys=(ir.INDICES, ir.TOKENS), queries=(ir.INDICES, ir.Constant(value="a")),
                       predicate=ir.PredAnd(ir.Compare("<=", 0, 0), ir.Compare("==", 1, 1)))
    closers = ir.Select(keys=(ir.INDICES, ir.TOKENS), queries=(ir.INDICES, ir.Constant(value="b")),
                        predicate=ir.PredAnd(ir.Compare("<=", 0, 0), ir.Compare("==", 1, 1)))
    depth = ir.SequenceMap(fn=lambda a, b: a - b, inputs=(ir.SelectorWidth(prefix), ir.SelectorWidth(closers)))
    model = check(depth, ABC, 40, exhaustive_len=3, n_random=60, seed=4)
    assert model.config.n_layers == 1


def _count_plus_one_program():
    """Per position, the mean index of the tokens that occur once more than its own."""
    count = ir.SelectorWidth(selector=select(ir.TOKENS, ir.TOKENS))
    count.name = "count"
    next_count = ir.Map(fn=lambda c: c + 1, inner=count, description="{0} + 1")
    next_count.name = "next_count"
    mean = ir.Aggregate(selector=select(count, next_count), sop=ir.INDICES, default=0)
    mean.encoding_hint = ir.Encoding.NUMERICAL
    return mean


def test_a_map_only_selectors_read_is_read_through_its_input():
    """``next_count = count + 1`` is read only as the query of a selector, and is
    one-to-one: with the pass the head compares ``count`` with ``count + 1`` itself
    and no residual space holds ``next_count``; without it, one does. Both agree
    with the interpreter."""
    program = _count_plus_one_program()
    folded = check(program, ABC, 6, exhaustive_len=4, n_random=100)
    kept = check(program, ABC, 6, exhaustive_len=4, n_random=100, disabled_passes=("maps_into_selects",))
    assert not any("next_count" in space.name for space in folded.layout.subspaces)
    assert any("next_count" in space.name for space in kept.layout.subspaces)
    assert folded.config.d_model < kept.config.d_model


def _first_occurrences_program(also_read_whole: bool = False):
    """Per position, how many first occurrences of a token stand at or before it:
    ``earlier`` (how many copies of the token come before) is only compared with
    0 by selectors, unless ``also_read_whole`` adds a selector comparing it with
    itself."""
    earlier = ir.SelectorWidth(selector=ir.Select(
        keys=(ir.TOKENS, ir.INDICES), queries=(ir.TOKENS, ir.INDICES),
        predicate=ir.PredAnd(ir.Compare("==", 0, 0), ir.Compare("<", 1, 1))))
    earlier.name = "earlier"
    first = select(earlier, ir.Constant(value=0))
    upto = ir.Select(keys=(earlier, ir.INDICES), queries=(ir.Constant(value=0), ir.INDICES),
                     predicate=ir.PredAnd(ir.Compare("==", 0, 0), ir.Compare("<=", 1, 1)))
    counted = ir.SelectorWidth(selector=upto)
    if not also_read_whole:
        return counted
    same = ir.SelectorWidth(selector=select(earlier, earlier))
    return ir.SequenceMap(fn=lambda a, b: a + b, inputs=(counted, same), description="{0} + {1}")


@pytest.mark.slow
def test_an_sop_only_tested_against_constants_is_read_through_the_tests():
    """``earlier`` (0 to max_len) is read only through ``earlier == 0``: with the
    pass its one-hot is never written (two directions hold the test), without it
    the one-hot is there; a third selector comparing ``earlier`` with itself keeps
    the one-hot. Every model agrees with the interpreter."""
    tested = check(_first_occurrences_program(), ABC, 6, exhaustive_len=4, n_random=100)
    kept = check(_first_occurrences_program(), ABC, 6, exhaustive_len=4, n_random=100,
                 disabled_passes=("constant_tests",))
    names = {space.name for space in tested.layout.subspaces}
    assert "earlier" not in names and any(name.startswith("earlier_test") for name in names)
    assert "earlier" in {space.name for space in kept.layout.subspaces}
    assert tested.config.d_model < kept.config.d_model
    assert tested.config.n_layers == kept.config.n_layers
    whole = check(_first_occurrences_program(also_read_whole=True), ABC, 6, exhaustive_len=4, n_random=100)
    assert "earlier" in {space.name for space in whole.layout.subspaces}


def test_a_map_that_merges_values_is_not_read_through_its_input():
    """``count > 1`` gives False for 1 and True for 2 to 6 (a count is at least 1):
    reading ``count`` would widen the head's table, so the map keeps its space."""
    count = ir.SelectorWidth(selector=select(ir.TOKENS, ir.TOKENS))
    repeated = ir.Map(fn=lambda c: c > 1, inner=count, description="{0} > 1")
    repeated.name = "repeated"
    program = ir.SelectorWidth(selector=select(repeated, repeated))
    model = check(program, ABC, 6, exhaustive_len=4, n_random=100)
    assert any("repeated" in space.name for space in model.layout.subspaces)


def test_a_comparison_through_maps_reads_and_describes_them():
    """Worked by hand: key 3 against query 2 read as ``k == q + 1``."""
    leaf = ir.Compare("==", 0, 0, query_map=lambda q: q + 1, query_text="{0} + 1")
    assert leaf((3,), (2,)) and not leaf((2,), (2,))
    assert leaf.describe(("depth",), ("depth",)) == "depth == depth + 1"
    assert not leaf.plain and ir.Compare("<", 0, 0).plain
    assert leaf.moved(1, 2) == ir.Compare("==", 1, 2, query_map=leaf.query_map, query_text="{0} + 1")


@pytest.mark.slow
def test_reverse_flips_through_a_narrow_head():
    """The flip ``positions_after == indices`` over 41 values: with the digits its
    head is at most half as wide as without; both agree with the interpreter."""
    program = cases.reverse()
    narrow = check(program, ABC, 40, exhaustive_len=3, n_random=100)
    wide = check(program, ABC, 40, exhaustive_len=3, n_random=100, disabled_passes=("narrow_equalities",))
    assert 2 * narrow.params["layers"][1]["w_q"].shape[-1] <= wide.params["layers"][1]["w_q"].shape[-1]
