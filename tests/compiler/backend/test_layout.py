"""The residual layout: which s-ops get directions, how many, where, and that two
s-ops share a direction only when their lives do not meet. Expected layouts are
worked out by hand from the layout's rules (``one`` and ``bos``, then ``tokens``
and ``indices`` when read, then the rest in the order they are written; a
categorical s-op has one direction per value, a numerical one a single one)."""
from __future__ import annotations

import math

import pytest

from tests.compiler.backend.stages import run_stages
from tests.support import compile_cases as cases
from compiler import compile_expr
from compiler.backend.schedule import ATTN, EMBED, MLP, operands
from rasp import ir
from runtime.io import load_model, save_model
from runtime.model import CATEGORICAL, NUMERICAL

XY = {"a": "x", "b": "y", "c": "x"}


def xy_map():
    """A categorical map of tokens with two distinct results."""
    return ir.Map(fn=lambda t: XY[t], inner=ir.TOKENS).named("xy")


def numerical_mean():
    """A numerical map of tokens, and its mean over the positions up to each one."""
    num = ir.Map(fn=lambda t: {"a": 1.0, "b": 2.5}[t], inner=ir.TOKENS).hinted(ir.Encoding.NUMERICAL).named("num")
    return ir.Aggregate(cases.select(ir.INDICES, ir.INDICES, "<="), num).hinted(ir.Encoding.NUMERICAL).named("mean")


def rows(layout):
    return [(s.name, s.start, s.stop, s.writer) for s in layout.subspaces]


def test_a_categorical_map_gets_one_direction_per_value():
    stages = run_stages(xy_map(), ("a", "b", "c"), 3, ("fold_embeddings",))
    # tokens: three values; xy: the two distinct results x and y; indices: unread.
    assert rows(stages.plan.layout) == [("one", 0, 1, "embed"), ("bos", 1, 2, "embed"),
                                        ("tokens", 2, 5, "embed"), ("xy", 5, 7, "L0.mlp")]
    assert stages.plan.layout.d_model == 7
    xy = stages.plan.layout["xy"]
    assert xy.encoding == CATEGORICAL and set(xy.values) == set(XY.values())
    output = stages.lowered.outputs[0]
    assert stages.plan.spaces[output.id].name == "xy" and stages.plan.spaces[output.id].width == 2
    assert stages.plan.slice(stages.plan.spaces[output.id]) == slice(5, 7)


def test_a_folded_map_leaves_tokens_out():
    """Folded into the token embedding, the map needs no MLP, and tokens, which
    only the folded map reads, gets no directions."""
    stages = run_stages(xy_map(), ("a", "b", "c"), 3)
    assert rows(stages.plan.layout) == [("one", 0, 1, "embed"), ("bos", 1, 2, "embed"), ("xy", 2, 4, "embed")]
    assert stages.schedule.n_layers == 0


def test_numerical_s_ops_get_one_direction():
    stages = run_stages(numerical_mean(), ("a", "b"), 4, ("count_means", "fold_embeddings"))
    # tokens (2 values), indices (0..3): the map runs in layer 0's MLP, the mean,
    # which reads it, in layer 1's attention.
    assert rows(stages.plan.layout) == [("one", 0, 1, "embed"), ("bos", 1, 2, "embed"),
                                        ("tokens", 2, 4, "embed"), ("indices", 4, 8, "embed"),
                                        ("num", 8, 9, "L0.mlp"), ("mean", 9, 10, "L1.attn")]
    layout = stages.plan.layout
    assert layout["num"].encoding == layout["mean"].encoding == NUMERICAL
    assert set(layout["num"].values) == {1.0, 2.5}


def test_a_width_scratch_direction_is_reused_after_its_last_reader():
    """double_hist: hist's scratch is read only by hist's decoder (layer 0's MLP,
    which erases it); double_hist's scratch is written by layer 1's head, so it
    takes the same direction. Without reuse it needs one more."""
    reused = run_stages(cases.double_hist(), ("a", "b"), 4)
    separate = run_stages(cases.double_hist(), ("a", "b"), 4, ("reuse_residual",))
    first, second = reused.plan.layout["hist_scratch"], reused.plan.layout["double_hist_scratch"]
    assert (first.start, first.stop) == (second.start, second.stop)
    assert (first.writer, second.writer) == ("L0.attn", "L1.attn")
    assert reused.plan.layout.d_model + 1 == separate.plan.layout.d_model
    first_id = next(i for i, space in reused.plan.spaces.items() if space.name == "hist_scratch")
    assert reused.plan.erase[first_id] == 0
    assert separate.plan.erase == {}
    apart = separate.plan.layout
    assert apart["hist_scratch"].start != apart["double_hist_scratch"].start


def _slot(kind: str, layer: int) -> int:
    """When an operation runs: the embedding at 0, layer l's attention at 2l + 1,
    its MLP at 2l + 2."""
    return 0 if kind == EMBED else 2 * layer + (1 if kind == ATTN else 2)


def _written_at(writer: str) -> int:
    if writer == "embed":
        return 0
    layer, part = writer[1:].split(".")
    return _slot(ATTN if part == "attn" else MLP, int(layer))


PROGRAMS = {
    "reverse": (cases.reverse, ("a", "b", "c"), 5),
    "hist": (cases.hist, ("a", "b", "c"), 5),
    "double_hist": (cases.double_hist, ("a", "b", "c"), 5),
    "sort_unique": (cases.sort_unique, ("a", "b", "c"), 5),
    "most_freq": (cases.most_freq, ("a", "b", "c"), 5),
    "frac_prevs": (cases.frac_prevs, ("a", "b"), 5),
    "mean": (numerical_mean, ("a", "b"), 4),
}


@pytest.mark.parametrize("disabled", [(), ("reuse_residual",)])
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_subspaces_fit_and_share_directions_only_between_lives(name, disabled):
    build, vocab, max_len = PROGRAMS[name]
    stages = run_stages(build(), vocab, max_len, disabled)
    layout, plan, placed = stages.plan.layout, stages.plan, stages.schedule
    assert rows(layout)[:2] == [("one", 0, 1, "embed"), ("bos", 1, 2, "embed")]
    # Widths: a categorical s-op one direction per value of its set, a numerical one.
    for node_id, space in plan.spaces.items():
        sub = layout[space.name]
        value_set = stages.lowered.sets[node_id]
        assert sub.encoding == value_set.encoding
        assert sub.width == (len(value_set.values) if value_set.encoding == CATEGORICAL else 1)
    # Every direction belongs to some subspace, none lies outside the residual.
    covered = set()
    for sub in layout.subspaces:
        assert 0 <= sub.start < sub.stop <= layout.d_model
        covered.update(range(sub.start, sub.stop))
    assert covered == set(range(layout.d_model))
    # Lives: from the slot that writes an s-op to the last slot that reads it
    # (forever for the output).
    last_read: dict[int, int] = {}
    for node in ir.ancestors(stages.lowered.outputs):
        if isinstance(node, ir.SOp) and node.id in placed.kind:
            for operand in operands(node):
                reader = _slot(placed.kind[node.id], placed.layer[node.id])
                last_read[operand.id] = max(last_read.get(operand.id, 0), reader)
    output = stages.lowered.outputs[0].id
    lives = {}
    for node_id, space in plan.spaces.items():
        written = _written_at(layout[space.name].writer)
        lives[space.name] = (written, math.inf if node_id == output else last_read.get(node_id, written))
    named = {sub.name: sub for sub in layout.subspaces}
    shared = 0
    for a in named:
        for b in named:
            if a < b and named[a].start < named[b].stop and named[b].start < named[a].stop:
                shared += 1
                assert "reuse_residual" not in disabled, (a, b)
                (a_from, a_to), (b_from, b_to) = lives[a], lives[b]
                assert a_to < b_from or b_to < a_from, (a, lives[a], b, lives[b])
    if name == "double_hist" and not disabled:
        assert shared == 1


def test_the_model_file_carries_the_layout(tmp_path):
    disabled = ("count_means", "fold_embeddings")
    model = compile_expr(numerical_mean(), ("a", "b"), 4, disabled_passes=disabled)
    path = str(tmp_path / "mean.safetensors")
    save_model(model, path)
    loaded = load_model(path)
    assert loaded.layout == model.layout
    assert loaded.config.d_model == loaded.layout.d_model == 10
    stages = run_stages(numerical_mean(), ("a", "b"), 4, disabled)
    assert [s.to_json() for s in loaded.layout.subspaces] == [s.to_json() for s in stages.plan.layout.subspaces]
    # The unembedding reads the output's own directions.
    unembed = loaded.params["unembed"]
    assert unembed.shape == (10, 1) and unembed[9, 0] == 1.0 and unembed.sum() == 1.0
