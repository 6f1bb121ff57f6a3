"""The lens, part one: read a model's residual stream, attention and MLP units as RASP values.

Given a model and one input, ``inspect`` runs a cached forward pass
(``runtime.engine.hooks``) and reads:

* every layout subspace at every residual point (``embed``, after each layer's
  attention, after each MLP) decoded into its RASP value: a categorical s-op by the
  argmax over its value directions, with a confidence (the gap between the top
  coordinate and the runner-up: 1 for a clean one-hot), a numerical one as the
  coordinate itself;
* the output read at every point (``logit_lens``; ``runtime.lens.logit_lens`` has
  the ranks, probabilities and divergences);
* every head's attention pattern, labelled with the selector it implements;
* every MLP unit's activation, labelled with what it computes.

A trained model has no layout (its residual has no names yet): the lens then
gives the logit lens, the patterns and the units. ``format_text`` and
``report_json`` serve the command line; ``runtime.lens.html`` draws the page.

    >>> report = inspect(model, "abcd")                 # doctest: +SKIP
    >>> report.reading("reverse", "L1.attn").values     # doctest: +SKIP
    ('d', 'c', 'b', 'a')
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from runtime.engine.batching import PAD, encode
from runtime.engine.dense import Trace
from runtime.engine.hooks import Cache, block_hook, run_with_cache
from runtime.model import CATEGORICAL, Model, SourceName, Subspace, unembedded
from runtime.outputs import decode_subspace

#: Units whose activation never exceeds this are left out of the report's tables.
ACTIVE = 1e-6
#: At most this many units per layer in the HTML report (the most active ones).
MAX_UNITS_SHOWN = 120
#: Row names wider than this are not padded in the text view.
MAX_NAME_WIDTH = 32
#: A categorical reading whose top two directions are closer than this has no value.
TIE = 1e-9


# ------------------------------------------------------------------ data

@dataclass(frozen=True)
class SubspaceReading:
    """One s-op's subspace at one residual point, position by position (BOS left out).

    ``live`` says whether the s-op has been written by this point (and not yet
    overwritten by another s-op sharing its directions). A value is None where there
    is none to read: before the s-op is written (its directions hold nothing, whose
    argmax would be the first label, a placeholder), and where a categorical
    reading's top two directions tie (no value leads).
    """

    name: str
    encoding: str
    writer: str
    live: bool
    values: tuple[Any, ...]
    confidence: tuple[float | None, ...]


@dataclass(frozen=True)
class PointReading:
    """Everything read at one residual point."""

    point: str
    subspaces: tuple[SubspaceReading, ...]
    logits: np.ndarray            # (n, n_outputs), BOS left out
    output: tuple[Any, ...]       # the logit lens: the output s-op decoded here
    margin: tuple[float | None, ...]  # categorical: top logit minus the runner-up


@dataclass(frozen=True)
class HeadView:
    """One attention head: its label and its pattern (queries x keys, BOS included).

    ``selector`` is what the lens shows: the selector as the program wrote it and its
    file:line where the model file records them (``HeadLabel.shown``); ``compiled`` is
    the selector as the compiler rewrote it, over the compiled graph's names."""

    layer: int
    head: int
    selector: str
    reads: str
    writes: str
    pattern: np.ndarray
    compiled: str = ""


@dataclass(frozen=True)
class UnitView:
    """One MLP hidden unit: its label and its activation per position (BOS left out)."""

    layer: int
    index: int
    label: str
    activations: np.ndarray


@dataclass(frozen=True)
class LensReport:
    tokens: tuple[Any, ...]
    model_kind: str
    output_name: str
    output_encoding: str
    summary: dict
    points: tuple[PointReading, ...]
    heads: tuple[HeadView, ...]
    units: tuple[tuple[UnitView, ...], ...]   # per layer
    #: The program's s-ops and the compiler's subspaces, as the model records them.
    names: tuple[SourceName, ...] = ()

    def shown_name(self, subspace: str) -> str:
        """A subspace's row name: its own, or for one the compiler named, the source
        expression it comes from with the internal name after it; followed by the
        program's other names for it (``@output y;`` with ``y = tokens;``)."""
        shown = subspace
        for name in self.names:
            if name.subspace == subspace and (name.internal or name.name == subspace):
                shown = name.shown
                break
        aliases = [n.name for n in self.names if n.subspace == subspace and not n.internal and n.name != subspace]
        return f"{shown} ({', '.join(aliases)})" if aliases else shown

    @property
    def absorbed(self) -> tuple[SourceName, ...]:
        """The program's s-ops with no subspace of their own: fused into another
        operation (``computed_in`` names the sublayer) or folded away."""
        return tuple(n for n in self.names if not n.subspace and not n.internal)

    @property
    def final_output(self) -> tuple[Any, ...]:
        return self.points[-1].output

    def point(self, name: str) -> PointReading:
        for reading in self.points:
            if reading.point == name:
                return reading
        raise KeyError(name)

    def reading(self, subspace: str, point: str) -> SubspaceReading:
        for reading in self.point(point).subspaces:
            if reading.name == subspace:
                return reading
        raise KeyError(subspace)


# ------------------------------------------------------------------ decoding

def _point_order(points: Sequence[str]) -> dict[str, int]:
    return {point: k for k, point in enumerate(points)}


def _live(subspace: Subspace, others: Sequence[Subspace], at: int, order: dict[str, int]) -> bool:
    written = order.get(subspace.writer, 0)
    if at < written:
        return False
    for other in others:
        overlaps = other.start < subspace.stop and subspace.start < other.stop
        later = order.get(other.writer, 0)
        if other is not subspace and overlaps and written < later <= at:
            return False
    return True


def read_point(model: Model, residual: np.ndarray, point: str, points: Sequence[str]) -> tuple[SubspaceReading, ...]:
    """Every layout subspace decoded at one point; ``residual`` is (positions, d) with BOS first."""
    order = _point_order(points)
    at = order[point]
    subspaces = model.layout.subspaces
    readings = []
    for subspace in subspaces:
        values, confidence = decode_subspace(subspace, residual[1:])
        live = _live(subspace, subspaces, at, order)
        if not live:
            values, confidence = tuple(None for _ in values), tuple(None for _ in confidence)
        else:
            values = tuple(None if c is not None and c <= TIE else v for v, c in zip(values, confidence))
        readings.append(SubspaceReading(subspace.name, subspace.encoding, subspace.writer, live, values,
                                        confidence))
    return tuple(readings)


def output_written(model: Model, point: str, points: Sequence[str]) -> bool:
    """Whether the output s-op has been written at ``point``: always for a model
    without a layout (a trained one), whose output has no subspace to follow."""
    if model.config.output not in model.layout:
        return True
    subspace = model.layout[model.config.output]
    return _live(subspace, model.layout.subspaces, _point_order(points)[point], _point_order(points))


def logit_lens(model: Model, residual: np.ndarray, written: bool = True) -> tuple[np.ndarray, tuple, tuple]:
    """The unembedding applied to one residual (positions, d; BOS first):
    logits, decoded output and margins for positions 1..n. A value is None where
    no value leads: the top two logits tie, or the output is not ``written`` yet."""
    logits = unembedded(model.params, np.asarray(residual)[1:])
    config = model.config
    if config.output_encoding == CATEGORICAL:
        labels = config.output_values or tuple(range(logits.shape[1]))
        top = np.argmax(logits, axis=1)
        ordered = np.sort(logits, axis=1)
        margins = ordered[:, -1] - (ordered[:, -2] if logits.shape[1] > 1 else 0.0)
        return logits, tuple(labels[int(k)] if written and m > TIE else None for k, m in zip(top, margins)), \
            tuple(float(m) for m in margins)
    values = tuple(float(v) if written else None for v in logits[:, 0])
    return logits, values, tuple(None for _ in values)


def _head_views(model: Model, patterns: Sequence[np.ndarray]) -> tuple[HeadView, ...]:
    labels = {(h.layer, h.head): h for h in model.head_labels}
    views = []
    for layer, pattern in enumerate(patterns):
        for head in range(pattern.shape[1]):
            label = labels.get((layer, head))
            views.append(HeadView(layer, head,
                                  label.shown if label else f"L{layer}.H{head}",
                                  label.reads if label else "", label.writes if label else "",
                                  np.asarray(pattern[0, head], np.float64),
                                  label.selector if label else ""))
    return tuple(views)


def _unit_views(model: Model, hidden: Sequence[np.ndarray]) -> tuple[tuple[UnitView, ...], ...]:
    layers = []
    for layer, activations in enumerate(hidden):
        names = model.neuron_labels[layer] if layer < len(model.neuron_labels) else ()
        acts = np.asarray(activations[0, 1:], np.float64)
        layers.append(tuple(
            UnitView(layer, k, names[k] if k < len(names) else f"L{layer}.U{k}", acts[:, k])
            for k in range(acts.shape[1])))
    return tuple(layers)


def summary(model: Model) -> dict:
    return {"layers": model.config.n_layers, "heads": model.n_heads, "d_model": model.config.d_model,
            "d_mlp": model.d_mlp, "params": model.n_params}


def analyze(model: Model, trace: Any, tokens: Sequence[Any]) -> LensReport:
    """The report for one traced input (``trace`` from ``runtime.engine.forward.trace``)."""
    points = []
    for point, residual in zip(trace.points, trace.residuals):
        rows = np.asarray(residual[0])[: len(tokens) + 1]
        logits, output, margin = logit_lens(model, rows, output_written(model, point, trace.points))
        points.append(PointReading(point, read_point(model, rows, point, trace.points), logits, output, margin))
    n = len(tokens) + 1
    patterns = [np.asarray(p)[:, :, :n, :n] for p in trace.patterns]
    hidden = [np.asarray(h)[:, :n] for h in trace.mlp_hidden]
    return LensReport(tuple(tokens), model.config.kind, model.config.output, model.config.output_encoding,
                      summary(model), tuple(points), _head_views(model, patterns), _unit_views(model, hidden),
                      model.source_names)


def padded_ids(model: Model, tokens: Sequence[Any]) -> np.ndarray:
    """One input's ids padded to the longest input (padding is masked out and
    dropped), so every input of one model has the same shapes and reuses the
    compiled operations."""
    ids = encode(model.config, tokens)
    padded = np.full(model.config.max_len + 1, PAD, np.int32)
    padded[:len(ids)] = ids
    return padded


def trace_of(cache: Cache) -> Trace:
    """The residuals, patterns and MLP activations of a cache, as ``analyze`` reads them."""
    points = cache.points()
    layers = range(cache.n_layers)
    return Trace(points, tuple(cache.residual(p) for p in points),
                 tuple(cache[block_hook(l, "attn.hook_pattern")] for l in layers),
                 tuple(cache[block_hook(l, "mlp.hook_post")] for l in layers))


def inspect(model: Model, tokens: Sequence[Any]) -> LensReport:
    """Run ``model`` on one input and read everything (InputError for a bad input)."""
    tokens = tuple(tokens)
    cache = run_with_cache(model.params, padded_ids(model, tokens), model.config)
    return analyze(model, trace_of(cache), tokens)


# ------------------------------------------------------------------ plain views

def _atom(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _round(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else round(float(value), digits)


def report_json(report: LensReport) -> dict:
    """The report as plain JSON (lists and numbers)."""
    return {
        "input": [_atom(t) for t in report.tokens],
        "model": {"kind": report.model_kind, "output": report.output_name,
                  "output_encoding": report.output_encoding, **report.summary},
        "output": [_atom(v) for v in report.final_output],
        "points": [{
            "point": p.point,
            "logit_lens": [_atom(v) for v in p.output],
            "margin": [_round(m) for m in p.margin],
            "subspaces": [{"name": s.name, "encoding": s.encoding, "writer": s.writer, "live": s.live,
                           "values": [_atom(v) for v in s.values],
                           "confidence": [_round(c) for c in s.confidence]} for s in p.subspaces],
        } for p in report.points],
        "heads": [{"layer": h.layer, "head": h.head, "selector": h.selector, "compiled": h.compiled,
                   "reads": h.reads, "writes": h.writes, "pattern": np.round(h.pattern, 6).tolist()} for h in report.heads],
        "variables": [{**n.to_json(), "shown": n.shown, "read_at": n.subspace or None} for n in report.names],
        "units": [[{"index": u.index, "label": u.label, "activations": np.round(u.activations, 6).tolist()}
                   for u in layer if np.max(u.activations, initial=0.0) > ACTIVE] for layer in report.units],
    }


#: How a cell with no value to read is shown in the text views.
NO_VALUE = "."


def shown_value(value: Any) -> str:
    if value is None:
        return NO_VALUE
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def shown_sequence(values: Sequence[Any]) -> str:
    return "[" + ", ".join(shown_value(v) for v in values) + "]"


def format_text(report: LensReport) -> str:
    """A terminal view: each s-op once, at the point after its writer; the logit
    lens at every point; each head's selector and where it attends."""
    lines = [f"input:  {shown_sequence(report.tokens)}",
             f"output: {report.output_name} = {shown_sequence(report.final_output)}", ""]
    if report.points[0].subspaces:
        lines.append("residual stream (each s-op read after the layer that writes it):")
        shown = {s.name: report.shown_name(s.name) for s in report.points[0].subspaces}
        width = min(max(len(name) for name in shown.values()), MAX_NAME_WIDTH)
        for subspace in report.points[0].subspaces:
            reading = report.reading(subspace.name, subspace.writer) if subspace.writer in \
                [p.point for p in report.points] else subspace
            low = [c for c in reading.confidence if c is not None and c < 0.5]
            note = f"  (low confidence at {len(low)} positions)" if low else ""
            lines.append(f"  {shown[subspace.name]:<{width}}  {reading.writer:<8} "
                         f"{shown_sequence(reading.values)}{note}")
        for name in report.absorbed:
            where = f"computed inside {name.computed_in}" if name.computed_in else "not computed by the model"
            lines.append(f"  {name.name:<{width}}  {name.computed_in or '-':<8} ({where}: no subspace of its own)"
                         + (f"  {name.source}  ({name.place})" if name.source else ""))
        lines.append("")
    lines.append("logit lens (the output read at every point; . where no value leads):")
    for point in report.points:
        lines.append(f"  {point.point:<8} {shown_sequence(undecided(point.output, point.margin))}")
    lines.append("")
    lines.append("attention heads (the keys each query attends to; 0 is BOS):")
    for head in report.heads:
        lines.append(f"  L{head.layer}.H{head.head}  {head.selector}  -> {head.writes or '?'}")
        lines.append(f"      {' '.join(attended_keys(head.pattern))}")
    return "\n".join(lines)


def undecided(values: Sequence[Any], margins: Sequence[float | None]) -> list[Any]:
    """A reading with no value (None: nothing written, or the top two logits tie) shows as '.'."""
    return [NO_VALUE if v is None or (m is not None and m <= TIE) else v for v, m in zip(values, margins)]


def attended_keys(pattern: np.ndarray) -> list[str]:
    """Per real query, the keys holding at least half of its largest weight."""
    shown = []
    for query in range(1, pattern.shape[0]):
        row = pattern[query]
        keys = [k for k in range(len(row)) if row[k] >= 0.5 * row.max()]
        shown.append(f"{query}:{{{','.join(str(k) for k in keys)}}}")
    return shown
