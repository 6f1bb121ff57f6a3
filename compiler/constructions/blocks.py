"""Weight blocks: what one construction writes, before it has a place in the model.

Each construction (``compiler.constructions.attention``, ``compiler.constructions.mlp``,
``compiler.constructions.counting``) turns one RASP operation into a block that
speaks only of named spaces: "read the one-hot of ``tokens``, write the one-hot of
``reverse``". Assembly (``compiler.backend.assemble``) gives every space its slice
of the residual stream and places each block's matrices there. This split keeps
every construction a small pure function that can be tested on its own, and keeps
layout decisions (widths, reuse of directions) in one place.

Conventions:

* A categorical space has one direction per value: the residual holds the one-hot
  of the value. A numerical space has one direction holding the value itself.
* Two spaces are always present: ``ONE`` (1 at every position, BOS included) and
  ``BOS`` (1 at position 0 only, 0 elsewhere). ``tokens`` and ``indices`` are
  written by the embeddings; BOS's position carries no index and BOS's token no
  token value.
* Attention scores are ``sum over (q, k) terms of x_q[qspace] @ matrix @ x_k[kspace]``,
  temperature already included; the runtime adds nothing but the softmax.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union

import numpy as np

from runtime.model import CATEGORICAL, NUMERICAL

Value = Union[str, int, float, bool]


@dataclass(frozen=True)
class Space:
    """A named group of residual directions and what they mean.

    ``values`` is one label per direction for a categorical space; for a numerical
    space it lists the finite set of values the direction can hold (sorted), when
    known, which is what an MLP reading it needs to be exact.
    """

    name: str
    encoding: str
    values: tuple[Value, ...] = ()

    def __post_init__(self) -> None:
        if self.encoding not in (CATEGORICAL, NUMERICAL):
            raise ValueError(f"unknown encoding {self.encoding!r}")

    @property
    def width(self) -> int:
        return len(self.values) if self.encoding == CATEGORICAL else 1

    def index_of(self, value: Value) -> int:
        """The direction of a categorical value (type-exact: True is not 1)."""
        for position, candidate in enumerate(self.values):
            if type(candidate) is type(value) and candidate == value:
                return position
        for position, candidate in enumerate(self.values):
            if candidate == value:
                return position
        raise KeyError(value)


ONE = Space("one", NUMERICAL, (1,))
BOS = Space("bos", NUMERICAL, (0, 1))


@dataclass(frozen=True)
class QKTerm:
    """One bilinear term of an attention score: ``x_q[query] @ matrix @ x_k[key]``."""

    query: Space
    key: Space
    matrix: np.ndarray  # (query.width, key.width)


@dataclass(frozen=True)
class FactoredQKTerm:
    """A score term given by its factors: ``x_q[query] @ left @ right.T @ x_k[key]``.

    Assembly keeps the factors as the head's own query and key columns instead of
    adding ``matrix`` into the head's table and factoring the sum: ``left`` can be
    much narrower than either space (``attention.narrow_equality``), and its
    entries stay exact (0 and 1 against 0 and the penalty)."""

    query: Space
    key: Space
    left: np.ndarray  # (query.width, rank)
    right: np.ndarray  # (key.width, rank)

    @property
    def matrix(self) -> np.ndarray:
        return self.left @ self.right.T


@dataclass(frozen=True)
class OVTerm:
    """One term of what a head writes: ``attended x[source] @ matrix`` into the output."""

    source: Space
    matrix: np.ndarray  # (source.width, output.width)


@dataclass(frozen=True)
class HeadBlock:
    """One attention head: its score terms, what it moves, and where it writes.

    ``label`` is the selector it computes, in RASP terms, for the lens; ``source``
    the selector as the program wrote it and ``place`` its ``file:line``, where known
    (``compiler.backend.labels``).
    """

    qk: tuple[QKTerm, ...]
    ov: tuple[OVTerm, ...]
    output: Space
    label: str
    reads: str
    writes: str
    source: str = ""
    place: str = ""


@dataclass(frozen=True)
class MLPBlock:
    """One ReLU MLP: ``out = relu(sum_i x[inputs[i]] @ w_in[i] + b_in) @ w_out + b_out``.

    ``neuron_labels`` says, per hidden unit, the rule it implements
    (``"tokens == a -> reverse_map = c"``), for the lens.
    """

    inputs: tuple[Space, ...]
    w_in: tuple[np.ndarray, ...]  # per input: (input.width, hidden)
    b_in: np.ndarray  # (hidden,)
    w_out: np.ndarray  # (hidden, output.width)
    b_out: np.ndarray  # (output.width,)
    output: Space
    neuron_labels: tuple[str, ...]
    label: str

    @property
    def hidden(self) -> int:
        return int(self.b_in.shape[0])


@dataclass(frozen=True)
class Margin:
    """The decision margin a construction guarantees, and why, for ``raspc verify``."""

    value: float
    reason: str
    #: For a map built to a tolerance: its value split into the fit's own worst error
    #: and the bound float32 rounding adds (``compile`` reports them apart).
    parts: tuple[tuple[str, float], ...] = ()
