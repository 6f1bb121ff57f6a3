"""Map and sequence-map MLPs against the plain Python function, on every value of
their finite domains, in float32."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from tests.support.block_reference import Residual, apply_mlp
from compiler.constructions import mlp, projection
from compiler.constructions.blocks import Space
from compiler.errors import CompileError
from runtime.model import CATEGORICAL, NUMERICAL


def evaluate(block, inputs, output, columns, dtype=np.float32, noise=None):
    residual = Residual([*inputs, output])
    x = residual.build({s.name: c for s, c in zip(inputs, columns)}, dtype)
    if noise is not None:  # on the inputs' directions at the real positions
        for space in inputs:
            cols = residual.slices[space.name]
            x[1:, cols] += noise(x[1:, cols].shape).astype(dtype)
    after, hidden = apply_mlp(residual, block, x)
    return residual, after


def check_exhaustive(fn, inputs, output, label="m", atol=1e-5):
    """Every combination of input values, one per position; returns the block."""
    if len(inputs) == 1:
        block, margin = mlp.map_mlp(fn, inputs[0], output, label)
    else:
        block, margin = mlp.sequence_map_mlp(fn, tuple(inputs), output, label)
    combos = list(itertools.product(*(s.values for s in inputs)))
    columns = [list(c) for c in zip(*combos)]
    residual, after = evaluate(block, inputs, output, columns)
    want = [fn(*c) for c in combos]
    part = residual.read(after, output)
    assert np.all(np.abs(part[0]) < 1e-6), "an MLP must write zero at BOS"
    if output.encoding == CATEGORICAL:
        hot = np.zeros((len(combos), output.width))
        hot[np.arange(len(combos)), [output.index_of(w) for w in want]] = 1
        error = np.abs(part[1:] - hot).max()
        assert error < atol, error
    else:
        error = np.abs(part[1:, 0] - np.array(want, dtype=float)).max()
        assert error < atol * max(1.0, max(abs(w) for w in want)), error
    return block, margin


TOK = Space("tok", CATEGORICAL, ("a", "b", "c", "d"))
IDX = Space("idx", CATEGORICAL, tuple(range(10)))


def test_categorical_lookup_groups_equal_outputs():
    out = Space("out", CATEGORICAL, ("a", "b", "c", "d", "x"))
    shift = {"a": "b", "b": "c", "c": "d", "d": "a"}
    block, _ = check_exhaustive(lambda t: shift[t], [TOK], out)
    assert block.hidden == 4
    vowel = Space("vowel", CATEGORICAL, (True, False))
    block, _ = check_exhaustive(lambda t: t in "ae", [TOK], vowel)
    assert block.hidden == 2
    assert any("tok == 'a'" in label for label in block.neuron_labels)


def test_categorical_to_numerical_skips_zeros():
    out = Space("out", NUMERICAL, ())
    block, _ = check_exhaustive(lambda i: 0 if i % 3 else i * 1.5, [IDX], out)
    assert block.hidden == 3  # values 4.5, 9.0, 13.5


def test_free_values_cost_nothing():
    """A value on which the function fails never reaches the map at run time."""
    out = Space("out", NUMERICAL, ())
    block, _ = mlp.map_mlp(lambda i: 10 / i, IDX, out, "inv")
    residual, after = evaluate(block, [IDX], out, [list(range(1, 10))])
    assert np.allclose(residual.decode(after, out), [10 / i for i in range(1, 10)], atol=1e-5)


@pytest.mark.parametrize("size", [10, 64, 100])
def test_numerical_to_categorical_identity(size):
    values = tuple(range(size))
    block, margin = check_exhaustive(lambda v: v, [Space("x", NUMERICAL, values)],
                                     Space("out", CATEGORICAL, values), atol=1e-4)
    assert block.hidden <= 2 * (size - 1) + 1
    assert margin.value <= 1e-4


@pytest.mark.parametrize("size", [10, 64, 100])
def test_numerical_thresholds_on_dense_means(size):
    """Values k/n (what a mean over n keys gives), mapped to a boolean."""
    values = tuple(sorted({k / n for n in range(1, size + 1) for k in range(n + 1)} if size <= 10 else
                          {k / size for k in range(size + 1)}))
    out = Space("out", CATEGORICAL, (False, True))
    block, _ = check_exhaustive(lambda v: v > 0.5, [Space("x", NUMERICAL, values)], out)
    assert block.hidden <= 3  # one step, and a base


@pytest.mark.parametrize("fn,units", [(lambda v: v + 1, 2), (lambda v: 3 * v, 1), (lambda v: v * v, None),
                                      (lambda v: abs(v - 5), 3)])
def test_numerical_to_numerical_interpolates(fn, units):
    x = Space("x", NUMERICAL, tuple(range(11)))
    block, margin = check_exhaustive(fn, [x], Space("out", NUMERICAL, ()))
    if units is not None:
        assert block.hidden == units
    assert margin.value <= 1e-5 * max(abs(fn(v)) for v in range(11))


def test_numerical_to_numerical_on_dense_set_uses_flat_steps():
    values = tuple(sorted({k / n for n in range(1, 12) for k in range(n + 1)}))
    block, margin = check_exhaustive(lambda v: round(v * 4), [Space("x", NUMERICAL, values)],
                                     Space("out", NUMERICAL, ()))
    assert "staircase" in margin.reason


def test_sequence_map_categorical_pairs():
    a = Space("a", CATEGORICAL, tuple(range(5)))
    b = Space("b", CATEGORICAL, tuple(range(4)))
    out = Space("out", CATEGORICAL, tuple(range(5)))
    block, _ = check_exhaustive(lambda x, y: (x + y) % 5, [a, b], out)
    assert block.hidden <= 5 * 4 - 4 + 1
    same = Space("same", CATEGORICAL, (False, True))
    block, _ = check_exhaustive(lambda x, y: x == y, [a, b], same)
    assert block.hidden == 4 + 1  # the four equal pairs and the constant "False"


def test_sequence_map_three_inputs_and_strings():
    a = Space("a", CATEGORICAL, ("x", "y"))
    b = Space("b", CATEGORICAL, ("p", "q", "r"))
    c = Space("c", CATEGORICAL, (0, 1))
    out = Space("out", CATEGORICAL, tuple(p + q + str(r) for p in "xy" for q in "pqr" for r in (0, 1)))
    check_exhaustive(lambda p, q, r: p + q + str(r), [a, b, c], out)


def test_separable_numerical_sequence_map_is_small():
    """length - indices - 1 over categorical length and indices: two lookups."""
    length = Space("length", CATEGORICAL, tuple(range(1, 65)))
    indices = Space("indices", CATEGORICAL, tuple(range(64)))
    block, _ = check_exhaustive(lambda n, i: n - i - 1, [length, indices], Space("opp", NUMERICAL, ()))
    assert block.hidden <= 64 + 63 + 1


def test_non_separable_numerical_sequence_map():
    a = Space("a", CATEGORICAL, tuple(range(6)))
    b = Space("b", CATEGORICAL, tuple(range(6)))
    check_exhaustive(lambda x, y: x * y, [a, b], Space("out", NUMERICAL, ()))


@pytest.mark.parametrize("output", [Space("out", NUMERICAL, ()), Space("out", CATEGORICAL, tuple(range(-12, 40)))])
def test_mixed_numerical_and_categorical_inputs(output):
    x = Space("x", NUMERICAL, (0.0, 0.5, 1.0, 2.5, 4.0))
    c = Space("c", CATEGORICAL, ("add", "sub", "mul"))

    def fn(v, op):
        r = {"add": v + 3, "sub": v - 3, "mul": v * 4}[op]
        return int(r * 2) if output.encoding == CATEGORICAL else r

    check_exhaustive(fn, [x, c], output)


def test_two_numerical_inputs():
    x = Space("x", NUMERICAL, (0, 1, 2, 3))
    y = Space("y", NUMERICAL, (0.0, 0.25, 0.5))
    check_exhaustive(lambda a, b: a + 2 * b * b, [x, y], Space("out", NUMERICAL, ()))
    check_exhaustive(lambda a, b: a * 4 >= b * 10, [x, y], Space("out", CATEGORICAL, (False, True)))


def test_noisy_inputs_still_exact():
    """Categorical entries off by 0.1 (zeros stay exact zeros, the hot entry moves
    by at most twice that) and numerical inputs off by a fifth of a gap."""
    out = Space("out", CATEGORICAL, ("a", "b", "c", "d"))
    block, _ = mlp.map_mlp(lambda t: {"a": "b", "b": "c", "c": "d", "d": "a"}[t], TOK, out, "shift")
    rng = np.random.default_rng(0)
    values = list("abcdabcd")
    residual, after = evaluate(block, [TOK], out, [values], noise=lambda s: rng.uniform(-0.1, 0.1, s))
    part = residual.read(after, out)[1:]
    want = np.zeros_like(part)
    want[np.arange(8), [out.index_of({"a": "b", "b": "c", "c": "d", "d": "a"}[v]) for v in values]] = 1
    off = part[want == 0]
    assert np.all(off == 0), "noise on zero entries must give exact zeros"
    assert np.abs(part[want == 1] - 1).max() <= 2 * 0.1 + 1e-6

    x = Space("x", NUMERICAL, tuple(range(20)))
    cat = Space("cat", CATEGORICAL, tuple(range(20)))
    block, _ = mlp.map_mlp(lambda v: v, x, cat, "to_cat")
    residual = Residual([x, cat])
    xs = residual.build({"x": list(range(20))})
    xs[1:, residual.slices["x"]] += rng.uniform(-0.2, 0.2, size=(20, 1)).astype(np.float32)
    after, _ = apply_mlp(residual, block, xs)
    assert residual.decode(after, cat) == list(range(20))
    assert np.abs(residual.read(after, cat)[1:] - np.eye(20)).max() < 1e-5


def test_bos_gate_holds_for_any_valid_input_at_bos():
    """Whatever valid encoding the inputs hold at BOS, the block writes zero there."""
    a = Space("a", CATEGORICAL, tuple(range(5)))
    x = Space("x", NUMERICAL, (-3.0, 0.0, 2.0, 8.0))
    out = Space("out", NUMERICAL, ())
    block, _ = mlp.sequence_map_mlp(lambda p, q: p * q + 1, (a, x), out, "m")
    residual = Residual([a, x, out])
    for value_a, value_x in itertools.product(range(5), (-3.0, 8.0)):
        xs = residual.build({"a": [1], "x": [2.0]})
        xs[0, residual.slices["a"].start + value_a] = 1
        xs[0, residual.slices["x"]] = value_x
        after, _ = apply_mlp(residual, block, xs)
        assert residual.read(after, out)[0, 0] == 0
        assert residual.read(after, out)[1, 0] == pytest.approx(3.0, abs=1e-4)


def test_errors_name_the_label():
    with pytest.raises(CompileError, match="shifted.*'z'"):
        mlp.map_mlp(lambda t: "z", TOK, Space("out", CATEGORICAL, ("a",)), "shifted")
    with pytest.raises(CompileError, match="half.*finite value set"):
        mlp.map_mlp(lambda v: v / 2, Space("x", NUMERICAL, ()), Space("out", NUMERICAL, ()), "half")
    with pytest.raises(CompileError, match="neg.*non-number"):
        mlp.map_mlp(lambda t: t, TOK, Space("out", NUMERICAL, ()), "neg")


@pytest.mark.parametrize("size", [16, 64])
def test_collapsing_projection_for_categorical_sums(size):
    """opp = length - indices - 1 as a one-hot, from numerical length and
    categorical indices: one line through the results, not size^2 combinations."""
    length = Space("length", NUMERICAL, tuple(range(1, size + 1)))
    indices = Space("indices", CATEGORICAL, tuple(range(size)))
    opp = Space("opp", CATEGORICAL, tuple(range(-size, size)))
    block, margin = check_exhaustive(lambda n, i: n - i - 1, [length, indices], opp)
    assert block.hidden <= 4 * size + 1
    assert "collapsing" in margin.reason


def test_gated_function_of_numbers_per_category():
    """A product is not a sum of parts: one function of x per category."""
    x = Space("x", NUMERICAL, (0.0, 1.0, 2.0, 3.0, 5.0))
    c = Space("c", CATEGORICAL, (1, 2, 3))
    block, _ = check_exhaustive(lambda v, k: v * k, [x, c], Space("out", NUMERICAL, ()))
    assert block.hidden <= 3 * 4
    check_exhaustive(lambda v, k: int(v * k) % 4, [x, c], Space("out", CATEGORICAL, (0, 1, 2, 3)))


def test_two_dense_numerical_inputs_are_refused_with_a_way_out():
    """Two selector-width scratches (values 1/(w+1)) summed into a one-hot: no
    projection of both separates their combinations in float32."""
    scratch = tuple(1.0 / (w + 1) for w in range(65))
    a = Space("a", NUMERICAL, scratch)
    b = Space("b", NUMERICAL, scratch)
    out = Space("out", CATEGORICAL, tuple(range(129)))
    with pytest.raises(CompileError, match="total.*earlier MLP"):
        mlp.sequence_map_mlp(lambda x, y: round(1 / x) + round(1 / y) - 2, (a, b), out, "total")
    block, _ = mlp.sequence_map_mlp(lambda x, y: round(1 / x) + round(1 / y) - 2, (a, b),
                                    Space("n", NUMERICAL, ()), "total")
    assert block.hidden <= 2 * 65  # as a number it is a sum of two decodes


def _scratch(max_len: int, least: int = 0) -> Space:
    """Selector-width scratch values 1/(w+1), w = least..max_len (as a head writes them)."""
    return Space("s", NUMERICAL, tuple(sorted(1.0 / (w + 1) for w in range(least, max_len + 1))))


def _width(a: float) -> int:
    return int(round(1.0 / a)) - 1


@pytest.mark.parametrize("max_len", [20, 64])
def test_equal_widths_read_through_one_projection(max_len):
    # a == b exactly when the widths agree: a staircase on a - b, a few units,
    # although no mixed radix of two scratches resolves in float32 at this size.
    first, second = _scratch(max_len), Space("t", NUMERICAL, _scratch(max_len).values)
    out = Space("same", CATEGORICAL, (False, True))
    block, margin = check_exhaustive(lambda a, b: _width(a) == _width(b), [first, second], out)
    assert block.hidden <= 6
    assert "projection" in margin.reason


def test_find_projection_needs_a_consistent_separated_line():
    values = [1.0 / (w + 1) for w in range(11)]
    found = projection.find_projection(lambda a, b: _width(a) == _width(b), [values, values])
    assert found is not None and found[0] == (1.0, -1.0)
    # the sum of two widths is no function of a +- b of the scratches; over long
    # grids no line keeps the sums apart in float32
    long = [1.0 / (w + 1) for w in range(41)]
    assert projection.find_projection(lambda a, b: _width(a) + _width(b), [long, long]) is None
    assert projection.find_projection(lambda a, b: _width(a) + _width(b), [values, values],
                               differences_only=True) is None
    # integers: the sum is a function of x + y
    ints = [float(v) for v in range(6)]
    coefficients, by_z = projection.find_projection(lambda x, y: x + y > 4, [ints, ints])
    assert coefficients == (1.0, 1.0) and by_z[10.0] is True and by_z[0.0] is False


@pytest.mark.parametrize("bound", [8, 12])
def test_sum_of_two_short_widths_on_a_sloped_line(bound):
    # Two widths of at most ``bound`` (first copies of a small vocabulary): no +-1
    # line separates their sums, a line x + c y does, and the MLP on it is exact at
    # every pair, checked against the sum computed here, within the rounding the
    # construction states.
    values = [1.0 / (w + 1) for w in range(bound + 1)]
    coefficients, by_z = projection.find_projection(lambda a, b: _width(a) + _width(b), [values, values])
    assert abs(coefficients[1]) != 1.0
    for a, b in itertools.product(values, values):
        z = round(a + coefficients[1] * b, 12)
        if z in by_z:
            assert by_z[z] == _width(a) + _width(b)
    first = Space("s", NUMERICAL, tuple(sorted(values)))
    second = Space("t", NUMERICAL, tuple(sorted(values)))
    out = Space("total", CATEGORICAL, tuple(range(2 * bound + 1)))
    block, margin = mlp.sequence_map_mlp(lambda a, b: _width(a) + _width(b), (first, second), out, "m")
    assert "projection" in margin.reason
    pairs = list(itertools.product(values, values))
    _, after = evaluate(block, [first, second], out, [list(c) for c in zip(*pairs)])
    part = Residual([first, second, out]).read(after, out)[1:]
    hot = np.zeros_like(part)
    hot[np.arange(len(pairs)), [_width(a) + _width(b) for a, b in pairs]] = 1
    assert np.abs(part - hot).max() <= margin.value < 0.01


def _depth_block(max_len: int):
    """The MLP of depth = 2 w - i - 1 (a bracket depth) over a width scratch and an
    index, checked on every combination: (scratch, index, depth spaces, block)."""
    scratch = _scratch(max_len)
    idx = Space("idx", CATEGORICAL, tuple(range(max_len)))
    depth = Space("depth", CATEGORICAL, tuple(range(-max_len - 1, 2 * max_len)))
    block, _ = check_exhaustive(lambda a, i: 2 * _width(a) - i - 1, [scratch, idx], depth)
    return scratch, idx, depth, block


@pytest.mark.parametrize("max_len", [20, 64])
def test_shifted_thresholds_for_a_width_and_an_index(max_len):
    # A few ramp pairs per distinct result (one per band of similar gaps), shifted
    # per index, instead of a function of the width for every index (max_len
    # times as many).
    scratch, idx, depth, block = _depth_block(max_len)
    assert block.hidden <= 8 * len(depth.values)
    below = Space("below", CATEGORICAL, (False, True))
    check_exhaustive(lambda a, i: 2 * _width(a) - i - 1 < 0, [scratch, idx], below)


def test_maps_of_numbers_to_one_hots_use_flat_steps():
    # A one-hot read by attention must not move with the input's noise: the steps
    # are flat around every point, so noise well inside a quarter gap changes nothing.
    scratch = _scratch(3)
    flag = Space("flag", CATEGORICAL, (False, True))
    block, margin = mlp.map_mlp(lambda a: _width(a) >= 2, scratch, flag, "m")
    assert "staircase" in margin.reason
    rng = np.random.default_rng(0)
    columns = [[v for v in scratch.values] * 4]
    residual, after = evaluate(block, [scratch], flag, columns,
                               noise=lambda shape: rng.uniform(-1e-3, 1e-3, shape))
    part = residual.read(after, flag)[1:]
    want = np.array([[0.0, 1.0] if _width(a) >= 2 else [1.0, 0.0] for a in columns[0]])
    assert np.abs(part - want).max() < 1e-5


def test_lookup_reads_values_the_function_cannot_tell_apart_together():
    # rover's inference step: (a == "x" and b == "x") ? c : d over two 11-valued
    # inputs and two flags. Only "x" against the rest matters in a and b: 2 x 2 x 2
    # x 2 groups: a constant and one unit per group of the other output, 9 units
    # instead of one per combination (242).
    letters = Space("a", CATEGORICAL, tuple("#,:<?ABabx"))
    others = Space("b", CATEGORICAL, tuple("#,:<?ABabx"))
    first, second = Space("c", CATEGORICAL, (False, True)), Space("d", CATEGORICAL, (False, True))
    out = Space("out", CATEGORICAL, (0, 1))

    def inference(a, b, c, d):
        return int(c if a == "x" and b == "x" else d)

    block, _ = check_exhaustive(inference, [letters, others, first, second], out)
    assert block.hidden <= 9


@pytest.mark.parametrize("max_len", [20, 64])
def test_shifted_thresholds_where_only_a_prefix_width_can_occur(max_len):
    # A prefix count at index i is at most i + 1; the other pairs never occur (the
    # function raises there, so they are free). The parts of 2 w - i - 1 still
    # follow from the pairs that do occur, and the result has 2 max_len + 1 values
    # instead of 3 max_len: checked on every possible pair against the formula.
    scratch = _scratch(max_len)
    idx = Space("idx", CATEGORICAL, tuple(range(max_len)))
    depth = Space("depth", CATEGORICAL, tuple(range(-max_len, max_len + 1)))

    def depth_of(a, i):
        if _width(a) > i + 1:
            raise KeyError("never at this index")
        return 2 * _width(a) - i - 1

    block, _ = mlp.sequence_map_mlp(depth_of, (scratch, idx), depth, "depth")
    assert block.hidden <= 8 * len(depth.values)
    pairs = [(1.0 / (w + 1), i) for i in range(max_len) for w in range(i + 2)]
    residual, after = evaluate(block, (scratch, idx), depth, [list(c) for c in zip(*pairs)])
    want = [2 * _width(a) - i - 1 for a, i in pairs]
    hot = np.zeros((len(pairs), depth.width))
    hot[np.arange(len(pairs)), [depth.index_of(w) for w in want]] = 1
    assert np.abs(residual.read(after, depth)[1:] - hot).max() < 1e-5


def _possible_pairs_check(block, fn, scratch, idx, output, max_len):
    """The block against ``fn`` on every pair that can occur (w <= i + 1)."""
    pairs = [(1.0 / (w + 1), i) for i in range(max_len) for w in range(i + 2)]
    residual, after = evaluate(block, (scratch, idx), output, [list(c) for c in zip(*pairs)])
    hot = np.zeros((len(pairs), output.width))
    hot[np.arange(len(pairs)), [output.index_of(fn(a, i)) for a, i in pairs]] = 1
    assert np.abs(residual.read(after, output)[1:] - hot).max() < 1e-5


@pytest.mark.parametrize("max_len", [20, 64])
@pytest.mark.parametrize("test", ["below zero", "balanced"])
def test_comparisons_of_a_width_with_the_position_are_steps_shifted_per_index(max_len, test):
    # "depth < 0" and "depth == 0" with depth = 2 w - i - 1 and w <= i + 1: along
    # w each index changes its answer once or twice, always by the same jump, so
    # one or two steps serve every index: per band of gap sizes (a factor of 4;
    # the gaps of 1/(w+1) run from 1/2 to 1/(n(n+1))) at most a rise, a cap and a
    # base unit, and two units for the answers at w = 0. A function of the width
    # per index takes three units per index.
    scratch = _scratch(max_len)
    idx = Space("idx", CATEGORICAL, tuple(range(max_len)))
    flag = Space("flag", CATEGORICAL, (False, True))
    compare = (lambda d: d < 0) if test == "below zero" else (lambda d: d == 0)

    def tested(a, i):
        if _width(a) > i + 1:
            raise KeyError("never at this index")
        return compare(2 * _width(a) - i - 1)

    block, margin = mlp.sequence_map_mlp(tested, (scratch, idx), flag, test)
    bands = math.ceil(math.log(0.5 * max_len * (max_len + 1), 4)) + 1
    steps = 1 if test == "below zero" else 2
    assert block.hidden <= steps * 3 * bands + 2, margin.reason
    _possible_pairs_check(block, tested, scratch, idx, flag, max_len)


def test_steps_repeating_the_same_jump_get_a_track_each():
    # (w + i) mod 3: along w each index cycles through the three residues, the
    # same jump recurring; the n-th recurrence at every index shares one track.
    max_len = 12
    scratch = _scratch(max_len)
    idx = Space("idx", CATEGORICAL, tuple(range(max_len)))
    residue = Space("residue", CATEGORICAL, (0, 1, 2))

    def cycled(a, i):
        if _width(a) > i + 1:
            raise KeyError("never at this index")
        return (_width(a) + i) % 3

    block, _ = mlp.sequence_map_mlp(cycled, (scratch, idx), residue, "cycled")
    _possible_pairs_check(block, cycled, scratch, idx, residue, max_len)


@pytest.mark.parametrize("max_len", [20, 64])
def test_parts_of_the_steps_that_read_the_index_alone_are_one_function_of_it(max_len):
    # Each shifted step adds, for some indices, a unit that reads the index alone
    # (an "always" or a "base" part); together they are one function of the index:
    # at most one unit per index, whatever the number of steps.
    _, _, _, block = _depth_block(max_len)
    reads_scratch = np.any(block.w_in[0] != 0, axis=0)
    reads_index = np.any(block.w_in[1] != 0, axis=0)
    assert np.sum(reads_index & ~reads_scratch) <= max_len
