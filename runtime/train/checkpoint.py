"""Checkpoints: a training run's whole state in one safetensors file.

The tensors are the parameters (``params.`` and the model file's dotted names)
and the optimiser state's leaves in pytree order (``opt.0``, ``opt.1``, ...). The
metadata holds, as JSON, the step reached, the learning curve, the training losses
since its last record (so that a resumed run's next record averages the same
steps as an uninterrupted run's), the seconds spent,
the training settings and a ``run`` object that says what was trained (program,
shape, data digest: whatever the caller needs to check before it resumes), and a
digest of that JSON and of every tensor, so that a damaged checkpoint is refused
instead of resumed. Files are written atomically (temporary file, fsync, rename),
so an interruption while writing leaves the previous checkpoint whole.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import numpy as np

from raspc.errors import RaspcError
from runtime.io import content_digest, flatten_params, unflatten_params, write_atomically
from runtime.train.loop import State, optimizer
from runtime.train.settings import Settings

CHECKPOINT_KEY = "raspc_checkpoint"
DIGEST_KEY = "raspc_sha256"
VERSION = 1


class CheckpointError(RaspcError):
    """A checkpoint that cannot be written, read, or resumed."""


@dataclass(frozen=True)
class Checkpoint:
    """A loaded checkpoint: the state to resume, its settings, and the ``run`` record."""

    state: State
    settings: Settings
    run: dict


def _tensors(state: State) -> dict[str, np.ndarray]:
    tensors = {f"params.{name}": array for name, array in flatten_params(jax.device_get(state.params)).items()}
    for index, leaf in enumerate(jax.tree_util.tree_leaves(state.opt_state)):
        tensors[f"opt.{index}"] = np.array(jax.device_get(leaf), order="C")  # 0-d stays 0-d
    return tensors


def checkpoint_bytes(state: State, settings: Settings, run: dict) -> bytes:
    from safetensors.numpy import save

    tensors = _tensors(state)
    text = json.dumps({"version": VERSION, "step": state.step, "curve": list(state.curve),
                       "pending": [float(loss) for loss in state.pending], "seconds": state.seconds,
                       "settings": settings.to_json(), "run": run}, sort_keys=True)
    return save(tensors, metadata={CHECKPOINT_KEY: text, DIGEST_KEY: content_digest(text, tensors)})


def save_checkpoint(state: State, settings: Settings, run: dict, path: str) -> None:
    """Write the state atomically (CheckpointError when the place cannot be written)."""
    data = checkpoint_bytes(state, settings, run)
    try:
        write_atomically(path, data)
    except OSError as failure:
        raise CheckpointError(f"cannot write the checkpoint {path}: {failure.strerror or failure}") from None


def _read(path: str) -> tuple[dict, dict[str, np.ndarray]]:
    from safetensors.numpy import load

    target = Path(path)
    if not target.is_file():
        raise CheckpointError(f"no checkpoint to resume at {path}")
    data = target.read_bytes()
    damaged = f"the checkpoint {path} is damaged and cannot be resumed"
    try:
        tensors = {name: np.array(a, copy=True) for name, a in load(data).items()}
        header_length = int.from_bytes(data[:8], "little")
        metadata = json.loads(data[8:8 + header_length].decode("utf-8")).get("__metadata__") or {}
    except Exception:  # safetensors and json report damage with their own exception types
        raise CheckpointError(f"{damaged} (not a readable safetensors file)") from None
    text, digest = metadata.get(CHECKPOINT_KEY), metadata.get(DIGEST_KEY)
    if not isinstance(text, str) or not isinstance(digest, str):
        raise CheckpointError(f"{path} is not a raspc training checkpoint")
    if content_digest(text, tensors) != digest:
        raise CheckpointError(f"{damaged} (its contents do not match the digest written with it)")
    description = json.loads(text)
    if description.get("version") != VERSION:
        raise CheckpointError(f"{path} is checkpoint version {description.get('version')!r}; "
                              f"this raspc reads version {VERSION}")
    return description, tensors


def load_checkpoint(path: str) -> Checkpoint:
    """The state saved at ``path``, with its optimiser state rebuilt in the shape
    the settings' optimiser has (CheckpointError when anything does not fit)."""
    description, tensors = _read(path)
    settings = Settings.from_json(description["settings"])
    flat = {name[len("params."):]: array for name, array in tensors.items() if name.startswith("params.")}
    n_layers = len({name.split(".")[1] for name in flat if name.startswith("layers.")})
    try:
        params = unflatten_params(flat, n_layers)
    except KeyError as missing:
        raise CheckpointError(f"the checkpoint {path} lacks the parameter {missing}") from None
    params = jax.tree_util.tree_map(lambda a: np.asarray(a, np.float32), params)
    template = optimizer(settings).init(params)
    leaves, tree = jax.tree_util.tree_flatten(template)
    saved = [tensors.get(f"opt.{k}") for k in range(len(leaves))]
    extra = sum(1 for name in tensors if name.startswith("opt.")) - len(leaves)
    if any(s is None for s in saved) or extra:
        raise CheckpointError(f"the checkpoint {path} holds an optimiser state of another shape")
    for want, got in zip(leaves, saved):
        if np.shape(want) != got.shape:
            raise CheckpointError(f"the checkpoint {path} holds an optimiser state of another shape")
    opt_state = jax.tree_util.tree_unflatten(tree, [np.asarray(s, np.asarray(w).dtype) for w, s in zip(leaves, saved)])
    state = State(params, opt_state, int(description["step"]), tuple(description.get("curve", ())),
                  tuple(float(loss) for loss in description.get("pending", ())),
                  float(description.get("seconds", 0.0)))
    return Checkpoint(state, settings, dict(description.get("run", {})))


def describe_run(**facts: Any) -> dict:
    """The ``run`` record as plain JSON values."""
    return json.loads(json.dumps(facts, default=str))
