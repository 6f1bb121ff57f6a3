"""The shape of a trainable model, and its starting parameters.

A trained model has the compiled model's architecture (``runtime.model``) with
one head width and one MLP width throughout: ``Shape`` says how many layers,
how many heads in each, and the widths. ``shape_of`` reads it off any model (a
compiled layer's narrower heads and MLPs are widened to the widest), and
``random_params`` / ``compiled_params`` give the two starts ``raspc train`` offers.

    >>> shape = Shape(heads=(1, 1), d_model=16, d_head=4, d_mlp=8)
    >>> shape.n_layers
    2
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import jax
import numpy as np

from runtime.model import CATEGORICAL, Layout, Model, ModelConfig, Params, full_token_embed

@dataclass(frozen=True)
class Shape:
    """Layers (as heads per layer) and widths of a trainable model."""

    heads: tuple[int, ...]
    d_model: int
    d_head: int
    d_mlp: int
    layer_norm: bool = False  # pre-norm before each sublayer and the unembedding

    @property
    def n_layers(self) -> int:
        return len(self.heads)

    def to_json(self) -> dict:
        return {"layers": self.n_layers, "heads": list(self.heads), "d_model": self.d_model,
                "d_head": self.d_head, "d_mlp": self.d_mlp, "layer_norm": self.layer_norm}


def shape_of(model: Model) -> Shape:
    """A model's shape: its heads per layer, its residual width, and its widest
    head and MLP (every layer of the trained model gets those)."""
    heads = tuple(int(layer["w_q"].shape[0]) for layer in model.params["layers"])
    return Shape(heads, model.config.d_model, model.config.d_head, max(model.d_mlp, 1), model.config.layer_norm)


def overridden(shape: Shape, layers: int | None = None, heads: int | None = None,
               d_model: int | None = None, d_head: int | None = None, d_mlp: int | None = None,
               layer_norm: bool | None = None) -> Shape:
    """``shape`` with the command line's overrides. ``layers`` fewer than the
    compiled keeps the first layers' head counts; more repeats the widest layer's;
    ``heads`` sets every layer's."""
    counts = shape.heads
    if layers is not None:
        widest = max(counts, default=1)
        counts = counts[:layers] + (widest,) * max(0, layers - len(counts))
    if heads is not None:
        counts = (heads,) * len(counts)
    return replace(shape, heads=counts,
                   d_model=d_model or shape.d_model, d_head=d_head or shape.d_head, d_mlp=d_mlp or shape.d_mlp,
                   layer_norm=shape.layer_norm if layer_norm is None else layer_norm)


def trained_config(base: ModelConfig, shape: Shape) -> ModelConfig:
    """The config of a model of ``shape`` computing ``base``'s output: same
    vocabulary, positions and output values; attention scaled by 1/sqrt(d_head)."""
    return ModelConfig(base.vocab, base.max_len, shape.d_model, shape.d_head, shape.n_layers, base.output,
                       base.output_encoding, base.output_values, attn_scale=1.0 / math.sqrt(shape.d_head),
                       kind="trained", layer_norm=shape.layer_norm)


def n_outputs(config: ModelConfig) -> int:
    return len(config.output_values) if config.output_encoding == CATEGORICAL else 1


def random_params(shape: Shape, config: ModelConfig, seed: int) -> Params:
    """Gaussian weights with variance 1/fan-in (so a residual of unit size stays
    about unit size through every product), zero biases; numpy float32, drawn by
    numpy's generator (jax.random would compile a kernel for every tensor shape).

    Where every token and every position can have a direction of its own (vocab +
    positions <= d_model), the embeddings start as random orthonormal rows, as a
    compiled model's one-hot tokens and indices are: with Gaussian embeddings one
    reverse start in six (seed 1 of 0..5) stalled near 40% per sequence whatever
    the learning rate, batch or length of training; with orthonormal ones all six
    reached 99.7% or more."""
    rng = np.random.default_rng(seed)
    d = shape.d_model

    def normal(shape_, fan_in: int) -> np.ndarray:
        return (rng.standard_normal(shape_) / math.sqrt(fan_in)).astype(np.float32)

    token_embed, pos_embed = normal((len(config.vocab), d), d), normal((config.max_len + 1, d), d)
    if len(config.vocab) + config.max_len + 1 <= d:
        token_embed, pos_embed = _orthonormal_rows(rng, d, len(config.vocab), config.max_len + 1)
    params: Params = {
        "token_embed": token_embed,
        "pos_embed": pos_embed,
        "unembed": normal((d, n_outputs(config)), d),
        "layers": [],
    }
    for heads in shape.heads:
        params["layers"].append({
            "w_q": normal((heads, d, shape.d_head), d),
            "w_k": normal((heads, d, shape.d_head), d),
            "w_v": normal((heads, d, shape.d_head), d),
            "w_o": normal((heads, shape.d_head, d), heads * shape.d_head),
            "w_in": normal((d, shape.d_mlp), d),
            "b_in": np.zeros(shape.d_mlp, np.float32),
            "w_out": normal((shape.d_mlp, d), shape.d_mlp),
            "b_out": np.zeros(d, np.float32),
        })
    if shape.layer_norm:
        return with_layer_norm(params)
    return params


def with_layer_norm(params: Params) -> Params:
    """``params`` with every layer norm the identity at the start (weight 1, bias 0)."""
    d = np.shape(params["pos_embed"])[1]
    ones, zeros = np.ones(d, np.float32), np.zeros(d, np.float32)
    norms = {f"{name}_{part}": (ones if part == "w" else zeros).copy()
             for name in ("ln_attn", "ln_mlp") for part in ("w", "b")}
    return {**params, "ln_final_w": ones.copy(), "ln_final_b": zeros.copy(),
            "layers": [{**layer, **{k: v.copy() for k, v in norms.items()}} for layer in params["layers"]]}


def _orthonormal_rows(rng: np.random.Generator, d: int, tokens: int, positions: int):
    """Token and position embeddings whose rows are orthonormal, all of them together."""
    basis, _ = np.linalg.qr(rng.standard_normal((d, tokens + positions)))
    rows = basis.T.astype(np.float32)
    return rows[:tokens], rows[tokens:]


def _widened(array: np.ndarray, axis: int, width: int) -> np.ndarray:
    """``array`` padded with zeros along ``axis`` to ``width``."""
    pad = [(0, 0)] * array.ndim
    pad[axis] = (0, width - array.shape[axis])
    return np.pad(np.asarray(array, np.float32), pad)


def compiled_params(model: Model, shape: Shape, attn_scale: float) -> Params:
    """The compiled weights laid into ``shape`` (which must be the model's own, from
    ``shape_of``): narrower heads and MLPs padded with zero columns, ``w_q`` scaled
    so that the trained model's ``attn_scale`` gives the compiled scores. The
    result computes exactly what the compiled model does."""
    ratio = np.float32(model.config.attn_scale / attn_scale)
    layers = []
    for layer in model.params["layers"]:
        layers.append({
            "w_q": _widened(layer["w_q"], 2, shape.d_head) * ratio,
            "w_k": _widened(layer["w_k"], 2, shape.d_head),
            "w_v": _widened(layer["w_v"], 2, shape.d_head),
            "w_o": _widened(layer["w_o"], 1, shape.d_head),
            "w_in": _widened(layer["w_in"], 1, shape.d_mlp),
            "b_in": _widened(layer["b_in"], 0, shape.d_mlp),
            "w_out": _widened(layer["w_out"], 0, shape.d_mlp),
            "b_out": np.asarray(layer["b_out"], np.float32),
        })
    return {"token_embed": np.asarray(full_token_embed(model.params)["token_embed"], np.float32),
            "pos_embed": np.asarray(model.params["pos_embed"], np.float32),
            "unembed": np.asarray(model.params["unembed"], np.float32), "layers": layers}


def noisy(params: Params, scale: float, seed: int) -> Params:
    """``params`` plus Gaussian noise of standard deviation ``scale`` on every weight."""
    leaves, tree = jax.tree_util.tree_flatten(params)
    rng = np.random.default_rng([seed, 1])
    moved = [(np.asarray(leaf, np.float64) + scale * rng.standard_normal(np.shape(leaf))).astype(np.float32)
             for leaf in leaves]
    return jax.tree_util.tree_unflatten(tree, moved)


def trained_model(params: Params, config: ModelConfig, settings: dict, stats: dict) -> Model:
    """A trained model: no layout (its residual has no names), no labels."""
    host = jax.tree_util.tree_map(lambda a: np.asarray(a, np.float32), params)
    return Model(config, host, Layout(config.d_model, ()), settings=settings, stats=stats)
