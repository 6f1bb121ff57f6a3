"""Direct attribution: who wrote the answer's logit.

Without layer norm the final residual is a plain sum: the token embedding, the
position embedding, each head's write (its ``hook_z`` through its ``w_o``) and each
MLP's output (its bias included). The unembedding is linear, so the answer's logit at
each position is the sum of each term's dot product with the answer's unembedding
column, exactly: ``Attribution.contributions`` sums over components to
``Attribution.logit``. An MLP's term splits further over its hidden units (and its
bias); the units that contribute most are kept with their labels.

On a compiled model a head is labelled by the selector it implements and an MLP by
the s-ops it writes, its units by their rules; elsewhere by their place (``L0.H1``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from runtime.engine.hooks import EMBED, POS_EMBED, Cache, block_hook, head_results
from runtime.lens.logit_lens import position_labels
from runtime.lens.plots import Heatmap
from runtime.model import CATEGORICAL, LAYER_NORM_EPS, Model

#: Units kept per MLP, the largest contributions first.
UNITS_KEPT = 5


@dataclass(frozen=True)
class Component:
    """One term of the residual sum: ``kind`` is ``embed``, ``head`` or ``mlp``."""

    name: str
    kind: str
    layer: int | None
    label: str


@dataclass(frozen=True)
class UnitTerm:
    """One MLP hidden unit's share of its MLP's term, per position."""

    layer: int
    index: int
    label: str
    contribution: np.ndarray


@dataclass(frozen=True)
class Attribution:
    """Per position (BOS left out): the answer explained, its logit, and each
    component's contribution (components, positions)."""

    tokens: tuple[Any, ...]
    answer: tuple[Any, ...]
    answer_column: np.ndarray
    logit: np.ndarray
    components: tuple[Component, ...]
    contributions: np.ndarray
    units: tuple[UnitTerm, ...]

    def total(self) -> np.ndarray:
        return self.contributions.sum(axis=0)

    def of(self, name: str) -> np.ndarray:
        return self.contributions[[c.name for c in self.components].index(name)]


def _head_label(model: Model, layer: int, head: int) -> str:
    for label in model.head_labels:
        if label.layer == layer and label.head == head:
            return f"{label.shown} -> {label.writes}" if label.writes else label.shown
    return f"L{layer}.H{head}"


def _mlp_label(model: Model, layer: int) -> str:
    written = [s.name for s in model.layout.subspaces if s.writer == f"L{layer}.mlp"]
    return "writes " + ", ".join(written) if written else f"L{layer}.mlp"


def _unit_label(model: Model, layer: int, index: int) -> str:
    names = model.neuron_labels[layer] if layer < len(model.neuron_labels) else ()
    return names[index] if index < len(names) else f"L{layer}.U{index}"


def answer_columns(model: Model, final_logits: np.ndarray) -> np.ndarray:
    """The unembedding column of the model's answer at each position: the top
    value (categorical), the one output column (numerical)."""
    if model.config.output_encoding == CATEGORICAL:
        return np.argmax(final_logits, axis=-1)
    return np.zeros(final_logits.shape[0], int)


def _final_scale(model: Model, cache: Cache, row: int, real: slice) -> np.ndarray:
    """The final layer norm's divisor at each real position (n, 1): the residual's
    standard deviation across its directions, epsilon added, as the norm takes it."""
    if model.config.n_layers:
        final = cache[block_hook(model.config.n_layers - 1, "hook_resid_post")][row, real]
    else:
        final = cache[EMBED][row, real] + cache[POS_EMBED][row, real]
    final = np.asarray(final, np.float64)
    centred = final - final.mean(axis=-1, keepdims=True)
    return np.sqrt((centred * centred).mean(axis=-1, keepdims=True) + LAYER_NORM_EPS)


def attribute(model: Model, cache: Cache, tokens: Sequence[Any], row: int = 0,
              columns: np.ndarray | None = None) -> Attribution:
    """Each component's contribution to the logit of the answer (or of ``columns``,
    one unembedding column per position) at every position of batch row ``row``."""
    n = len(tokens)
    real = slice(1, n + 1)
    params = model.params
    unembed = np.asarray(params["unembed"], np.float64)
    logits = np.asarray(cache.logits[row, real], np.float64)
    columns = answer_columns(model, logits) if columns is None else np.asarray(columns, int)
    directions = unembed[:, columns].T                                    # (n, d_model)
    normed = "ln_final_w" in params
    if normed:  # the final layer norm folded in: its scale at each position, its weight
        directions = directions * np.asarray(params["ln_final_w"], np.float64) / _final_scale(model, cache, row, real)

    def along(term: np.ndarray) -> np.ndarray:                             # (n, d) -> (n,)
        term = np.asarray(term, np.float64)
        if normed:
            term = term - term.mean(axis=-1, keepdims=True)
        return np.einsum("pd,pd->p", term, directions)

    components = [Component("embed.tokens", "embed", None, "token embedding"),
                  Component("embed.positions", "embed", None, "position embedding")]
    terms = [along(cache[EMBED][row, real]), along(cache[POS_EMBED][row, real])]
    units = []
    for layer in range(model.config.n_layers):
        heads = head_results(cache, params, layer)[row, real]              # (n, heads, d)
        for head in range(heads.shape[1]):
            components.append(Component(f"L{layer}.H{head}", "head", layer, _head_label(model, layer, head)))
            terms.append(along(heads[:, head]))
        components.append(Component(f"L{layer}.mlp", "mlp", layer, _mlp_label(model, layer)))
        terms.append(along(cache[block_hook(layer, "hook_mlp_out")][row, real]))
        units += _top_units(model, cache, layer, row, real, directions)
    contributions = np.stack(terms)
    answer = tuple(_answer_value(model, logits, columns))
    return Attribution(tuple(tokens), answer, columns, logits[np.arange(n), columns], tuple(components),
                       contributions, tuple(units))


def _top_units(model: Model, cache: Cache, layer: int, row: int, real: slice,
               directions: np.ndarray) -> list[UnitTerm]:
    post = np.asarray(cache[block_hook(layer, "mlp.hook_post")][row, real], np.float64)   # (n, d_mlp)
    w_out = np.asarray(model.params["layers"][layer]["w_out"], np.float64)                # (d_mlp, d)
    shares = post * (directions @ w_out.T)                                                 # (n, d_mlp)
    order = np.argsort(-np.abs(shares).max(axis=0, initial=0.0), kind="stable")[:UNITS_KEPT]
    return [UnitTerm(layer, int(k), _unit_label(model, layer, int(k)), shares[:, k])
            for k in order if np.abs(shares[:, k]).max() > 0]


def _answer_value(model: Model, logits: np.ndarray, columns: np.ndarray) -> list[Any]:
    config = model.config
    if config.output_encoding == CATEGORICAL:
        labels = config.output_values or tuple(range(logits.shape[-1]))
        return [labels[int(c)] for c in columns]
    return [float(v) for v in logits[:, 0]]


def attribution_json(attribution: Attribution) -> dict:
    return {"answer": [a.item() if isinstance(a, np.generic) else a for a in attribution.answer],
            "logit": np.round(attribution.logit, 6).tolist(),
            "components": [{"name": c.name, "kind": c.kind, "layer": c.layer, "label": c.label,
                            "contribution": np.round(attribution.contributions[k], 6).tolist()}
                           for k, c in enumerate(attribution.components)],
            "units": [{"layer": u.layer, "index": u.index, "label": u.label,
                       "contribution": np.round(u.contribution, 6).tolist()} for u in attribution.units]}


def attribution_heatmap(attribution: Attribution, suffix: str = "") -> Heatmap:
    """Components by positions, each cell the component's share of the answer's logit."""
    columns = position_labels(attribution.tokens)
    tips = tuple(tuple(f"{c.name} ({c.label}) at position {p}: {attribution.contributions[r, p]:+.4g} "
                       f"of the logit {attribution.logit[p]:.4g} for {attribution.answer[p]!r}"
                       for p in range(len(columns))) for r, c in enumerate(attribution.components))
    return Heatmap(f"attribution{suffix}", "Direct attribution of the answer's logit",
                   tuple(c.name for c in attribution.components), columns, attribution.contributions,
                   scale="signed", tips=tips, row_title="component", column_title="position",
                   caption="Blue raises the answer's logit, red lowers it; each column sums to the logit.")
