"""fold_embeddings: functions of tokens alone (or indices alone) are written into
the embedding table."""
from __future__ import annotations

from compiler.passes.fold_embeddings import fold_embeddings
from rasp import ir
from tests.compiler.passes.equivalence import mismatches, run

VOCAB = ("a", "b", "c")
MAX_LEN = 5
ROTATE = {"a": "b", "b": "c", "c": "a"}


def test_chain_over_tokens_is_one_embedded_map():
    shifted = ir.Map(fn=lambda t: ROTATE[t], inner=ir.TOKENS)
    twice = ir.Map(fn=lambda t: t * 2, inner=shifted).named("twice")
    graph = run(fold_embeddings, twice, VOCAB, MAX_LEN)
    (folded,) = graph.outputs
    # One map of tokens: a -> b -> bb.
    assert isinstance(folded, ir.Map) and folded.inner is ir.TOKENS and folded.name == "twice"
    assert [folded.fn(t) for t in VOCAB] == ["bb", "cc", "aa"]
    assert folded.id in graph.embedded
    assert mismatches((twice,), graph.outputs, VOCAB, MAX_LEN) == []


def test_map_of_indices_is_embedded_as_it_is():
    following = ir.Map(fn=lambda i: i + 1, inner=ir.INDICES)
    graph = run(fold_embeddings, following, VOCAB, MAX_LEN)
    assert graph.outputs == (following,) and following.id in graph.embedded


def test_renamed_leaf_is_the_leaf():
    # tokens_str = tokens: no new directions, the selector reads tokens.
    same = ir.Map(fn=lambda t: t, inner=ir.TOKENS).named("tokens_str")
    select = ir.Select(keys=(same,), queries=(same,), predicate=ir.Compare("==", 0, 0))
    hist = ir.SelectorWidth(select)
    graph = run(fold_embeddings, hist, VOCAB, MAX_LEN)
    assert graph.outputs[0].selector.keys == (ir.TOKENS,) == graph.outputs[0].selector.queries
    # As the output, it is kept (the output is what the model writes).
    assert run(fold_embeddings, same, VOCAB, MAX_LEN).outputs == (same,)
    assert mismatches((hist,), graph.outputs, VOCAB, MAX_LEN) == []


def test_maps_of_tokens_and_indices_together_are_not_folded():
    both = ir.SequenceMap(fn=lambda t, i: f"{t}{i}", inputs=(ir.TOKENS, ir.INDICES))
    graph = run(fold_embeddings, both, VOCAB, MAX_LEN)
    assert graph.outputs == (both,) and both.id not in graph.embedded


def test_constants_are_embedded():
    one = ir.Constant(value=1)
    plus = ir.SequenceMap(fn=lambda i, c: i + c, inputs=(ir.INDICES, one))
    graph = run(fold_embeddings, plus, VOCAB, MAX_LEN)
    assert one.id in graph.embedded
    (folded,) = graph.outputs
    # indices + 1 is a function of indices alone: folded over indices.
    assert folded.inner is ir.INDICES and folded.fn(3) == 4 and folded.id in graph.embedded
    assert mismatches((plus,), graph.outputs, VOCAB, MAX_LEN) == []
