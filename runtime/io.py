"""Model files: one ``.safetensors`` file, weights plus a JSON description.

The tensors are the parameter pytree flattened with dotted names
(``token_embed``, ``pos_embed``, ``layers.0.w_q``, ..., ``unembed``). The file's
metadata holds one entry, ``raspc_format``: a JSON object with the format version,
the ``ModelConfig``, the residual ``Layout``, the head and neuron labels, and the
compile or training settings and figures. A second entry, ``raspc_sha256``,
is a digest of that JSON text and of every tensor (name, dtype, shape, bytes),
so that a damaged file is refused instead of silently computing something else.

Nothing is ever unpickled: safetensors holds raw little-endian arrays, and the
description is JSON.

Writing is atomic: the bytes go to a temporary file in the destination's folder,
are flushed to disk, and only then renamed over the destination, so a crash at any
moment leaves either the old file or the new one, whole.

    >>> save_model(model, "reverse.safetensors")        # doctest: +SKIP
    >>> load_model("reverse.safetensors").config.output  # doctest: +SKIP
    'reverse'
"""
from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from runtime.errors import ModelFileError
from runtime.model import CATEGORICAL, HeadLabel, Layout, Model, ModelConfig, SourceName, grid_width

FORMAT_KEY = "raspc_format"
DIGEST_KEY = "raspc_sha256"
FORMAT_VERSION = 1

LAYER_TENSORS = ("w_q", "w_k", "w_v", "w_o", "w_in", "b_in", "w_out", "b_out")
TOP_TENSORS = ("token_embed", "pos_embed", "unembed")
#: A model with layer norm (``ModelConfig.layer_norm``) has these as well.
LAYER_NORM_TENSORS = ("ln_attn_w", "ln_attn_b", "ln_mlp_w", "ln_mlp_b")
FINAL_NORM_TENSORS = ("ln_final_w", "ln_final_b")
_FLOAT_DTYPES = (np.float16, np.float32, np.float64)

# The safetensors header is a little-endian u64 length, then that many bytes of
# JSON. A header longer than this is not a model of ours (and would be a memory
# hazard to parse).
_MAX_HEADER = 100 * 1024 * 1024


# ------------------------------------------------------------------ naming

def _tensor_names(layer_norm: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(top-level names, per-layer names) of a model with or without layer norm."""
    if layer_norm:
        return TOP_TENSORS + FINAL_NORM_TENSORS, LAYER_TENSORS + LAYER_NORM_TENSORS
    return TOP_TENSORS, LAYER_TENSORS


def flatten_params(params: dict) -> dict[str, np.ndarray]:
    """The parameter pytree as ``{dotted name: array}``, in a fixed order."""
    top, per_layer = _tensor_names(FINAL_NORM_TENSORS[0] in params)
    flat = {name: params[name] for name in top}
    for index, layer in enumerate(params["layers"]):
        for name in per_layer:
            flat[f"layers.{index}.{name}"] = layer[name]
    return {name: np.ascontiguousarray(np.asarray(array)) for name, array in flat.items()}


def unflatten_params(flat: dict[str, np.ndarray], n_layers: int) -> dict:
    """The inverse of ``flatten_params``; the caller has checked the names."""
    top, per_layer = _tensor_names(FINAL_NORM_TENSORS[0] in flat)
    params: dict[str, Any] = {name: flat[name] for name in top}
    params["layers"] = [{name: flat[f"layers.{index}.{name}"] for name in per_layer}
                        for index in range(n_layers)]
    return params


def expected_names(n_layers: int, layer_norm: bool = False) -> set[str]:
    top, per_layer = _tensor_names(layer_norm)
    return set(top) | {f"layers.{l}.{name}" for l in range(n_layers) for name in per_layer}


# ------------------------------------------------------------------ description

def _json_safe(value: Any) -> Any:
    """Settings and stats as plain JSON: numpy scalars and arrays become Python
    values, tuples lists; anything else is written as its text."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return _json_safe(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return str(value)


def describe(model: Model) -> dict:
    """Everything but the weights, as the JSON object stored in the file."""
    return {
        "version": FORMAT_VERSION,
        "config": model.config.to_json(),
        "layout": model.layout.to_json(),
        "head_labels": [label.to_json() for label in model.head_labels],
        "neuron_labels": [list(labels) for labels in model.neuron_labels],
        "settings": _json_safe(model.settings),
        "stats": _json_safe(model.stats),
    } | ({"source_names": [n.to_json() for n in model.source_names]} if model.source_names else {})


def content_digest(description_text: str, tensors: dict[str, np.ndarray]) -> str:
    """SHA-256 of a file's JSON text and every tensor (name, dtype, shape, bytes), so
    that any change to either is caught on reading (model files and checkpoints)."""
    digest = hashlib.sha256(description_text.encode("utf-8"))
    for name in sorted(tensors):
        array = tensors[name]
        digest.update(f"\0{name}\0{array.dtype.str}\0{array.shape}\0".encode("utf-8"))
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


# ------------------------------------------------------------------ save

def serialize(model: Model) -> bytes:
    """The file's bytes (safetensors with our metadata)."""
    from safetensors.numpy import save

    tensors = flatten_params(model.params)
    for name, array in tensors.items():
        if array.dtype.type not in _FLOAT_DTYPES:
            raise ValueError(f"parameter {name} has dtype {array.dtype}; model files hold floats")
    text = json.dumps(describe(model), ensure_ascii=False, sort_keys=True, allow_nan=True)
    metadata = {FORMAT_KEY: text, DIGEST_KEY: content_digest(text, tensors)}
    return save(tensors, metadata=metadata)


def _write_all(handle, data: bytes) -> None:
    """Write every byte (its own function so a test can interrupt it half way)."""
    view = memoryview(data)
    while view:
        written = handle.write(view)
        view = view[written:]


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable where the platform allows it."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _default_mode() -> int:
    """What ``open`` would give a new file (mkstemp's own files are private)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def save_model(model: Model, path: str) -> None:
    """Write ``model`` to ``path`` atomically (temporary file, fsync, rename).

    Raises ModelFileError when the destination cannot be written (a missing
    folder, a folder in the way, no permission).
    """
    # The checks that loading makes, made before writing: a file that could not be
    # read back must never replace a good one.
    check_names(flatten_params(model.params), len(model.params["layers"]), "the model", model.config.layer_norm)
    check_shapes(model, "the model")
    data = serialize(model)
    target = Path(path)
    folder = str(target.parent) if str(target.parent) else "."
    if target.is_dir():
        raise ModelFileError(f"cannot write the model to {path}: it is a folder")
    if not os.path.isdir(folder):
        raise ModelFileError(f"cannot write the model to {path}: the folder {folder} does not exist")
    try:
        write_atomically(path, data)
    except OSError as failure:
        raise ModelFileError(f"cannot write the model to {path}: {failure.strerror or failure}") from None


def write_atomically(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader sees the old file or the whole new
    one, never half of it: a temporary file beside it, fsync, rename (with the mode
    ``open`` would give). Any failure removes the temporary file and goes on up
    (an OSError for the caller to word)."""
    target = Path(path)
    folder = str(target.parent) if str(target.parent) else "."
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            _write_all(handle, data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, _default_mode())
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    _fsync_folder(folder)


# ------------------------------------------------------------------ load

def _read_bytes(path: str) -> bytes:
    target = Path(path)
    if not target.exists():
        raise ModelFileError(f"no such model file: {path}")
    if not target.is_file():
        raise ModelFileError(f"{path} is not a model file (it is a folder or a device)")
    try:
        return target.read_bytes()
    except OSError as failure:
        raise ModelFileError(f"cannot read {path}: {failure.strerror or failure}") from None


def _header(data: bytes, path: str) -> dict:
    """The safetensors header, checked enough to trust its offsets."""
    if len(data) < 8:
        raise ModelFileError(f"{path} is not a model file: it is {len(data)} bytes long (truncated?)")
    (length,) = struct.unpack("<Q", data[:8])
    if length > _MAX_HEADER:
        raise ModelFileError(f"{path} is not a safetensors model file (its header length is implausible)")
    if 8 + length > len(data):
        raise ModelFileError(f"{path} is damaged: the file ends inside its header (truncated?)")
    try:
        header = json.loads(data[8:8 + length].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ModelFileError(f"{path} is damaged or not a safetensors file: its header is not valid JSON") from None
    if not isinstance(header, dict):
        raise ModelFileError(f"{path} is damaged or not a safetensors file: its header is not an object")
    payload = len(data) - 8 - length
    ends = [entry.get("data_offsets", [0, 0])[1] for name, entry in header.items()
            if name != "__metadata__" and isinstance(entry, dict)
            and isinstance(entry.get("data_offsets"), list) and len(entry["data_offsets"]) == 2]
    if any(not isinstance(end, int) or end > payload for end in ends):
        raise ModelFileError(f"{path} is damaged: its data ends early (truncated?)")
    return header


def _description(header: dict, path: str) -> tuple[str, str]:
    metadata = header.get("__metadata__")
    if not isinstance(metadata, dict) or FORMAT_KEY not in metadata:
        raise ModelFileError(
            f"{path} is a safetensors file but not a raspc model (no '{FORMAT_KEY}' metadata)")
    text, digest = metadata[FORMAT_KEY], metadata.get(DIGEST_KEY)
    if not isinstance(text, str) or not isinstance(digest, str):
        raise ModelFileError(f"{path} has damaged raspc metadata (missing its digest)")
    return text, digest


def _tensors(data: bytes, path: str) -> dict[str, np.ndarray]:
    from safetensors.numpy import load

    try:
        loaded = load(data)
    except Exception as failure:  # safetensors reports damage with its own exception types
        reason = str(failure).splitlines()[0] if str(failure) else type(failure).__name__
        raise ModelFileError(f"{path} is damaged: {reason}") from None
    return {name: np.array(array, copy=True) for name, array in loaded.items()}


def _parse_description(text: str, path: str) -> dict:
    try:
        description = json.loads(text)
    except json.JSONDecodeError:
        raise ModelFileError(f"{path} has damaged raspc metadata (not valid JSON)") from None
    if not isinstance(description, dict):
        raise ModelFileError(f"{path} has damaged raspc metadata (not a JSON object)")
    version = description.get("version")
    if version != FORMAT_VERSION:
        raise ModelFileError(
            f"{path} is raspc model format version {version!r}; this raspc reads version {FORMAT_VERSION}")
    return description


def _build_model(description: dict, tensors: dict[str, np.ndarray], path: str) -> Model:
    try:
        config = ModelConfig.from_json(description["config"])
        layout = Layout.from_json(description["layout"])
        head_labels = tuple(HeadLabel.from_json(h) for h in description.get("head_labels", ()))
        neuron_labels = tuple(tuple(str(n) for n in layer) for layer in description.get("neuron_labels", ()))
        settings = dict(description.get("settings") or {})
        stats = dict(description.get("stats") or {})
        source_names = tuple(SourceName.from_json(n) for n in description.get("source_names", ()))
    except (KeyError, TypeError, ValueError, AttributeError) as failure:
        raise ModelFileError(f"{path} has wrong raspc metadata: {type(failure).__name__} {failure}") from None
    check_names(tensors, config.n_layers, path, config.layer_norm)
    params = unflatten_params(tensors, config.n_layers)
    model = Model(config, params, layout, head_labels, neuron_labels, settings, stats, source_names)
    check_shapes(model, path)
    return model


def check_names(tensors: dict[str, np.ndarray], n_layers: int, path: str, layer_norm: bool = False) -> None:
    expected = expected_names(n_layers, layer_norm)
    missing = sorted(expected - tensors.keys())
    extra = sorted(tensors.keys() - expected)
    if missing:
        raise ModelFileError(f"{path} does not match its config: tensor {missing[0]} is missing")
    if extra:
        raise ModelFileError(f"{path} does not match its config: unexpected tensor {extra[0]}")


def _expected_shapes(model: Model) -> dict[str, tuple]:
    """Every tensor's shape as the config and the layer widths require it."""
    config = model.config
    d, d_head = config.d_model, config.d_head
    # A compiled token embedding may keep only the residual's first directions.
    embed_width = model.params["token_embed"].shape[-1] if model.params["token_embed"].ndim == 2 else d
    shapes: dict[str, tuple] = {
        "token_embed": (len(config.vocab), embed_width if 1 <= embed_width <= d else d),
        "pos_embed": (config.max_len + 1, d),
    }
    n_outputs = model.params["unembed"].shape[-1] if model.params["unembed"].ndim == 2 else -1
    if config.output_encoding == "categorical" and config.output_values:
        n_outputs = len(config.output_values)
    shapes["unembed"] = (d, n_outputs)
    for index, layer in enumerate(model.params["layers"]):
        heads = layer["w_q"].shape[0] if layer["w_q"].ndim == 3 else -1
        hidden = layer["b_in"].shape[0] if layer["b_in"].ndim == 1 else -1
        # A layer's heads may be narrower than the widest layer's (config.d_head).
        width = layer["w_q"].shape[2] if layer["w_q"].ndim == 3 and 1 <= layer["w_q"].shape[2] <= d_head else d_head
        prefix = f"layers.{index}."
        shapes.update({
            prefix + "w_q": (heads, d, width), prefix + "w_k": (heads, d, width),
            prefix + "w_v": (heads, d, width), prefix + "w_o": (heads, width, d),
            prefix + "w_in": (d, hidden), prefix + "b_in": (hidden,),
            prefix + "w_out": (hidden, d), prefix + "b_out": (d,),
        })
        if config.layer_norm:
            shapes.update({prefix + name: (d,) for name in LAYER_NORM_TENSORS})
    if config.layer_norm:
        shapes.update({name: (d,) for name in FINAL_NORM_TENSORS})
    return shapes


def check_shapes(model: Model, path: str) -> None:
    """Every tensor's shape and the layout's extent against the config."""
    flat = flatten_params(model.params)
    for name, shape in _expected_shapes(model).items():
        if tuple(flat[name].shape) != shape:
            raise ModelFileError(
                f"{path} does not match its config: {name} has shape {tuple(flat[name].shape)}, "
                f"expected {shape}")
        if flat[name].dtype.type not in _FLOAT_DTYPES:
            raise ModelFileError(f"{path} holds {name} as {flat[name].dtype}, not floats")
    layout = model.layout
    if layout.subspaces and layout.d_model != model.config.d_model:
        raise ModelFileError(
            f"{path} does not match its config: the layout is {layout.d_model} wide, "
            f"d_model is {model.config.d_model}")
    for subspace in layout.subspaces:
        if not 0 <= subspace.start <= subspace.stop <= model.config.d_model:
            raise ModelFileError(
                f"{path} does not match its config: subspace {subspace.name} "
                f"[{subspace.start}, {subspace.stop}) lies outside d_model {model.config.d_model}")
        if subspace.grid_rows and (subspace.encoding != CATEGORICAL or subspace.width != grid_width(
                len(subspace.values), subspace.grid_rows)):
            raise ModelFileError(
                f"{path} does not match its config: subspace {subspace.name} is not a grid of "
                f"{subspace.grid_rows} rows for its {len(subspace.values)} values")
    if model.neuron_labels:
        for index, (labels, layer) in enumerate(zip(model.neuron_labels, model.params["layers"])):
            if len(labels) != layer["b_in"].shape[0]:
                raise ModelFileError(
                    f"{path} does not match its config: layer {index} has {layer['b_in'].shape[0]} "
                    f"MLP units but {len(labels)} neuron labels")


def load_model(path: str) -> Model:
    """Read a model written by ``save_model``; the arrays come back bit for bit.

    Raises ModelFileError (one line) when the file is missing, not a file,
    truncated, damaged anywhere (the digest covers every byte that matters), a
    safetensors file that is not one of ours, or inconsistent with its own config.
    """
    path = str(path)
    return deserialize(_read_bytes(path), path)


def deserialize(data: bytes, path: str = "<bytes>") -> Model:
    """The model held in a file's bytes (``path`` only names it in errors)."""
    header = _header(data, path)
    text, digest = _description(header, path)
    tensors = _tensors(data, path)
    if content_digest(text, tensors) != digest:
        raise ModelFileError(f"{path} is damaged: its contents do not match the digest written with it")
    return _build_model(_parse_description(text, path), tensors, path)


def is_model_file(path: str) -> bool:
    """Whether a command-line argument names a model file rather than a program."""
    return str(path).endswith(".safetensors")


def params_equal(a: dict, b: dict) -> bool:
    """Whether two parameter pytrees hold the same arrays, bit for bit."""
    left, right = flatten_params(a), flatten_params(b)
    return left.keys() == right.keys() and all(
        left[k].dtype == right[k].dtype and left[k].shape == right[k].shape
        and left[k].tobytes() == right[k].tobytes() for k in left)


__all__ = ["save_model", "write_atomically", "load_model", "serialize", "deserialize", "describe", "flatten_params", "unflatten_params",
           "is_model_file", "params_equal", "FORMAT_VERSION"]
