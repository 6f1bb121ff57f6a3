"""Maps built to a declared tolerance (``compiler.constructions.tolerant``): the
interpolation against the function itself on a dense grid, jumps and kinks worked
by hand, and a whole program compiled with one against the interpreter."""
from __future__ import annotations

import math
import textwrap

import numpy as np
import pytest

from compiler import compile_program
from compiler.constructions.blocks import Space
from compiler.constructions.tolerant import fit_piecewise, tolerant_units
from rasp.interpreter import evaluate
from rasp.parser import parse
from rasp.stage import stage
from runtime.engine.forward import Runner
from runtime.model import CATEGORICAL, NUMERICAL


def normalise(x: float) -> float:
    """VADER's normalisation of a sum into [-1, 1]."""
    return x / math.sqrt(x * x + 15)


def interpolate(fit, x: float) -> float:
    return float(np.interp(x, fit.knots, [t[0] for t in fit.targets]))


def test_a_smooth_function_is_within_its_tolerance_everywhere():
    fit = fit_piecewise(lambda x: np.array([normalise(x)]), -50.0, 50.0, 1e-4, 1e-4)
    grid = np.linspace(-50, 50, 200_001)
    worst = max(abs(interpolate(fit, x) - normalise(x)) for x in grid[::7])
    assert worst <= 1e-4
    assert fit.jumps == ()


def test_fewer_units_than_a_discretising_mlp_at_the_same_error():
    """A discretising MLP (tracr's numerical MLP) holds the function flat between
    points of its input grid: at error e with slope at most s, the points are at
    most 2e/s apart, one pair of units each. The interpolation follows curvature."""
    error = 1e-4
    fit = fit_piecewise(lambda x: np.array([normalise(x)]), -50.0, 50.0, error, error)
    steepest = 1 / math.sqrt(15)  # the slope of x / sqrt(x^2 + 15) at 0
    discretising_units = 2 * math.ceil(100 / (2 * error / steepest))
    assert len(fit.knots) * 20 < discretising_units


def test_a_straight_function_is_one_segment():
    fit = fit_piecewise(lambda x: np.array([3 * x - 2]), -10.0, 7.0, 1e-6, 1e-6)
    assert fit.knots == (-10.0, 7.0) and fit.error < 1e-12


def test_a_kink_gets_a_knot_on_it():
    fit = fit_piecewise(lambda x: np.array([min(max(7 * x, -50.0), 50.0)]), -35.0, 40.0, 1e-6, 1e-6)
    assert len(fit.knots) == 4
    assert fit.knots[1] == pytest.approx(-50 / 7, abs=1e-9) and fit.knots[2] == pytest.approx(50 / 7, abs=1e-9)


def test_a_jump_is_bridged_within_the_resolution():
    def emphasised(x: float) -> np.ndarray:  # VADER's emphasis added in the sum's direction
        return np.array([x + 0.5 if x > 0 else (x - 0.5 if x < 0 else 0.0)])

    fit = fit_piecewise(emphasised, -50.0, 50.0, 1e-5, 0.01)
    assert len(fit.jumps) == 1 and abs(fit.jumps[0]) < 1e-6
    assert abs(interpolate(fit, 0.0)) < 1e-3  # the window's middle is halfway
    for x in (-40.0, -0.006, 0.006, 3.0, 49.0):
        assert interpolate(fit, x) == pytest.approx(emphasised(x)[0], abs=1e-9)


def _apply(units, inputs, values) -> np.ndarray:
    out = 0.0
    for unit in units:
        pre = unit.bias + sum(float(w @ x) for w, x in zip(unit.weights, values))
        out = out + max(pre, 0.0) * unit.out
    return np.asarray(out)


def test_affine_maps_are_exact_per_category():
    mean = Space("mean", NUMERICAL, ())
    length = Space("length", CATEGORICAL, (1, 2, 3))
    units, margin = tolerant_units(lambda m, n: m * n, (mean, length), [(-4.0, 5.0), None],
                                   Space("total", NUMERICAL, ()), "total", 1e-6, 1e-6)
    for n, onehot in ((1, [1, 0, 0]), (2, [0, 1, 0]), (3, [0, 0, 1])):
        for m in (-4.0, -1.25, 0.0, 0.3, 5.0):
            got = _apply(units, (mean, length), (np.array([m]), np.array(onehot, float)))
            assert float(got[0]) == pytest.approx(m * n, abs=1e-12)


def test_a_program_with_a_tolerance_agrees_with_the_interpreter():
    """A mean over many combinations has no listed values; normalising it needs a
    tolerance, and the compiled model stays within it."""
    source = textwrap.dedent("""
        @vocab [1, 2, 3, 5, 7, 11, 13];
        @max_len 8;
        @output squashed;
        tokens = tokens_int;
        spread = aggregate(select(indices, indices, <=), tokens * 1.7 - indices * 0.3);
        squashed = spread / (spread * spread + 15) ^ 0.5;
        @numerical squashed;
        @tolerance squashed 0.0001;
    """)
    program = stage(parse(source))
    model = compile_program(program)
    assert model.stats["output_tolerance"] == 0.0001
    rng = np.random.default_rng(0)
    inputs = [tuple(int(t) for t in rng.choice([1, 2, 3, 5, 7, 11, 13], size=rng.integers(1, 9)))
              for _ in range(300)]
    got = Runner(model).run(inputs)
    worst = max(abs(a - b) for tokens, out in zip(inputs, got)
                for a, b in zip(evaluate(program.names["squashed"], tokens), out))
    assert worst <= 0.0001
    [declared] = model.stats["tolerances"]
    # The fit alone stays within what was declared; float32's bound comes on top of it.
    assert declared["op"] == "squashed" and declared["error"] == 0.0001
    assert 0 <= declared["fit"] <= 0.0001 and declared["rounding"] > 0
    assert declared["worst"] == pytest.approx(declared["fit"] + declared["rounding"])


def test_without_a_tolerance_the_error_says_to_declare_one():
    source = "@vocab [1, 2, 3, 5, 7, 11, 13];\n@max_len 8;\n@output s;\ntokens = tokens_int;\n" \
             "m = aggregate(select(indices, indices, <=), tokens * 1.7 - indices * 0.3);\n" \
             "s = m / (m * m + 15) ^ 0.5;\n@numerical s;\n"
    with pytest.raises(Exception, match="declare a tolerance"):
        compile_program(stage(parse(source)))
