"""Programs for the compiler tests, built directly with ``rasp.ir``, and the check
that a compiled model agrees with the reference interpreter on many inputs."""
from __future__ import annotations

import itertools
import random

from compiler import compile_expr
from rasp import ir
from rasp.errors import RaspEvaluationError
from rasp.interpreter import evaluate
from runtime.engine.forward import Runner


def eq(key_slot=0, query_slot=0, op="=="):
    return ir.Compare(op, key_slot, query_slot)


def select(keys, queries, op="=="):
    keys = keys if isinstance(keys, tuple) else (keys,)
    queries = queries if isinstance(queries, tuple) else (queries,)
    return ir.Select(keys=keys, queries=queries, predicate=ir.Compare(op, 0, 0))


def reverse():
    opp = (ir.LENGTH - ir.INDICES - 1).named("opp_index")
    return ir.Aggregate(select(ir.INDICES, opp), ir.TOKENS).named("reverse")


def hist():
    return ir.SelectorWidth(select(ir.TOKENS, ir.TOKENS)).named("hist")


def double_hist():
    counts = hist()
    return ir.SelectorWidth(select(counts, counts)).named("double_hist")


def sort_unique(values=ir.TOKENS, keys=ir.TOKENS):
    target = ir.SelectorWidth(select(keys, keys, "<")).named("target_pos")
    return ir.Aggregate(select(target, ir.INDICES), values).named("sort")


def lexicographic_smaller(first: ir.SOp, second: ir.SOp, first_op: str = "<") -> ir.Select:
    """Key (a, b) before query (a', b'): a OP a', or a == a' and b < b'."""
    predicate = ir.PredOr(ir.Compare(first_op, 0, 0),
                          ir.PredAnd(ir.Compare("==", 0, 0), ir.Compare("<", 1, 1)))
    return ir.Select(keys=(first, second), queries=(first, second), predicate=predicate)


def sort_stable(values=ir.TOKENS, keys=ir.TOKENS):
    target = ir.SelectorWidth(lexicographic_smaller(keys, ir.INDICES)).named("target_pos")
    return ir.Aggregate(select(target, ir.INDICES), values).named("sort")


def most_freq():
    counts = hist()
    target = ir.SelectorWidth(lexicographic_smaller(counts, ir.INDICES, ">")).named("target_pos")
    return ir.Aggregate(select(target, ir.INDICES), ir.TOKENS).named("most_freq")


def frac_prevs(token="a"):
    is_token = ir.Map(fn=lambda t: 1 if t == token else 0, inner=ir.TOKENS).named("is_" + str(token))
    prevs = select(ir.INDICES, ir.INDICES, "<=")
    return ir.Aggregate(prevs, is_token).named("frac_prevs")


def length():
    return ir.LENGTH


# ------------------------------------------------------------------ checks

def all_inputs(vocab, up_to):
    return [p for n in range(1, up_to + 1) for p in itertools.product(vocab, repeat=n)]


def random_inputs(vocab, max_len, count, seed=0):
    rng = random.Random(seed)
    return [tuple(rng.choice(vocab) for _ in range(rng.randint(1, max_len))) for _ in range(count)]


def expected(expr, tokens):
    try:
        return evaluate(expr, tokens)
    except RaspEvaluationError:
        return None


def same(got, want) -> bool:
    if len(got) != len(want):
        return False
    for g, w in zip(got, want):
        if isinstance(w, float) or isinstance(g, float):
            if isinstance(w, bool) or isinstance(g, bool) or abs(float(g) - float(w)) > 1e-4:
                return False
        elif type(g) is not type(w) or g != w:
            return False
    return True


def mismatches(model, expr, inputs):
    """Inputs (where the interpreter succeeds) on which the model disagrees."""
    wanted = [(tokens, expected(expr, tokens)) for tokens in inputs]
    wanted = [(tokens, want) for tokens, want in wanted if want is not None]
    outputs = Runner(model).run([tokens for tokens, _ in wanted])
    return [(tokens, got, want) for (tokens, want), got in zip(wanted, outputs) if not same(got, want)]


def check(expr, vocab, max_len, exhaustive_len=4, n_random=150, seed=0, **options):
    """Compile, then compare with the interpreter on every input up to
    ``exhaustive_len`` and on random longer ones; returns the model."""
    model = compile_expr(expr, vocab, max_len, **options)
    inputs = all_inputs(vocab, min(exhaustive_len, max_len))
    if max_len > exhaustive_len:
        inputs += random_inputs(vocab, max_len, n_random, seed)
    bad = mismatches(model, expr, inputs)
    assert not bad, f"{len(bad)} mismatches, e.g. {bad[:3]}"
    return model
