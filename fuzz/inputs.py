"""Which inputs a program is checked on: all of them when there are few, else a seeded sample."""
from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from typing import Any, Sequence

#: Inputs checked per program: all of them up to this many, else this many sampled.
EXHAUSTIVE_LIMIT = 400
SAMPLED_INPUTS = 200


@dataclass(frozen=True)
class InputPlan:
    """How many inputs a program is checked on: all of them when there are at most
    ``exhaustive``, else ``sampled`` seeded ones."""

    exhaustive: int = EXHAUSTIVE_LIMIT
    sampled: int = SAMPLED_INPUTS


#: What ``raspc fuzz`` and ``make fuzz`` check: thorough.
THOROUGH = InputPlan()
#: What CI's thousands of small programs are checked on: one chunk of rows
#: (``fuzz.runners.ROWS``) each; small programs are still checked on every input up
#: to length 4, or 5 over two tokens.
QUICK = InputPlan(exhaustive=128, sampled=128)


def input_count(vocab_size: int, max_len: int) -> int:
    """How many inputs there are of 1..max_len tokens."""
    return sum(vocab_size ** n for n in range(1, max_len + 1))


def inputs_for(vocab: Sequence[Any], max_len: int, seed: int = 0, plan: InputPlan = THOROUGH) -> list[tuple]:
    """Every input up to max_len when there are at most ``plan.exhaustive``, else a
    seeded sample of ``plan.sampled`` (always including the shortest and longest)."""
    if input_count(len(vocab), max_len) <= plan.exhaustive:
        return [tuple(t) for n in range(1, max_len + 1) for t in itertools.product(vocab, repeat=n)]
    rng = random.Random(seed)
    chosen = [tuple(vocab[:1]), tuple(vocab[-1:] * max_len)]
    while len(chosen) < plan.sampled:
        n = rng.randint(1, max_len)
        chosen.append(tuple(rng.choice(vocab) for _ in range(n)))
    return chosen
