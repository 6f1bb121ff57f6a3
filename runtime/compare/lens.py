"""The lens through probes: a trained model's residual stream read as the program's variables.

A compiled model's layout says which directions hold which s-op; a trained model
has no layout, but ``compare`` fits a linear probe for every s-op at every residual
point. ``probed_report`` runs the ordinary lens (``runtime.lens``) on one input and
fills its variable grid from those probes, so that the same grid (terminal, JSON,
HTML) reads a compiled and a trained model. Each s-op's row is named with the
probe's held-out score at the point where the compiled model writes it, and each
reading's confidence is the probe's margin (top score minus the runner-up).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from runtime.compare.probes import Probe
from runtime.engine.batching import encode
from runtime.engine.dense import trace
from runtime.lens import LensReport, SubspaceReading, analyze
from runtime.model import CATEGORICAL, Model


@dataclass(frozen=True)
class FittedProbes:
    """Per s-op: its encoding, the point where the compiled model writes it, its
    probe at every residual point of the probed model, and each probe's held-out
    score (accuracy, or R^2 for a numerical s-op)."""

    encoding: dict[str, str]
    writer: dict[str, str]
    probes: dict[str, dict[str, Probe]]
    scores: dict[str, dict[str, float]]

    def label(self, name: str) -> str:
        score = self.scores[name].get(self.writer[name])
        if score is None or not np.isfinite(score):
            return f"{name} (probe)"
        shown = f"{100 * score:.1f}%" if self.encoding[name] == CATEGORICAL else f"R2 {score:.3f}"
        return f"{name} (probe {shown} at {self.writer[name]})"


def _order(points: Sequence[str]) -> dict[str, int]:
    return {point: k for k, point in enumerate(points)}


def probed_report(model: Model, fitted: FittedProbes, tokens: Sequence) -> LensReport:
    """The lens report of ``model`` on one input, its variable grid read by probes."""
    tokens = tuple(tokens)
    ids = encode(model.config, tokens)
    padded = np.full(model.config.max_len + 1, -1, np.int32)
    padded[:len(ids)] = ids
    traced = trace(model.params, padded, model.config)
    report = analyze(model, traced, tokens)
    order = _order(traced.points)
    points = []
    for point, residual in zip(report.points, traced.residuals):
        rows = np.asarray(residual[0])[1:len(tokens) + 1]
        readings = []
        for name, by_point in fitted.probes.items():
            probe = by_point.get(point.point)
            if probe is None:
                continue
            live = order[point.point] >= order.get(fitted.writer[name], 0)
            readings.append(SubspaceReading(fitted.label(name), probe.encoding, fitted.writer[name], live,
                                            tuple(probe.predict(rows)), tuple(probe.confidence(rows))))
        points.append(replace(point, subspaces=tuple(readings)))
    return replace(report, points=tuple(points))
