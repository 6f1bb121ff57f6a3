"""The forward pass with a cache and hooks, named as TransformerLens names them.

``run_with_cache`` runs a model and returns its logits and every activation, keyed by
TransformerLens's hook names, so that what one learns here carries over to models
exported with ``runtime.export`` and read there, and back::

    hook_embed, hook_pos_embed                      (batch, pos, d_model)
    blocks.{l}.hook_resid_pre                       (batch, pos, d_model)
    blocks.{l}.attn.hook_q / hook_k / hook_v        (batch, pos, head, d_head)
    blocks.{l}.attn.hook_attn_scores / hook_pattern (batch, head, query, key)
    blocks.{l}.attn.hook_z                          (batch, pos, head, d_head)
    blocks.{l}.hook_attn_out                        (batch, pos, d_model)
    blocks.{l}.hook_resid_mid                       (batch, pos, d_model)
    blocks.{l}.mlp.hook_pre / hook_post             (batch, pos, d_mlp)
    blocks.{l}.hook_mlp_out, blocks.{l}.hook_resid_post

Interventions are arguments, never state: ``replacements`` maps a hook name to a
``Replace`` (where its mask is true, the activation becomes its value) or to a
function of the activation. The cache holds each activation as the rest of the pass
saw it, after its replacement.

``run_patched`` runs many interventions on one input as one batched pass: each
hook's source activation (usually the other input's, from its cache) is shared, and
its mask carries a leading patch axis, over which the pass is vmapped.

    >>> cache = run_with_cache(model.params, encode(model.config, "abc"), model.config)  # doctest: +SKIP
    >>> cache["blocks.0.attn.hook_pattern"].shape                                          # doctest: +SKIP
    (1, 1, 4, 4)
    >>> other = run_with_cache(model.params, encode(model.config, "abd"), model.config,    # doctest: +SKIP
    ...                        {"blocks.1.hook_attn_out": Replace(cache["blocks.1.hook_attn_out"])})

The arithmetic is the dense pass's (``runtime.engine.forward``): the same einsums at
the same precision, the same masking of padded keys (token id -1).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Mapping, Union

import jax
import jax.numpy as jnp
import numpy as np

from runtime.engine.batching import MASKED
from runtime.engine.dense import embed_tokens, normed, to_jax, unembed_logits
from runtime.model import ModelConfig

_HIGHEST = jax.lax.Precision.HIGHEST

EMBED = "hook_embed"
POS_EMBED = "hook_pos_embed"
_BLOCK_HOOKS = ("hook_resid_pre", "attn.hook_q", "attn.hook_k", "attn.hook_v", "attn.hook_attn_scores",
                "attn.hook_pattern", "attn.hook_z", "hook_attn_out", "hook_resid_mid", "mlp.hook_pre",
                "mlp.hook_post", "hook_mlp_out", "hook_resid_post")


def block_hook(layer: int, name: str) -> str:
    """``block_hook(2, "attn.hook_z")`` is ``"blocks.2.attn.hook_z"``."""
    return f"blocks.{layer}.{name}"


def hook_names(n_layers: int) -> tuple[str, ...]:
    """Every hook of a model with ``n_layers`` layers, in the order the pass reaches them."""
    return (EMBED, POS_EMBED) + tuple(block_hook(l, h) for l in range(n_layers) for h in _BLOCK_HOOKS)


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class Replace:
    """Replace an activation by ``value`` where ``mask`` is true (everywhere when
    ``mask`` is None). Both broadcast against the activation's shape."""

    value: Any
    mask: Any = None

    def apply(self, activation):
        value = jnp.broadcast_to(jnp.asarray(self.value, activation.dtype), activation.shape)
        if self.mask is None:
            return value
        return jnp.where(jnp.asarray(self.mask, bool), value, activation)


Replacement = Union[Replace, Callable[[jax.Array], jax.Array]]


@dataclass(frozen=True)
class Cache:
    """What one run computed: ``logits`` (batch, pos, n_outputs) and ``activations``
    by hook name, as numpy arrays (a leading patch axis on both for ``run_patched``)."""

    logits: np.ndarray
    activations: Mapping[str, np.ndarray]
    n_layers: int

    def __getitem__(self, name: str) -> np.ndarray:
        return self.activations[name]

    def __contains__(self, name: str) -> bool:
        return name in self.activations

    def names(self) -> tuple[str, ...]:
        return tuple(self.activations)

    def points(self) -> tuple[str, ...]:
        """The residual points, named as the layout's writers are: ``embed``,
        ``L0.attn``, ``L0.mlp``, ..."""
        return residual_points(self.n_layers)

    def residual(self, point: str) -> np.ndarray:
        """The residual stream after ``point`` (``embed``, ``L{l}.attn``, ``L{l}.mlp``)."""
        return self.activations[residual_hook(point)] if point != "embed" else \
            self.activations[EMBED] + self.activations[POS_EMBED]


def residual_points(n_layers: int) -> tuple[str, ...]:
    points = ["embed"]
    for layer in range(n_layers):
        points += [f"L{layer}.attn", f"L{layer}.mlp"]
    return tuple(points)


def residual_hook(point: str) -> str:
    """The hook that holds the residual after ``point``; ``embed`` is the sum of
    ``hook_embed`` and ``hook_pos_embed`` (``blocks.0.hook_resid_pre`` where there is a
    block)."""
    if point == "embed":
        return block_hook(0, "hook_resid_pre")
    layer, sublayer = point[1:].split(".")
    return block_hook(int(layer), "hook_resid_mid" if sublayer == "attn" else "hook_resid_post")


def written_hook(point: str) -> str:
    """The hook that holds what ``point`` adds to the residual (``embed``: the token
    embedding; the position embedding is the same for two inputs of one length)."""
    if point == "embed":
        return EMBED
    layer, sublayer = point[1:].split(".")
    return block_hook(int(layer), "hook_attn_out" if sublayer == "attn" else "hook_mlp_out")


# ------------------------------------------------------------------ the pass

def hooked_forward(params, token_ids, attn_scale: float, replacements: Mapping[str, Replacement],
                   keep: tuple[str, ...] | None = None):
    """(logits, {hook name: activation}) for token ids (batch, pos); padded
    positions have id -1. ``keep`` limits the activations returned (None: all)."""
    cache: dict[str, Any] = {}

    def hook(name: str, activation):
        replacement = replacements.get(name)
        if replacement is not None:
            activation = replacement.apply(activation) if isinstance(replacement, Replace) \
                else replacement(activation)
        if keep is None or name in keep:
            cache[name] = activation
        return activation

    mask = token_ids >= 0
    positions = jnp.arange(token_ids.shape[1])
    embedded = hook(EMBED, embed_tokens(params, token_ids))
    placed = hook(POS_EMBED, jnp.broadcast_to(params["pos_embed"][positions][None], embedded.shape))
    x = embedded + placed
    for index, layer in enumerate(params["layers"]):
        name = partial(block_hook, index)
        x = hook(name("hook_resid_pre"), x)
        attended = hook(name("hook_attn_out"),
                        _attention(normed(x, layer, "ln_attn"), layer, mask, attn_scale, hook, name))
        x = hook(name("hook_resid_mid"), x + attended)
        pre = hook(name("mlp.hook_pre"),
                   jnp.einsum("btd,dm->btm", normed(x, layer, "ln_mlp"), layer["w_in"], precision=_HIGHEST)
                   + layer["b_in"])
        post = hook(name("mlp.hook_post"), jax.nn.relu(pre))
        out = hook(name("hook_mlp_out"),
                   jnp.einsum("btm,md->btd", post, layer["w_out"], precision=_HIGHEST) + layer["b_out"])
        x = hook(name("hook_resid_post"), x + out)
    return unembed_logits(params, x), cache


def _attention(x, layer, mask, attn_scale, hook, name):
    q = hook(name("attn.hook_q"), jnp.einsum("btd,hde->bthe", x, layer["w_q"], precision=_HIGHEST))
    k = hook(name("attn.hook_k"), jnp.einsum("btd,hde->bthe", x, layer["w_k"], precision=_HIGHEST))
    v = hook(name("attn.hook_v"), jnp.einsum("btd,hde->bthe", x, layer["w_v"], precision=_HIGHEST))
    scores = jnp.einsum("bqhe,bkhe->bhqk", q, k, precision=_HIGHEST) * attn_scale
    scores = hook(name("attn.hook_attn_scores"), jnp.where(mask[:, None, None, :], scores, MASKED))
    pattern = hook(name("attn.hook_pattern"), jax.nn.softmax(scores, axis=-1))
    z = hook(name("attn.hook_z"), jnp.einsum("bhqk,bkhe->bqhe", pattern, v, precision=_HIGHEST))
    return jnp.einsum("bqhe,hed->bqd", z, layer["w_o"], precision=_HIGHEST)


_hooked_jit = jax.jit(hooked_forward, static_argnames=("attn_scale", "keep"))


def _patched(params, token_ids, attn_scale: float, sources, masks, keep):
    def one(patch_masks):
        replacements = {name: Replace(sources[name], patch_masks[name]) for name in patch_masks}
        return hooked_forward(params, token_ids, attn_scale, replacements, keep)

    return jax.vmap(one)(masks)


_patched_jit = jax.jit(_patched, static_argnames=("attn_scale", "keep"))


# ------------------------------------------------------------------ entry points

def _ids(token_ids) -> jnp.ndarray:
    ids = jnp.asarray(token_ids, jnp.int32)
    return ids[None] if ids.ndim == 1 else ids


def _to_numpy(logits, activations, n_layers: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """As numpy, the activations in the order the pass reaches them."""
    order = [name for name in hook_names(n_layers) if name in activations]
    return np.asarray(logits), {name: np.asarray(activations[name]) for name in order}


def run_with_cache(params, token_ids, config: ModelConfig,
                   replacements: Mapping[str, Replacement] | None = None,
                   keep: tuple[str, ...] | None = None) -> Cache:
    """Logits and every activation of one pass over token ids ((pos,) or (batch,
    pos), BOS first, padding -1), with ``replacements`` applied at their hooks.

    Only ``Replace`` replacements run compiled (jit); a function replacement runs the
    pass op by op, since a new function would be a new compilation anyway."""
    replacements = dict(replacements or {})
    unknown = sorted(set(replacements) - set(hook_names(config.n_layers)))
    if unknown:
        raise KeyError(f"no hook named {unknown[0]!r}")
    jax_params = to_jax(params)
    ids = _ids(token_ids)
    scale = float(config.attn_scale)
    keep = None if keep is None else tuple(keep)
    if all(isinstance(r, Replace) for r in replacements.values()):
        logits, activations = _hooked_jit(jax_params, ids, scale, replacements, keep)
    else:
        logits, activations = hooked_forward(jax_params, ids, scale, replacements, keep)
    return Cache(*_to_numpy(logits, activations, config.n_layers), n_layers=config.n_layers)


#: The most memory the activations of one batched patch pass may take; more
#: patches than fit run as several passes of one compiled shape.
PATCH_BYTES = 512 * 2 ** 20


def patches_per_pass(params, positions: int) -> int:
    """How many patches of one input fit in PATCH_BYTES: a rough count of the
    float32 activations one patch keeps alive through the pass."""
    per_patch = 0
    for layer in params["layers"]:
        heads, d_model, d_head = np.shape(layer["w_q"])
        d_mlp = np.shape(layer["w_in"])[1]
        per_patch += positions * (6 * d_model + 4 * heads * d_head + 2 * d_mlp + 2 * heads * positions)
    return max(1, PATCH_BYTES // max(4 * per_patch, 1))


def run_patched(params, token_ids, config: ModelConfig, sources: Mapping[str, Any],
                masks: Mapping[str, Any], keep: tuple[str, ...] = ()) -> Cache:
    """One batched pass per patch: patch k replaces hook ``name``'s activation by
    ``sources[name]`` where ``masks[name][k]`` is true. Every mask has the same
    leading patch axis; the result's logits are (patches, batch, pos, n_outputs).
    ``keep`` names the activations to return (none by default: patches are many).
    Patches that would not fit in memory at once run in passes of equal size."""
    if set(masks) - set(sources):
        raise KeyError(f"no source for {sorted(set(masks) - set(sources))[0]!r}")
    sizes = {int(np.shape(m)[0]) for m in masks.values()}
    if len(sizes) != 1:
        raise ValueError(f"every mask needs the same number of patches, not {sorted(sizes)}")
    total = sizes.pop()
    ids = _ids(token_ids)
    step = min(total, patches_per_pass(params, int(ids.shape[1])) // int(ids.shape[0]) or 1)
    jax_params = to_jax(params)
    used = {name: jnp.asarray(sources[name], jnp.float32) for name in masks}
    parts = []
    for start in range(0, total, step):
        chunk = {}
        for name, mask in masks.items():
            part = np.asarray(mask[start:start + step], bool)
            if len(part) < step:  # the last pass keeps the compiled shape: pad with empty patches
                part = np.concatenate([part, np.zeros((step - len(part),) + part.shape[1:], bool)])
            chunk[name] = jnp.asarray(part)
        parts.append(_patched_jit(jax_params, ids, float(config.attn_scale), used, chunk, tuple(keep)))
    logits = np.concatenate([np.asarray(p[0]) for p in parts])[:total]
    activations = {name: np.concatenate([np.asarray(p[1][name]) for p in parts])[:total] for name in parts[0][1]}
    return Cache(*_to_numpy(logits, activations, config.n_layers), n_layers=config.n_layers)


def head_results(cache: Cache, params, layer: int) -> np.ndarray:
    """Each head's write into the residual (batch, pos, head, d_model), in float64:
    its ``hook_z`` through its own ``w_o`` (TransformerLens's ``hook_result``)."""
    z = np.asarray(cache[block_hook(layer, "attn.hook_z")], np.float64)
    return np.einsum("bphe,hed->bphd", z, np.asarray(params["layers"][layer]["w_o"], np.float64))
