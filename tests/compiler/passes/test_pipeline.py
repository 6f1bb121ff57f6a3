"""The pipeline: which passes run, in which order, under which switch, and value
sets reused across passes without changing what they are."""
from __future__ import annotations

import pytest

import compiler
from compiler.analysis import valuesets
from compiler.errors import CompileError
from compiler.passes.graph import Graph
from compiler.passes.nodes import WidthDecode
from compiler.passes.pipeline import LATER_SWITCHES, PASSES, PIPELINE, lower
from rasp import ir

VOCAB = ("a", "b", "c")


def select(keys, queries, op="=="):
    return ir.Select(keys=(keys,), queries=(queries,), predicate=ir.Compare(op, 0, 0))


def hist():
    return ir.SelectorWidth(select(ir.TOKENS, ir.TOKENS)).named("hist")


def reverse():
    opp = (ir.LENGTH - ir.INDICES - 1).named("opp_index")
    return ir.Aggregate(select(ir.INDICES, opp), ir.TOKENS).named("reverse")


def double_hist():
    counts = hist()
    return ir.SelectorWidth(select(counts, counts)).named("double_hist")


def sort_unique():
    target = ir.SelectorWidth(select(ir.TOKENS, ir.TOKENS, "<")).named("target_pos")
    return ir.Aggregate(select(target, ir.INDICES), ir.TOKENS).named("sort")


def most_freq():
    """Most frequent first, then earlier first: a lexicographic order of (count, index)."""
    counts = hist()
    before = ir.PredOr(ir.Compare(">", 0, 0), ir.PredAnd(ir.Compare("==", 0, 0), ir.Compare("<", 1, 1)))
    order = ir.Select(keys=(counts, ir.INDICES), queries=(counts, ir.INDICES), predicate=before)
    target = ir.SelectorWidth(order).named("target_pos")
    return ir.Aggregate(select(target, ir.INDICES), ir.TOKENS).named("most_freq")


def frac_prevs():
    is_a = ir.Map(fn=lambda t: 1 if t == "a" else 0, inner=ir.TOKENS).named("is_a")
    return ir.Aggregate(select(ir.INDICES, ir.INDICES, "<="), is_a).named("frac_prevs")


def ranked_by_key():
    """A sort by ``hist * 10 - indices``: a map that orders like a pair."""
    key = ir.SequenceMap(fn=lambda h, i: h * 10 - i, inputs=(hist(), ir.INDICES))
    target = ir.SelectorWidth(select(key, key, "<"))
    return ir.Aggregate(select(target, ir.INDICES), ir.TOKENS)


def test_switch_names_are_the_ones_users_know():
    # As `raspc compile --help` has always listed them.
    assert PASSES == ("fuse_maps", "fold_embeddings", "share_heads", "dead_code", "reuse_residual",
                      "compact_numerical", "split_lexicographic", "count_means", "simplify_selects",
                      "maps_into_selects", "constant_tests", "narrow_equalities", "grid_output")
    assert compiler.PASSES == PASSES


def test_every_switch_turns_something_off():
    switches = {step.switch for step in PIPELINE if step.switch is not None}
    assert switches | set(LATER_SWITCHES) == set(PASSES)
    assert not switches & set(LATER_SWITCHES)


def test_rewrites_the_constructions_need_always_run():
    always = [step.run.__name__ for step in PIPELINE if step.switch is None]
    assert always == ["split_selects", "split_widths", "categorical_copies"]
    # With every pass off, a width is still a scratch and its decoding.
    lowered = lower((hist(),), VOCAB, 4, PASSES)
    assert isinstance(lowered.outputs[0], WidthDecode)


def test_switched_off_pass_does_not_run():
    shifted = ir.Map(fn=lambda t: t * 2, inner=ir.TOKENS)
    twice = ir.Map(fn=lambda t: t + "!", inner=shifted)
    folded = lower((twice,), VOCAB, 4)
    assert folded.outputs[0].inner is ir.TOKENS and folded.outputs[0].id in folded.embedded
    kept = lower((twice,), VOCAB, 4, ("fold_embeddings", "fuse_maps"))
    assert kept.outputs == (twice,) and twice.id not in kept.embedded


def test_unknown_pass_is_refused():
    with pytest.raises(CompileError, match="unknown compiler pass 'nope'"):
        lower((ir.TOKENS,), VOCAB, 4, ("nope",))


@pytest.mark.parametrize("program", [reverse, sort_unique, most_freq, frac_prevs,
                                     double_hist, ranked_by_key])
def test_reused_value_sets_are_those_of_the_final_graph(program):
    lowered = lower((program(),), VOCAB, 6)
    fresh = valuesets.infer(lowered.outputs, VOCAB, 6)
    assert lowered.sets == fresh and list(lowered.sets) == list(fresh)


def test_each_node_is_inferred_once(monkeypatch):
    inferred = []
    infer_node = valuesets._infer_node

    def counting(node, sets, vocab, max_len):
        found = infer_node(node, sets, vocab, max_len)
        if found is not None:
            inferred.append(node.id)
        return found

    monkeypatch.setattr(valuesets, "_infer_node", counting)
    lower((most_freq(),), VOCAB, 6)
    assert inferred and len(inferred) == len(set(inferred))


def test_graphs_of_one_lowering_share_what_is_known():
    graph = Graph((hist(),), VOCAB, 4)
    counts = graph.outputs[0]
    # A width's set is 0..max_len (inference does not ask whether it is ever 0).
    assert graph.sets[counts.id].values == (0, 1, 2, 3, 4)
    doubled = ir.Map(fn=lambda w: 2 * w, inner=counts)
    later = graph.rewritten((doubled,))
    assert later.known is graph.known and later.sets[doubled.id].values == (0, 2, 4, 6, 8)
    assert set(graph.known) >= {counts.id, doubled.id}


def test_embedded_s_ops_are_those_still_read():
    one = ir.Constant(value=1)
    plus = ir.SequenceMap(fn=lambda t, c: f"{t}{c}", inputs=(ir.TOKENS, one))
    lowered = lower((plus,), VOCAB, 4)
    live = {n.id for n in ir.ancestors(lowered.outputs)}
    assert lowered.embedded <= live
    assert ir.TOKENS.id in lowered.embedded and lowered.outputs[0].id in lowered.embedded
