"""An output of many values held on a grid (``grid_output``): its value's row and
column instead of one direction per value. Expected widths are worked by hand from
the grid's rule (ceil(sqrt(n)) rows, ceil(n / rows) columns); every model is checked
against the interpreter, and against the same program compiled with a one-hot."""
from __future__ import annotations

import numpy as np
import pytest

from compiler import compile_expr
from rasp import ir
from runtime.io import load_model, save_model
from runtime.engine.forward import Runner
from runtime.outputs import decode_subspace
from tests.support import compile_cases as cases

WORDS = tuple(f"w{k}" for k in range(300))


def word_and_place():
    """20 tokens x 15 positions: 300 values, written by an MLP (two leaves, no fold)."""
    return ir.SequenceMap(fn=lambda t, i: f"{t}@{i}", inputs=(ir.TOKENS, ir.INDICES)).named("tagged")


def shouted():
    """A map of 300 tokens, folded into the token embedding."""
    return ir.Map(fn=lambda t: t.upper(), inner=ir.TOKENS).named("shouted")


def test_an_mlp_output_of_300_values_takes_35_directions_and_answers_as_before():
    vocab = tuple(f"t{k}" for k in range(20))
    grid = compile_expr(word_and_place(), vocab, 15)
    flat = compile_expr(word_and_place(), vocab, 15, disabled_passes=("grid_output",))
    # 300 values: 18 rows (18 * 18 >= 300 > 17 * 17), 17 columns (18 * 17 = 306 >= 300).
    assert grid.layout["tagged"].grid_rows == 18 and grid.layout["tagged"].width == 35
    assert flat.layout["tagged"].grid_rows == 0 and flat.layout["tagged"].width == 300
    assert grid.layout.d_model == flat.layout.d_model - 265
    assert grid.n_params < flat.n_params
    inputs = cases.random_inputs(vocab, 15, 200, seed=3)
    assert not cases.mismatches(grid, word_and_place(), inputs)
    assert Runner(grid).run(inputs) == Runner(flat).run(inputs)


def test_an_output_written_by_a_head_is_carried_onto_the_grid():
    """reverse over 300 words: the head copies the word's one-hot (tokens, read by
    the head, keeps its 300 directions) and writes the output's grid, 301 values
    with the aggregate's default 0: still 18 rows of 17 columns."""
    model = cases.check(cases.reverse(), WORDS, 6, exhaustive_len=1, n_random=200)
    assert model.layout["reverse"].grid_rows == 18 and model.layout["reverse"].width == 35
    assert model.layout["tokens"].width == 300


def test_an_output_folded_into_the_embedding_is_written_on_the_grid():
    model = cases.check(shouted(), WORDS, 5, exhaustive_len=1, n_random=100)
    output = model.layout["shouted"]
    assert output.grid_rows == 18 and output.writer == "embed"
    # W17's row and column follow its place k among the output's values (18 rows, 17 columns)
    k = output.values.index("W17")
    row = model.params["token_embed"][1 + WORDS.index("w17"), output.start:output.stop]
    assert np.flatnonzero(row).tolist() == [k // 17, 18 + k % 17]


def test_a_small_output_keeps_its_one_hot():
    model = compile_expr(cases.reverse(), ("a", "b", "c"), 5)
    # a, b, c and the aggregate's default 0: four directions
    assert model.layout["reverse"].grid_rows == 0 and model.layout["reverse"].width == 4


def test_the_lens_reads_the_grid_back_and_the_file_keeps_it(tmp_path):
    vocab = tuple(f"t{k}" for k in range(20))
    model = compile_expr(word_and_place(), vocab, 15)
    save_model(model, str(tmp_path / "grid.safetensors"))
    loaded = load_model(str(tmp_path / "grid.safetensors"))
    assert loaded.layout["tagged"] == model.layout["tagged"]
    tokens = ("t3", "t0", "t19")
    residual = Runner(loaded).residuals([tokens])[0]
    values, confidences = decode_subspace(loaded.layout["tagged"], residual)
    assert list(values) == ["t3@0", "t0@1", "t19@2"]
    # the value held scores 2, every other value at most 1
    assert all(c == pytest.approx(1.0, abs=1e-4) for c in confidences)
