"""Inputs for the output values that random inputs rarely give: what ``raspc verify``
adds to its random sample so that every answer a program can give is checked.

Uniform random inputs miss most answers of many programs: of dyck1's inputs of up to
16 tokens, fewer than 2 in 100 are balanced, so its "T" answer at the last position
is barely checked. ``search_inputs`` mutates inputs it has (a seeded generator:
a token replaced, inserted, deleted or swapped, two inputs joined, an input cut just
after a position where the value occurs) and keeps the new ones whose answer, the
value at the last position, is one still wanted, until each has been seen
``per_value`` times or the budget of attempts is spent. Only the reference
interpreter runs here; the caller checks the inputs found on the model.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable, Sequence

import numpy as np

#: What the search calls to know an input's output (None: the interpreter rejects it).
Evaluate = Callable[[tuple], "list | None"]


def value_key(value: Any) -> tuple:
    """A dictionary key that keeps 1, 1.0 and True apart."""
    return (type(value).__name__, value)


@dataclass
class Search:
    """What a search found: ``inputs`` to check, how many interpreter runs it took, and
    how many children it made (those already seen cost no run, but count against the
    budget, so that a search over an input space it has exhausted ends)."""

    inputs: list[tuple] = field(default_factory=list)
    evaluations: int = 0
    attempts: int = 0


def _mutants(parent: tuple, output: list | None, wanted: Sequence[Any], other: tuple, vocab: Sequence[Any],
             max_len: int, rng: np.random.Generator) -> list[tuple]:
    """A few children of ``parent``: cuts just after each position whose value is a
    wanted one, then one random edit."""
    keys = {value_key(v) for v in wanted}
    children = [parent[:i + 1] for i, v in enumerate(output or ()) if value_key(v) in keys and i + 1 < len(parent)]
    token = vocab[int(rng.integers(len(vocab)))]
    at = int(rng.integers(len(parent)))
    edit = int(rng.integers(5))
    if edit == 0:
        children.append(parent[:at] + (token,) + parent[at + 1:])
    elif edit == 1 and len(parent) < max_len:
        children.append(parent[:at] + (token,) + parent[at:])
    elif edit == 2 and len(parent) > 1:
        children.append(parent[:at] + parent[at + 1:])
    elif edit == 3 and len(parent) > 1:
        at = min(at, len(parent) - 2)
        children.append(parent[:at] + (parent[at + 1], parent[at]) + parent[at + 2:])
    elif len(parent) + len(other) <= max_len:
        children.append(parent + other)
    return children


def search_inputs(evaluate: Evaluate, starts: Sequence[tuple], needed: dict[Hashable, int], values: dict,
                  vocab: Sequence[Any], max_len: int, seen: set, seed: int, budget: int) -> Search:
    """Inputs not in ``seen`` whose last output value is one of ``needed`` (value key ->
    how many more are wanted; ``values`` maps each key to its value), found by
    mutating ``starts`` and what grows from them. ``seen`` gains every input tried."""
    rng = np.random.default_rng(seed)
    found = Search()
    needed = {key: count for key, count in needed.items() if count > 0}
    pool: list[tuple] = [tokens for tokens in starts if tokens]
    outputs: dict[tuple, list | None] = {}
    while needed and pool and found.attempts < budget:
        parent = pool[int(rng.integers(len(pool)))]
        if parent not in outputs:
            outputs[parent] = evaluate(parent)
            found.evaluations += 1
        other = pool[int(rng.integers(len(pool)))]
        wanted = [values[key] for key in needed]
        for child in _mutants(parent, outputs[parent], wanted, other, vocab, max_len, rng):
            found.attempts += 1
            if child in seen or found.attempts >= budget:
                continue
            seen.add(child)
            output = evaluate(child)
            found.evaluations += 1
            outputs[child] = output
            if not output:
                continue
            pool.append(child)
            key = value_key(output[-1])
            if needed.get(key, 0) > 0:
                found.inputs.append(child)
                needed[key] -= 1
                if needed[key] == 0:
                    del needed[key]
    return found


def last_values(outputs: Sequence[list]) -> Counter:
    """How often each value is the last of an output (the input's answer), by value key."""
    return Counter(value_key(output[-1]) for output in outputs if output)
