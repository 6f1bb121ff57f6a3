"""Compare two models of one task, measure by measure.

A is the reference (usually a compiled model, whose layout names the program's
variables), B any model with the same vocabulary, positions and output values
(usually a trained one). The caller brings the ``Evidence`` from the language
side (inputs, the interpreter's outputs, the program's s-op values, the
counterfactual outputs of interchange pairs) and ``compare`` measures:

* behaviour: each model's accuracy against the interpreter, their agreement,
  accuracy by input length;
* attention: A's heads matched to B's (``runtime.compare.attention``);
* variables: a linear probe for every s-op on B's residual after every step,
  beside the same probe on a randomly initialised model of B's shape (control);
* causal use: interchange-intervention accuracy of B on its probe's subspace, at
  the point where A writes the s-op, and of A on its own layout subspace there
  and on the other subspaces where A holds a function of the s-op alone that its
  readers read in its place (``Variable.copies``). Where A computes the s-op again
  inside an operation that reads other values too (a fused map), no patch of
  subspaces carries the program's intervention: A's IIA is not measured and the
  report names those sublayers (``fused_in``);
* similarity: linear CKA between A's and B's residuals at every pair of points.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from raspc.errors import InputError
from runtime.compare.attention import HeadMatch, match_heads, query_mask
from runtime.compare.interventions import Patch, interchange_accuracy, point_index, subspace_basis
from runtime.compare.probes import Probe, fit_probe, flat_values, position_rows, ridge_system
from runtime.compare.similarity import cka_matrix
from runtime.engine.batching import PAD, encode
from runtime.engine.dense import Trace, trace
from runtime.engine.forward import Runner
from runtime.model import CATEGORICAL, Model, Subspace
from runtime.outputs import TOLERANCE, same_output
from runtime.train.shape import random_params, shape_of, trained_config, trained_model

#: The share of the inputs that probes are fitted on; the rest scores them.
FIT_SHARE = 0.7


@dataclass(frozen=True)
class Variable:
    """One s-op of the program: its values on every input (one list per input),
    where A writes it (a residual point), A's subspace for it, the other
    subspaces of A an intervention on it must patch too (``copies``) and the
    sublayers of A that compute it inside operations reading other values too
    (``fused_in``: there, no patch of subspaces carries an intervention on it)."""

    name: str
    encoding: str
    writer: str
    subspace: Subspace | None
    values: tuple[list, ...]
    copies: tuple[Subspace, ...] = ()
    fused_in: tuple[str, ...] = ()


@dataclass(frozen=True)
class Interchange:
    """Pairs of inputs of one length and the program's output on each base when
    s-op ``name`` holds its values on the source."""

    name: str
    bases: tuple[tuple, ...]
    sources: tuple[tuple, ...]
    expected: tuple[list, ...]


@dataclass(frozen=True)
class Evidence:
    inputs: tuple[tuple, ...]
    truth: tuple[list, ...]
    variables: tuple[Variable, ...] = ()
    interchanges: tuple[Interchange, ...] = ()


@dataclass(frozen=True)
class Behaviour:
    a_accuracy: float
    b_accuracy: float
    agreement: float
    by_length: tuple[tuple[int, int, float, float], ...]   # (length, inputs, A accuracy, B accuracy)

    def to_json(self) -> dict:
        return {"a_accuracy": self.a_accuracy, "b_accuracy": self.b_accuracy, "agreement": self.agreement,
                "by_length": [{"length": n, "inputs": c, "a_accuracy": a, "b_accuracy": b}
                              for n, c, a, b in self.by_length]}


@dataclass(frozen=True)
class VariableReport:
    """Probe scores per B point (accuracy or R^2) beside the control's, and the
    IIA of B (probe subspace) and of A (own subspace and ``a_copies``; None where
    A computes the s-op inside the operations of ``a_fused_in``) with the number
    of pairs."""

    name: str
    encoding: str
    writer: str
    probe: dict[str, float]
    control: dict[str, float]
    b_iia: float | None
    a_iia: float | None
    pairs: int
    a_copies: tuple[str, ...] = ()
    a_fused_in: tuple[str, ...] = ()
    #: The share of pairs where B, not patched at all, already gives the
    #: counterfactual output: the floor B's IIA is read against (a model that
    #: answers the same whatever the input scores this on every pair whose
    #: counterfactual is that answer).
    b_unpatched: float | None = None

    def to_json(self) -> dict:
        return {"name": self.name, "encoding": self.encoding, "writer": self.writer,
                "probe": _finite(self.probe), "control": _finite(self.control),
                "b_iia": _number(self.b_iia), "b_unpatched": _number(self.b_unpatched),
                "a_iia": _number(self.a_iia), "pairs": self.pairs,
                "a_copies": list(self.a_copies), "a_fused_in": list(self.a_fused_in)}


@dataclass(frozen=True)
class Comparison:
    behaviour: Behaviour
    heads: tuple[HeadMatch, ...]
    variables: tuple[VariableReport, ...]
    a_points: tuple[str, ...]
    b_points: tuple[str, ...]
    cka: np.ndarray                       # (A points, B points)
    example: tuple                        # one input, for the pictures
    a_patterns: tuple[np.ndarray, ...]    # per layer (heads, q, k) on the example
    b_patterns: tuple[np.ndarray, ...]
    probes: dict[str, dict[str, Probe]]   # s-op -> B point -> probe

    def layer_cka(self) -> dict[str, float]:
        """CKA at the points both models have."""
        return {p: float(self.cka[self.a_points.index(p), self.b_points.index(p)])
                for p in self.a_points if p in self.b_points}

    def to_json(self) -> dict:
        return {"behaviour": self.behaviour.to_json(), "heads": [h.to_json() for h in self.heads],
                "variables": [v.to_json() for v in self.variables],
                "cka": {"a_points": list(self.a_points), "b_points": list(self.b_points),
                        "matrix": np.round(self.cka, 6).tolist(), "by_point": self.layer_cka()}}


def _number(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _finite(scores: dict[str, float]) -> dict[str, float | None]:
    return {k: _number(v) for k, v in scores.items()}


# ------------------------------------------------------------------ helpers

def check_comparable(a: Model, b: Model) -> None:
    for what, left, right in (("vocabulary", a.config.vocab, b.config.vocab),
                              ("max_len", a.config.max_len, b.config.max_len),
                              ("output values", a.config.output_values, b.config.output_values),
                              ("output encoding", a.config.output_encoding, b.config.output_encoding)):
        if left != right:
            raise InputError(f"the two models differ in their {what} ({left!r} and {right!r}): "
                             "compare models of one task")


def encode_all(model: Model, inputs: Sequence[tuple]) -> np.ndarray:
    ids = np.full((len(inputs), model.config.max_len + 1), PAD, np.int32)
    for row, tokens in enumerate(inputs):
        encoded = encode(model.config, tokens)
        ids[row, :len(encoded)] = encoded
    return ids


def output_tolerance(model: Model, truth: Sequence[list]) -> float:
    """Numerical outputs: the tolerance the program declared for its output, where
    the model records one (at least ``runtime.outputs.TOLERANCE``), as training
    scores it; else half the smallest gap between true values (at most 0.5)."""
    if model.config.output_encoding == CATEGORICAL:
        return 0.0
    declared = model.stats.get("output_tolerance")
    if declared:
        return max(TOLERANCE, float(declared))
    values = np.unique([float(v) for out in truth for v in out])
    return float(min(0.5, np.diff(values).min() / 2)) if len(values) > 1 else 0.5


def random_twin(model: Model, seed: int) -> Model:
    """A randomly initialised model of ``model``'s shape: the probes' control."""
    shape = shape_of(model)
    config = trained_config(model.config, shape)
    return trained_model(random_params(shape, config, seed), config, {}, {})


def behaviour(inputs: Sequence[tuple], truth: Sequence[list], a_out: Sequence[list], b_out: Sequence[list],
              tolerance: float) -> Behaviour:
    a_right = [same_output(t, o, tolerance) for t, o in zip(truth, a_out)]
    b_right = [same_output(t, o, tolerance) for t, o in zip(truth, b_out)]
    agree = [same_output(x, y, tolerance) for x, y in zip(a_out, b_out)]
    lengths = sorted({len(t) for t in inputs})
    by_length = []
    for n in lengths:
        rows = [k for k, t in enumerate(inputs) if len(t) == n]
        by_length.append((n, len(rows), float(np.mean([a_right[k] for k in rows])),
                          float(np.mean([b_right[k] for k in rows]))))
    return Behaviour(float(np.mean(a_right)), float(np.mean(b_right)), float(np.mean(agree)), tuple(by_length))


def fit_all_probes(variables: Sequence[Variable], traced: Trace,
                   ids: np.ndarray) -> dict[str, tuple[dict[str, Probe], dict[str, float]]]:
    """For every variable, a probe at every point of a traced model, fitted on the
    first FIT_SHARE of the inputs, and its score on the others: point by point,
    every variable's probe sharing the point's ridge system."""
    cut = max(1, int(len(ids) * FIT_SHARE))
    fit_values = {v.name: flat_values(v.values[:cut]) for v in variables}
    held_values = {v.name: flat_values(v.values[cut:]) for v in variables}
    found: dict[str, tuple[dict[str, Probe], dict[str, float]]] = {v.name: ({}, {}) for v in variables}
    for point, residual in zip(traced.points, traced.residuals):
        system = ridge_system(position_rows(residual[:cut], ids[:cut]))
        held_rows = position_rows(residual[cut:], ids[cut:])
        for variable in variables:
            probe = fit_probe(variable.name, point, variable.encoding, None, fit_values[variable.name], system)
            probes, scores = found[variable.name]
            probes[point] = probe
            scores[point] = probe.score(held_rows, held_values[variable.name])
    return found


def own_patches(a: Model, points: Sequence[str], variable: Variable) -> list[Patch]:
    """A's own subspace for ``variable`` and its copies, each at the point where it
    is written (the coordinates of one point joined, shared ones once)."""
    at: dict[str, set[int]] = {}
    for subspace in (variable.subspace,) + variable.copies:
        at.setdefault(subspace.writer, set()).update(range(subspace.start, subspace.stop))
    return [Patch(points.index(point), subspace_basis(a.config.d_model, sorted(coordinates)))
            for point, coordinates in at.items()]


def _pair_ids(model: Model, change: Interchange) -> tuple[np.ndarray, np.ndarray]:
    return encode_all(model, change.bases), encode_all(model, change.sources)


# ------------------------------------------------------------------ compare

def compare(a: Model, b: Model, evidence: Evidence, seed: int = 0) -> Comparison:
    check_comparable(a, b)
    inputs = list(evidence.inputs)
    if not inputs:
        raise InputError("no inputs to compare the models on")
    tolerance = output_tolerance(a, evidence.truth)
    a_out, b_out = Runner(a).run(inputs), Runner(b).run(inputs)
    ids = encode_all(a, inputs)
    a_trace, b_trace = trace(a.params, ids, a.config), trace(b.params, ids, b.config)
    control = random_twin(b, seed + 7919)
    control_trace = trace(control.params, ids, control.config)
    heads = match_heads(a_trace.patterns, b_trace.patterns, query_mask(ids))
    changes = {change.name: change for change in evidence.interchanges}
    b_output_of = dict(zip(inputs, b_out))
    other_bases = list(dict.fromkeys(base for change in evidence.interchanges for base in change.bases
                                     if base not in b_output_of))
    b_output_of.update(zip(other_bases, Runner(b).run(other_bases) if other_bases else []))
    reports, probes = [], {}
    b_probes = fit_all_probes(evidence.variables, b_trace, ids)
    control_probes = fit_all_probes(evidence.variables, control_trace, ids)
    for variable in evidence.variables:
        fitted, scores = b_probes[variable.name]
        _, control_scores = control_probes[variable.name]
        probes[variable.name] = fitted
        change = changes.get(variable.name)
        b_iia = a_iia = b_unpatched = None
        if change is not None and change.expected:
            base_ids, source_ids = _pair_ids(a, change)
            where = point_index(b_trace.points, variable.writer)
            if where is not None:
                b_iia = interchange_accuracy(b, base_ids, source_ids, [Patch(where, fitted[variable.writer].basis())],
                                             change.expected, tolerance)
                b_unpatched = float(np.mean([same_output(want, b_output_of[base], tolerance)
                                             for base, want in zip(change.bases, change.expected)]))
            if variable.subspace is not None and not variable.fused_in:
                a_iia = interchange_accuracy(a, base_ids, source_ids, own_patches(a, a_trace.points, variable),
                                             change.expected, tolerance)
        reports.append(VariableReport(variable.name, variable.encoding, variable.writer, scores, control_scores,
                                      b_iia, a_iia, len(change.expected) if change else 0,
                                      tuple(c.name for c in variable.copies), variable.fused_in, b_unpatched))
    a_rows = [position_rows(r, ids) for r in a_trace.residuals]
    b_rows = [position_rows(r, ids) for r in b_trace.residuals]
    example = max(range(len(inputs)), key=lambda k: len(inputs[k]))
    n = len(inputs[example]) + 1
    return Comparison(
        behaviour(inputs, evidence.truth, a_out, b_out, tolerance), heads, tuple(reports),
        a_trace.points, b_trace.points, cka_matrix(a_rows, b_rows), tuple(inputs[example]),
        tuple(p[example, :, :n, :n] for p in a_trace.patterns), tuple(p[example, :, :n, :n] for p in b_trace.patterns),
        probes)


def variables_of(a: Model, values: dict[str, tuple[list, ...]]) -> tuple[Variable, ...]:
    """A Variable for every s-op of A's layout whose values the caller gives, with
    the copies and fusions A's source names record for it."""
    reach = {n.subspace: n for n in a.source_names if n.subspace}
    found = []
    for subspace in a.layout.subspaces:
        if subspace.name in values:
            named = reach.get(subspace.name)
            copies = tuple(a.layout[c] for c in named.copies) if named is not None else ()
            found.append(Variable(subspace.name, subspace.encoding, subspace.writer, subspace,
                                  tuple(values[subspace.name]), copies, named.fused_in if named is not None else ()))
    return tuple(found)


def probe_targets(a: Model) -> list[str]:
    """The layout's s-op names worth probing: every subspace that holds a value
    (not the constant ``one`` and ``bos`` directions)."""
    return [s.name for s in a.layout.subspaces if s.name not in ("one", "bos") and s.width > 0]


__all__ = ["compare", "Comparison", "Evidence", "Variable", "Interchange", "variables_of", "probe_targets",
           "Behaviour", "VariableReport", "random_twin", "encode_all"]
