"""The static structure of a packed model: which residual directions each head and
MLP reads and writes (``runtime.engine.packed`` builds it; the passes in ``runtime.engine.packed``
and ``runtime.engine.packed_minor`` run by it). Hashable, so jit specialises on it."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from runtime.engine.mlp_tiles import TilePlan

Indices = tuple[int, ...]


#: What a side of a head's scores reads: the residual of each sequence, or only
#: what the position embedding wrote (``indices``), or only what the token
#: embedding wrote (``tokens``, a map of them folded in).
RESIDUAL, POSITIONS, TOKENS = "residual", "positions", "tokens"


@dataclass(frozen=True)
class ScoreGroup:
    """Score dimensions of one head, by what each side reads. A side that reads
    positions only is the same for every sequence: a table by position, computed
    once per call, so ``select(indices, indices, <)`` is one (positions, positions)
    table for the whole batch. When both sides read tokens only, the scores are one
    small table looked up by the ids (``select(tokens, tokens, ==)`` is a
    (vocabulary, vocabulary) table), in place of a product per sequence."""

    query_reads: str
    key_reads: str
    query_rows: Indices
    key_rows: Indices


@dataclass(frozen=True)
class HeadIndex:
    """Which residual directions one head reads (scores by group, values) and writes."""

    scores: tuple[ScoreGroup, ...]
    value_rows: Indices
    out_cols: Indices


@dataclass(frozen=True)
class LayerIndex:
    """The layer's heads, and the residual directions its MLP reads (those that hold
    what the position embedding wrote apart: their part of every unit's input is
    the same for every sequence) and writes, and how its output product is tiled."""

    heads: tuple[HeadIndex, ...]
    mlp_rows: Indices
    mlp_position_rows: Indices
    mlp_cols: Indices
    mlp_tiles: TilePlan


@dataclass(frozen=True)
class PackedIndex:
    """The static structure of a packed model: hashable, so jit specialises on it.
    ``segments``: where the residual is cut so that every write covers whole
    segments (``runtime.engine.segments``); ``batch_minor``: whether the model runs with
    the batch as the minor axis (``runtime.engine.packed_minor``); ``readout_rows``: the
    residual directions the unembedding reads (its kept rows); ``embedded``: the
    residual's first directions, a segment boundary, past which the embeddings
    write nothing (zeros until a layer writes them)."""

    layers: tuple[LayerIndex, ...]
    segments: tuple[int, ...]
    batch_minor: bool
    readout_rows: Indices
    embedded: int


def as_index(indices: Indices) -> slice | np.ndarray:
    """Residual directions as a slice where they are contiguous (an s-op's space
    usually is): XLA reads and updates a slice in place, but copies for a gather."""
    if indices and indices[-1] - indices[0] + 1 == len(indices):
        return slice(indices[0], indices[-1] + 1)
    return np.asarray(indices, np.int32)
