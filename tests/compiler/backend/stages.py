"""The back end's stages run one by one on a small graph, for the layout and
assembly tests (which look at what passes between them)."""
from __future__ import annotations

from dataclasses import dataclass

from compiler.backend.layout import Plan, plan_layout
from compiler.backend.schedule import Schedule, schedule
from compiler.passes.pipeline import Lowered, lower
from rasp import ir


@dataclass(frozen=True)
class Stages:
    lowered: Lowered
    schedule: Schedule
    plan: Plan


def run_stages(expr: ir.SOp, vocab: tuple, max_len: int, disabled: tuple[str, ...] = ()) -> Stages:
    """Lower, schedule and lay out ``expr`` as ``compile_expr`` does."""
    lowered = lower((expr,), vocab, max_len, disabled)
    placed = schedule(lowered.outputs, lowered.embedded)
    return Stages(lowered, placed, plan_layout(lowered, placed, disabled))
