"""compact_numerical: a categorical s-op of numbers that is only ever averaged
becomes one numerical direction."""
from __future__ import annotations

from compiler.analysis.valuesets import CATEGORICAL, NUMERICAL
from compiler.passes.compact_numerical import compact_numerical
from compiler.passes.graph import Graph
from rasp import ir
from tests.compiler.passes.equivalence import mismatches, run

VOCAB = ("a", "b", "c")
MAX_LEN = 5


def weights():
    return ir.Map(fn=lambda t: {"a": 1, "b": 2, "c": 4}[t], inner=ir.TOKENS).named("weight")


def prefix_mean(source):
    prevs = ir.Select(keys=(ir.INDICES,), queries=(ir.INDICES,), predicate=ir.Compare("<=", 0, 0))
    return ir.Aggregate(prevs, source).named("mean")


def test_averaged_numbers_are_one_direction():
    weight = weights()
    mean = prefix_mean(weight)
    before = Graph((mean,), VOCAB, MAX_LEN, frozenset({weight.id}))
    assert before.sets[weight.id].encoding == CATEGORICAL
    graph = compact_numerical(before)
    (new_mean,) = graph.outputs
    copy = new_mean.sop
    # A copy (nodes are never changed), hinted numerical, still embedded.
    assert copy is not weight and copy.fn is weight.fn and copy.name == "weight"
    assert copy.encoding_hint == ir.Encoding.NUMERICAL and graph.sets[copy.id].encoding == NUMERICAL
    assert weight.encoding_hint is None
    assert copy.id in graph.embedded
    assert mismatches((mean,), graph.outputs, VOCAB, MAX_LEN) == []


def test_numbers_read_otherwise_stay_categorical():
    weight = weights()
    both = ir.SequenceMap(fn=lambda m, w: m + w, inputs=(prefix_mean(weight), weight))
    assert run(compact_numerical, both, VOCAB, MAX_LEN).outputs == (both,)
    # The output itself keeps its encoding, whoever reads it.
    assert run(compact_numerical, weight, VOCAB, MAX_LEN).outputs == (weight,)
