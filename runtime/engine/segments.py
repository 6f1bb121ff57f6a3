"""The packed pass's residual stream as column segments, one array each.

The packed pass writes a few columns of the residual at a time (a head's output
s-op, an MLP's). XLA on a CPU copies the whole (slice, positions, d_model) array
for such an update (``x.at[..., cols].add(out)``): measured, an update of one
column of a (64, 65, 222) residual cost what copying all of it does (about 0.3 ms),
and dyck2 at max_len 64 makes six per slice. Cut at every boundary of what the
layers write, the residual is a tuple of segments; a write replaces the segments
it covers, a read joins the columns it needs, and only the pass's result is the
whole residual again. Same sums, in the same order, as the dense update (a
segment of zeros is held as None until a layer writes it, and a write to it is
the written values themselves, as 0 + v is). The
residual's directions are its last axis, or its first where the batch is the
minor axis (``runtime.engine.packed_minor``: (d_model, positions, batch)).

    >>> residual = Segments.cut(x, boundaries)             # doctest: +SKIP
    >>> residual = residual.add((3, 4, 5), out)             # doctest: +SKIP
    >>> residual.read((0, 4))                               # doctest: +SKIP
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence

import jax.numpy as jnp

Indices = tuple[int, ...]


def runs(indices: Sequence[int]) -> Iterator[tuple[int, int]]:
    """The maximal ranges [start, stop) of consecutive values in ``indices``, in order."""
    start = 0
    for k in range(1, len(indices) + 1):
        if k == len(indices) or indices[k] != indices[k - 1] + 1:
            yield indices[start], indices[k - 1] + 1
            start = k


def boundaries(width: int, written: Iterable[Indices]) -> tuple[int, ...]:
    """The segment boundaries for a residual of ``width`` columns whose writes are
    ``written`` (each a tuple of columns): every write covers whole segments."""
    cuts = {0, width}
    for columns in written:
        for start, stop in runs(columns):
            cuts.update((start, stop))
    return tuple(sorted(cuts))


def _span(x, start: int, stop: int, axis: int):
    """``x``'s columns ``start:stop`` along ``axis`` (0 or -1)."""
    return x[start:stop] if axis == 0 else x[..., start:stop]


def _zeros_like(like, width: int, axis: int):
    shape = list(like.shape)
    shape[axis] = width
    return jnp.zeros(tuple(shape), like.dtype)


@dataclass(frozen=True)
class Segments:
    """``parts[k]`` holds columns ``bounds[k]:bounds[k + 1]`` of the residual, along
    ``axis`` (-1, or 0 for the batch-minor layout); None for a segment of zeros
    that nothing has written yet (the first part is never None)."""

    parts: tuple
    bounds: tuple[int, ...]
    axis: int = -1

    @classmethod
    def cut(cls, x, bounds: tuple[int, ...], axis: int = -1) -> "Segments":
        """``x``'s columns cut at ``bounds``. Where ``x`` is narrower than
        ``bounds[-1]`` (its width one of the bounds, not the first), the columns
        past it are zeros: the embeddings write only the first directions of a
        compiled model's residual, and a segment of zeros costs nothing until a
        layer writes it."""
        width = x.shape[axis]
        assert width in bounds[1:], (width, bounds)
        return cls(tuple(_span(x, a, b, axis) if b <= width else None for a, b in zip(bounds, bounds[1:])),
                   bounds, axis)

    @property
    def shape(self) -> tuple[int, ...]:
        shape = list(self.parts[0].shape)
        shape[self.axis] = self.bounds[-1]
        return tuple(shape)

    @property
    def dtype(self):
        return self.parts[0].dtype

    def _filled(self, k: int, part):
        """``part``, a value of segment k, as an array: zeros where it is None."""
        return _zeros_like(self.parts[0], self.bounds[k + 1] - self.bounds[k], self.axis) if part is None else part

    def _part(self, k: int):
        return self._filled(k, self.parts[k])

    def _pieces(self, start: int, stop: int) -> Iterator[tuple[int, int, int]]:
        """(segment, first, last column within it) covering [start, stop)."""
        k = bisect.bisect_right(self.bounds, start) - 1
        while start < stop:
            end = min(stop, self.bounds[k + 1])
            yield k, start - self.bounds[k], end - self.bounds[k]
            start, k = end, k + 1

    def read(self, indices: Indices):
        """The columns ``indices``, in that order: (..., len(indices)), or
        (len(indices), ...) along axis 0."""
        pieces = [_span(self._part(k), a, b, self.axis)
                  for start, stop in runs(indices) for k, a, b in self._pieces(start, stop)]
        if not pieces:
            return _span(self.parts[0], 0, 0, self.axis)
        return pieces[0] if len(pieces) == 1 else jnp.concatenate(pieces, axis=self.axis)

    def add(self, indices: Indices, out) -> "Segments":
        """The residual with ``out`` (shaped as ``read(indices)`` is) added to
        columns ``indices``."""
        parts = list(self.parts)
        at = 0
        for start, stop in runs(indices):
            for k, a, b in self._pieces(start, stop):
                part = _span(out, at, at + b - a, self.axis)
                width = self.bounds[k + 1] - self.bounds[k]
                if a == 0 and b == width:
                    parts[k] = part if parts[k] is None else parts[k] + part
                else:
                    current = self._filled(k, parts[k])
                    parts[k] = current.at[a:b].add(part) if self.axis == 0 else current.at[..., a:b].add(part)
                at += b - a
        return Segments(tuple(parts), self.bounds, self.axis)

    def whole(self):
        """The residual as one array."""
        parts = [self._part(k) for k in range(len(self.parts))]
        return parts[0] if len(parts) == 1 else jnp.concatenate(parts, axis=self.axis)
