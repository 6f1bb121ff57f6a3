"""The dense forward pass: the model's architecture as one readable function.

``_run`` is the whole model, nanoGPT style, as a function of (params, token_ids):
embed, then per layer attention (all heads, summed into the residual) and a ReLU
MLP (added too), every matrix multiplied whole. ``forward`` gives the last
residual, ``trace`` every intermediate (the lens reads it), ``dense_logits`` the
output logits (what ``runtime.engine.forward.Runner`` runs for a trained model,
whose matrices have no zeros to skip). A compiled model, mostly zeros, runs by the
packed pass (``runtime.engine.packed``), which computes the same function over the
nonzero blocks only; this pass is its reference.

Token ids are (batch, positions) or (positions,), BOS first, padded with PAD
(``runtime.engine.batching``): padded positions are masked out as keys and their
outputs are whatever they are (callers drop them).

    >>> residual = forward(model.params, encode(model.config, "abc"), model.config)  # doctest: +SKIP
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from runtime.engine.batching import MASKED, in_slices
from runtime.model import LAYER_NORM_EPS, ModelConfig, full_token_embed

_HIGHEST = jax.lax.Precision.HIGHEST

#: Batches larger than this run as a loop over slices of this many sequences. On a
#: CPU a slice's activations stay in cache; one pass over 1,024 sequences at once
#: was measured about three times slower than four passes over 256.
DENSE_SLICE = 256


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


def embed_tokens(params, token_ids):
    """The token embedding of ``token_ids`` (a padded position reads row 0) as wide
    as the residual: a compiled table may keep only the residual's first directions
    (``runtime.model.full_token_embed``), the rest being zero."""
    rows = params["token_embed"][jnp.maximum(token_ids, 0)]
    missing = params["pos_embed"].shape[-1] - rows.shape[-1]
    return jnp.pad(rows, [(0, 0)] * (rows.ndim - 1) + [(0, missing)]) if missing > 0 else rows


def normed(x, params, name: str):
    """Layer norm ``name`` (``ln_attn``, ``ln_mlp``, ``ln_final``) of ``x`` where the
    model has layer norm, else ``x`` itself: what a sublayer or the unembedding reads."""
    if f"{name}_w" not in params:
        return x
    centred = x - jnp.mean(x, axis=-1, keepdims=True)
    scale = jnp.sqrt(jnp.mean(centred * centred, axis=-1, keepdims=True) + LAYER_NORM_EPS)
    return centred / scale * params[f"{name}_w"] + params[f"{name}_b"]


def unembed_logits(params, x):
    """The output logits of residuals ``x`` (batch, positions, d_model)."""
    return jnp.einsum("btd,dn->btn", normed(x, params, "ln_final"), params["unembed"], precision=_HIGHEST)


def _run(params, token_ids, attn_scale: float, keep: bool, edit=None):
    """Embed, then attention + MLP per layer. With ``keep``, also every residual,
    pattern and hidden activation. ``edit`` (see ``run_dense``) may replace the
    residual at each point."""
    mask = token_ids >= 0
    positions = jnp.arange(token_ids.shape[1])
    edit = edit or (lambda point, residual: residual)
    x = edit(0, embed_tokens(params, token_ids) + params["pos_embed"][positions][None])
    residuals, patterns, hiddens = [x], [], []
    for layer in params["layers"]:
        attended, pattern = _attention(normed(x, layer, "ln_attn"), layer, mask, attn_scale)
        x = edit(len(residuals), x + attended)
        residuals.append(x)
        mlp_out, hidden = _mlp(normed(x, layer, "ln_mlp"), layer)
        x = edit(len(residuals), x + mlp_out)
        residuals.append(x)
        patterns.append(pattern)
        hiddens.append(hidden)
    if keep:
        return x, residuals, patterns, hiddens
    return x


def run_dense(params, token_ids, attn_scale: float, keep: bool = False, edit=None):
    """The dense pass as a plain, differentiable function, for callers that jit it
    themselves (training, comparison). ``edit(point, residual)``, where given, returns
    the residual to carry on with at residual point ``point`` (0 is the embedding,
    ``2l + 1`` after layer l's attention, ``2l + 2`` after its MLP): the hook for
    interchange interventions. Returns what ``_run`` returns."""
    return _run(params, token_ids, attn_scale, keep, edit)


def to_jax(params) -> Any:
    """The parameter pytree as float32 JAX arrays (the token embedding as wide as the
    residual)."""
    return jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float32), full_token_embed(params))


def _batched(token_ids) -> tuple[jnp.ndarray, bool]:
    ids = jnp.asarray(token_ids, jnp.int32)
    return (ids[None], True) if ids.ndim == 1 else (ids, False)


_run_jit = jax.jit(_run, static_argnames=("attn_scale", "keep"))


def _run_in_slices(params, token_ids, attn_scale: float):
    """``_run`` over a batch, a slice of DENSE_SLICE sequences at a time."""
    return in_slices(lambda part: _run(params, part, attn_scale, keep=False), token_ids, DENSE_SLICE)


_run_in_slices_jit = jax.jit(_run_in_slices, static_argnames=("attn_scale",))


def dense_residual(params, token_ids, attn_scale: float):
    """The residual after the last layer of a batch (batch, positions, d_model), from
    parameters already on the device (``to_jax``)."""
    return _run_in_slices_jit(params, jnp.asarray(token_ids, jnp.int32), attn_scale=attn_scale)


def forward(params, token_ids, config: ModelConfig) -> jnp.ndarray:
    """The residual after the last layer: (positions, d_model) for one input,
    (batch, positions, d_model) for a batch (pad with PAD)."""
    ids, single = _batched(token_ids)
    out = dense_residual(to_jax(params), ids, attn_scale=float(config.attn_scale))
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


@partial(jax.jit, static_argnames=("attn_scale",))
def dense_logits(params, token_ids, attn_scale: float):
    """The output logits (batch, positions, n_outputs) of a batch of token ids, from
    ``params`` already converted (``to_jax``). One jitted function for every model:
    models of the same shapes share compilations."""
    return unembed_logits(params, _run_in_slices(params, token_ids, attn_scale))
