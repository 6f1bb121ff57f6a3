"""Do two models attend alike? Head against head, over many inputs.

For a head of model A and a head of model B, two figures over every real query
(BOS's own row left out) of every input:

* the mean Jensen-Shannon divergence of their rows, in bits (0: identical, 1:
  disjoint);
* the share of queries whose most-attended key agrees. A compiled head often
  spreads its weight evenly over several keys (every selected one): a tie in A's
  row counts as a hit when B's choice is any of the tied keys.

Each head of A is matched to a head of B in the same layer by an optimal
assignment over the divergences (``scipy.optimize.linear_sum_assignment``), and
to its closest head in any layer.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

#: Keys whose weight is within this share of the row's largest weight tie with it.
TIE = 0.02
_EPS = 1e-12


@dataclass(frozen=True)
class HeadMatch:
    """A's head ``(layer, head)`` matched to B's ``matched`` in the same layer (None
    when B has no head there) and to ``closest`` in any layer, with the figures."""

    layer: int
    head: int
    matched: tuple[int, int] | None
    divergence: float | None
    argmax_agreement: float | None
    closest: tuple[int, int]
    closest_divergence: float
    closest_agreement: float

    def to_json(self) -> dict:
        """Plain JSON; a figure that does not exist (B has no head at all) is null."""
        def number(value):
            return None if value is None or not math.isfinite(value) else float(value)
        return {"layer": self.layer, "head": self.head,
                "matched": list(self.matched) if self.matched else None, "jsd": number(self.divergence),
                "argmax_agreement": number(self.argmax_agreement),
                "closest": list(self.closest) if self.closest[0] >= 0 else None,
                "closest_jsd": number(self.closest_divergence),
                "closest_argmax_agreement": number(self.closest_agreement)}


def _rows(patterns: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The real query rows of one head's patterns (inputs, q, k) -> (rows, k)."""
    return patterns[mask]


def query_mask(ids: np.ndarray) -> np.ndarray:
    """(inputs, positions): the real queries, BOS's own row left out."""
    real = ids >= 0
    real[:, 0] = False
    return real


def js_divergence(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Row by row, in bits."""
    p = np.clip(p, 0.0, None)
    q = np.clip(q, 0.0, None)
    m = 0.5 * (p + q)

    def kl(a, b):
        return np.sum(np.where(a > _EPS, a * np.log2(np.maximum(a, _EPS) / np.maximum(b, _EPS)), 0.0), axis=-1)
    return np.clip(0.5 * kl(p, m) + 0.5 * kl(q, m), 0.0, 1.0)


def argmax_agreement(reference: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Row by row: whether ``other``'s top key is one of ``reference``'s tied top keys."""
    top = np.max(reference, axis=-1, keepdims=True)
    tied = reference >= top * (1 - TIE)
    chosen = np.argmax(other, axis=-1)
    return tied[np.arange(len(chosen)), chosen]


def pair_figures(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(mean JSD, argmax agreement) of two heads' real rows (rows, keys)."""
    if len(a) == 0:
        return 0.0, 1.0
    return float(np.mean(js_divergence(a, b))), float(np.mean(argmax_agreement(a, b)))


def match_heads(a_patterns: Sequence[np.ndarray], b_patterns: Sequence[np.ndarray],
                mask: np.ndarray) -> tuple[HeadMatch, ...]:
    """Every head of A matched to B's heads. ``*_patterns[l]`` is layer l's
    (inputs, heads, q, k) on the same inputs; ``mask`` the real queries."""
    b_heads = [(l, h) for l, layer in enumerate(b_patterns) for h in range(layer.shape[1])]
    b_rows = {(l, h): _rows(b_patterns[l][:, h], mask) for l, h in b_heads}
    matches = []
    for layer, block in enumerate(a_patterns):
        a_rows = [_rows(block[:, h], mask) for h in range(block.shape[1])]
        figures = {(h, other): pair_figures(rows, b_rows[other]) for h, rows in enumerate(a_rows)
                   for other in b_heads}
        assigned: dict[int, int] = {}
        if layer < len(b_patterns) and b_patterns[layer].shape[1]:
            cost = np.array([[figures[(h, (layer, g))][0] for g in range(b_patterns[layer].shape[1])]
                             for h in range(len(a_rows))])
            for h, g in zip(*linear_sum_assignment(cost)):
                assigned[int(h)] = int(g)
        for h in range(len(a_rows)):
            closest = min(b_heads, key=lambda other: figures[(h, other)][0]) if b_heads else (-1, -1)
            near = figures.get((h, closest), (float("nan"), float("nan")))
            if h in assigned:
                jsd, agree = figures[(h, (layer, assigned[h]))]
                matches.append(HeadMatch(layer, h, (layer, assigned[h]), jsd, agree, closest, *near))
            else:
                matches.append(HeadMatch(layer, h, None, None, None, closest, *near))
    return tuple(matches)
