"""The model every other part agrees on: parameters, residual layout, configuration.

A compiled model (written by ``compiler``) and a trained one (fitted by gradient
descent) are both a ``Model``: the same architecture, the same parameter
pytree, the same file format. The residual ``Layout`` is the contract between the
compiler, the runtime and the lens: which directions of the residual stream hold
which RASP variable, and what each direction means.

Architecture (``runtime.engine.dense`` writes it out as one function;
``runtime.engine.forward.Runner`` runs it): token embedding + position embedding;
``n_layers`` x (multi-head attention, then a ReLU MLP), both added to the residual;
no layer norm; non-causal attention; a BOS token at position 0.

Parameters, as a pytree of arrays (``Params``)::

    token_embed  (vocab_size, d_embed)      row 0 is BOS; d_embed <= d_model: the
                                            residual's first directions, the rest
                                            zero (``full_token_embed``)
    pos_embed    (max_len + 1, d_model)     row 0 is BOS's position
    layers[l]    w_q, w_k, w_v  (n_heads_l, d_model, d_head_l)
                 w_o            (n_heads_l, d_head_l, d_model)
                 w_in (d_model, d_mlp_l)  b_in (d_mlp_l,)
                 w_out (d_mlp_l, d_model)  b_out (d_model,)
    unembed      (d_model, n_outputs)       reads the output s-op's directions

A layer's head width ``d_head_l`` is at most ``d_head`` (the config's): a compiled
layer's heads are as wide as its widest comparison needs; a trained model has one
width throughout. Attention scores are ``attn_scale * q . k``; the compiler writes its own softmax
temperature into ``w_q`` and uses ``attn_scale = 1``; a trained model uses
``1 / sqrt(d_head)``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Union

import numpy as np

Value = Union[str, int, float, bool]
Params = dict[str, Any]

BOS = "<BOS>"

CATEGORICAL = "categorical"
NUMERICAL = "numerical"


@dataclass(frozen=True)
class Subspace:
    """One named block of residual directions.

    ``values`` labels each direction of a categorical subspace (direction
    ``start + k`` means "this s-op equals values[k]"); a numerical subspace has one
    direction whose coordinate is the value itself, and ``values`` lists the values
    it can take where they are known (may be empty). ``writer`` says who writes it:
    ``"embed"``, or ``"L{layer}.attn"`` / ``"L{layer}.mlp"``.

    A categorical subspace with ``grid_rows`` > 0 holds its values on a grid instead
    of one direction each (``grid_code``): value k is its row's direction plus its
    column's, ``grid_rows + ceil(n / grid_rows)`` directions for n values. The
    compiler writes a large output this way, which only the unembedding reads.
    """

    name: str
    start: int
    stop: int
    encoding: str
    values: tuple[Value, ...] = ()
    writer: str = "embed"
    grid_rows: int = 0

    @property
    def width(self) -> int:
        return self.stop - self.start

    def code(self) -> np.ndarray:
        """Each value's vector in the subspace, (values, width): the identity for a
        one-hot, ``grid_code`` for a grid."""
        if self.grid_rows:
            return grid_code(len(self.values), self.grid_rows)
        return np.eye(len(self.values), self.width)

    def to_json(self) -> dict:
        data = {"name": self.name, "start": self.start, "stop": self.stop,
                "encoding": self.encoding, "values": list(self.values), "writer": self.writer}
        if self.grid_rows:
            data["grid_rows"] = self.grid_rows
        return data

    @staticmethod
    def from_json(data: dict) -> "Subspace":
        return Subspace(data["name"], int(data["start"]), int(data["stop"]), data["encoding"],
                        tuple(data.get("values", ())), data.get("writer", "embed"),
                        int(data.get("grid_rows", 0)))


def grid_rows_for(n_values: int) -> int:
    """The rows of the narrowest grid that holds ``n_values``: ceil(sqrt(n))."""
    return math.isqrt(n_values - 1) + 1 if n_values > 1 else 1


def grid_width(n_values: int, rows: int) -> int:
    """Directions of a grid of ``rows`` rows holding ``n_values``: its rows and columns."""
    return rows + -(-n_values // rows)


def grid_code(n_values: int, rows: int) -> np.ndarray:
    """The grid's vectors, (n_values, rows + columns): value k is a 1 at its row, k //
    columns, and a 1 at its column, rows + k % columns. The unembedding scores value j
    by the dot product with j's vector: 2 for the value held, at most 1 for any other
    (two values differ in their row or their column), the same margin of 1 a one-hot
    gives."""
    columns = grid_width(n_values, rows) - rows
    code = np.zeros((n_values, rows + columns))
    k = np.arange(n_values)
    code[k, k // columns] = 1.0
    code[k, rows + k % columns] = 1.0
    return code


@dataclass(frozen=True)
class Layout:
    """The residual stream's named subspaces. Two subspaces may share directions
    when the second is written only after the first's last reader (reuse)."""

    d_model: int
    subspaces: tuple[Subspace, ...]

    def __getitem__(self, name: str) -> Subspace:
        for subspace in self.subspaces:
            if subspace.name == name:
                return subspace
        raise KeyError(name)

    def __contains__(self, name: str) -> bool:
        return any(s.name == name for s in self.subspaces)

    def names(self) -> list[str]:
        return [s.name for s in self.subspaces]

    def to_json(self) -> dict:
        return {"d_model": self.d_model, "subspaces": [s.to_json() for s in self.subspaces]}

    @staticmethod
    def from_json(data: dict) -> "Layout":
        return Layout(int(data["d_model"]), tuple(Subspace.from_json(s) for s in data["subspaces"]))


@dataclass(frozen=True)
class HeadLabel:
    """What one attention head implements, for the lens: the selector it computes
    over the compiled graph's names (``"indices == length - indices - 1"``), the s-op
    it reads and the one it writes; ``source``, the selector as the program wrote it
    (``"flip = select(indices, length - indices - 1, ==)"``), and ``place``, its
    ``file:line``, where the compiler knew them (empty in older model files)."""

    layer: int
    head: int
    selector: str
    reads: str
    writes: str
    source: str = ""
    place: str = ""

    @property
    def shown(self) -> str:
        """What the lens shows: the source text and its place where known, else the selector."""
        if not self.source:
            return self.selector
        return f"{self.source}  ({self.place})" if self.place else self.source

    def to_json(self) -> dict:
        data = {"layer": self.layer, "head": self.head, "selector": self.selector,
                "reads": self.reads, "writes": self.writes}
        return data | ({"source": self.source, "place": self.place} if self.source else {})

    @staticmethod
    def from_json(data: dict) -> "HeadLabel":
        return HeadLabel(int(data["layer"]), int(data["head"]), data["selector"], data["reads"],
                         data["writes"], data.get("source", ""), data.get("place", ""))


@dataclass(frozen=True)
class SourceName:
    """Where the lens finds one s-op of the program's source, for the lens.

    A name the program gave (``internal`` False) is read from ``subspace`` where it
    has one; one the compiler fused into another operation has none and is
    ``computed_in`` the sublayer that absorbed it (``"L1.mlp"``; empty when nothing
    in the model computes it, a value folded into a constant). A subspace the
    compiler named (``constant_NN``, ``*_scratch``: ``internal`` True) is described by
    the source expression it comes from. ``source`` is that expression as the program
    wrote it, ``place`` its ``file:line``.

    Where the compiler also computed an s-op with a subspace inside other operations,
    an interchange intervention on it must reach them: ``copies`` names the subspaces
    that hold a function of it alone, read in its place (patched with it, they carry
    the intervention), ``fused_in`` the sublayers that compute it inside an operation
    reading other values too (no patch of subspaces carries it there)."""

    name: str
    source: str
    place: str
    subspace: str = ""
    computed_in: str = ""
    internal: bool = False
    copies: tuple[str, ...] = ()
    fused_in: tuple[str, ...] = ()

    @property
    def shown(self) -> str:
        """The row's name in the lens: the name, or for a compiler-made one the
        expression it comes from with the internal name after it."""
        if self.internal and self.source:
            return f"{self.source} [{self.name}]"
        return self.name

    def to_json(self) -> dict:
        record = {"name": self.name, "source": self.source, "place": self.place, "subspace": self.subspace,
                  "computed_in": self.computed_in, "internal": self.internal}
        if self.copies:
            record["copies"] = list(self.copies)
        if self.fused_in:
            record["fused_in"] = list(self.fused_in)
        return record

    @staticmethod
    def from_json(data: dict) -> "SourceName":
        return SourceName(data["name"], data.get("source", ""), data.get("place", ""), data.get("subspace", ""),
                          data.get("computed_in", ""), bool(data.get("internal", False)),
                          tuple(data.get("copies", ())), tuple(data.get("fused_in", ())))


@dataclass(frozen=True)
class ModelConfig:
    """Shapes, vocabulary and how to read the output.

    ``vocab`` lists the input tokens in embedding order, BOS first. ``output`` names
    the output s-op, ``output_encoding`` says how to decode it, and
    ``output_values`` labels the columns of ``unembed`` (categorical) or is empty.
    """

    vocab: tuple[Value, ...]
    max_len: int
    d_model: int
    d_head: int
    n_layers: int
    output: str
    output_encoding: str
    output_values: tuple[Value, ...] = ()
    attn_scale: float = 1.0
    kind: str = "compiled"
    #: Pre-norm layer norm before each attention and MLP and before the unembedding
    #: (a trained model asked for it; a compiled model has none).
    layer_norm: bool = False

    def to_json(self) -> dict:
        record = {"vocab": list(self.vocab), "max_len": self.max_len, "d_model": self.d_model,
                  "d_head": self.d_head, "n_layers": self.n_layers, "output": self.output,
                  "output_encoding": self.output_encoding, "output_values": list(self.output_values),
                  "attn_scale": self.attn_scale, "kind": self.kind}
        return record | ({"layer_norm": True} if self.layer_norm else {})

    @staticmethod
    def from_json(data: dict) -> "ModelConfig":
        return ModelConfig(tuple(data["vocab"]), int(data["max_len"]), int(data["d_model"]),
                           int(data["d_head"]), int(data["n_layers"]), data["output"],
                           data["output_encoding"], tuple(data.get("output_values", ())),
                           float(data.get("attn_scale", 1.0)), data.get("kind", "compiled"),
                           bool(data.get("layer_norm", False)))


@dataclass
class Model:
    """Weights plus everything needed to run and read them.

    ``params`` holds numpy arrays (the engine converts what its pass reads for JAX:
    ``runtime.engine.forward.chosen_pass``);
    ``layout`` maps residual directions to RASP variables (empty for a trained model
    that has none); ``head_labels`` and ``neuron_labels`` (per layer, one string per
    MLP hidden unit) say what each component implements; ``settings`` records the
    compile or training settings, ``stats`` figures such as compile seconds;
    ``source_names`` where the program's s-ops are (``SourceName``).
    """

    config: ModelConfig
    params: Params
    layout: Layout
    head_labels: tuple[HeadLabel, ...] = ()
    neuron_labels: tuple[tuple[str, ...], ...] = ()
    settings: dict = field(default_factory=dict)
    stats: dict = field(default_factory=dict)
    #: The program's s-ops and the compiler's named subspaces, as the lens shows
    #: them (empty in a trained model and in older model files).
    source_names: tuple[SourceName, ...] = ()

    @property
    def output_name(self) -> str:
        """The output as the program names it (``@output y;`` with ``y = tokens;`` is
        ``y``); ``config.output`` is its subspace in the layout, which may carry the
        name of the s-op it aliases."""
        named = self.settings.get("output")
        return named if isinstance(named, str) and named else self.config.output

    @property
    def n_heads(self) -> int:
        return sum(int(layer["w_q"].shape[0]) for layer in self.params["layers"])

    @property
    def d_mlp(self) -> int:
        """The widest MLP (what a single-width architecture would need)."""
        return max((int(layer["w_in"].shape[1]) for layer in self.params["layers"]), default=0)

    @property
    def n_params(self) -> int:
        return int(sum(np.asarray(a).size for a in _leaves(self.params)))

    def token_id(self, token: Value) -> int:
        """The embedding row of ``token`` (``same_token`` decides: True is not 1); a
        ValueError when the vocabulary does not hold it."""
        for k, known in enumerate(self.config.vocab):
            if same_token(known, token):
                return k
        raise ValueError(f"{token!r} is not in the vocabulary")


def same_token(a: Any, b: Any) -> bool:
    """Whether two vocabulary tokens are the same: equal values of one type, or two
    numbers of equal value (2 and 2.0); a boolean is never a number (True is not 1)."""
    return type(a) is type(b) and a == b or (
        not isinstance(a, bool) and not isinstance(b, bool)
        and isinstance(a, (int, float)) and isinstance(b, (int, float)) and a == b)


#: Layer norm's epsilon (TransformerLens's and PyTorch's default).
LAYER_NORM_EPS = 1e-5


def layer_norm(x: np.ndarray, weight, bias) -> np.ndarray:
    """Layer norm over the last axis, in NumPy (``runtime.engine.dense`` has the JAX one)."""
    x = np.asarray(x, np.float64)
    centred = x - x.mean(axis=-1, keepdims=True)
    scale = np.sqrt((centred * centred).mean(axis=-1, keepdims=True) + LAYER_NORM_EPS)
    return centred / scale * np.asarray(weight, np.float64) + np.asarray(bias, np.float64)


def unembedded(params: Params, residual) -> np.ndarray:
    """The output logits of residual vectors (..., d_model), in float64: the final
    layer norm where the model has one, then the unembedding. What every reader of
    a residual as an answer (the logit lens, ``Runner.decode``) goes through."""
    x = np.asarray(residual, np.float64)
    if "ln_final_w" in params:
        x = layer_norm(x, params["ln_final_w"], params["ln_final_b"])
    return x @ np.asarray(params["unembed"], np.float64)


def token_key(token: Any) -> tuple:
    """A token's identity in a vocabulary, as ``same_token`` decides it: keys are
    equal exactly when the tokens are the same (a dictionary finds a word in
    constant time)."""
    if isinstance(token, bool) or not isinstance(token, (int, float)):
        return (type(token).__name__, token)
    return ("number", token)


def full_token_embed(params: Params) -> Params:
    """``params`` with the token embedding as wide as the residual (``pos_embed``).

    A compiled model keeps only the directions its token embedding writes, which
    come first in its layout: with a vocabulary of words whose lexicon lookups are
    folded into the embedding, those are a few dozen of the residual's hundreds,
    and the table is what holds the vocabulary. The forward passes read it whole."""
    token, width = params["token_embed"], np.shape(params["pos_embed"])[1]
    if np.shape(token)[1] >= width:
        return params
    padded = np.zeros((np.shape(token)[0], width), np.asarray(token).dtype)
    padded[:, :np.shape(token)[1]] = np.asarray(token)
    return {**params, "token_embed": padded}


def _leaves(tree: Any):
    if isinstance(tree, dict):
        for value in tree.values():
            yield from _leaves(value)
    elif isinstance(tree, (list, tuple)):
        for value in tree:
            yield from _leaves(value)
    else:
        yield tree


@dataclass(frozen=True)
class ModelFacts:
    """A model's size in the figures ``raspc compile``, the demo and the benchmark report."""

    layers: int
    heads: int
    d_model: int
    d_mlp: int
    params: int
    compile_seconds: float

    def to_json(self) -> dict[str, Any]:
        return {"layers": self.layers, "heads": self.heads, "d_model": self.d_model, "d_mlp": self.d_mlp,
                "params": self.params, "compile_seconds": self.compile_seconds}


def model_facts(model: Model) -> ModelFacts:
    return ModelFacts(model.config.n_layers, model.n_heads, model.config.d_model, model.d_mlp, model.n_params,
                      float(model.stats.get("compile_seconds", 0.0)))
