"""The forward pass in JAX, for compiled and trained models alike.

One readable function (``_run``) does the work: embed, then per layer attention
(all heads, summed into the residual) and a ReLU MLP (added too). ``forward`` returns
the last residual, ``trace`` every intermediate, and ``Runner`` batches inputs,
pads them into a few fixed shapes so that jit compiles each shape once, and decodes
the output s-op.

Padding never changes a result: padded positions get token id -1, are masked out as
keys (no real query can attend to them), and are dropped from the outputs.

    >>> runner = Runner(model)                                  # doctest: +SKIP
    >>> runner.run([("a", "b", "c"), ("c", "a")])               # doctest: +SKIP
    [['c', 'b', 'a'], ['a', 'c']]
"""
from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from raspc.errors import InputError
from runtime.model import CATEGORICAL, Model, ModelConfig, full_token_embed
from runtime.outputs import decode

PAD = -1
MASKED = -1e9
_HIGHEST = jax.lax.Precision.HIGHEST


@dataclass(frozen=True)
class Trace:
    """Everything a forward pass computed.

    ``residuals[k]`` is the residual at ``points[k]`` (``"embed"``, ``"L0.attn"``,
    ``"L0.mlp"``, ...), shape (batch, positions, d_model); ``patterns[l]`` layer l's
    attention (batch, heads, query, key); ``mlp_hidden[l]`` its MLP's activations
    after the ReLU (batch, positions, d_mlp). Arrays keep a batch axis even for one
    input.
    """

    points: tuple[str, ...]
    residuals: tuple[np.ndarray, ...]
    patterns: tuple[np.ndarray, ...]
    mlp_hidden: tuple[np.ndarray, ...]

    def residual(self, point: str) -> np.ndarray:
        return self.residuals[self.points.index(point)]


# ------------------------------------------------------------------ encode

def _shown(token: Any) -> str:
    return token if isinstance(token, str) else repr(token)


def encode(config: ModelConfig, tokens: Sequence[Any]) -> np.ndarray:
    """Token ids with BOS (id 0) first; a InputError for a bad input."""
    if isinstance(tokens, str):
        tokens = tuple(tokens)
    tokens = tuple(tokens)
    if not tokens:
        raise InputError("the input is empty; RASP sequences have at least one token")
    if len(tokens) > config.max_len:
        raise InputError(f"the input has {len(tokens)} tokens, more than max_len {config.max_len}")
    ids_of = _token_ids(config.vocab)
    ids = [0]
    for position, token in enumerate(tokens):
        found = ids_of.get(_token_key(token))
        if found is None:
            listed = config.vocab[1:]
            shown = ", ".join(_shown(t) for t in listed[:20]) + (f", ... ({len(listed)} tokens)"
                                                                 if len(listed) > 20 else "")
            raise InputError(
                f"token {token!r} at position {position} is not in the vocabulary {{{shown}}}")
        ids.append(found)
    return np.asarray(ids, np.int32)


def _token_key(token: Any) -> tuple:
    """A token's identity in a vocabulary: a bool is a bool, and other numbers match
    by value (``1`` is ``1.0``), as the interpreter compares them."""
    if isinstance(token, bool) or not isinstance(token, (int, float)):
        return (type(token).__name__, token)
    return ("number", token)


@lru_cache(maxsize=8)
def _token_ids(vocab: tuple) -> dict:
    """Each token's id (its first place in ``vocab``, BOS at 0 left out): a
    vocabulary of words is looked up in constant time per token."""
    ids: dict = {}
    for k, token in enumerate(vocab[1:], start=1):
        ids.setdefault(_token_key(token), k)
    return ids


# ----------------------------------------------------------------- forward

def _attention(x, layer, mask, attn_scale):
    q = jnp.einsum("btd,hde->bhte", x, layer["w_q"], precision=_HIGHEST)
    k = jnp.einsum("btd,hde->bhte", x, layer["w_k"], precision=_HIGHEST)
    v = jnp.einsum("btd,hde->bhte", x, layer["w_v"], precision=_HIGHEST)
    scores = jnp.einsum("bhqe,bhke->bhqk", q, k, precision=_HIGHEST) * attn_scale
    scores = jnp.where(mask[:, None, None, :], scores, MASKED)
    pattern = jax.nn.softmax(scores, axis=-1)
    mixed = jnp.einsum("bhqk,bhke->bhqe", pattern, v, precision=_HIGHEST)
    return jnp.einsum("bhqe,hed->bqd", mixed, layer["w_o"], precision=_HIGHEST), pattern


def _mlp(x, layer):
    hidden = jax.nn.relu(jnp.einsum("btd,dm->btm", x, layer["w_in"], precision=_HIGHEST) + layer["b_in"])
    return jnp.einsum("btm,md->btd", hidden, layer["w_out"], precision=_HIGHEST) + layer["b_out"], hidden


def _run(params, token_ids, attn_scale: float, keep: bool):
    """Embed, then attention + MLP per layer. With ``keep``, also every residual,
    pattern and hidden activation."""
    mask = token_ids >= 0
    positions = jnp.arange(token_ids.shape[1])
    x = params["token_embed"][jnp.maximum(token_ids, 0)] + params["pos_embed"][positions][None]
    residuals, patterns, hiddens = [x], [], []
    for layer in params["layers"]:
        attended, pattern = _attention(x, layer, mask, attn_scale)
        x = x + attended
        residuals.append(x)
        mlp_out, hidden = _mlp(x, layer)
        x = x + mlp_out
        residuals.append(x)
        patterns.append(pattern)
        hiddens.append(hidden)
    if keep:
        return x, residuals, patterns, hiddens
    return x


def to_jax(params) -> Any:
    """The parameter pytree as float32 JAX arrays (the token embedding as wide as the
    residual)."""
    return jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float32), full_token_embed(params))


def _batched(token_ids) -> tuple[jnp.ndarray, bool]:
    ids = jnp.asarray(token_ids, jnp.int32)
    return (ids[None], True) if ids.ndim == 1 else (ids, False)


_run_jit = jax.jit(_run, static_argnames=("attn_scale", "keep"))

#: Batches larger than this run as a loop over slices of this many sequences. On a
#: CPU a slice's activations stay in cache; one pass over 1,024 sequences at once
#: was measured about three times slower than four passes over 256.
FORWARD_SLICE = 256


def padded_slices(token_ids, size: int):
    """A batch of ids as (slices, ``size``, positions), padded with PAD rows to a
    whole number of slices."""
    batch = token_ids.shape[0]
    slices = -(-batch // size)
    padded = jnp.full((slices * size, token_ids.shape[1]), PAD, token_ids.dtype)
    return padded.at[:batch].set(token_ids).reshape(slices, size, -1)


def in_slices(run, token_ids, size: int = FORWARD_SLICE):
    """``run(ids)`` over a batch, one slice of ``size`` sequences at a time
    (``padded_slices``)."""
    batch = token_ids.shape[0]
    if batch <= size:
        return run(token_ids)
    out = jax.lax.map(run, padded_slices(token_ids, size))
    return out.reshape(-1, *out.shape[2:])[:batch]


def cpu_cores() -> int:
    """The cores this process may run on."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return max(os.cpu_count() or 1, 1)


#: A shard smaller than this is not worth a thread of its own.
MIN_SHARD = 64


def shard_count(batch: int, cores: int | None = None) -> int:
    """How many equal shards ``in_shards`` cuts a batch into: one per core, each at
    least MIN_SHARD sequences, and an exact division of the batch (so that every
    shard has the one compiled shape)."""
    cores = cpu_cores() if cores is None else cores
    for shards in range(min(cores, batch // MIN_SHARD), 1, -1):
        if batch % shards == 0:
            return shards
    return 1


@lru_cache(maxsize=1)
def _shard_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=cpu_cores(), thread_name_prefix="forward-shard")


def in_shards(run, token_ids, shards: int) -> list:
    """``run`` (a jit-compiled batch function) on ``shards`` equal, contiguous parts
    of the batch at once, one thread each: the parts' results, in batch order, each
    computed when this returns.

    XLA spreads one call's work over the cores poorly on a CPU (two cores ran a
    compiled model's pass only 1.1x-1.5x faster than one); it computes without
    Python's lock, so a call per core on its own part of the batch keeps every core
    busy (1.2x-1.9x on two cores). ``shards`` must divide the batch (``shard_count``)."""
    if shards <= 1:
        return [jax.block_until_ready(run(token_ids))]
    # Cut on the host, where a part is a view: each slice of a jax array is an XLA
    # call of its own (about 50 us here, a tenth of a small model's whole call).
    host = np.asarray(token_ids)
    rows = host.shape[0] // shards
    parts = [host[k * rows:(k + 1) * rows] for k in range(shards)]
    futures = [_shard_pool().submit(lambda part=part: jax.block_until_ready(run(part))) for part in parts]
    return [future.result() for future in futures]


def _run_in_slices(params, token_ids, attn_scale: float):
    """``_run`` over a batch, a slice at a time (``in_slices``)."""
    return in_slices(lambda part: _run(params, part, attn_scale, keep=False), token_ids)


_run_in_slices_jit = jax.jit(_run_in_slices, static_argnames=("attn_scale",))


def forward(params, token_ids, config: ModelConfig) -> jnp.ndarray:
    """The residual after the last layer: (positions, d_model) for one input,
    (batch, positions, d_model) for a batch (pad with -1)."""
    ids, single = _batched(token_ids)
    out = _run_in_slices_jit(to_jax(params), ids, attn_scale=float(config.attn_scale))
    return out[0] if single else out


def trace(params, token_ids, config: ModelConfig) -> Trace:
    """Every residual, attention pattern and MLP activation of one forward pass."""
    ids, _ = _batched(token_ids)
    _, residuals, patterns, hiddens = _run_jit(to_jax(params), ids, attn_scale=float(config.attn_scale),
                                               keep=True)
    points = ["embed"]
    for l in range(len(patterns)):
        points += [f"L{l}.attn", f"L{l}.mlp"]
    return Trace(tuple(points), tuple(np.asarray(r) for r in residuals),
                 tuple(np.asarray(p) for p in patterns), tuple(np.asarray(h) for h in hiddens))


# ------------------------------------------------------------------ runner

def _bucket(n: int, cap: int, floor: int = 1) -> int:
    """The padded size for n: the next power of two (at least ``floor``), at most
    ``cap``. Few sizes means few compilations."""
    return min(cap, max(floor, 1 << max(0, math.ceil(math.log2(max(n, 1))))))


#: Up to this many positions (BOS included), every input is padded to max_len + 1:
#: one compiled shape serves every length.
SINGLE_LENGTH_BUCKET = 64


def dense_logits(params, token_ids, attn_scale: float):
    """The output logits (batch, positions, n_outputs) by the dense pass."""
    x = _run_in_slices(params, token_ids, attn_scale)
    return jnp.einsum("btd,dn->btn", x, params["unembed"], precision=_HIGHEST)


# One jitted function for every Runner: models of the same shapes share compilations.
_logits_jit = jax.jit(dense_logits, static_argnames=("attn_scale",))


class Runner:
    """Runs a model on many inputs: jit once per (batch, length) bucket.

    ``run`` returns, per input, the decoded output at every real position (BOS
    dropped): categorical outputs by argmax over the output values, numerical ones
    as numbers (ints when every value the output can take is an int).
    """

    def __init__(self, model: Model, max_batch: int = 512):
        self.model = model
        self.config = model.config
        self.params = to_jax(model.params)
        self.max_batch = max_batch
        self._logits = self._logits_function()
        self._integral = self._integral_output()

    def _logits_function(self):
        """Token ids to logits: over the nonzero blocks only (``runtime.engine.packed``)
        where that skips most of the arithmetic, as for a compiled model; else the
        dense pass."""
        from runtime.engine.packed import pack, packed_logits

        scale = float(self.config.attn_scale)
        packed = pack(self.model.params)
        if not packed.worthwhile:
            return partial(_logits_jit, attn_scale=scale)
        return lambda params, ids: packed_logits(packed.arrays, ids, index=packed.index, attn_scale=scale)

    def _integral_output(self) -> bool:
        if self.config.output_encoding == CATEGORICAL or self.config.output not in self.model.layout:
            return False
        values = self.model.layout[self.config.output].values
        return bool(values) and all(isinstance(v, int) and not isinstance(v, bool) for v in values)

    def logits(self, batch: Sequence[Sequence[Any]]) -> list[np.ndarray]:
        """Per input, the output logits at positions 1..n (BOS dropped)."""
        encoded = [encode(self.config, tokens) for tokens in batch]
        results: list[np.ndarray | None] = [None] * len(encoded)
        by_length: dict[int, list[int]] = {}
        full = self.config.max_len + 1
        for k, ids in enumerate(encoded):
            length = full if full <= SINGLE_LENGTH_BUCKET else _bucket(len(ids), full)
            by_length.setdefault(length, []).append(k)
        for length, members in sorted(by_length.items()):
            for start in range(0, len(members), self.max_batch):
                chunk = members[start:start + self.max_batch]
                rows = _bucket(len(chunk), self.max_batch, floor=64)
                ids = np.full((rows, length), PAD, np.int32)
                for row, k in enumerate(chunk):
                    ids[row, :len(encoded[k])] = encoded[k]
                shards = in_shards(partial(self._logits, self.params), ids, shard_count(rows))
                out = np.concatenate([np.asarray(part) for part in shards])
                for row, k in enumerate(chunk):
                    results[k] = out[row, 1:len(encoded[k])]
        return results  # type: ignore[return-value]

    def _decode_logits(self, logits: np.ndarray) -> list[Any]:
        return decode(self.config, logits).rounded(self._integral)

    def decode(self, residual, n: int) -> list[Any]:
        """The output at positions 1..n of one residual (positions, d_model)."""
        logits = np.asarray(residual, np.float64)[1:n + 1] @ np.asarray(self.model.params["unembed"], np.float64)
        return self._decode_logits(logits)

    def run(self, batch: Sequence[Sequence[Any]]) -> list[list[Any]]:
        return [self._decode_logits(l) for l in self.logits(batch)]
