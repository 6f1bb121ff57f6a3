"""Activation patching: copy one component from the clean run into the corrupt run.

Two inputs of one length, ``clean`` and ``corrupt``. For each component and each
position (BOS, every token, and all positions at once) the corrupt input runs again
with that component's activation at that position taken from the clean run; the
change in the output says how much of the difference between the two answers flows
through it. Three kinds of component, each one grid:

* ``sublayer``: the token embedding and each attention and MLP sublayer's output
  (``hook_embed``, ``hook_attn_out``, ``hook_mlp_out``);
* ``head``: each head's output (its ``hook_z``);
* ``subspace``: on a compiled model, each s-op's directions of the residual stream,
  right after the sublayer that writes it.

Every patch of one kind runs as one batched pass (``runtime.engine.hooks.run_patched``).

Per patch: ``changed``, the number of positions whose answer differs from the
corrupt run's; ``restored``, how much of the clean-minus-corrupt difference came
back, summed over positions (0: none, 1: all). The difference at a position is, for a
categorical output, the clean answer's logit minus the corrupt answer's; for a
numerical one, the value itself, signed towards the clean value.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from raspc.errors import InputError
from runtime.engine.batching import encode
from runtime.engine.hooks import EMBED, Cache, block_hook, residual_hook, run_patched, run_with_cache
from runtime.lens.plots import Heatmap
from runtime.model import CATEGORICAL, Model
from runtime.outputs import decode, same_value

KINDS = ("sublayer", "head", "subspace")


@dataclass(frozen=True)
class PatchTarget:
    """One row of a grid: what is copied (``name``), what it is (``label``), and the
    hook it is copied at."""

    name: str
    label: str
    hook: str


@dataclass(frozen=True)
class PatchGrid:
    """Rows are targets, columns the positions patched (``BOS``, each token, ``all``)."""

    kind: str
    rows: tuple[PatchTarget, ...]
    columns: tuple[str, ...]
    restored: np.ndarray
    logit_difference: np.ndarray
    changed: np.ndarray
    outputs: tuple[tuple[tuple[Any, ...], ...], ...]

    def cell(self, row: str, column: str = "all") -> tuple[float, int]:
        r = [t.name for t in self.rows].index(row)
        c = self.columns.index(column)
        return float(self.restored[r, c]), int(self.changed[r, c])


@dataclass(frozen=True)
class PatchReport:
    clean: tuple[Any, ...]
    corrupt: tuple[Any, ...]
    clean_output: tuple[Any, ...]
    corrupt_output: tuple[Any, ...]
    grids: tuple[PatchGrid, ...]

    def grid(self, kind: str) -> PatchGrid:
        for grid in self.grids:
            if grid.kind == kind:
                return grid
        raise KeyError(kind)


# A target's mask: (patch mask array to fill, positions patched) -> None.
_Marker = Callable[[np.ndarray, Sequence[int]], None]


def _sublayer_targets(model: Model) -> list[tuple[PatchTarget, _Marker]]:
    def whole(mask, positions):
        mask[0, list(positions)] = True

    def written(point: str) -> str:
        names = [s.name for s in model.layout.subspaces if s.writer == point]
        return "writes " + ", ".join(names) if names else point

    targets = [(PatchTarget("embed", "token embedding", EMBED), whole)]
    for layer in range(model.config.n_layers):
        for sublayer, hook in (("attn", "hook_attn_out"), ("mlp", "hook_mlp_out")):
            point = f"L{layer}.{sublayer}"
            targets.append((PatchTarget(point, written(point), block_hook(layer, hook)), whole))
    return targets


def _head_targets(model: Model) -> list[tuple[PatchTarget, _Marker]]:
    labels = {(h.layer, h.head): h for h in model.head_labels}
    targets = []
    for layer, weights in enumerate(model.params["layers"]):
        for head in range(int(np.shape(weights["w_q"])[0])):
            label = labels.get((layer, head))
            text = f"{label.shown} -> {label.writes}" if label else f"L{layer}.H{head}"

            def mark(mask, positions, head=head):
                mask[0, list(positions), head] = True

            targets.append((PatchTarget(f"L{layer}.H{head}", text, block_hook(layer, "attn.hook_z")), mark))
    return targets


def _subspace_targets(model: Model) -> list[tuple[PatchTarget, _Marker]]:
    if model.config.n_layers == 0:
        return []
    targets = []
    for subspace in model.layout.subspaces:
        def mark(mask, positions, start=subspace.start, stop=subspace.stop):
            mask[0, list(positions), start:stop] = True

        targets.append((PatchTarget(subspace.name, f"written by {subspace.writer}",
                                    residual_hook(subspace.writer)), mark))
    return targets


_TARGETS = {"sublayer": _sublayer_targets, "head": _head_targets, "subspace": _subspace_targets}


def _differences(model: Model, logits: np.ndarray, clean: np.ndarray, corrupt: np.ndarray) -> np.ndarray:
    """Per run and position, the clean-versus-corrupt difference (module docstring);
    ``logits`` is (..., positions, n_outputs), ``clean``/``corrupt`` the two runs' (positions, n_outputs)."""
    if model.config.output_encoding == CATEGORICAL:
        a, b = np.argmax(clean, axis=-1), np.argmax(corrupt, axis=-1)
        positions = np.arange(clean.shape[0])
        return logits[..., positions, a] - logits[..., positions, b]
    return logits[..., 0] * np.sign(clean[:, 0] - corrupt[:, 0])


def _columns(tokens: Sequence[Any]) -> tuple[tuple[str, ...], list[list[int]]]:
    n = len(tokens)
    names = ("BOS",) + tuple(f"{k}:{t}" for k, t in enumerate(tokens)) + ("all",)
    positions = [[p] for p in range(n + 1)] + [list(range(n + 1))]
    return names, positions


def patch_grid(model: Model, kind: str, clean_ids: np.ndarray, corrupt_ids: np.ndarray,
               clean_cache: Cache, corrupt_cache: Cache) -> PatchGrid | None:
    """One kind's grid (None when the model has no such component)."""
    targets = _TARGETS[kind](model)
    if not targets:
        return None
    n = len(clean_ids) - 1
    tokens_shown = [model.config.vocab[int(i)] for i in clean_ids[1:]]
    columns, position_sets = _columns(tokens_shown)
    patches = len(targets) * len(columns)
    masks: dict[str, np.ndarray] = {}
    for r, (target, mark) in enumerate(targets):
        if target.hook not in masks:
            shape = clean_cache[target.hook].shape
            masks[target.hook] = np.zeros((patches,) + shape, bool)
        for c, positions in enumerate(position_sets):
            mark(masks[target.hook][r * len(columns) + c], positions)
    sources = {hook: clean_cache[hook] for hook in masks}
    patched = run_patched(model.params, corrupt_ids, model.config, sources, masks)
    logits = np.asarray(patched.logits[:, 0, 1:n + 1], np.float64)        # (patches, n, outputs)
    clean = np.asarray(clean_cache.logits[0, 1:n + 1], np.float64)
    corrupt = np.asarray(corrupt_cache.logits[0, 1:n + 1], np.float64)
    base = _differences(model, corrupt, clean, corrupt).sum()
    gap = _differences(model, clean, clean, corrupt).sum() - base
    moved = _differences(model, logits, clean, corrupt).sum(axis=-1) - base
    restored = moved / gap if abs(gap) > 1e-9 else np.zeros_like(moved)
    corrupt_output = decode(model.config, corrupt).values
    outputs, changed = [], []
    for k in range(patches):
        values = decode(model.config, logits[k]).values
        outputs.append(tuple(values))
        changed.append(sum(not same_value(c, v) for c, v in zip(corrupt_output, values)))
    shape = (len(targets), len(columns))
    rows_out = tuple(tuple(outputs[r * len(columns):(r + 1) * len(columns)]) for r in range(len(targets)))
    return PatchGrid(kind, tuple(t for t, _ in targets), columns, restored.reshape(shape),
                     moved.reshape(shape), np.asarray(changed).reshape(shape), rows_out)


def patch(model: Model, clean: Sequence[Any], corrupt: Sequence[Any],
          kinds: Sequence[str] = KINDS) -> PatchReport:
    """Every grid of ``kinds`` for one pair of inputs of equal length (InputError
    otherwise); ``subspace`` only where the model has a layout."""
    clean, corrupt = tuple(clean), tuple(corrupt)
    clean_ids, corrupt_ids = encode(model.config, clean), encode(model.config, corrupt)
    if len(clean) != len(corrupt):
        raise InputError(f"the clean input has {len(clean)} tokens and the corrupt one {len(corrupt)}: "
                         "patching copies position by position, so they need the same length")
    clean_cache = run_with_cache(model.params, clean_ids, model.config)
    corrupt_cache = run_with_cache(model.params, corrupt_ids, model.config)
    grids = []
    for kind in kinds:
        if kind not in KINDS:
            raise InputError(f"unknown patch kind {kind!r}; the kinds are {', '.join(KINDS)}")
        grid = patch_grid(model, kind, clean_ids, corrupt_ids, clean_cache, corrupt_cache)
        if grid is not None:
            grids.append(grid)
    n = len(clean)
    clean_output = decode(model.config, clean_cache.logits[0, 1:n + 1]).values
    corrupt_output = decode(model.config, corrupt_cache.logits[0, 1:n + 1]).values
    return PatchReport(clean, corrupt, tuple(clean_output), tuple(corrupt_output), tuple(grids))


def _sequence(values: Sequence[Any]) -> str:
    return "[" + ", ".join(str(v) if not isinstance(v, float) else f"{v:.3g}" for v in values) + "]"


def patch_heatmaps(report: PatchReport) -> list[Heatmap]:
    """One heatmap per grid: the share restored per cell, the number of changed
    answers written in it."""
    maps = []
    for grid in report.grids:
        tips, text = [], []
        for r, target in enumerate(grid.rows):
            tips.append(tuple(
                f"{target.name} ({target.label}) from the clean run at {column}: restored "
                f"{grid.restored[r, c]:+.3f}, logit difference {grid.logit_difference[r, c]:+.4g}, "
                f"output {_sequence(grid.outputs[r][c])}, {grid.changed[r, c]} answer(s) changed"
                for c, column in enumerate(grid.columns)))
            text.append(tuple(str(k) if k else "" for k in grid.changed[r]))
        maps.append(Heatmap(f"patching_{grid.kind}", f"Patching each {grid.kind} from clean into corrupt",
                            tuple(t.name for t in grid.rows), grid.columns, grid.restored, scale="signed",
                            text=tuple(text), tips=tuple(tips), row_title=grid.kind,
                            column_title="position patched",
                            caption="Colour: the share of the clean-minus-corrupt logit difference restored "
                                    "(blue 1, red negative); numbers: answers that changed."))
    return maps


def patch_json(report: PatchReport) -> dict:
    def atoms(values):
        return [v.item() if isinstance(v, np.generic) else v for v in values]

    return {"clean": atoms(report.clean), "corrupt": atoms(report.corrupt),
            "clean_output": atoms(report.clean_output), "corrupt_output": atoms(report.corrupt_output),
            "grids": [{"kind": g.kind, "columns": list(g.columns),
                       "rows": [{"name": t.name, "label": t.label, "hook": t.hook} for t in g.rows],
                       "restored": np.round(g.restored, 6).tolist(),
                       "logit_difference": np.round(g.logit_difference, 6).tolist(),
                       "changed": np.asarray(g.changed).tolist(),
                       "outputs": [[atoms(o) for o in row] for row in g.outputs]} for g in report.grids]}
