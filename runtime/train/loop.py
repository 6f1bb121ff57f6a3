"""The training loop: optax AdamW, warm-up then cosine decay to zero, early stop.

``train`` takes a ``State`` (parameters, optimiser state, the step reached, the
learning curve so far) and carries it on to ``Settings.steps``. Batches draw every
input length equally often (``length_balance``), or, for a corpus of
sentences, every input equally often. Everything random is fixed by the
seed: the batch of step k is drawn by a generator seeded with (seed, k), so a run
resumed from a checkpoint at step k draws the batches that the uninterrupted run
would have drawn, and follows the same curve.

With ``devices`` > 1 each batch is split over that many local devices along its
first axis (``jax.sharding``), parameters and optimiser state replicated: XLA
computes each device's share and sums the gradients, so the global batch, and
with it the learning curve, is the one device's.
"""
from __future__ import annotations

import math

import time
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from raspc.errors import InputError
from runtime.io import FINAL_NORM_TENSORS, LAYER_NORM_TENSORS
from runtime.train.data import Dataset, Split
from runtime.train.loss import Batch, Objective, correct_jit, total_loss
from runtime.train.settings import GROUPS, Settings

#: Validation and test sets are scored this many sequences at a time (one compiled shape).
EVAL_CHUNK = 512


@dataclass(frozen=True)
class State:
    """Where a run is: parameters, optimiser state, steps done, the learning curve
    (one record per evaluation), the training losses since the last record, and
    the seconds spent training so far. The loop replaces it whole after every step,
    so that an interruption always finds a consistent one."""

    params: Any
    opt_state: Any
    step: int = 0
    curve: tuple[dict, ...] = ()
    pending: tuple = ()
    seconds: float = 0.0


@dataclass(frozen=True)
class Score:
    """Accuracy on one set: whole sequences right, positions right, and whole
    sequences right for each input length (length, inputs, accuracy); for a
    numerical output also the mean absolute error over real positions (None for a
    categorical one), which says how far off a model is when few positions fall
    within the tolerance."""

    sequence_accuracy: float
    token_accuracy: float
    sequences: int
    by_length: tuple[tuple[int, int, float], ...] = ()
    mean_abs_error: float | None = None

    def to_json(self) -> dict:
        return {"sequence_accuracy": self.sequence_accuracy, "token_accuracy": self.token_accuracy,
                "sequences": self.sequences, "mean_abs_error": self.mean_abs_error,
                "by_length": [{"length": n, "inputs": c, "accuracy": a} for n, c, a in self.by_length]}


# ------------------------------------------------------------------ optimiser

def schedule(settings: Settings) -> optax.Schedule:
    warmup = max(1, int(round(settings.warmup * settings.steps)))
    return optax.warmup_cosine_decay_schedule(0.0, settings.learning_rate, warmup,
                                              max(settings.steps, warmup + 1), end_value=0.0)


def frozen_mask(params, frozen: Sequence[str]):
    """True for every tensor of a frozen group (``settings.GROUPS``), False elsewhere."""
    names = {name for group in frozen for name in GROUPS[group]}
    mask = {name: name in names for name in params if name != "layers"}
    mask["layers"] = [{name: name in names for name in layer} for layer in params["layers"]]
    return mask


def optimizer(settings: Settings) -> optax.GradientTransformation:
    """Clipped AdamW on the schedule, over all parameters as one vector (one fused
    update instead of one per tensor: a third less compile time and faster steps
    at these sizes)."""
    return optax.flatten(optax.chain(optax.clip_by_global_norm(settings.clip),
                                     optax.adamw(schedule(settings), weight_decay=settings.weight_decay)))


def initial_state(params, settings: Settings) -> State:
    params = jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float32), params)
    return State(params, optimizer(settings).init(params))


# ------------------------------------------------------------------ scoring

def score(params, split: Split, objective: Objective) -> Score:
    """Accuracy on a set, EVAL_CHUNK sequences at a time (the last chunk padded)."""
    if len(split) == 0:
        return Score(0.0, 0.0, 0)
    whole_parts, tokens_right, error = [], 0, 0.0
    width = used_width(split)
    for start in range(0, len(split), EVAL_CHUNK):
        ids, targets, mask = (_padded(a[start:start + EVAL_CHUNK, :width], EVAL_CHUNK, fill)
                              for a, fill in ((split.ids, -1), (split.targets, 0), (split.mask, False)))
        whole, right, missed = correct_jit(params, ids, targets, mask, objective)
        whole_parts.append(np.asarray(whole)[:min(EVAL_CHUNK, len(split) - start)])
        tokens_right += int(jnp.sum(right))
        error += float(jnp.sum(missed))
    whole = np.concatenate(whole_parts)
    lengths = split.lengths
    by_length = tuple((int(n), int(np.sum(lengths == n)), float(np.mean(whole[lengths == n])))
                      for n in np.unique(lengths))
    positions = max(int(split.mask.sum()), 1)
    return Score(float(whole.mean()), tokens_right / positions, len(split), by_length,
                 None if objective.categorical else error / positions)


def used_width(split: Split) -> int:
    """The positions a set needs: BOS and its longest input. Every position past
    it is padding in every row (masked as a key, not scored as a query), so the
    arrays are cut there: a corpus of tweets of at most 35 tokens at max_len 64
    costs about half as much per step."""
    return int(split.lengths.max()) + 1 if len(split) else split.ids.shape[1]


def _padded(array: np.ndarray, rows: int, fill) -> np.ndarray:
    if len(array) == rows:
        return array
    out = np.full((rows,) + array.shape[1:], fill, array.dtype)
    out[:len(array)] = array
    return out


# ------------------------------------------------------------------ placement

@dataclass(frozen=True)
class Placement:
    """Where arrays go: the batch split over the devices, everything else copied."""

    batch: NamedSharding | None
    replicated: NamedSharding | None


def placement(devices: int, batch_size: int) -> Placement:
    if devices == 1:
        return Placement(None, None)
    available = jax.local_devices()
    if devices > len(available):
        raise InputError(f"--devices {devices}: only {len(available)} local JAX device(s) "
                         f"({available[0].platform}) are available")
    if batch_size % devices:
        raise InputError(f"the batch size {batch_size} does not split evenly over {devices} devices")
    mesh = Mesh(np.asarray(available[:devices]), ("data",))
    return Placement(NamedSharding(mesh, PartitionSpec("data")), NamedSharding(mesh, PartitionSpec()))


def _put(tree, sharding):
    return tree if sharding is None else jax.device_put(tree, sharding)


# ------------------------------------------------------------------ the loop

def make_step(optimiser: optax.GradientTransformation, objective: Objective, frozen=None):
    """The jitted training step. ``frozen`` (a ``frozen_mask``) marks tensors that
    neither count towards the clipped gradient nor move (weight decay included)."""
    def hold(tree):
        if frozen is None:
            return tree
        return jax.tree_util.tree_map(lambda leaf, still: jnp.zeros_like(leaf) if still else leaf, tree, frozen)

    def step(params, opt_state, batch: Batch):
        (loss, _), grads = jax.value_and_grad(total_loss, has_aux=True)(params, batch, objective)
        updates, opt_state = optimiser.update(hold(grads), opt_state, params)
        return optax.apply_updates(params, hold(updates)), opt_state, loss
    return jax.jit(step)


@lru_cache(maxsize=32)
def step_function(settings: Settings, objective: Objective, n_layers: int, layer_norm: bool = False):
    """The step for these settings, made once: runs that differ only in their seed
    (``settings`` comes with seed 0) or their data share its compilations."""
    top, per_layer = ("token_embed", "pos_embed", "unembed"), GROUPS["attention"] + GROUPS["mlp"]
    if layer_norm:
        top, per_layer = top + FINAL_NORM_TENSORS, per_layer + LAYER_NORM_TENSORS
    skeleton = {name: None for name in top} | {"layers": [dict.fromkeys(per_layer) for _ in range(n_layers)]}
    frozen = frozen_mask(skeleton, settings.freeze) if settings.freeze else None
    return make_step(optimizer(settings), objective, frozen)


def length_balance(split: Split) -> np.ndarray:
    """Cumulative drawing weights over a set's rows that make every input length
    equally likely: a set of distinct inputs holds 16 of length 2 over four tokens
    and thousands of length 10, so rows drawn evenly would almost never be short."""
    lengths = split.lengths
    counts = np.bincount(lengths)
    weights = 1.0 / counts[lengths]
    return np.cumsum(weights / weights.sum())


def drawing_weights(data: Dataset) -> np.ndarray:
    """Cumulative drawing weights over the training rows: every length equally
    often (``length_balance``), or every row where the data says its lengths are
    the corpus's own (``Dataset.balance_lengths``)."""
    if data.balance_lengths:
        return length_balance(data.train)
    return np.arange(1, len(data.train) + 1) / len(data.train)


def batch_rows(seed: int, step: int, cumulative: np.ndarray, batch_size: int) -> np.ndarray:
    """The training rows of one step, drawn with replacement by the cumulative
    weights (``length_balance``) with a generator seeded with (seed, step), so that
    any step's batch can be drawn again."""
    draws = np.random.default_rng([seed, step]).random(batch_size) * cumulative[-1]
    return np.minimum(np.searchsorted(cumulative, draws, side="right"), len(cumulative) - 1)


def train(state: State, data: Dataset, objective: Objective, settings: Settings,
          patterns: Sequence[np.ndarray] = (),
          on_eval: Callable[[State, dict], None] | None = None,
          on_step: Callable[[int], None] | None = None,
          on_checkpoint: Callable[[State], None] | None = None) -> State:
    """Carry ``state`` on to ``settings.steps`` (or until the validation accuracy
    per sequence reaches ``settings.target``), and return the state reached.

    ``patterns``: per compiled layer, the compiled heads' patterns on every training
    input, for the attention loss. ``on_eval`` hears each learning-curve record,
    ``on_step`` each step done; ``on_checkpoint`` is given the state every
    ``checkpoint_every`` steps and when the run is interrupted (Ctrl-C), before the
    interruption goes on up.
    """
    where = placement(settings.devices, settings.batch_size)
    step_fn = step_function(replace(settings, seed=0), objective, len(state.params["layers"]),
                            FINAL_NORM_TENSORS[0] in state.params)
    state = replace(state, params=_put(state.params, where.replicated),
                    opt_state=_put(state.opt_state, where.replicated))
    train_set = data.train
    width = used_width(train_set)
    balance = drawing_weights(data)
    started = time.perf_counter() - state.seconds
    saved_at = state.step
    try:
        while True:
            if _evaluation_due(state, settings):
                state = _evaluated(state, data.validation, objective, started)
                if on_eval:
                    on_eval(state, state.curve[-1])
                if settings.target is not None and state.curve[-1]["validation_accuracy"] >= settings.target:
                    break
                if not math.isfinite(state.curve[-1]["loss"]):  # diverged: no step can bring it back
                    break
            if state.step >= settings.steps:
                break
            if on_checkpoint and settings.checkpoint_every and state.step % settings.checkpoint_every == 0 \
                    and state.step != saved_at:
                on_checkpoint(state)
                saved_at = state.step
            rows = batch_rows(settings.seed, state.step, balance, settings.batch_size)
            batch = Batch(train_set.ids[rows, :width], train_set.targets[rows, :width],
                          train_set.mask[rows, :width], tuple(p[rows][..., :width, :width] for p in patterns))
            params, opt_state, loss = step_fn(state.params, state.opt_state, _put(batch, where.batch))
            state = replace(state, params=params, opt_state=opt_state, step=state.step + 1,
                            pending=state.pending + (loss,), seconds=time.perf_counter() - started)
            if on_step:
                on_step(state.step)
    except KeyboardInterrupt:
        if on_checkpoint:
            on_checkpoint(replace(state, seconds=time.perf_counter() - started))
        raise
    return replace(state, seconds=time.perf_counter() - started)


def _evaluation_due(state: State, settings: Settings) -> bool:
    """A record is due at every ``eval_every``-th step and at the last, once."""
    due = state.step > 0 and (state.step % settings.eval_every == 0 or state.step >= settings.steps)
    return due and not (state.curve and state.curve[-1]["step"] == state.step)


def _evaluated(state: State, validation: Split, objective: Objective, started: float) -> State:
    """The state with one more learning-curve record: the mean training loss since
    the last record and the validation accuracy now."""
    mean_loss = float(np.mean([float(loss) for loss in state.pending])) if state.pending else float("nan")
    held = score(state.params, validation, objective)
    record = {"step": state.step, "loss": mean_loss, "validation_accuracy": held.sequence_accuracy,
              "validation_token_accuracy": held.token_accuracy,
              "seconds": round(time.perf_counter() - started, 3)}
    return replace(state, curve=state.curve + (record,), pending=())
