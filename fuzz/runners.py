"""The two forward passes a compiled model is checked through, as the fuzzer runs them.

``DenseRunner`` runs ``runtime.engine.forward.forward``. Compiled models differ in
shape, and a jit compilation per shape would cost more than everything else together,
so the models are padded with zeros to a few bucketed shapes (more layers, heads,
residual and MLP directions and positions, all zero) whose jit compilations are then
shared: a zero layer, head or direction adds exact zeros, and padded positions are
masked, so the outputs are those of the unpadded model.

``PackedRunner`` runs the pass ``runtime.engine.forward.Runner`` gives users,
``runtime.engine.packed``: ``pack`` the parameters, then ``packed_logits``. Its index
is part of the compiled function, so every model compiles its own.

Both return, per input, the output as ``runtime.outputs.decode_batch`` reads it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Protocol, Sequence

import jax.numpy as jnp
import numpy as np

from runtime.engine.forward import PAD, encode, forward
from runtime.engine.packed import pack, packed_logits
from runtime.model import Model
from runtime.outputs import decode_batch

#: Every batch goes through the model in chunks of exactly this many rows: one batch
#: shape, so a jit compilation serves programs with few inputs and many alike.
ROWS = 128
#: Positions (BOS included) are padded to this many, or to twice, four times ... as
#: many: max_len 8 and below share one shape.
POSITIONS_FLOOR = 9


class PassRunner(Protocol):
    def run(self, batch: Sequence[Sequence[Any]]) -> list[list[Any]]: ...


@dataclass(frozen=True)
class ModelPass:
    """A forward pass the fuzzer checks: its name in reports, and how to run a model
    through it."""

    name: str
    runner: Callable[[Model], PassRunner]


def _bucket(n: int, floor: int) -> int:
    """The smallest of floor, 2 floor, 4 floor, ... that holds n: few sizes, so few
    compilations, and at most twice the work of the unpadded model per dimension."""
    size = floor
    while size < n:
        size *= 2
    return size


def _pad(array: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    out = np.zeros(shape, np.float32)
    out[tuple(slice(0, s) for s in array.shape)] = array
    return out


def padded_params(model: Model, positions: int) -> dict:
    """The model's parameters with zeros added up to bucketed shapes."""
    params = model.params
    layers = params["layers"]
    d_model = _bucket(model.config.d_model, 64)
    n_layers = _bucket(len(layers), 4)
    heads = _bucket(max((l["w_q"].shape[0] for l in layers), default=1), 2)
    d_head = _bucket(max((l["w_q"].shape[2] for l in layers), default=1), 32)
    d_mlp = _bucket(max((l["w_in"].shape[1] for l in layers), default=1), 64)
    vocab_rows = _bucket(params["token_embed"].shape[0], 8)
    shapes = {"w_q": (heads, d_model, d_head), "w_k": (heads, d_model, d_head),
              "w_v": (heads, d_model, d_head), "w_o": (heads, d_head, d_model),
              "w_in": (d_model, d_mlp), "b_in": (d_mlp,), "w_out": (d_mlp, d_model), "b_out": (d_model,)}
    empty = {name: np.zeros((0,) * len(shape)) for name, shape in shapes.items()}
    padded_layers = [{name: _pad(np.asarray((layers[k] if k < len(layers) else empty)[name]), shape)
                      for name, shape in shapes.items()} for k in range(n_layers)]
    return {"token_embed": _pad(np.asarray(params["token_embed"]), (vocab_rows, d_model)),
            "pos_embed": _pad(np.asarray(params["pos_embed"]), (positions, d_model)),
            "layers": padded_layers}


def _chunks(model: Model, batch: Sequence[Sequence[Any]], positions: int):
    """The batch encoded, as (ids of ROWS rows and ``positions`` positions, token
    counts of the real rows), one chunk at a time."""
    encoded = [encode(model.config, tokens) for tokens in batch]
    for start in range(0, len(encoded), ROWS):
        chunk = encoded[start:start + ROWS]
        ids = np.full((ROWS, positions), PAD, np.int32)
        for row, one in enumerate(chunk):
            ids[row, :len(one)] = one
        yield ids, [len(one) - 1 for one in chunk]


class DenseRunner:
    """Runs any compiled model through the dense pass's shared jit (see the module
    docstring)."""

    def __init__(self, model: Model):
        self.model = model
        self.unembed = np.asarray(model.params["unembed"], np.float64)
        self.positions = _bucket(model.config.max_len + 1, POSITIONS_FLOOR)
        self.params = padded_params(model, self.positions)

    def run(self, batch: Sequence[Sequence[Any]]) -> list[list[Any]]:
        config = self.model.config
        outputs: list[list[Any]] = []
        for ids, lengths in _chunks(self.model, batch, self.positions):
            residual = np.asarray(forward(self.params, jnp.asarray(ids), config))
            logits = residual[:len(lengths), :, :config.d_model].astype(np.float64) @ self.unembed
            outputs += decode_batch(config, logits, lengths)
        return outputs


class PackedRunner:
    """Runs a compiled model through the packed pass, as ``Runner`` sets it up."""

    def __init__(self, model: Model):
        self.model = model
        self.packed = pack(model.params)
        self.scale = float(model.config.attn_scale)

    def run(self, batch: Sequence[Sequence[Any]]) -> list[list[Any]]:
        outputs: list[list[Any]] = []
        for ids, lengths in _chunks(self.model, batch, self.model.config.max_len + 1):
            logits = packed_logits(self.packed.arrays, jnp.asarray(ids), index=self.packed.index,
                                   attn_scale=self.scale)
            outputs += decode_batch(self.model.config, np.asarray(logits)[:len(lengths)], lengths)
        return outputs


DENSE = ModelPass("dense", DenseRunner)
PACKED = ModelPass("packed", PackedRunner)
#: What every program is checked through: the dense pass, and the one users run.
BOTH = (DENSE, PACKED)
