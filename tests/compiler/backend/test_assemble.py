"""Assembly: every construction's block lands at its layout's slices, the model's
size is the sum of its blocks', and a bound on that size names the s-op that
breaks it.

The blocks are placed in a model; applied to a random residual, each layer's
heads and MLP must give what ``tests.support.block_reference`` gives applying
the blocks themselves, one by one, on the same values laid out its own way."""
from __future__ import annotations

import numpy as np
import pytest

from tests.compiler.backend.stages import run_stages
from tests.support import compile_cases as cases
from tests.support.block_reference import Residual, apply_head, apply_mlp
from compiler.backend.assemble import PlacedHead, assemble, build_blocks, share_heads
from compiler.constructions.blocks import FactoredQKTerm, HeadBlock
from compiler.errors import CompileError
from rasp import ir

NUMERICAL = ir.Encoding.NUMERICAL


def numerical_mean():
    num = ir.Map(fn=lambda t: {"a": 1.0, "b": 2.5}[t], inner=ir.TOKENS).hinted(NUMERICAL).named("num")
    return ir.Aggregate(cases.select(ir.INDICES, ir.INDICES, "<="), num).hinted(NUMERICAL).named("mean")


def two_means():
    """Two means under one selector, added: two heads with one pattern."""
    prefix = cases.select(ir.INDICES, ir.INDICES, "<=")
    first = ir.Map(fn=lambda t: {"a": 1.0, "b": 2.5}[t], inner=ir.TOKENS).hinted(NUMERICAL).named("first")
    second = ir.Map(fn=lambda t: {"a": -1.0, "b": 4.0}[t], inner=ir.TOKENS).hinted(NUMERICAL).named("second")
    means = (ir.Aggregate(prefix, first).hinted(NUMERICAL).named("mean_first"),
             ir.Aggregate(prefix, second).hinted(NUMERICAL).named("mean_second"))
    return ir.SequenceMap(fn=lambda a, b: a + b, inputs=means).hinted(NUMERICAL).named("total")


def tagged():
    """``big``: one value per (token, index), an MLP of 12 units over 12
    directions; ``first``: its first letter, a small MLP in the next layer."""
    big = ir.SequenceMap(fn=lambda t, i: f"{t}{i}", inputs=(ir.TOKENS, ir.INDICES)).named("big")
    return ir.Map(fn=lambda s: s[0], inner=big).named("first")


# name: (program, vocab, max_len, passes switched off). Heads are not shared, so
# that each head of the model is one block.
PROGRAMS = {
    "reverse": (cases.reverse, ("a", "b"), 4, ()),
    "double_hist": (cases.double_hist, ("a", "b"), 4, ()),
    "sort_unique": (cases.sort_unique, ("a", "b", "c"), 3, ()),
    "sort_unique_narrow": (cases.sort_unique, ("a", "b"), 20, ()),  # a FactoredQKTerm
    "tagged": (tagged, ("a", "b", "c"), 4, ("fuse_maps",)),
    "mean": (numerical_mean, ("a", "b"), 4, ("count_means", "fold_embeddings")),
    "two_means": (two_means, ("a", "b"), 4, ("count_means",)),
}


def assembled(name, share=False, max_params=10 ** 9):
    build, vocab, max_len, disabled = PROGRAMS[name]
    disabled = disabled + (() if share else ("share_heads",))
    stages = run_stages(build(), vocab, max_len, disabled)
    built = build_blocks(stages.lowered, stages.schedule, stages.plan,
                         narrow="narrow_equalities" not in disabled)
    model = assemble(stages.lowered, stages.schedule, stages.plan, max_params=max_params, disabled=disabled)
    return stages, built, model


def _columns(layout, name):
    sub = layout[name]
    return slice(sub.start, sub.stop)


def _residuals(stages, positions=6, seed=0):
    """A random residual in the model's layout, and the same values in a
    reference residual that lays every space out on its own."""
    layout = stages.plan.layout
    reference = Residual(list(stages.plan.spaces.values()))
    x_model = np.random.default_rng(seed).uniform(0.0, 1.0, (positions, layout.d_model))
    x_ref = np.zeros((positions, reference.width))
    for name in reference.spaces:
        x_ref[:, reference.slices[name]] = x_model[:, _columns(layout, name)]
    return reference, x_model, x_ref


def _layer(model, index):
    return {key: np.asarray(value, np.float64) for key, value in model.params["layers"][index].items()}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_mlp_blocks_sit_at_their_slices(name):
    stages, built, model = assembled(name)
    layout = stages.plan.layout
    reference, x_model, x_ref = _residuals(stages)
    for index, blocks in enumerate(built.layers):
        layer = _layer(model, index)
        assert not any(np.any(block.b_out) for block in blocks.mlps)  # no constant unit to account for
        assert layer["w_in"].shape[1] == sum(block.hidden for block in blocks.mlps)
        assert model.neuron_labels[index] == tuple(label for block in blocks.mlps for label in block.neuron_labels)
        start = 0
        for block in blocks.mlps:
            units = slice(start, start + block.hidden)
            start += block.hidden
            read = np.zeros(layout.d_model, bool)
            for space, matrix in zip(block.inputs, block.w_in):
                np.testing.assert_array_equal(layer["w_in"][_columns(layout, space.name), units],
                                              matrix.astype(np.float32))
                read[_columns(layout, space.name)] = True
            assert not np.any(layer["w_in"][~read, units])
            np.testing.assert_array_equal(layer["b_in"][units], block.b_in.astype(np.float32))
            written = _columns(layout, block.output.name)
            np.testing.assert_array_equal(layer["w_out"][units, written], block.w_out.astype(np.float32))
            assert not np.any(np.delete(layer["w_out"][units], np.arange(layout.d_model)[written], axis=1))
        # The whole layer's MLP on the random residual against the blocks applied by hand.
        hidden = np.maximum(x_model @ layer["w_in"] + layer["b_in"], 0.0)
        got = hidden @ layer["w_out"] + layer["b_out"]
        want = np.zeros_like(got)
        for block in blocks.mlps:
            after, _ = apply_mlp(reference, block, x_ref)
            out = block.output.name
            want[:, _columns(layout, out)] += (after - x_ref)[:, reference.slices[out]]
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * max(1.0, np.abs(want).max()))


def _softmax(scores):
    scores = scores - scores.max(axis=1, keepdims=True)
    weights = np.exp(scores)
    return weights / weights.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_heads_sit_at_their_slices(name):
    stages, built, model = assembled(name)
    layout = stages.plan.layout
    assert model.config.attn_scale == 1.0
    reference, x_model, x_ref = _residuals(stages)
    for index, blocks in enumerate(built.layers):
        layer = _layer(model, index)
        assert layer["w_q"].shape[0] == len(blocks.heads)
        for h, block in enumerate(blocks.heads):
            pattern = _softmax((x_model @ layer["w_q"][h]) @ (x_model @ layer["w_k"][h]).T)
            got = pattern @ (x_model @ layer["w_v"][h]) @ layer["w_o"][h]
            after, weights = apply_head(reference, block, x_ref)
            np.testing.assert_allclose(pattern, weights, atol=1e-4)
            want = np.zeros_like(got)
            out = block.output.name
            want[:, _columns(layout, out)] = (after - x_ref)[:, reference.slices[out]]
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * max(1.0, np.abs(want).max()))


def _rank(terms) -> int:
    """The rank of a sum of (row space, column space, matrix) tables, laid out
    over the spaces they name."""
    rows: dict[str, tuple[int, int]] = {}
    cols: dict[str, tuple[int, int]] = {}
    for row, col, _ in terms:
        rows.setdefault(row.name, (sum(w for _, w in rows.values()), row.width))
        cols.setdefault(col.name, (sum(w for _, w in cols.values()), col.width))
    dense = np.zeros((sum(w for _, w in rows.values()), sum(w for _, w in cols.values())))
    for row, col, matrix in terms:
        (r, h), (c, w) = rows[row.name], cols[col.name]
        dense[r:r + h, c:c + w] += matrix
    return int(np.linalg.matrix_rank(dense)) if dense.size else 0


def _head_width(heads: list[HeadBlock]) -> int:
    """Heads merged into one (one pattern): the columns its score needs (the rank
    of the plain tables, plus every factored term's own), or those its output
    needs (the rank of every head's value tables together)."""
    pattern = heads[0].qk
    score = _rank([(t.query, t.key, t.matrix) for t in pattern if not isinstance(t, FactoredQKTerm)])
    score += sum(t.left.shape[1] for t in pattern if isinstance(t, FactoredQKTerm))
    output = _rank([(t.source, head.output, t.matrix) for head in heads for t in head.ov])
    return max(score, output)


def _expected_params(stages, built, groups_per_layer) -> int:
    """Embeddings, unembedding and every layer's blocks, counted by hand."""
    lowered, layout = stages.lowered, stages.plan.layout
    d = layout.d_model
    output = stages.plan.spaces[lowered.outputs[0].id]
    # The token table keeps the directions up to the last one a token row writes:
    # bos, and the subspaces of tokens, constants and maps of tokens alone.
    token_spaces = [stages.plan.spaces[n.id] for n in ir.ancestors(lowered.outputs)
                    if n.id in stages.plan.spaces and (isinstance(n, (ir.Tokens, ir.Constant)) or (
                        isinstance(n, (ir.Map, ir.SequenceMap)) and n.id in lowered.embedded
                        and all(isinstance(c, ir.Tokens) for c in n.children)))]
    token_width = max([layout["bos"].stop] + [layout[space.name].stop for space in token_spaces])
    total = (len(lowered.vocab) + 1) * token_width + (lowered.max_len + 1) * d + d * output.width
    for blocks, groups in zip(built.layers, groups_per_layer):
        hidden = sum(block.hidden for block in blocks.mlps)
        total += d * hidden + hidden + hidden * d + d  # w_in, b_in, w_out, b_out
        width = max([1] + [_head_width([blocks.heads[k] for k in group]) for group in groups])
        total += len(groups) * 4 * d * width  # w_q, w_k, w_v, w_o
    return total


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_parameter_count_is_the_sum_of_the_blocks(name):
    stages, built, model = assembled(name)
    separate = [[[k] for k in range(len(blocks.heads))] for blocks in built.layers]
    assert model.n_params == model.stats["n_params"] == _expected_params(stages, built, separate)


def test_heads_with_one_pattern_are_one_head():
    stages, built, model = assembled("two_means", share=True)
    assert [len(blocks.heads) for blocks in built.layers] == [2]
    assert model.params["layers"][0]["w_q"].shape[0] == 1
    assert model.head_labels[0].writes == "mean_first | mean_second"
    assert model.n_params == _expected_params(stages, built, [[[0, 1]]])
    _, _, apart = assembled("two_means")
    assert apart.params["layers"][0]["w_q"].shape[0] == 2


def _hand_head(pattern: int, sources: list[int], outputs: list[int], d: int = 40) -> PlacedHead:
    """A head attending by the score table with one entry, (pattern, pattern), and
    copying each source direction to its output direction: value-output rank
    len(sources)."""
    qk, ov = np.zeros((d, d)), np.zeros((d, d))
    qk[pattern, pattern] = 1.0
    ov[sources, outputs] = 1.0
    return PlacedHead(qk, ov, [])


def test_heads_of_one_pattern_merge_only_where_the_layer_gets_smaller():
    """A head 4 wide (pattern 0) and four heads 2 wide of one pattern (1). Merged
    into one, those four are 8 wide, and every head takes the widest's width: 2 heads
    x 8 = 16 head dimensions. Merged two by two up to the wide head's 4: 3 heads x 4
    = 12. The second is chosen."""
    wide = _hand_head(0, [2, 3, 4, 5], [20, 21, 22, 23])
    narrow = [_hand_head(1, [6 + 2 * k, 7 + 2 * k], [24 + 2 * k, 25 + 2 * k]) for k in range(4)]
    shared = share_heads([wide] + narrow)
    assert len(shared) == 3
    ranks = sorted(int(np.linalg.matrix_rank(h.ov)) for h in shared)
    assert ranks == [4, 4, 4]
    # Every output direction is still written once, by a head of the right pattern.
    total = sum(h.ov for h in shared)
    assert total.sum() == 12 and all(total[source, output] == 1 for source, output in
                                     [(2, 20), (5, 23), (6, 24), (13, 31)])


def test_heads_of_one_pattern_merge_into_one_where_that_costs_no_more():
    """Three heads 2 wide of one pattern beside a head 2 wide: merged into one, 2
    heads x 6 = 12; kept apart, 4 x 2 = 8: apart. Without the fourth head, one head 6
    wide (6) against three 2 wide (6): the same cost, so the fewer heads."""
    other = _hand_head(0, [2, 3], [20, 21])
    narrow = [_hand_head(1, [6 + 2 * k, 7 + 2 * k], [24 + 2 * k, 25 + 2 * k]) for k in range(3)]
    assert len(share_heads([other] + narrow)) == 4
    assert len(share_heads(narrow)) == 1


def test_the_bound_names_the_largest_block():
    """``tagged`` over 3 tokens and 4 positions: the residual holds one, bos,
    tokens (3), indices (4), big (12) and first (3): 24 directions. The embeddings
    take 4 x 5 (the token rows write one, bos and tokens, the first five
    directions) and 5 x 24, the unembedding 24 x 3: 212 parameters. ``big``'s MLP
    is the largest part: 2 x 24 x its units."""
    stages, built, model = assembled("tagged")
    assert stages.plan.layout.d_model == 24
    big = next(block for blocks in built.layers for block in blocks.mlps if block.output.name == "big")
    assembled("tagged", max_params=model.n_params)  # the exact size is within the bound
    with pytest.raises(CompileError) as raised:
        assembled("tagged", max_params=model.n_params - 1)
    message = raised.value.message
    assert f"the largest part ({2 * 24 * big.hidden:,}) computes big, which reads tokens, indices" in message
    assert f"{model.n_params - 1:,}" in message and "\n" not in message
    with pytest.raises(CompileError) as raised:
        assembled("tagged", max_params=211)
    message = raised.value.message
    assert "at least 212 parameters" in message and "embeddings alone" in message
    assert "of which 12 hold big" in message
    with pytest.raises(CompileError, match="computes big"):
        assembled("tagged", max_params=212)
