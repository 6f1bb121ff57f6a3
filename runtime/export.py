"""Export a model for TransformerLens, and read such an export back.

``raspc export MODEL --transformer-lens OUT`` writes a folder:

* ``model.safetensors``: the weights under TransformerLens's classic names and shapes
  (``embed.W_E`` [d_vocab, d_model], ``pos_embed.W_pos`` [n_ctx, d_model],
  ``blocks.{l}.attn.W_Q`` / ``W_K`` / ``W_V`` [n_heads, d_model, d_head] with ``b_Q`` /
  ``b_K`` / ``b_V`` [n_heads, d_head], ``W_O`` [n_heads, d_head, d_model] with ``b_O``,
  ``blocks.{l}.mlp.W_in`` [d_model, d_mlp], ``b_in``, ``W_out`` [d_mlp, d_model],
  ``b_out``, ``unembed.W_U`` [d_model, d_vocab_out], ``b_U``);
* ``config.json``: the keyword arguments of ``HookedTransformerConfig`` (no
  normalisation, ReLU, bidirectional attention, learned positions);
* ``raspc.json``: what TransformerLens has no place for: the vocabulary (token id k is
  ``vocab[k]``; id 0 is BOS and every input starts with it, at position 0), the
  output's name, encoding and values (the columns of ``W_U``), the residual layout,
  the head and unit labels, where the program's s-ops are, and each layer's real head count and widths.

Two differences of form are bridged. TransformerLens divides attention scores by
sqrt(d_head); raspc multiplies them by the model's ``attn_scale``; so ``W_Q`` (and
``b_Q``, zero here) are multiplied by ``attn_scale * sqrt(d_head)``. And
TransformerLens gives every layer the same number of heads, head width and MLP
width; raspc's compiled layers differ, so each is padded with zeros: a padded head
has zero W_Q, W_K, W_V and W_O (it attends evenly and writes nothing), padded head
dimensions add nothing to q.k, and a padded MLP unit has zero weights and bias (ReLU
of 0 is 0). ``read_transformer_lens`` reads an export back as a raspc ``Model`` whose
forward pass is TransformerLens's, so that the padding can be checked.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
from safetensors.numpy import load_file, save

from runtime.errors import ModelFileError
from runtime.io import write_atomically
from runtime.model import HeadLabel, Layout, Model, ModelConfig, SourceName, full_token_embed

WEIGHTS = "model.safetensors"
CONFIG = "config.json"
RASPC = "raspc.json"
BOS_ID = 0


@dataclass(frozen=True)
class Export:
    """Everything an export folder holds."""

    tensors: dict[str, np.ndarray]
    config: dict
    raspc: dict


def _widths(model: Model) -> tuple[int, int, int]:
    """The common head count, head width and MLP width (at least 1 each)."""
    layers = model.params["layers"]
    heads = max([int(np.shape(l["w_q"])[0]) for l in layers] + [1])
    d_head = max([int(np.shape(l["w_q"])[2]) for l in layers] + [1])
    d_mlp = max([int(np.shape(l["w_in"])[1]) for l in layers] + [1])
    return heads, d_head, d_mlp


def _padded(array: Any, shape: tuple[int, ...]) -> np.ndarray:
    out = np.zeros(shape, np.float32)
    source = np.asarray(array, np.float32)
    out[tuple(slice(0, n) for n in source.shape)] = source
    return out


def transformer_lens_config(model: Model) -> dict:
    """``HookedTransformerConfig``'s keyword arguments for ``model``."""
    heads, d_head, d_mlp = _widths(model)
    config = model.config
    return {"n_layers": config.n_layers, "d_model": config.d_model, "n_ctx": config.max_len + 1,
            "d_head": d_head, "n_heads": heads, "d_mlp": d_mlp, "d_vocab": len(config.vocab),
            "d_vocab_out": int(np.shape(model.params["unembed"])[1]), "act_fn": "relu",
            "normalization_type": None, "attention_dir": "bidirectional",
            "positional_embedding_type": "standard", "default_prepend_bos": False,
            "model_name": f"raspc-{config.output}", "original_architecture": "raspc"}


def to_transformer_lens(model: Model) -> Export:
    """The export of ``model``: padded weights under the classic names, the config,
    and raspc's description."""
    if model.config.layer_norm:
        raise ModelFileError("a model with layer norm is not exported for TransformerLens yet "
                             "(the export writes the no-normalisation architecture)")
    heads, d_head, d_mlp = _widths(model)
    config = model.config
    d = config.d_model
    query_scale = np.float32(config.attn_scale * math.sqrt(d_head))
    tensors = {"embed.W_E": np.asarray(full_token_embed(model.params)["token_embed"], np.float32),
               "pos_embed.W_pos": np.asarray(model.params["pos_embed"], np.float32)}
    for index, layer in enumerate(model.params["layers"]):
        prefix = f"blocks.{index}"
        tensors[f"{prefix}.attn.W_Q"] = _padded(np.asarray(layer["w_q"], np.float32) * query_scale,
                                                (heads, d, d_head))
        tensors[f"{prefix}.attn.W_K"] = _padded(layer["w_k"], (heads, d, d_head))
        tensors[f"{prefix}.attn.W_V"] = _padded(layer["w_v"], (heads, d, d_head))
        tensors[f"{prefix}.attn.W_O"] = _padded(layer["w_o"], (heads, d_head, d))
        for bias in ("b_Q", "b_K", "b_V"):
            tensors[f"{prefix}.attn.{bias}"] = np.zeros((heads, d_head), np.float32)
        tensors[f"{prefix}.attn.b_O"] = np.zeros((d,), np.float32)
        tensors[f"{prefix}.mlp.W_in"] = _padded(layer["w_in"], (d, d_mlp))
        tensors[f"{prefix}.mlp.b_in"] = _padded(layer["b_in"], (d_mlp,))
        tensors[f"{prefix}.mlp.W_out"] = _padded(layer["w_out"], (d_mlp, d))
        tensors[f"{prefix}.mlp.b_out"] = np.asarray(layer["b_out"], np.float32)
    unembed = np.asarray(model.params["unembed"], np.float32)
    tensors["unembed.W_U"] = unembed
    tensors["unembed.b_U"] = np.zeros((unembed.shape[1],), np.float32)
    layers = model.params["layers"]
    raspc = {"format": 1, "bos_token_id": BOS_ID, "bos_position": 0, "config": config.to_json(),
             "query_scale": float(query_scale), "layout": model.layout.to_json(),
             "head_labels": [h.to_json() for h in model.head_labels],
             "source_names": [n.to_json() for n in model.source_names],
             "neuron_labels": [list(labels) for labels in model.neuron_labels],
             "heads_per_layer": [int(np.shape(l["w_q"])[0]) for l in layers],
             "d_head_per_layer": [int(np.shape(l["w_q"])[2]) for l in layers],
             "d_mlp_per_layer": [int(np.shape(l["w_in"])[1]) for l in layers]}
    return Export({name: np.ascontiguousarray(a) for name, a in tensors.items()},
                  transformer_lens_config(model), raspc)


def write_transformer_lens(model: Model, folder: str) -> Export:
    """Write the export of ``model`` into ``folder`` (created if missing)."""
    export = to_transformer_lens(model)
    os.makedirs(folder, exist_ok=True)
    write_atomically(os.path.join(folder, WEIGHTS), save(export.tensors, metadata={"format": "pt"}))
    write_atomically(os.path.join(folder, CONFIG), json.dumps(export.config, indent=1).encode())
    write_atomically(os.path.join(folder, RASPC), json.dumps(export.raspc, indent=1).encode())
    return export


def _read_json(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except OSError as failure:
        raise ModelFileError(f"{path}: cannot read it: {failure.strerror or failure}") from None
    except ValueError as failure:
        raise ModelFileError(f"{path}: not JSON: {failure}") from None


def from_transformer_lens(tensors: dict[str, np.ndarray], config: dict, raspc: dict) -> Model:
    """A raspc ``Model`` that computes what TransformerLens computes from an export:
    the padded widths, ``attn_scale`` 1/sqrt(d_head). Refuses nonzero attention
    or unembedding biases, which raspc's architecture does not have."""
    for name, array in tensors.items():
        if name.rsplit(".", 1)[-1] in ("b_Q", "b_K", "b_V", "b_O", "b_U") and np.any(array != 0):
            raise ModelFileError(f"{name} is not zero: raspc's models have no attention or unembedding biases")
    layers = []
    for index in range(int(config["n_layers"])):
        prefix = f"blocks.{index}"
        layers.append({"w_q": tensors[f"{prefix}.attn.W_Q"], "w_k": tensors[f"{prefix}.attn.W_K"],
                       "w_v": tensors[f"{prefix}.attn.W_V"], "w_o": tensors[f"{prefix}.attn.W_O"],
                       "w_in": tensors[f"{prefix}.mlp.W_in"], "b_in": tensors[f"{prefix}.mlp.b_in"],
                       "w_out": tensors[f"{prefix}.mlp.W_out"], "b_out": tensors[f"{prefix}.mlp.b_out"]})
    params = {"token_embed": tensors["embed.W_E"], "pos_embed": tensors["pos_embed.W_pos"], "layers": layers,
              "unembed": tensors["unembed.W_U"]}
    original = ModelConfig.from_json(raspc["config"])
    model_config = ModelConfig(original.vocab, original.max_len, int(config["d_model"]), int(config["d_head"]),
                               int(config["n_layers"]), original.output, original.output_encoding,
                               original.output_values, 1.0 / math.sqrt(int(config["d_head"])), original.kind)
    return Model(model_config, params, Layout.from_json(raspc["layout"]),
                 tuple(HeadLabel.from_json(h) for h in raspc.get("head_labels", ())),
                 tuple(tuple(labels) for labels in raspc.get("neuron_labels", ())),
                 settings={"exported_for": "transformer_lens"},
                 source_names=tuple(SourceName.from_json(n) for n in raspc.get("source_names", ())))


def read_transformer_lens(folder: str) -> Model:
    """``from_transformer_lens`` on an export folder."""
    path = os.path.join(folder, WEIGHTS)
    try:
        tensors = load_file(path)
    except (OSError, ValueError) as failure:
        raise ModelFileError(f"{path}: cannot read it: {failure}") from None
    return from_transformer_lens(tensors, _read_json(os.path.join(folder, CONFIG)),
                                 _read_json(os.path.join(folder, RASPC)))
