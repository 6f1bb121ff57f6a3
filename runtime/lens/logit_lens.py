"""The logit lens in full: the unembedding read at every residual point.

At each point (``embed``, after each layer's attention, after each MLP) and each
position, the residual is multiplied by the unembedding as if the model stopped
there. For a categorical output that gives, per cell: the value on top, the rank of
the model's final answer among the output values, the answer's probability (softmax
of that point's output logits) and the KL divergence from the final output
distribution, KL(final || point), in nats. For a numerical output: the value read and
its distance from the final one. The last point is the model's output itself.

Rank counts ties against the answer: with every logit equal (nothing written yet)
the answer's rank is the number of output values, not 1.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from runtime.engine.hooks import Cache
from runtime.lens.plots import Heatmap
from runtime.lens.variables import output_written, shown_value
from runtime.model import CATEGORICAL, Model, unembedded
from runtime.outputs import decode

#: Top two logits closer than this tie: no value leads.
TIE = 1e-9


@dataclass(frozen=True)
class LogitLensGrid:
    """Points (rows) by positions (columns, BOS left out). ``undecided`` marks the
    cells where no value leads: the top two output logits tie (a categorical output
    not written yet), or the output's subspace is not written yet (a numerical one);
    ``logit_lens_json`` gives them as null.
    ``rank``, ``probability`` and ``kl`` are None for a numerical output, ``error``
    for a categorical one."""

    points: tuple[str, ...]
    tokens: tuple[Any, ...]
    encoding: str
    top: tuple[tuple[Any, ...], ...]
    undecided: np.ndarray
    logits: np.ndarray
    answer: tuple[Any, ...]
    rank: np.ndarray | None
    probability: np.ndarray | None
    kl: np.ndarray | None
    error: np.ndarray | None

    def row(self, point: str) -> int:
        return self.points.index(point)


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def read_logit_lens(model: Model, residuals: Sequence[np.ndarray], points: Sequence[str],
                    tokens: Sequence[Any]) -> LogitLensGrid:
    """The grid from one input's residuals, each (positions, d_model) with BOS first;
    the last residual is the model's final one."""
    n = len(tokens)
    logits = np.stack([unembedded(model.params, np.asarray(r)[1:n + 1]) for r in residuals])
    config = model.config
    decoded = [decode(config, row) for row in logits]
    top = tuple(tuple(d.values) for d in decoded)
    answer = top[-1]
    if config.output_encoding != CATEGORICAL:
        error = np.abs(logits[..., 0] - logits[-1, None, :, 0])
        unwritten = np.array([[not output_written(model, p, points)] * n for p in points], bool).reshape(-1, n)
        return LogitLensGrid(tuple(points), tuple(tokens), config.output_encoding, top,
                             unwritten, logits, answer, None, None, None, error)
    undecided = np.stack([d.margins <= TIE for d in decoded])
    final = np.argmax(logits[-1], axis=-1)
    answer_logit = np.take_along_axis(logits, np.broadcast_to(final[None, :, None], logits.shape[:2] + (1,)),
                                      axis=-1)
    rank = (logits >= answer_logit).sum(axis=-1)
    log_p = _log_softmax(logits)
    probability = np.exp(np.take_along_axis(log_p, np.broadcast_to(final[None, :, None], answer_logit.shape),
                                            axis=-1))[..., 0]
    final_log_p = log_p[-1][None]
    kl = np.maximum((np.exp(final_log_p) * (final_log_p - log_p)).sum(axis=-1), 0.0)
    return LogitLensGrid(tuple(points), tuple(tokens), config.output_encoding, top, undecided, logits, answer,
                         rank, probability, kl, None)


def logit_lens_of(model: Model, cache: Cache, tokens: Sequence[Any], row: int = 0) -> LogitLensGrid:
    """The grid from a cache (``runtime.engine.hooks.run_with_cache``), batch row ``row``."""
    points = cache.points()
    return read_logit_lens(model, [cache.residual(p)[row] for p in points], points, tokens)


def position_labels(tokens: Sequence[Any]) -> tuple[str, ...]:
    return tuple(f"{k}:{shown_value(t)}" for k, t in enumerate(tokens))


def logit_lens_heatmaps(grid: LogitLensGrid, suffix: str = "") -> list[Heatmap]:
    """Rank, probability and KL (categorical) or the value and its error
    (numerical), each layer by position; cells show the value on top."""
    columns = position_labels(grid.tokens)
    text = tuple(tuple("." if grid.undecided[r, c] else shown_value(v) for c, v in enumerate(row))
                 for r, row in enumerate(grid.top))
    stem = f"logit_lens_{{}}{suffix}"

    def tips(measure: np.ndarray, what: str) -> tuple[tuple[str, ...], ...]:
        return tuple(tuple(f"{point}, position {c}: top {shown_value(grid.top[r][c])}, {what} {measure[r, c]:.4g}"
                           for c in range(len(columns))) for r, point in enumerate(grid.points))

    common = dict(rows=grid.points, columns=columns, text=text, row_title="residual point",
                  column_title="position")
    if grid.encoding != CATEGORICAL:
        values = grid.logits[..., 0]
        return [Heatmap(stem.format("error"), "Distance from the final output", values=grid.error,
                        scale="positive", tips=tips(grid.error, "distance"),
                        caption="|value read here - final value|; cells show the value read.", **common),
                Heatmap(stem.format("value"), "Value read", values=values, scale="signed",
                        tips=tips(values, "value"), caption="The output read at each point.", **common)]
    return [
        Heatmap(stem.format("rank"), "Rank of the final answer", values=grid.rank.astype(float), scale="rank",
                tips=tips(grid.rank, "rank of the answer"),
                caption="1 (dark) = the final answer is on top; ties count against it. "
                        "Cells show the value on top (. where none leads).", **common),
        Heatmap(stem.format("probability"), "Probability of the final answer", values=grid.probability,
                scale="unit", tips=tips(grid.probability, "probability of the answer"),
                caption="Softmax over the output values at that point.", **common),
        Heatmap(stem.format("kl"), "KL(final || point)", values=grid.kl, scale="positive",
                tips=tips(grid.kl, "KL divergence (nats)"),
                caption="KL divergence of the point's output distribution from the final one, in nats.",
                **common),
    ]


def logit_lens_json(grid: LogitLensGrid) -> dict:
    def rounded(array):
        return None if array is None else np.round(np.asarray(array, np.float64), 6).tolist()

    top = [[None if grid.undecided[r, c] else _json_atom(v) for c, v in enumerate(row)]
           for r, row in enumerate(grid.top)]
    return {"points": list(grid.points), "top": top,
            "answer": [_json_atom(v) for v in grid.answer],
            "rank": None if grid.rank is None else np.asarray(grid.rank).tolist(),
            "probability": rounded(grid.probability), "kl": rounded(grid.kl), "error": rounded(grid.error)}


def _json_atom(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value
