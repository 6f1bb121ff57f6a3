"""What a user runs: ``Runner``, which picks the forward pass that suits a model.

The engine has two passes that compute the same function:

* the dense pass (``runtime.engine.dense``): the architecture as one readable
  function of (params, token_ids), every matrix multiplied whole; a trained model
  runs by it, and the lens traces it;
* the packed pass (``runtime.engine.packed``, batch-major, and
  ``runtime.engine.packed_minor``, batch-minor for short sequences): the nonzero
  blocks of a compiled model's matrices only.

``chosen_pass`` packs the model and takes the packed pass where packing skips at
least half of the arithmetic, else the dense one, and converts only the parameters
that pass reads. ``Runner`` batches inputs, pads them into a few fixed shapes
(``runtime.engine.batching``) so that jit compiles each shape once, runs the chosen
pass on a shard of the batch per core, and decodes the output s-op
(``runtime.outputs``).

Up to SMALL_BATCH inputs, ``Runner`` runs the NumPy pass (``runtime.engine.small``)
instead: the same function with no JAX to import and nothing to compile, which is
most of the time a command like ``raspc run --input`` would otherwise take. JAX is
imported when a larger batch first comes.

``encode``, ``forward``, ``trace`` and ``to_jax`` are the encoding module's and the
dense pass's, given here (the last three imported when first asked for) so that this
one module gives the whole engine.

    >>> runner = Runner(model)                                  # doctest: +SKIP
    >>> runner.run([("a", "b", "c"), ("c", "a")])               # doctest: +SKIP
    [['c', 'b', 'a'], ['a', 'c']]
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Callable, Sequence

import numpy as np

from runtime.engine.encoding import PAD, encode
from runtime.engine.small import SmallPass, as_float64, small_pass
from runtime.model import CATEGORICAL, Model, unembedded
from runtime.outputs import decode, decode_subspace

__all__ = ["Runner", "LogitsPass", "chosen_pass", "dense_pass", "PAD", "Trace", "encode", "forward", "to_jax",
           "trace"]

DENSE, PACKED = "dense", "packed"
#: Up to this many inputs, ``Runner`` runs the NumPy pass (``runtime.engine.small``):
#: no JAX to import, nothing to compile.
SMALL_BATCH = 4
#: The JAX passes' names this module gives, imported when first asked for (PEP 562),
#: so that a run of a few inputs never imports JAX.
_FROM_DENSE = ("Trace", "dense_logits", "forward", "to_jax", "trace")


def __getattr__(name: str) -> Any:
    if name in _FROM_DENSE:
        from runtime.engine import dense
        return getattr(dense, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class LogitsPass:
    """One forward pass of one model, ready to run: ``logits(params, token_ids)``
    gives the output logits (batch, positions, n_outputs) of token ids (batch,
    positions), ``params`` being what that pass reads, float32 on the device.
    ``name``: DENSE or PACKED. ``logits`` calls a module-level jitted function, so
    passes of models of the same structure share its compilations."""

    name: str
    params: Any
    logits: Callable[[Any, Any], Any]
    #: ``residual(params, token_ids)``: the residual after the last layer (batch,
    #: positions, d_model), for reading s-ops other than the output.
    residual: Callable[[Any, Any], Any]


def dense_pass(model: Model) -> LogitsPass:
    """The dense pass over the whole parameter pytree."""
    from runtime.engine.dense import dense_logits, dense_residual, to_jax

    scale = float(model.config.attn_scale)
    return LogitsPass(DENSE, to_jax(model.params), partial(dense_logits, attn_scale=scale),
                      partial(dense_residual, attn_scale=scale))


def chosen_pass(model: Model) -> LogitsPass:
    """The packed pass over the nonzero blocks where packing is worthwhile (it skips
    at least half of the layers' arithmetic: a compiled model), else the dense pass
    (a trained model, or one with layer norm, which the packed pass does not have)."""
    if model.config.layer_norm:
        return dense_pass(model)
    from runtime.engine.packed import pack, packed_logits, packed_residual

    packed = pack(model.params)
    if not packed.worthwhile:
        return dense_pass(model)
    scale = float(model.config.attn_scale)
    return LogitsPass(PACKED, packed.arrays, partial(packed_logits, index=packed.index, attn_scale=scale),
                      partial(packed_residual, index=packed.index, attn_scale=scale))


class Runner:
    """Runs a model on many inputs by ``chosen_pass``: jit once per (batch, length)
    bucket.

    ``run`` returns, per input, the decoded output at every real position (BOS
    dropped): categorical outputs by argmax over the output values, numerical ones
    as numbers (ints when every value the output can take is an int).
    """

    def __init__(self, model: Model, max_batch: int = 512):
        self.model = model
        self.config = model.config
        self.max_batch = max_batch
        self._chosen: LogitsPass | None = None
        self._float64_params = None
        self._integral = self._integral_output()

    def _integral_output(self) -> bool:
        if self.config.output_encoding == CATEGORICAL or self.config.output not in self.model.layout:
            return False
        values = self.model.layout[self.config.output].values
        return bool(values) and all(isinstance(v, int) and not isinstance(v, bool) for v in values)

    @property
    def chosen(self) -> LogitsPass:
        """The JAX pass for batches of more than SMALL_BATCH inputs, made when first
        needed."""
        if self._chosen is None:
            self._chosen = chosen_pass(self.model)
        return self._chosen

    def logits(self, batch: Sequence[Sequence[Any]]) -> list[np.ndarray]:
        """Per input, the output logits at positions 1..n (BOS dropped)."""
        return self._per_input(batch, "logits")

    def residuals(self, batch: Sequence[Sequence[Any]], columns: np.ndarray | None = None) -> list[np.ndarray]:
        """Per input, the residual after the last layer at positions 1..n (positions,
        d_model), or only its ``columns`` (positions, len(columns)), which is all a
        large batch then keeps."""
        return self._per_input(batch, "residual", columns)

    def read(self, batch: Sequence[Sequence[Any]], names: Sequence[str]) -> list[dict[str, list[Any]]]:
        """Per input, the values of the named s-ops at positions 1..n, decoded from the
        residual after the last layer (every s-op keeps its subspace to the end); only
        their directions are kept from each batch."""
        columns, packed = self._read_columns(names)
        return [{s.name: list(decode_subspace(s, rows)[0]) for s in packed}
                for rows in self.residuals(batch, columns)]

    def run_and_read(self, batch: Sequence[Sequence[Any]],
                     names: Sequence[str]) -> tuple[list[list[Any]], list[dict[str, list[Any]]]]:
        """``run`` and ``read`` of the same inputs from one forward pass: each batch
        keeps the directions the unembedding reads and the named s-ops' directions, the
        outputs are decoded from the first, the s-ops from the second. (A model with a
        final layer norm, which reads every direction, takes the two passes.)"""
        if "ln_final_w" in self.model.params:
            return self.run(batch), self.read(batch, names)
        unembed = np.asarray(self.model.params["unembed"], np.float64)
        used = np.flatnonzero(np.any(unembed != 0, axis=1))
        columns, packed = self._read_columns(names, used)
        at_used = np.searchsorted(columns, used)
        outputs, readings = [], []
        for rows in self.residuals(batch, columns):
            outputs.append(self._decode_logits(np.asarray(rows, np.float64)[:, at_used] @ unembed[used]))
            readings.append({s.name: list(decode_subspace(s, rows)[0]) for s in packed})
        return outputs, readings

    def _read_columns(self, names: Sequence[str], also: np.ndarray | None = None) -> tuple[np.ndarray, list]:
        """The residual columns to keep for the named s-ops (and ``also``), sorted, and
        each s-op's subspace moved to where its directions sit among those columns."""
        subspaces = [self.model.layout[name] for name in names]
        parts = [np.arange(s.start, s.stop) for s in subspaces] + [np.zeros(0, np.int64) if also is None else also]
        columns = np.unique(np.concatenate(parts))
        starts = [int(np.searchsorted(columns, s.start)) for s in subspaces]
        return columns, [replace(s, start=start, stop=start + s.width) for s, start in zip(subspaces, starts)]

    def _small(self, ids: np.ndarray) -> SmallPass:
        if self._float64_params is None:
            self._float64_params = as_float64(self.model.params)
        return small_pass(self._float64_params, ids[None], float(self.config.attn_scale))

    def _per_input(self, batch: Sequence[Sequence[Any]], what: str,
                   columns: np.ndarray | None = None) -> list[np.ndarray]:
        """``what`` ("logits" or "residual") of each input at positions 1..n (only its
        ``columns`` where given): a few inputs by the NumPy pass, more by the chosen
        JAX pass, a bucket at a time."""
        def kept(rows: np.ndarray) -> np.ndarray:
            return rows if columns is None else rows[:, columns]

        encoded = [encode(self.config, tokens) for tokens in batch]
        if len(encoded) <= SMALL_BATCH:
            return [kept(getattr(self._small(ids), what)[0, 1:]) for ids in encoded]
        from runtime.engine.batching import SINGLE_LENGTH_BUCKET, bucket, in_shards, shard_count

        results: list[np.ndarray | None] = [None] * len(encoded)
        by_length: dict[int, list[int]] = {}
        full = self.config.max_len + 1
        for k, ids in enumerate(encoded):
            length = full if full <= SINGLE_LENGTH_BUCKET else bucket(len(ids), full)
            by_length.setdefault(length, []).append(k)
        run = partial(getattr(self.chosen, what), self.chosen.params)
        for length, members in sorted(by_length.items()):
            for start in range(0, len(members), self.max_batch):
                chunk = members[start:start + self.max_batch]
                rows = bucket(len(chunk), self.max_batch, floor=64)
                ids = np.full((rows, length), PAD, np.int32)
                for row, k in enumerate(chunk):
                    ids[row, :len(encoded[k])] = encoded[k]
                shards = in_shards(run, ids, shard_count(rows))
                out = np.concatenate([np.asarray(part) for part in shards])
                for row, k in enumerate(chunk):
                    results[k] = kept(out[row, 1:len(encoded[k])])
        return results  # type: ignore[return-value]

    def _decode_logits(self, logits: np.ndarray) -> list[Any]:
        return decode(self.config, logits).rounded(self._integral)

    def decode(self, residual, n: int) -> list[Any]:
        """The output at positions 1..n of one residual (positions, d_model)."""
        logits = unembedded(self.model.params, np.asarray(residual)[1:n + 1])
        return self._decode_logits(logits)

    def run(self, batch: Sequence[Sequence[Any]]) -> list[list[Any]]:
        return [self._decode_logits(l) for l in self.logits(batch)]
