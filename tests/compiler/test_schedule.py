"""The layer schedule: depths worked out by hand from each program's attention steps."""
from __future__ import annotations

from tests.support.compile_cases import double_hist, hist, most_freq, reverse, select, sort_unique
from compiler.passes.pipeline import lower
from compiler.backend.schedule import ATTN, EMBED, MLP, schedule
from rasp import ir

VOCAB = ("a", "b", "c")


def scheduled(expr, disabled=(), max_len=5):
    lowered = lower((expr,), VOCAB, max_len, disabled)
    return lowered, schedule(lowered.outputs, lowered.embedded)


def test_paper_depths():
    # Attention steps on the longest path: reverse (length, flip), hist (one width),
    # double hist (two widths), sort (width, move), most_freq (hist, width, move).
    assert scheduled(reverse())[1].n_layers == 2
    assert scheduled(hist())[1].n_layers == 1
    assert scheduled(double_hist())[1].n_layers == 2
    assert scheduled(sort_unique())[1].n_layers == 2


def test_most_freq_depth():
    # hist; the two parts of the place (widths) and the one-hot of their sum in the
    # same layer's MLP; the move: three attention steps. Past max_len 24 the sum
    # of two widths no longer separates on a line of their scratches, and the
    # decoding before the sum costs an MLP between two attention steps.
    assert scheduled(most_freq())[1].n_layers == 3
    assert scheduled(most_freq(), max_len=40)[1].n_layers == 4


def test_independent_heads_share_a_layer():
    first = ir.Aggregate(select(ir.INDICES, ir.INDICES, "<"), ir.TOKENS, default="a")
    second = ir.Aggregate(select(ir.TOKENS, ir.TOKENS, ">"), ir.INDICES, default=9)
    both = ir.SequenceMap(fn=lambda a, b: f"{a}{b}", inputs=(first, second))
    lowered, placed = scheduled(both)
    assert placed.layer[first.id] == placed.layer[second.id] == 0
    # Both heads run in layer 0's attention, the map in the same layer's MLP.
    assert placed.layer[lowered.outputs[0].id] == 0 and placed.n_layers == 1


def test_map_before_first_attention_costs_one_layer():
    mixed = ir.SequenceMap(fn=lambda t, i: (t, i % 2), inputs=(ir.TOKENS, ir.INDICES))
    moved = ir.Aggregate(select(mixed, mixed), ir.TOKENS)
    lowered, placed = scheduled(moved)
    (key,) = [n for n in ir.ancestors(lowered.outputs) if isinstance(n, ir.SequenceMap)]
    assert placed.kind[key.id] == MLP and placed.layer[key.id] == 0
    assert placed.kind[moved.id] == ATTN and placed.layer[moved.id] == 1
    assert placed.n_layers == 2


def test_folded_maps_cost_nothing():
    shifted = ir.Map(fn=lambda t: {"a": "b", "b": "c", "c": "a"}[t], inner=ir.TOKENS)
    twice = ir.Map(fn=lambda t: t * 2, inner=shifted)
    lowered, placed = scheduled(twice)
    assert placed.n_layers == 0 and placed.kind[lowered.outputs[0].id] == EMBED
    _, unfolded = scheduled(twice, disabled=("fold_embeddings", "fuse_maps"))
    assert unfolded.n_layers == 2  # two MLPs in a row


def test_fused_chain_is_one_mlp():
    width = ir.SelectorWidth(select(ir.TOKENS, ir.TOKENS))
    chain = ir.Map(fn=lambda x: x + 1, inner=ir.Map(fn=lambda x: x * 3, inner=width))
    _, placed = scheduled(chain)
    # The width's head (layer 0) writes 1/(w+1); decoding and both maps fuse into
    # one MLP in the same layer.
    assert placed.n_layers == 1
    _, unfused = scheduled(chain, disabled=("fuse_maps",))
    assert unfused.n_layers == 3  # decode, then each map, one MLP each


def test_width_head_and_decoder_share_a_layer():
    width = ir.SelectorWidth(select(ir.TOKENS, ir.TOKENS))
    lowered, placed = scheduled(width)
    decode = lowered.outputs[0]
    (scratch,) = decode.children
    assert placed.kind[scratch.id] == ATTN and placed.layer[scratch.id] == 0
    assert placed.kind[decode.id] == MLP and placed.layer[decode.id] == 0
    assert placed.ready(decode.id) == 2
