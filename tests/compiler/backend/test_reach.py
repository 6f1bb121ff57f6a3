"""``compiler.backend.reach``: which s-ops each node is a function of alone, and
where an intervention on an s-op that other operations compute again must reach,
on graphs small enough to work out by hand."""
from __future__ import annotations

from compiler.backend.reach import Reach, Site, functions_of, intervention_reach
from rasp import ir


def _graph():
    x = ir.Map(fn=lambda t: t == "a", inner=ir.TOKENS).named("x")
    y = ir.Map(fn=lambda v: 1 if v else 2, inner=x).named("y")
    both = ir.SequenceMap(fn=lambda u, v: (u, v), inputs=(y, x)).named("both")
    mixed = ir.SequenceMap(fn=lambda u, i: u + i, inputs=(y, ir.INDICES)).named("mixed")
    constant = ir.SequenceMap(fn=lambda u, c: u * c, inputs=(y, ir.Constant(value=3))).named("constant")
    return x, y, both, mixed, constant


def test_a_map_is_a_function_of_everything_its_operands_all_come_from():
    x, y, both, mixed, constant = _graph()
    found = functions_of((both, mixed, constant))
    assert found[x.id] == {"tokens"}
    assert found[y.id] == {"x", "tokens"}
    assert found[both.id] == {"x", "tokens"}             # y and x share x and the tokens
    assert found[mixed.id] == frozenset()                # y and indices share nothing
    assert found[constant.id] == {"y", "x", "tokens"}    # a constant operand adds no condition


def test_a_function_recorded_by_a_pass_counts_beside_the_structure():
    folded = ir.Map(fn=lambda t: 1 if t == "a" else 2, inner=ir.TOKENS, function_of=frozenset({"x"}))
    assert functions_of((folded,))[folded.id] == {"x", "tokens"}


def test_an_s_op_computed_again_by_a_function_of_it_alone_is_a_copy_else_fused():
    x = ir.Map(fn=lambda t: t == "a", inner=ir.TOKENS).named("x")
    # y = f(x) folded from the tokens (a copy); z computes x again beside the indices.
    y = ir.Map(fn=lambda t: 1 if t == "a" else 2, inner=ir.TOKENS, inlined=frozenset({"x"}),
               function_of=frozenset({"x"})).named("y")
    z = ir.SequenceMap(fn=lambda t, i: (t == "a") + i, inputs=(ir.TOKENS, ir.INDICES),
                       inlined=frozenset({"x"})).named("z")
    reader = ir.SequenceMap(fn=lambda a, b, c: (a, b, c), inputs=(x, y, z)).named("reader")
    sites = {x.id: Site("x", "embed"), y.id: Site("y", "embed"), z.id: Site("z", "L0.mlp"),
             reader.id: Site("reader", "L1.mlp")}
    assert intervention_reach((reader,), sites) == {x.id: Reach((Site("y", "embed"),), ("L0.mlp",))}
    only_copy = ir.SequenceMap(fn=lambda a, b: (a, b), inputs=(x, y)).named("reader")
    sites[only_copy.id] = Site("reader", "L1.mlp")
    assert intervention_reach((only_copy,), sites) == {x.id: Reach((Site("y", "embed"),), ())}
    plain = ir.Map(fn=lambda v: not v, inner=x).named("plain")
    sites[plain.id] = Site("plain", "L0.mlp")
    assert intervention_reach((plain,), sites) == {}
