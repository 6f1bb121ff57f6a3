"""Input plans (``fuzz.inputs``): every input when there are few, a seeded sample otherwise,
up to the sizes the larger configurations draw."""
from __future__ import annotations

import itertools

from fuzz.inputs import QUICK, THOROUGH, InputPlan, input_count, inputs_for


def test_input_count_is_the_number_of_sequences():
    for size, max_len in [(1, 1), (2, 3), (3, 4), (5, 2)]:
        every = [t for n in range(1, max_len + 1) for t in itertools.product(range(size), repeat=n)]
        assert input_count(size, max_len) == len(every)


def test_inputs_are_exhaustive_when_few_and_sampled_otherwise():
    assert len(inputs_for(("a", "b"), 3)) == 2 + 4 + 8
    assert set(inputs_for(("a", "b"), 3)) == {t for n in (1, 2, 3) for t in itertools.product("ab", repeat=n)}
    many = inputs_for(("a", "b", "c", "d"), 8, seed=3)
    assert len(many) == 200 and many == inputs_for(("a", "b", "c", "d"), 8, seed=3)
    assert all(1 <= len(t) <= 8 for t in many)
    small = InputPlan(exhaustive=10, sampled=7)
    assert len(inputs_for(("a", "b"), 2, plan=small)) == 6
    assert len(inputs_for(("a", "b"), 3, plan=small)) == 7
    # CI's plan: every input up to length 5 over two tokens, up to length 4 over three
    assert len(inputs_for(("a", "b"), 5, plan=QUICK)) == 62
    assert len(inputs_for(("a", "b", "c"), 4, plan=QUICK)) == 120
    assert len(inputs_for(("a", "b", "c"), 5, plan=QUICK)) == QUICK.sampled


def test_long_inputs_over_large_vocabularies_are_sampled_with_their_ends():
    vocab = tuple(range(20))
    for plan in (QUICK, THOROUGH):
        chosen = inputs_for(vocab, 64, seed=9, plan=plan)
        assert len(chosen) == plan.sampled
        assert chosen == inputs_for(vocab, 64, seed=9, plan=plan)
        assert chosen != inputs_for(vocab, 64, seed=10, plan=plan)
        assert (0,) in chosen and (19,) * 64 in chosen  # the shortest and the longest
        assert all(1 <= len(t) <= 64 and set(t) <= set(vocab) for t in chosen)
        assert len({len(t) for t in chosen}) > 40  # lengths spread over the range
