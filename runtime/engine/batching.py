"""From inputs to the batches of token ids the passes run on, and how a batch is cut.

Every pass of the engine (``runtime.engine.dense``, ``runtime.engine.packed``,
``runtime.engine.packed_minor``) and ``Runner`` share these: ``encode`` turns one
input into token ids, BOS first; a batch is padded with PAD rows and positions to a
few ``bucket`` sizes (few shapes, few jit compilations); inside a jit-compiled
pass, ``in_slices`` runs a large batch a slice at a time (``padded_slices``), and
outside it ``in_shards`` runs equal parts of a batch on every core at once
(``shard_count``).

Padding never changes a result: a padded position gets the id PAD, every pass
gives it the score MASKED as a key (no real query attends to it), and its outputs
are dropped.
"""
from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np


from runtime.engine.encoding import MASKED, PAD, encode  # noqa: F401 - re-exported: the passes read them here


# ------------------------------------------------------------------ buckets

def bucket(n: int, cap: int, floor: int = 1) -> int:
    """The padded size for n: the next power of two (at least ``floor``), at most
    ``cap``. Few sizes means few compilations."""
    return min(cap, max(floor, 1 << max(0, math.ceil(math.log2(max(n, 1))))))


#: Up to this many positions (BOS included), every input is padded to max_len + 1:
#: one compiled shape serves every length.
SINGLE_LENGTH_BUCKET = 64


# ------------------------------------------------------------------ slices (inside a pass)

def padded_slices(token_ids, size: int):
    """A batch of ids as (slices, ``size``, positions), padded with PAD rows to a
    whole number of slices."""
    batch = token_ids.shape[0]
    slices = -(-batch // size)
    padded = jnp.full((slices * size, token_ids.shape[1]), PAD, token_ids.dtype)
    return padded.at[:batch].set(token_ids).reshape(slices, size, -1)


def in_slices(run, token_ids, size: int):
    """``run(ids)`` over a batch, one slice of ``size`` sequences at a time
    (``padded_slices``), inside one jit-compiled call: a slice's activations stay
    in cache where the whole batch's would not."""
    batch = token_ids.shape[0]
    if batch <= size:
        return run(token_ids)
    out = jax.lax.map(run, padded_slices(token_ids, size))
    return out.reshape(-1, *out.shape[2:])[:batch]


# ------------------------------------------------------------------ shards (one call per core)

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
