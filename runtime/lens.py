"""The lens: read a model's residual stream, attention and MLP units as RASP values.

Given a model and one input, ``inspect`` runs a traced forward pass and reads:

* every layout subspace at every residual point (``embed``, after each layer's
  attention, after each MLP) decoded into its RASP value: a categorical s-op by the
  argmax over its value directions, with a confidence (the gap between the top
  coordinate and the runner-up: 1 for a clean one-hot), a numerical one as the
  coordinate itself;
* the logit lens: the unembedding applied at every point, so one sees when the
  output s-op becomes readable;
* every head's attention pattern, labelled with the selector it implements;
* every MLP unit's activation, labelled with what it computes.

A trained model has no layout (its residual has no names yet): the lens then
gives the logit lens, the patterns and the units. ``render_html`` turns the
report into one self-contained page (inline SVG heatmaps, no scripts, no
downloads); ``format_text`` and ``report_json`` serve the command line.

    >>> report = inspect(model, "abcd")                 # doctest: +SKIP
    >>> report.reading("reverse", "L1.attn").values     # doctest: +SKIP
    ('d', 'c', 'b', 'a')
"""
from __future__ import annotations

import html
import math
import os
import tempfile
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from runtime.engine.batching import encode
from runtime.engine.dense import trace
from runtime.model import CATEGORICAL, Model, Subspace

#: Units whose activation never exceeds this are left out of the report's tables.
ACTIVE = 1e-6
#: At most this many units per layer in the HTML report (the most active ones).
MAX_UNITS_SHOWN = 120


# ------------------------------------------------------------------ data

@dataclass(frozen=True)
class SubspaceReading:
    """One s-op's subspace at one residual point, position by position (BOS left out).

    ``live`` says whether the s-op has been written by this point (and not yet
    overwritten by another s-op sharing its directions); before that the values are
    whatever the directions hold, usually nothing.
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
    """One attention head: its label and its pattern (queries x keys, BOS included)."""

    layer: int
    head: int
    selector: str
    reads: str
    writes: str
    pattern: np.ndarray


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

def decode_subspace(subspace: Subspace, rows: np.ndarray) -> tuple[tuple, tuple]:
    """The values a subspace holds in ``rows`` (positions, d_model), with confidences."""
    block = np.asarray(rows, np.float64)[:, subspace.start:subspace.stop]
    if subspace.encoding != CATEGORICAL:
        values = tuple(float(v) for v in block[:, 0]) if block.shape[1] else ()
        return values, tuple(None for _ in values)
    if block.shape[1] == 0:
        return (), ()
    labels = subspace.values or tuple(range(block.shape[1]))
    top = np.argmax(block, axis=1)
    ordered = np.sort(block, axis=1)
    runner_up = ordered[:, -2] if block.shape[1] > 1 else np.zeros(len(block))
    confidence = ordered[:, -1] - runner_up
    return tuple(labels[int(k)] for k in top), tuple(float(c) for c in confidence)


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
        readings.append(SubspaceReading(subspace.name, subspace.encoding, subspace.writer,
                                        _live(subspace, subspaces, at, order), values, confidence))
    return tuple(readings)


def logit_lens(model: Model, residual: np.ndarray) -> tuple[np.ndarray, tuple, tuple]:
    """The unembedding applied to one residual (positions, d; BOS first):
    logits, decoded output and margins for positions 1..n."""
    unembed = np.asarray(model.params["unembed"], np.float64)
    logits = np.asarray(residual, np.float64)[1:] @ unembed
    config = model.config
    if config.output_encoding == CATEGORICAL:
        labels = config.output_values or tuple(range(logits.shape[1]))
        top = np.argmax(logits, axis=1)
        ordered = np.sort(logits, axis=1)
        margins = ordered[:, -1] - (ordered[:, -2] if logits.shape[1] > 1 else 0.0)
        return logits, tuple(labels[int(k)] for k in top), tuple(float(m) for m in margins)
    values = tuple(float(v) for v in logits[:, 0])
    return logits, values, tuple(None for _ in values)


def _head_views(model: Model, patterns: Sequence[np.ndarray]) -> tuple[HeadView, ...]:
    labels = {(h.layer, h.head): h for h in model.head_labels}
    views = []
    for layer, pattern in enumerate(patterns):
        for head in range(pattern.shape[1]):
            label = labels.get((layer, head))
            views.append(HeadView(layer, head,
                                  label.selector if label else f"L{layer}.H{head}",
                                  label.reads if label else "", label.writes if label else "",
                                  np.asarray(pattern[0, head], np.float64)))
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
        logits, output, margin = logit_lens(model, rows)
        points.append(PointReading(point, read_point(model, rows, point, trace.points), logits, output, margin))
    n = len(tokens) + 1
    patterns = [np.asarray(p)[:, :, :n, :n] for p in trace.patterns]
    hidden = [np.asarray(h)[:, :n] for h in trace.mlp_hidden]
    return LensReport(tuple(tokens), model.config.kind, model.config.output, model.config.output_encoding,
                      summary(model), tuple(points), _head_views(model, patterns), _unit_views(model, hidden))


def inspect(model: Model, tokens: Sequence[Any]) -> LensReport:
    """Run ``model`` on one input and read everything (InputError for a bad input)."""
    if isinstance(tokens, str):
        tokens = tuple(tokens)
    ids = encode(model.config, tokens)
    # Padded to the longest input (padding is masked out and dropped), so every
    # input of one model has the same shapes and reuses the compiled operations.
    padded = np.full(model.config.max_len + 1, -1, np.int32)
    padded[:len(ids)] = ids
    return analyze(model, trace(model.params, padded, model.config), tuple(tokens))


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
        "heads": [{"layer": h.layer, "head": h.head, "selector": h.selector, "reads": h.reads,
                   "writes": h.writes, "pattern": np.round(h.pattern, 6).tolist()} for h in report.heads],
        "units": [[{"index": u.index, "label": u.label, "activations": np.round(u.activations, 6).tolist()}
                   for u in layer if np.max(u.activations, initial=0.0) > ACTIVE] for layer in report.units],
    }


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def _sequence(values: Sequence[Any]) -> str:
    return "[" + ", ".join(_shown(v) for v in values) + "]"


def format_text(report: LensReport) -> str:
    """A terminal view: each s-op once, at the point after its writer; the logit
    lens at every point; each head's selector and where it attends."""
    lines = [f"input:  {_sequence(report.tokens)}",
             f"output: {report.output_name} = {_sequence(report.final_output)}", ""]
    if report.points[0].subspaces:
        lines.append("residual stream (each s-op read after the layer that writes it):")
        width = max(len(s.name) for s in report.points[0].subspaces)
        for subspace in report.points[0].subspaces:
            reading = report.reading(subspace.name, subspace.writer) if subspace.writer in \
                [p.point for p in report.points] else subspace
            low = [c for c in reading.confidence if c is not None and c < 0.5]
            note = f"  (low confidence at {len(low)} positions)" if low else ""
            lines.append(f"  {reading.name:<{width}}  {reading.writer:<8} {_sequence(reading.values)}{note}")
        lines.append("")
    lines.append("logit lens (the output read at every point; . where no value leads):")
    for point in report.points:
        lines.append(f"  {point.point:<8} {_sequence(_undecided(point.output, point.margin))}")
    lines.append("")
    lines.append("attention heads (the keys each query attends to; 0 is BOS):")
    for head in report.heads:
        lines.append(f"  L{head.layer}.H{head.head}  {head.selector}  -> {head.writes or '?'}")
        lines.append(f"      {' '.join(attended_keys(head.pattern))}")
    return "\n".join(lines)


def _undecided(values: Sequence[Any], margins: Sequence[float | None]) -> list[Any]:
    """A categorical reading whose top two logits tie shows as '.'."""
    return ["." if m is not None and m <= 1e-9 else v for v, m in zip(values, margins)]


def attended_keys(pattern: np.ndarray) -> list[str]:
    """Per real query, the keys holding at least half of its largest weight."""
    shown = []
    for query in range(1, pattern.shape[0]):
        row = pattern[query]
        keys = [k for k in range(len(row)) if row[k] >= 0.5 * row.max()]
        shown.append(f"{query}:{{{','.join(str(k) for k in keys)}}}")
    return shown


# ------------------------------------------------------------------ HTML

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1400px; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.85em; }
td, th { border: 1px solid #ddd; padding: 2px 6px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.dead { color: #bbb; } td.low { background: #fff1d6; }
code { font-family: ui-monospace, monospace; } .heads { display: flex; flex-wrap: wrap; gap: 1.5em; }
.head { border: 1px solid #ddd; padding: 0.5em; } .head p { margin: 0.2em 0; font-size: 0.85em; }
.note { color: #666; font-size: 0.85em; }
"""


def _e(value: Any) -> str:
    return html.escape(_shown(value) if not isinstance(value, str) else value)


def _heatmap_svg(pattern: np.ndarray, tokens: Sequence[Any], cell: int = 22) -> str:
    """A queries x keys heatmap (BOS first) as inline SVG, one rect per weight."""
    labels = ["BOS"] + [_shown(t) for t in tokens]
    n = len(labels)
    margin = 8 * max(len(l) for l in labels) + 10
    size = margin + n * cell
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
             f'role="img" aria-label="attention pattern">']
    for k, label in enumerate(labels):
        x = margin + k * cell + cell / 2
        y = margin + k * cell + cell / 2
        parts.append(f'<text x="{x:.0f}" y="{margin - 4}" font-size="11" text-anchor="middle">'
                     f'{html.escape(label)}</text>')
        parts.append(f'<text x="{margin - 4}" y="{y + 4:.0f}" font-size="11" text-anchor="end">'
                     f'{html.escape(label)}</text>')
    for q in range(n):
        for k in range(n):
            weight = float(np.clip(pattern[q, k], 0.0, 1.0))
            shade = int(round(255 * (1 - weight)))
            parts.append(f'<rect x="{margin + k * cell}" y="{margin + q * cell}" width="{cell - 1}" '
                         f'height="{cell - 1}" fill="rgb({shade},{shade},255)">'
                         f'<title>query {q} ({html.escape(labels[q])}) -&gt; key {k} '
                         f'({html.escape(labels[k])}): {pattern[q, k]:.4f}</title></rect>')
    parts.append("</svg>")
    return "".join(parts)


def _residual_table(report: LensReport) -> list[str]:
    if not report.points[0].subspaces:
        return ["<p class=note>This model has no residual layout (a trained model): the logit lens, "
                "the attention patterns and the MLP units are shown.</p>"]
    out = ["<table><tr><th>s-op</th><th>encoding</th><th>written by</th>"]
    out += [f"<th>{html.escape(p.point)}</th>" for p in report.points]
    out.append("</tr>")
    for k, subspace in enumerate(report.points[0].subspaces):
        out.append(f"<tr><td><code>{html.escape(subspace.name)}</code></td><td>{subspace.encoding}</td>"
                   f"<td>{html.escape(subspace.writer)}</td>")
        for point in report.points:
            reading = point.subspaces[k]
            low = any(c is not None and c < 0.5 for c in reading.confidence)
            css = "dead" if not reading.live else ("low" if low else "")
            known = [c for c in reading.confidence if c is not None]
            tip = (' title="confidence: ' + ", ".join(f"{c:.3f}" for c in known) + '"') if known else ""
            css_attr = f' class="{css}"' if css else ""
            out.append(f"<td{css_attr}{tip}>{html.escape(_sequence(reading.values))}</td>")
        out.append("</tr>")
    out.append("</table><p class=note>Grey: not yet written at that point. Orange: a categorical "
               "reading whose top direction leads the runner-up by less than 0.5. Hover for confidences.</p>")
    return out


def _logit_table(report: LensReport) -> list[str]:
    out = ["<table><tr><th>point</th>"]
    out += [f"<th>{k} <code>{html.escape(_shown(t))}</code></th>" for k, t in enumerate(report.tokens)]
    out.append("</tr>")
    for point in report.points:
        out.append(f"<tr><th>{html.escape(point.point)}</th>")
        for value, margin in zip(_undecided(point.output, point.margin), point.margin):
            tip = "" if margin is None else f' title="margin {margin:.4g}"'
            out.append(f"<td{tip}>{_e(value)}</td>")
        out.append("</tr>")
    out.append("</table>")
    return out


def _units_table(layer: Sequence[UnitView], tokens: Sequence[Any]) -> list[str]:
    active = [u for u in layer if np.max(u.activations, initial=0.0) > ACTIVE]
    if not layer:
        return ["<p class=note>no MLP units</p>"]
    shown = sorted(active, key=lambda u: -float(np.max(u.activations)))[:MAX_UNITS_SHOWN]
    shown.sort(key=lambda u: u.index)
    out = [f"<p class=note>{len(active)} of {len(layer)} units active on this input"
           + (f"; the {len(shown)} most active shown" if len(shown) < len(active) else "") + ".</p>"]
    if not shown:
        return out
    out.append("<table><tr><th>unit</th><th>label</th>")
    out += [f"<th><code>{html.escape(_shown(t))}</code></th>" for t in tokens]
    out.append("</tr>")
    for unit in shown:
        out.append(f"<tr><td>{unit.index}</td><td>{html.escape(unit.label)}</td>")
        out += [f"<td>{a:.3g}</td>" for a in unit.activations]
        out.append("</tr>")
    out.append("</table>")
    return out


def render_html(report: LensReport, title: str | None = None) -> str:
    """One self-contained HTML page: summary, residual stream, logit lens, heads, units."""
    title = title or f"raspc lens: {report.output_name} on {_sequence(report.tokens)}"
    facts = ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in report.summary.items())
    out = ["<!DOCTYPE html><html><head><meta charset='utf-8'>",
           f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
           f"<h1>{html.escape(title)}</h1>",
           f"<p>{html.escape(report.model_kind)} model; {html.escape(facts)}.</p>",
           f"<p>input <code>{html.escape(_sequence(report.tokens))}</code> &rarr; "
           f"<code>{html.escape(report.output_name)}</code> = "
           f"<code>{html.escape(_sequence(report.final_output))}</code></p>",
           "<h2>Residual stream, read as RASP values</h2>"]
    out += _residual_table(report)
    out.append("<h2>Logit lens: the output read at every point</h2>")
    out += _logit_table(report)
    out.append("<h2>Attention patterns</h2><p class=note>Rows are queries, columns keys; "
               "BOS first. Darker is more weight.</p>")
    for layer in sorted({h.layer for h in report.heads}):
        out.append(f"<h3>Layer {layer}</h3><div class=heads>")
        for head in (h for h in report.heads if h.layer == layer):
            out.append(f"<div class=head><p><b>L{head.layer}.H{head.head}</b> "
                       f"<code>{html.escape(head.selector)}</code></p>"
                       + (f"<p>reads <code>{html.escape(head.reads)}</code>, writes "
                          f"<code>{html.escape(head.writes)}</code></p>" if head.writes else "")
                       + _heatmap_svg(head.pattern, report.tokens) + "</div>")
        out.append("</div>")
    out.append("<h2>MLP units</h2>")
    for layer, units in enumerate(report.units):
        out.append(f"<h3>Layer {layer}</h3>")
        out += _units_table(units, report.tokens)
    out.append("</body></html>")
    return "\n".join(out)


def write_html(report: LensReport, path: str, title: str | None = None) -> None:
    """Write the report page (atomically: a reader never sees half a page)."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=".lens.", suffix=".html", dir=folder)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(render_html(report, title))
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(temporary, 0o666 & ~mask)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
