"""Model files: bit-for-bit round trips, every way a file can be refused, atomic writes."""
from __future__ import annotations

import json
import os
import struct

import numpy as np
import pytest
from safetensors.numpy import save as save_safetensors

from tests.support.hand_models import identity_model, random_model
from compiler import compile_expr
from rasp import ir
from runtime import io
from runtime.engine.forward import Runner
from runtime.errors import ModelFileError
from runtime.io import deserialize, load_model, save_model, serialize


def _flat(params) -> dict[str, np.ndarray]:
    """Written here independently of runtime.io: the pytree's arrays by path."""
    out = {"token_embed": params["token_embed"], "pos_embed": params["pos_embed"],
           "unembed": params["unembed"]}
    for index, layer in enumerate(params["layers"]):
        for name, array in layer.items():
            out[f"{index}/{name}"] = array
    return out


def assert_same_model(loaded, original) -> None:
    a, b = _flat(loaded.params), _flat(original.params)
    assert a.keys() == b.keys()
    for name in a:
        assert a[name].dtype == b[name].dtype, name
        assert a[name].shape == b[name].shape, name
        assert a[name].tobytes() == b[name].tobytes(), name
    assert loaded.config == original.config
    assert loaded.layout == original.layout
    assert loaded.head_labels == original.head_labels
    assert loaded.neuron_labels == original.neuron_labels


# ------------------------------------------------------------------ round trip

def test_round_trip_is_bit_for_bit(tmp_path):
    model = random_model(seed=1)
    path = tmp_path / "m.safetensors"
    save_model(model, str(path))
    loaded = load_model(str(path))
    assert_same_model(loaded, model)
    # value types survive JSON: 0 and False, 1 and True, 1.5 stay distinct
    assert [type(v) for v in loaded.config.output_values] == [int, str, float, bool]
    assert [type(v) for v in loaded.config.vocab] == [str, str, int, float, bool]
    assert loaded.config.attn_scale == model.config.attn_scale
    assert loaded.config.kind == "compiled"
    assert loaded.settings == {"vocab": ["x", 1, 2.5, True], "max_len": 3, "passes": ["a", "b"]}
    assert loaded.stats["compile_seconds"] == 0.125 and loaded.stats["count"] == 3
    assert loaded.stats["min_margin"] is None
    assert loaded.neuron_labels[0][0] == "unit 0.0 ünïcode"


def test_round_trip_of_special_floats_and_float64(tmp_path):
    model = random_model(seed=2)
    model.params["token_embed"] = model.params["token_embed"].astype(np.float64)
    model.params["token_embed"][0, 0] = np.nan
    model.params["token_embed"][0, 1] = -np.inf
    model.params["token_embed"][0, 2] = -0.0
    model.params["pos_embed"][0, 0] = np.float32(1e-45)  # a subnormal
    path = str(tmp_path / "m.safetensors")
    save_model(model, path)
    assert_same_model(load_model(path), model)


def test_loaded_model_runs_like_the_original(tmp_path):
    model = identity_model()
    path = str(tmp_path / "id.safetensors")
    save_model(model, path)
    inputs = [("a",), ("c", "b"), ("b", "b", "a", "c")]
    assert Runner(load_model(path)).run(inputs) == [list(x) for x in inputs]


def test_tensor_names_and_metadata_are_the_documented_ones(tmp_path):
    """Read the header with plain struct + json, as another tool would."""
    path = tmp_path / "m.safetensors"
    save_model(random_model(seed=3, heads=(1,), hidden=(2,)), str(path))
    data = path.read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    names = set(header) - {"__metadata__"}
    assert names == {"token_embed", "pos_embed", "unembed"} | {
        f"layers.0.{n}" for n in ("w_q", "w_k", "w_v", "w_o", "w_in", "b_in", "w_out", "b_out")}
    described = json.loads(header["__metadata__"]["raspc_format"])
    assert described["version"] == 1
    assert set(described) >= {"config", "layout", "head_labels", "neuron_labels", "settings", "stats"}
    assert described["config"]["output"] == "out"


# ------------------------------------------------------------------ refusals

def _refused(path, *words: str) -> str:
    with pytest.raises(ModelFileError) as caught:
        load_model(str(path))
    message = caught.value.message
    assert "\n" not in message
    for word in words:
        assert word in message, message
    return message


def test_missing_file(tmp_path):
    _refused(tmp_path / "nothing.safetensors", "no such model file")


def test_not_a_file(tmp_path):
    folder = tmp_path / "dir.safetensors"
    folder.mkdir()
    _refused(folder, "not a model file")


def test_empty_and_text_files(tmp_path):
    empty = tmp_path / "empty.safetensors"
    empty.write_bytes(b"")
    _refused(empty, "truncated")
    text = tmp_path / "text.safetensors"
    text.write_text("reverse = aggregate(select(indices, indices, ==), tokens);\n" * 3)
    _refused(text)


@pytest.mark.parametrize("keep", [0, 5, 8, 40, "header-1", "data-1", "half"])
def test_truncated_file(tmp_path, keep):
    data = serialize(random_model(seed=4))
    (length,) = struct.unpack("<Q", data[:8])
    cut = {"header-1": 8 + length - 1, "data-1": len(data) - 1, "half": len(data) // 2}.get(keep, keep)
    path = tmp_path / "cut.safetensors"
    path.write_bytes(data[:cut])
    _refused(path)


def test_bit_flip_in_header_is_refused(tmp_path):
    data = bytearray(serialize(random_model(seed=5)))
    (length,) = struct.unpack("<Q", data[:8])
    text = bytes(data[8:8 + length])
    # flip a bit inside the layout's JSON, inside the digest, and in a tensor's shape
    for needle in (b'\\"stop\\": 4', b'"raspc_sha256":"', b'"shape":['):
        position = 8 + text.index(needle) + len(needle)
        flipped = bytearray(data)
        flipped[position] ^= 0x01
        path = tmp_path / "flip.safetensors"
        path.write_bytes(bytes(flipped))
        _refused(path)


def test_every_sampled_bit_flip_is_refused():
    """A damaged file never loads as a different model: flip one bit anywhere."""
    data = serialize(random_model(seed=6, heads=(1,), hidden=(2,), d=3, d_head=1))
    rng = np.random.default_rng(0)
    positions = rng.choice(len(data) * 8, size=min(1500, len(data) * 8), replace=False)
    for bit in positions:
        flipped = bytearray(data)
        flipped[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(ModelFileError):
            deserialize(bytes(flipped), "flip.safetensors")


def test_bit_flip_in_weights_is_refused(tmp_path):
    data = bytearray(serialize(random_model(seed=7)))
    data[-3] ^= 0x10
    path = tmp_path / "flip.safetensors"
    path.write_bytes(bytes(data))
    _refused(path, "damaged")


def test_foreign_safetensors_file(tmp_path):
    path = tmp_path / "foreign.safetensors"
    path.write_bytes(save_safetensors({"weight": np.ones((2, 2), np.float32)}))
    _refused(path, "not a raspc model")
    path.write_bytes(save_safetensors({"weight": np.ones(2, np.float32)}, metadata={"format": "pt"}))
    _refused(path, "not a raspc model")


def _rewrite_description(model, change) -> bytes:
    """A file whose description was edited and re-digested: a well-formed file
    that lies, as a buggy writer would produce."""
    tensors = io.flatten_params(model.params)
    described = io.describe(model)
    change(described)
    text = json.dumps(described)
    return save_safetensors(tensors, metadata={"raspc_format": text,
                                               "raspc_sha256": io.content_digest(text, tensors)})


@pytest.mark.parametrize("change, words", [
    (lambda d: d.update(version=99), ("version 99",)),
    (lambda d: d.pop("config"), ("wrong raspc metadata",)),
    (lambda d: d["config"].pop("vocab"), ("wrong raspc metadata",)),
    (lambda d: d["config"].update(n_layers=3), ("is missing",)),
    (lambda d: d["config"].update(n_layers=0), ("unexpected tensor",)),
    (lambda d: d["config"].update(d_model=7), ("shape",)),
    (lambda d: d["config"].update(max_len=9), ("pos_embed",)),
    (lambda d: d["config"].update(output_values=[1, 2]), ("unembed",)),
    (lambda d: d["layout"]["subspaces"][0].update(stop=60), ("outside d_model",)),
    (lambda d: d.update(neuron_labels=[["one"], []]), ("neuron labels",)),
])
def test_wrong_metadata_is_refused(tmp_path, change, words):
    path = tmp_path / "lying.safetensors"
    path.write_bytes(_rewrite_description(random_model(seed=8), change))
    _refused(path, *words)


def test_metadata_that_is_not_json(tmp_path):
    model = random_model(seed=9)
    tensors = io.flatten_params(model.params)
    text = "{not json"
    path = tmp_path / "m.safetensors"
    path.write_bytes(save_safetensors(tensors, metadata={"raspc_format": text,
                                                          "raspc_sha256": io.content_digest(text, tensors)}))
    _refused(path, "not valid JSON")


def test_wrong_tensor_shape_is_refused(tmp_path):
    model = random_model(seed=10)
    model.params["layers"][0]["w_k"] = np.zeros((2, 6, 3), np.float32)  # d_head is 2
    path = tmp_path / "m.safetensors"
    path.write_bytes(serialize(model))
    _refused(path, "layers.0.w_k", "(2, 6, 3)")


def test_layers_may_have_narrower_heads_than_the_config(tmp_path):
    # A compiled layer's heads are as wide as its widest comparison: the file keeps
    # each layer's width, at most config.d_head, the same across w_q, w_k, w_v, w_o.
    model = random_model(seed=12, heads=(2, 1), d_head=3)
    layer = model.params["layers"][1]
    for name in ("w_q", "w_k", "w_v"):
        layer[name] = layer[name][:, :, :1].copy()
    layer["w_o"] = layer["w_o"][:, :1, :].copy()
    path = tmp_path / "narrow.safetensors"
    save_model(model, str(path))
    assert_same_model(load_model(str(path)), model)
    wider = random_model(seed=12, heads=(2, 1), d_head=3)
    for name in ("w_q", "w_k", "w_v"):
        wider.params["layers"][1][name] = np.zeros((1, 6, 4), np.float32)
    wider.params["layers"][1]["w_o"] = np.zeros((1, 4, 6), np.float32)
    path.write_bytes(serialize(wider))
    _refused(path, "layers.1.w_q", "(1, 6, 4)")


def test_integer_tensors_are_refused(tmp_path):
    model = random_model(seed=11)
    tensors = io.flatten_params(model.params)
    tensors["unembed"] = tensors["unembed"].astype(np.int32)
    text = json.dumps(io.describe(model))
    path = tmp_path / "m.safetensors"
    path.write_bytes(save_safetensors(tensors, metadata={"raspc_format": text,
                                                          "raspc_sha256": io.content_digest(text, tensors)}))
    _refused(path, "not floats")


# ------------------------------------------------------------------ writing

def test_save_refuses_a_missing_folder_and_a_folder_target(tmp_path):
    with pytest.raises(ModelFileError, match="does not exist"):
        save_model(identity_model(), str(tmp_path / "no" / "m.safetensors"))
    with pytest.raises(ModelFileError, match="folder"):
        save_model(identity_model(), str(tmp_path))


def test_save_in_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    save_model(identity_model(), "here.safetensors")
    assert_same_model(load_model("here.safetensors"), identity_model())


def test_crash_mid_write_leaves_the_old_file_whole(tmp_path, monkeypatch):
    path = str(tmp_path / "m.safetensors")
    old = random_model(seed=12)
    save_model(old, path)
    old_bytes = open(path, "rb").read()

    def crash_half_way(handle, data):
        handle.write(data[: len(data) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(io, "_write_all", crash_half_way)
    with pytest.raises(ModelFileError, match="No space left"):
        save_model(random_model(seed=13), path)
    assert open(path, "rb").read() == old_bytes
    assert_same_model(load_model(path), old)
    assert os.listdir(tmp_path) == ["m.safetensors"]  # the partial temporary file is gone


def test_interrupt_before_rename_leaves_the_old_file_whole(tmp_path, monkeypatch):
    """A process killed between writing and renaming: the destination is untouched
    (the half-written temporary file may stay behind, under a hidden name)."""
    path = str(tmp_path / "m.safetensors")
    old = random_model(seed=14)
    save_model(old, path)

    def killed(*_args):
        raise KeyboardInterrupt

    monkeypatch.setattr(io.os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        save_model(random_model(seed=15), path)
    monkeypatch.undo()
    assert_same_model(load_model(path), old)
    leftovers = [name for name in os.listdir(tmp_path) if name != "m.safetensors"]
    assert all(name.startswith(".") for name in leftovers)


def test_overwrite_replaces_the_file(tmp_path):
    path = str(tmp_path / "m.safetensors")
    save_model(random_model(seed=16), path)
    new = random_model(seed=17, heads=(1, 1, 3), hidden=(0, 4, 1))
    save_model(new, path)
    assert_same_model(load_model(path), new)


def test_compiled_model_round_trip(tmp_path):
    flip = ir.Select(keys=(ir.INDICES,), queries=(ir.LENGTH - ir.INDICES - 1,),
                     predicate=ir.Compare("==", 0, 0))
    model = compile_expr(ir.Aggregate(flip, ir.TOKENS).named("reverse"), ("a", "b"), 4)
    path = str(tmp_path / "reverse.safetensors")
    save_model(model, path)
    loaded = load_model(path)
    assert_same_model(loaded, model)
    assert loaded.stats["compile_seconds"] == model.stats["compile_seconds"]
    assert loaded.settings["max_len"] == 4
