"""``selector_width`` (and ``length``): an attention head and an MLP, exact to max_len.

The head gives BOS the same score as a selected key (0) and every unselected key
a penalty of ``-T``; its only value is the bos direction. So a query selecting w
keys reads ``a = 1 / (w + 1 + delta)`` into the numerical scratch direction, with
``0 <= delta <= n e^-T`` (the leak onto unselected keys; ``T = ln(max_len / 1e-9)``
makes delta <= 1e-9). The BOS query is steered away from BOS, so the scratch is
~0 there.

The MLP of the same layer reads ``a`` on the finite set ``{1/(w+1) : w = 0..max_len}``
and writes w, as a one-hot or as a number, by interpolating through those points
(one ReLU per point where the slope changes: ``max_len`` ramps, plus a constant
unit for a one-hot). Interpolation is exact at
every point; off a point the output moves by the local slope (``(w+1)(w+2)``)
times the deviation of ``a``. In float32, ``a`` is the softmax weight of BOS, a
correctly rounded ``1 / (w + 1)`` up to a few ulps, so the deviation is about
``(w + 2) * 2^-22`` in the output, 2.5e-5 at max_len 100; the leak adds at most
``(w + 1) * 1e-9``, and summing the ramps in float32 a few ulps of w. Margin.value
states that bound (measured: 1.1e-5 on a one-hot, 3.8e-5 on the number, at
max_len 100).

Smallest gap the MLP resolves: ``1 / (max_len (max_len + 1))`` between the last two
points, about 1e-4 at max_len 100; rounding of ``a`` is five orders below it.
"""
from __future__ import annotations

import math

import numpy as np

from compiler.constructions.attention import LEAK, bos_query_terms, selection_terms
from compiler.constructions.blocks import BOS, HeadBlock, Margin, MLPBlock, OVTerm, Space
from compiler.constructions.axis import function_on_points
from rasp import ir

# Relative error of the scratch value in float32: a few ulps of 1/(w+1).
SCRATCH_RELATIVE_NOISE = 2.0 ** -22


def width_temperature(max_len: int) -> float:
    """The penalty of an unselected key: the leak ``n e^-T`` stays below LEAK."""
    return math.log(max(max_len, 1) / LEAK)


def selector_width_blocks(select: ir.Select, keys, queries, output: Space, scratch: Space,
                          max_len: int) -> tuple[HeadBlock, MLPBlock, Margin]:
    """The head (writes ``1/(w+1)`` into ``scratch``) and the same layer's MLP
    (reads ``scratch``, writes w into ``output``, categorical 0..max_len or
    numerical). Exact for every width 0..max_len at every length up to max_len.
    ``length`` is this with ``ir.Select(predicate=ir.PredTrue())``."""
    penalty = width_temperature(max_len)
    qk = selection_terms(select, tuple(keys), tuple(queries), penalty)
    qk.extend(bos_query_terms((), -penalty))
    head = HeadBlock(qk=tuple(qk), ov=(OVTerm(BOS, np.ones((1, 1))),), output=scratch,
                     label=f"width of {select.describe()}", reads="bos", writes=scratch.name)
    block, margin = width_decoder(scratch, output, max_len, f"selector_width {output.name}")
    return head, block, margin


def width_decoder(scratch: Space, output: Space, max_len: int, label: str) -> tuple[MLPBlock, Margin]:
    """The MLP from ``a = 1/(w+1)`` to w (see the module docstring), on the
    scratch's value set when it has one (a width known to be at least 1 skips
    w = 0), else on every width 0..max_len."""
    if scratch.values:
        points = sorted({float(a) for a in scratch.values})
        widths = [int(round(1.0 / a)) - 1 for a in points]
    else:
        widths = list(reversed(range(max_len + 1)))
        points = [1.0 / (w + 1) for w in widths]  # ascending a
    noise = [p * SCRATCH_RELATIVE_NOISE + LEAK for p in points]
    block, margin = function_on_points(scratch, points, widths, output, noise, label, form="interpolation")
    leak = max_len * math.exp(-width_temperature(max_len))
    reason = (f"widths {min(widths)}..{max(widths)} decoded from 1/(w+1) by {block.hidden} units; "
              f"{margin.reason}; the attention leak shifts 1/(w+1) by at most {leak:.2g}")
    return block, Margin(margin.value, reason)
