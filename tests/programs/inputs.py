"""How the bundled programs' checks sample inputs: exhaustive short ones, seeded random
ones up to max_len, and ones aimed at a task (carries that ripple, nested brackets,
distinct tokens).

Plain Python with no project import: tasks.py names these generators in its table,
and scripts/programs_table.py reads that table without running the tests.
"""
from __future__ import annotations

import itertools
import os
import random
from typing import Callable

FULL = os.environ.get("RASPC_PROGRAMS") == "full"
RANDOM = 1_000  # seeded random inputs up to the declared max_len, per program
RANDOM_LONGER = RANDOM if FULL else 150  # the same, recompiled at a longer max_len
AIMED = 150  # inputs aimed at the task (carries, nested brackets, distinct tokens)


def random_count(max_len: int) -> int:
    return RANDOM if max_len <= 10 else RANDOM_LONGER


def any_sequences(vocab: tuple, max_len: int, count: int, seed: int, min_len: int = 1) -> list[tuple]:
    rng = random.Random(seed)
    return [tuple(rng.choice(vocab) for _ in range(rng.randint(min_len, max_len))) for _ in range(count)]


def short_sequences(vocab: tuple) -> list[tuple]:
    """Every sequence of length 1 to 5 (at most 1,364 over 4 tokens)."""
    return [w for n in range(1, 6) for w in itertools.product(vocab, repeat=n)]


def distinct_sequences(vocab: tuple, max_len: int, count: int, seed: int) -> list[tuple]:
    rng = random.Random(seed)
    longest = min(max_len, len(vocab))
    return [tuple(rng.sample(vocab, rng.randint(1, longest))) for _ in range(count)]


def additions(max_len: int, count: int, seed: int) -> list[tuple]:
    """Well-formed "a+b" inputs; some digits forced to 9 so that carries ripple."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        total_digits = rng.randint(2, max_len - 1)
        left = rng.randint(1, total_digits - 1)
        nines = rng.random() < 0.4
        digits = [("9" if nines and rng.random() < 0.7 else rng.choice("0123456789"))
                  for _ in range(total_digits)]
        out.append(tuple(digits[:left] + ["+"] + digits[left:]))
    return out


def bracket_walks(pairs: str, max_len: int, count: int, seed: int) -> list[tuple]:
    """Mostly well-nested walks (with an occasional wrong closer), so that T, P and F
    all occur at every length rather than F almost everywhere."""
    rng = random.Random(seed)
    openers, closers = pairs[0::2], pairs[1::2]
    out = []
    for _ in range(count):
        stack: list[int] = []
        seq = []
        for _ in range(rng.randint(1, max_len)):
            if stack and rng.random() < 0.5:
                kind = stack.pop()
                if rng.random() < 0.1:
                    kind = rng.randrange(len(closers))
                seq.append(closers[kind])
            elif rng.random() < 0.08:
                seq.append(rng.choice(closers))
            else:
                kind = rng.randrange(len(openers))
                stack.append(kind)
                seq.append(openers[kind])
        out.append(tuple(seq))
    return out


def default_inputs(vocab: tuple, max_len: int, seed: int) -> list[tuple]:
    return any_sequences(vocab, max_len, random_count(max_len), seed + 1)


def unique_inputs(vocab: tuple, max_len: int, seed: int) -> list[tuple]:
    return default_inputs(vocab, max_len, seed) + distinct_sequences(vocab, max_len, AIMED, seed)


def addition_inputs(vocab: tuple, max_len: int, seed: int) -> list[tuple]:
    return default_inputs(vocab, max_len, seed) + additions(max_len, AIMED, seed)


def dyck_inputs(pairs: str) -> Callable[[tuple, int, int], list[tuple]]:
    def inputs(vocab: tuple, max_len: int, seed: int) -> list[tuple]:
        return default_inputs(vocab, max_len, seed) + bracket_walks(pairs, max_len, AIMED, seed + 2)
    return inputs
