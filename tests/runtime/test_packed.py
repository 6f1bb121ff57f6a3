"""The packed forward pass (nonzero blocks only) against the dense one: the same
residual and logits on every bundled program, on padded batches, and on a dense
trained model."""
from __future__ import annotations

from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest

from compiler import compile_program
from runtime.engine.batching import PAD
from runtime.engine.dense import forward
from runtime.engine.packed import POSITIONS, RESIDUAL, TOKENS, _token_scores, pack, packed_forward, packed_logits
from rasp.stage import load_program
from runtime.model import Model

PROGRAMS = sorted(Path(__file__).parents[2].glob("programs/*.rasp"))


def _random_batch(config, rows: int, seed: int) -> np.ndarray:
    """Token ids with BOS first and PAD after a random length, as a Runner pads."""
    rng = np.random.default_rng(seed)
    ids = np.full((rows, config.max_len + 1), PAD, np.int32)
    for row in range(rows):
        length = int(rng.integers(1, config.max_len + 1))
        ids[row, 0] = 0
        ids[row, 1:length + 1] = rng.integers(1, len(config.vocab), size=length)
    return ids


def _same_residual(model, ids, batch_minor: bool | None = None) -> None:
    """The packed pass (batch-minor or not as ``pack`` chooses, or as forced)
    against the dense one, on the positions in use."""
    packed = pack(model.params, batch_minor)
    dense = np.asarray(forward(model.params, ids, model.config))
    got = np.asarray(packed_forward(packed, ids, model.config.attn_scale))
    real = ids >= 0
    scale = max(1.0, float(np.abs(dense[real]).max()))
    assert np.abs(dense[real] - got[real]).max() <= 1e-5 * scale
    # The logits, read slice by slice from the directions the unembedding reads,
    # against the dense residual times the whole unembedding (in float64).
    dense_logits = dense.astype(np.float64) @ np.asarray(model.params["unembed"], np.float64)
    logits = np.asarray(packed_logits(packed.arrays, ids, index=packed.index,
                                      attn_scale=float(model.config.attn_scale)))
    assert logits.shape == dense_logits.shape
    assert np.abs(dense_logits[real] - logits[real]).max() <= 1e-5 * scale


@pytest.mark.slow
@pytest.mark.parametrize("batch_minor", [False, True], ids=["batch-major", "batch-minor"])
@pytest.mark.parametrize("path", PROGRAMS, ids=lambda p: p.stem)
def test_packed_forward_equals_dense(path, batch_minor):
    model = compile_program(load_program(str(path)))
    packed = pack(model.params)
    assert packed.worthwhile, (packed.kept, packed.total)
    _same_residual(model, _random_batch(model.config, 40, seed=len(path.stem)), batch_minor)


@pytest.mark.slow
@pytest.mark.parametrize("batch_minor", [False, True], ids=["batch-major", "batch-minor"])
def test_packed_forward_slices_a_large_batch(batch_minor):
    model = compile_program(load_program("programs/sort.rasp"))
    _same_residual(model, _random_batch(model.config, 600, seed=5), batch_minor)


@pytest.mark.slow
@pytest.mark.parametrize("tokens", [4, 100], ids=["one-hot", "gathered"])
def test_batch_minor_embeds_small_and_large_vocabularies(tokens):
    """reverse at max_len 10 runs batch-minor over 4 tokens (embedded by a product
    with the ids' one-hot) and over 100 (gathered): both as the dense pass."""
    vocab = tuple(f"t{i}" for i in range(tokens))
    model = compile_program(load_program("programs/reverse.rasp"), vocab=vocab, max_len=10)
    assert pack(model.params).index.batch_minor
    _same_residual(model, _random_batch(model.config, 150, seed=tokens))


def test_short_sequences_and_narrow_scores_run_batch_minor():
    """sort at max_len 10 (11 positions, score groups of at most 10 dimensions)
    runs batch-minor; at max_len 20 it does not, nor at max_len 10 over a
    vocabulary of 100 tokens, whose comparison of token ids has 101 dimensions."""
    sort = load_program("programs/sort.rasp")
    assert pack(compile_program(sort, max_len=10).params).index.batch_minor
    assert not pack(compile_program(sort, max_len=20).params).index.batch_minor
    wide = compile_program(sort, vocab=tuple(range(100)), max_len=10)
    assert not pack(wide.params).index.batch_minor


@pytest.mark.slow
@pytest.mark.parametrize("batch_minor", [False, True], ids=["batch-major", "batch-minor"])
def test_a_dense_model_packs_to_its_full_matrices(batch_minor):
    model = compile_program(load_program("programs/reverse.rasp"))
    rng = np.random.default_rng(0)
    dense = {key: value for key, value in model.params.items()}
    dense["layers"] = [{name: rng.normal(size=np.shape(w)).astype(np.float32) * 0.1 for name, w in layer.items()}
                       for layer in model.params["layers"]]
    dense["unembed"] = rng.normal(size=np.shape(model.params["unembed"])).astype(np.float32)
    trained = Model(model.config, dense, model.layout)
    packed = pack(trained.params)
    assert packed.kept == packed.total and not packed.worthwhile
    _same_residual(trained, _random_batch(model.config, 16, seed=1), batch_minor)


def test_a_comparison_of_indices_is_scored_once_per_call():
    """reverse's first head counts the positions after each one, ``select(indices,
    indices, >)``: the table over indices reads the position embedding alone on
    both sides, so it packs into a group computed from positions, not per sequence
    (the BOS terms, on the bos direction the token embedding writes, stay per
    sequence). The flip head, ``select(positions_after, indices, ==)``, has the
    indices as its queries: by position on that side only."""
    model = compile_program(load_program("programs/reverse.rasp"))
    packed = pack(model.params)
    (count,), (flip,) = (layer.heads for layer in packed.index.layers)
    indices = model.layout["indices"]
    by_position = [g for g in count.scores if (g.query_reads, g.key_reads) == (POSITIONS, POSITIONS)]
    assert len(by_position) == 1
    assert set(by_position[0].query_rows) == set(range(indices.start, indices.stop))
    assert [(g.query_reads, g.key_reads) for g in flip.scores if g.query_reads == POSITIONS] == [
        (POSITIONS, RESIDUAL)]
    _same_residual(model, _random_batch(model.config, 40, seed=3))


@pytest.mark.slow
def test_an_mlp_reading_indices_takes_their_part_from_positions():
    """dyck2's first MLP writes ``depth = 2 w - i - 1`` from the count's scratch and
    the index: the index's part of every unit's input is the same for every
    sequence, so it packs apart (``mlp_position_rows``), read from the position
    embedding once per call, and the per-sequence rows are the scratch and bos."""
    model = compile_program(load_program("programs/dyck2.rasp"), max_len=20)
    first = pack(model.params).index.layers[0]
    indices = model.layout["indices"]
    assert set(first.mlp_position_rows) == set(range(indices.start, indices.stop))
    assert not set(first.mlp_rows) & set(range(indices.start, indices.stop))
    _same_residual(model, _random_batch(model.config, 40, seed=4))


def test_a_comparison_of_tokens_is_a_table_looked_up_by_the_ids():
    """hist's head, ``select(tokens, tokens, ==)``, reads on both sides what the
    token embedding wrote and nothing else: one (vocabulary, vocabulary) table,
    looked up by the ids of each pair of positions (its BOS terms, on the bos
    direction, which the token embedding writes too, join it)."""
    model = compile_program(load_program("programs/hist.rasp"))
    (head,) = pack(model.params).index.layers[0].heads
    assert [(g.query_reads, g.key_reads) for g in head.scores] == [(TOKENS, TOKENS)]
    _same_residual(model, _random_batch(model.config, 40, seed=6))


@pytest.mark.parametrize("vocabulary", [3, 5, 8, 12])
def test_a_token_table_is_looked_up_by_each_pair_of_ids(vocabulary):
    """Small vocabularies sum the query's row times the key's indicators, larger
    ones gather: both give ``table[ids[b, q], ids[b, k]]`` exactly."""
    rng = np.random.default_rng(vocabulary)
    table = rng.normal(size=(vocabulary, vocabulary)).astype(np.float32)
    ids = rng.integers(0, vocabulary, size=(7, 13)).astype(np.int32)
    expected = np.array([[[table[row[q], row[k]] for k in range(13)] for q in range(13)] for row in ids])
    got = np.asarray(_token_scores(jnp.asarray(table), jnp.asarray(ids)))
    assert np.array_equal(got, expected)


@pytest.mark.slow
def test_from_sixteen_positions_one_token_dimension_is_a_table():
    """dyck1's ``select(is_closer, ...)`` side reads one token direction: a product
    per sequence at max_len 10, a table by token ids at max_len 20."""
    program = load_program("programs/dyck1.rasp")
    short, long = (compile_program(program, max_len=n) for n in (10, 20))
    assert not any(g.query_reads == TOKENS for layer in pack(short.params).index.layers
                   for head in layer.heads for g in head.scores)
    tables = [g for layer in pack(long.params).index.layers for head in layer.heads for g in head.scores
              if (g.query_reads, g.key_reads) == (TOKENS, TOKENS)]
    assert tables and all(len(g.query_rows) == 1 for g in tables)
    _same_residual(long, _random_batch(long.config, 200, seed=8))


def test_an_equality_of_one_hots_is_a_scaled_slice():
    """dyck2's second layer counts, per closer, the brackets on its level:
    ``select(depth, depth, ==)`` and ``depth == depth + 1`` over depth's one-hot.
    Dim j of the scores reads value j on each side, so each side is a slice of the
    residual times a vector of weights (no product); the two vectors fold into the
    query's, the keys are read as they are, and the residual is the same."""
    model = compile_program(load_program("programs/dyck2.rasp"), max_len=20)
    packed = pack(model.params)
    depth = model.layout["depth"]
    for head, blocks in zip(packed.index.layers[1].heads[:2], packed.arrays["layers"][1]["heads"][:2]):
        (group, block), = [(g, b) for g, b in zip(head.scores, blocks["scores"]) if g.query_reads == RESIDUAL]
        assert block["w_q"].ndim == 1 and block["w_k"] is None
        assert set(group.query_rows) | set(group.key_rows) <= set(range(depth.start, depth.stop))
    _same_residual(model, _random_batch(model.config, 40, seed=7))


@pytest.mark.slow
def test_an_mlp_writing_a_one_hot_by_steps_multiplies_in_tiles():
    """dyck2's first MLP at max_len 40 writes depth's 81-value one-hot by steps:
    each unit writes the columns either side of its step, so the output product is
    cut into column tiles (``runtime.engine.mlp_tiles``), and the residual is the same."""
    model = compile_program(load_program("programs/dyck2.rasp"), max_len=40)
    first = pack(model.params).index.layers[0]
    assert len(first.mlp_tiles.tiles) > 1
    _same_residual(model, _random_batch(model.config, 40, seed=8))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["hist", "reverse", "sort", "most_freq"])
def test_a_one_hot_by_steps_is_summed_along_its_diagonals(name):
    """At max_len 40 (batch-major), the first MLP of each of these programs writes
    a selector width's one-hot by steps: each column from the units either side
    of its step, so its output weights lie on a few diagonals and are summed along
    them (``runtime.engine.mlp_tiles.diagonal_sum``); packed for the batch-minor pass,
    the same MLP sums only in the last layer (hist has one), and multiplies in an
    earlier one. All give the dense pass's residual and logits."""
    model = compile_program(load_program(f"programs/{name}.rasp"), max_len=40)
    tiles = pack(model.params).index.layers[0].mlp_tiles.tiles
    assert len(tiles) == 1 and tiles[0].diagonals is not None
    _same_residual(model, _random_batch(model.config, 40, seed=10))
    minor = pack(model.params, batch_minor=True).index.layers
    summed = [tile.diagonals is not None for tile in minor[0].mlp_tiles.tiles]
    assert summed == [len(minor) == 1]
    _same_residual(model, _random_batch(model.config, 40, seed=11), batch_minor=True)


def test_a_full_table_on_both_sides_is_folded_into_one_product():
    """most_freq's ``place`` compares priorities, ``hist * 1000 - indices``, which
    the compiler scores as a table over hist's one-hot (ties broken by the
    indices): two full products, a query block and a key block as wide as the
    scores. Folded, the query block is their product and the key side is read as
    it is (no block), so one projection is saved, and the residual is the same."""
    model = compile_program(load_program("programs/most_freq.rasp"))
    packed = pack(model.params)
    hist = set(range(model.layout["hist"].start, model.layout["hist"].stop))
    folded = [(group, block) for head, blocks in zip(packed.index.layers[1].heads, packed.arrays["layers"][1]["heads"])
              for group, block in zip(head.scores, blocks["scores"]) if block["w_k"] is None]
    assert folded
    for group, block in folded:
        assert hist <= set(group.key_rows)
        assert block["w_q"].shape == (len(group.query_rows), len(group.key_rows))
    _same_residual(model, _random_batch(model.config, 40, seed=9))
