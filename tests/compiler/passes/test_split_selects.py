"""split_selects: a selector one head cannot compute slot by slot reads one joint
key s-op and one joint query s-op."""
from __future__ import annotations

from compiler.passes.nodes import JointPredicate
from compiler.passes.split_selects import split_selects
from rasp import ir
from tests.compiler.passes.equivalence import mismatches, run

VOCAB = ("a", "b", "c")
MAX_LEN = 5


def test_or_across_slots_reads_joint_s_ops():
    # "tokens == tokens or indices < indices" reads two slot pairs under an or.
    select = ir.Select(keys=(ir.TOKENS, ir.INDICES), queries=(ir.TOKENS, ir.INDICES),
                       predicate=ir.PredOr(ir.Compare("==", 0, 0), ir.Compare("<", 1, 1)))
    moved = ir.Aggregate(select, ir.INDICES, default=0).hinted(ir.Encoding.CATEGORICAL)
    width = ir.SelectorWidth(select)
    after = run(split_selects, (width, moved), VOCAB, MAX_LEN).outputs
    joint = after[0].selector
    assert after[1].selector is joint  # one rewrite per selector, shared by its readers
    (key,) = joint.keys
    (query,) = joint.queries
    # Keys and queries are the same s-ops: one joint s-op serves both sides.
    assert key is query and key.inputs == (ir.TOKENS, ir.INDICES) and key.fn("a", 3) == ("a", 3)
    assert key.name == "(tokens, indices)" and key.encoding_hint == ir.Encoding.CATEGORICAL
    predicate = joint.predicate
    assert isinstance(predicate, JointPredicate) and predicate.inner == select.predicate
    assert predicate.original is select
    # ("a", 1) vs ("a", 0): equal tokens; ("b", 1) vs ("a", 2): index 1 < 2.
    assert predicate((("a", 1),), (("a", 0),)) and predicate((("b", 1),), (("a", 2),))
    assert not predicate((("b", 2),), (("a", 1),))
    assert mismatches((width, moved), after, VOCAB, MAX_LEN) == []


def test_only_the_side_with_several_slots_is_joined():
    # Keys (indices, parity) against one query slot: "index < query index or
    # parity == query index". The query side stays as it is.
    parity = ir.Map(fn=lambda i: i % 2, inner=ir.INDICES).named("parity")
    sided = ir.SelectorWidth(ir.Select(keys=(ir.INDICES, parity), queries=(ir.INDICES,),
                                       predicate=ir.PredOr(ir.Compare("<", 0, 0), ir.Compare("==", 1, 0))))
    after = run(split_selects, sided, VOCAB, MAX_LEN).outputs
    result = after[0].selector
    (key,) = result.keys
    assert key.inputs == (ir.INDICES, parity) and result.queries == (ir.INDICES,)
    assert result.predicate.joint_keys and not result.predicate.joint_queries
    # Key (3, 1) against query index 1: 3 < 1 fails, parity 1 == 1 holds.
    assert result.predicate(((3, 1),), (1,)) and not result.predicate(((3, 1),), (2,))
    assert mismatches((sided,), after, VOCAB, MAX_LEN) == []


def test_selectors_that_decompose_are_left_alone():
    select = ir.Select(keys=(ir.TOKENS, ir.INDICES), queries=(ir.TOKENS, ir.INDICES),
                       predicate=ir.PredAnd(ir.Compare("==", 0, 0), ir.Compare("<", 1, 1)))
    width = ir.SelectorWidth(select)
    assert run(split_selects, width, VOCAB, MAX_LEN).outputs == (width,)
