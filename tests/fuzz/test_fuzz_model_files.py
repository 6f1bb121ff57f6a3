"""Model-file fuzzing: damaged, inconsistent and foreign files are refused.

A model file is trusted only through ``runtime.io.load_model``; every file here that
is not a whole, consistent model written by ``save_model`` must make it raise
``ModelFileError``, and nothing else: truncated files, files with flipped bits,
files whose tensors disagree with their own config, files with edited metadata, and
safetensors files from elsewhere. And writing is atomic: a process killed while it
saves leaves the destination whole. ``RASPC_FUZZ=full`` flips every bit position of
the header and many more of the data, and kills many more writers.
"""
from __future__ import annotations

import dataclasses
import json
import os
import random
import signal
import struct
import subprocess
import sys
import time

import numpy as np
import pytest
from safetensors.numpy import save

from compiler import compile_program
from rasp.parser import parse
from rasp.stage import stage
from runtime.errors import ModelFileError
from runtime.io import load_model, params_equal, save_model

FULL_RUN = os.environ.get("RASPC_FUZZ") == "full"
FLIPS = 20_000 if FULL_RUN else 1_500
CUTS = 5_000 if FULL_RUN else 400
KILLS = 40 if FULL_RUN else 3

SOURCE = ('@vocab {"a", "b", "c"}; @max_len 4; @output result;\n'
          "flip = aggregate(select(indices, length - indices - 1, ==), tokens);\n"
          'result = flip == "a" or selector_width(select(tokens, tokens, ==)) > 1;\n')


@pytest.fixture(scope="module")
def model():
    return compile_program(stage(parse(SOURCE)))


@pytest.fixture(scope="module")
def good_bytes(model, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "good.safetensors"
    save_model(model, str(path))
    load_model(str(path))  # the undamaged file loads
    return path.read_bytes()


def _refused(tmp_path, data: bytes, name: str = "case.safetensors") -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ModelFileError):
        load_model(str(path))


def _header_length(data: bytes) -> int:
    return 8 + struct.unpack("<Q", data[:8])[0]


@pytest.mark.slow
def test_fuzz_truncated_files_are_refused(good_bytes, tmp_path):
    rng = random.Random(0)
    header_end = _header_length(good_bytes)
    lengths = set(range(0, min(header_end + 16, len(good_bytes))))  # every cut in and just after the header
    lengths |= {rng.randrange(len(good_bytes)) for _ in range(CUTS)}
    lengths.add(len(good_bytes) - 1)
    for length in sorted(lengths):
        _refused(tmp_path, good_bytes[:length])


def test_fuzz_bit_flips_are_refused(good_bytes, tmp_path):
    rng = random.Random(1)
    header_end = _header_length(good_bytes)
    positions = [rng.randrange(len(good_bytes)) for _ in range(FLIPS)]
    positions += [rng.randrange(header_end) for _ in range(FLIPS // 3)]
    if FULL_RUN:
        positions += list(range(header_end))
    for position in positions:
        damaged = bytearray(good_bytes)
        damaged[position] ^= 1 << rng.randrange(8)
        _refused(tmp_path, bytes(damaged))


def test_fuzz_random_byte_runs_are_refused(good_bytes, tmp_path):
    rng = random.Random(2)
    for _ in range(200):
        damaged = bytearray(good_bytes)
        start = rng.randrange(len(damaged))
        for k in range(start, min(len(damaged), start + rng.randint(2, 64))):
            damaged[k] = rng.randrange(256)
        if bytes(damaged) != good_bytes:
            _refused(tmp_path, bytes(damaged))


def _edit_metadata(data: bytes, edit) -> bytes:
    """The same file with its safetensors header (JSON) rewritten by ``edit``."""
    end = _header_length(data)
    header = json.loads(data[8:end])
    edit(header)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data[end:]


def _edit_description(change):
    def edit(header):
        metadata = header["__metadata__"]
        description = json.loads(metadata["raspc_format"])
        change(description)
        metadata["raspc_format"] = json.dumps(description)
    return edit


@pytest.mark.parametrize("change", [
    lambda d: d["config"].__setitem__("n_layers", d["config"]["n_layers"] + 1),
    lambda d: d["config"].__setitem__("d_model", d["config"]["d_model"] + 3),
    lambda d: d["config"].__setitem__("max_len", 9),
    lambda d: d["config"].__setitem__("vocab", ["<BOS>", "a"]),
    lambda d: d["config"].__setitem__("output", "flip"),
    lambda d: d.__setitem__("version", 99),
    lambda d: d.pop("config"),
    lambda d: d.__setitem__("layout", "nonsense"),
], ids=["n_layers", "d_model", "max_len", "vocab", "output", "version", "no-config", "layout"])
def test_fuzz_edited_metadata_is_refused(good_bytes, tmp_path, change):
    _refused(tmp_path, _edit_metadata(good_bytes, _edit_description(change)))


@pytest.mark.parametrize("edit", [
    lambda h: h["__metadata__"].pop("raspc_sha256"),
    lambda h: h["__metadata__"].__setitem__("raspc_sha256", "0" * 64),
    lambda h: h["__metadata__"].__setitem__("raspc_format", "{not json"),
    lambda h: h.pop("__metadata__"),
    lambda h: h[next(k for k in h if k != "__metadata__")].__setitem__("dtype", "F16"),
    lambda h: h[next(k for k in h if k != "__metadata__")].__setitem__("shape", [1]),
    lambda h: h[next(k for k in h if k != "__metadata__")].__setitem__("data_offsets", [0, 10 ** 12]),
    lambda h: h.__setitem__("extra", {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}),
], ids=["no-digest", "wrong-digest", "bad-json", "no-metadata", "dtype", "shape", "offsets", "extra-tensor"])
def test_fuzz_edited_headers_are_refused(good_bytes, tmp_path, edit):
    _refused(tmp_path, _edit_metadata(good_bytes, edit))


def _with_params(model, change):
    params = {**model.params, "layers": [dict(layer) for layer in model.params["layers"]]}
    change(params)
    return dataclasses.replace(model, params=params)


@pytest.mark.parametrize("change", [
    lambda p: p.__setitem__("token_embed", np.zeros((2, p["token_embed"].shape[1]), np.float32)),
    lambda p: p.__setitem__("pos_embed", p["pos_embed"][:, :-1]),
    lambda p: p.__setitem__("unembed", np.zeros((3, 3), np.float32)),
    lambda p: p["layers"][0].__setitem__("w_q", p["layers"][0]["w_q"][:, :, :-1]),
    lambda p: p["layers"][0].__setitem__("b_in", np.zeros((p["layers"][0]["b_in"].shape[0] + 1,), np.float32)),
    lambda p: p["layers"].pop(),
], ids=["token_embed", "pos_embed", "unembed", "w_q", "b_in", "layer-missing"])
def test_fuzz_wrong_shapes_are_refused(model, tmp_path, change):
    """A model whose arrays disagree with its own config: refused on saving, or, if
    saved, on loading (the file is then signed, so only consistency checks remain)."""
    path = tmp_path / "shape.safetensors"
    try:
        save_model(_with_params(model, change), str(path))
    except (ModelFileError, ValueError):
        return
    with pytest.raises(ModelFileError):
        load_model(str(path))


def _foreign_files():
    rng = np.random.default_rng(3)
    tensors = {"weight": rng.standard_normal((4, 4)).astype(np.float32)}
    yield "plain-safetensors", save(tensors)
    yield "other-metadata", save(tensors, metadata={"format": "pt"})
    yield "our-key-no-digest", save(tensors, metadata={"raspc_format": "{}"})
    yield "empty-safetensors", save({})
    yield "int-tensors", save({"token_embed": np.arange(12, dtype=np.int64).reshape(3, 4)})
    yield "empty-file", b""
    yield "seven-bytes", b"\x01" * 7
    yield "huge-header-length", struct.pack("<Q", 2 ** 64 - 1) + b"{}"
    yield "header-past-end", struct.pack("<Q", 1000) + b"{}"
    yield "json-array-header", struct.pack("<Q", 8) + b"[1,2,3] "
    yield "json-text", json.dumps({"config": {}}).encode()
    yield "zip", b"PK\x03\x04" + bytes(200)
    yield "pickle", b"\x80\x04\x95" + bytes(50)
    yield "random-bytes", random.Random(4).randbytes(5000)
    yield "utf16-header", struct.pack("<Q", 8) + "{}  ".encode("utf-16-le")


@pytest.mark.parametrize("name,data", list(_foreign_files()), ids=[n for n, _ in _foreign_files()])
def test_fuzz_foreign_files_are_refused(tmp_path, name, data):
    _refused(tmp_path, data)


def test_fuzz_paths_that_are_not_files_are_refused(tmp_path):
    with pytest.raises(ModelFileError):
        load_model(str(tmp_path))
    with pytest.raises(ModelFileError):
        load_model(str(tmp_path / "missing.safetensors"))


# ------------------------------------------------------------------ atomic writes

_WRITER = r"""
import os, signal, sys
from runtime import io
old, new, target, mode = sys.argv[1:5]
models = [io.load_model(old), io.load_model(new)]
if mode == "half":
    # killed outright half-way through writing: no handler, no cleanup runs
    def half(handle, data):
        handle.write(data[: len(data) // 2])
        handle.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    io._write_all = half
    io.save_model(models[1], target)
else:
    print("ready", flush=True)
    k = 0
    while True:  # saves until it is killed, at a moment the test does not choose
        io.save_model(models[k % 2], target)
        k += 1
"""


def _second_model(model):
    """The same architecture with other weights: a file of the same size."""
    return _with_params(model, lambda p: p.__setitem__("token_embed", p["token_embed"] * 2 + 1))


def _whole_models(folder, names=("old.safetensors", "new.safetensors")) -> list:
    return [load_model(str(folder / name)) for name in names]


def _prepare(model, good_bytes, tmp_path):
    (tmp_path / "old.safetensors").write_bytes(good_bytes)
    save_model(_second_model(model), str(tmp_path / "new.safetensors"))
    target = tmp_path / "out" / "model.safetensors"
    target.parent.mkdir()
    target.write_bytes(good_bytes)
    return target


def _writer(tmp_path, target, mode):
    return subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path / "old.safetensors"),
                             str(tmp_path / "new.safetensors"), str(target), mode],
                            stdout=subprocess.PIPE, text=True, cwd=os.getcwd())


def _assert_whole(target, wholes) -> None:
    """The destination loads, as one of the whole models; anything left beside it is
    a hidden temporary file. (Models, not bytes, are compared: the order of the
    safetensors metadata keys may differ from one process to the next.)"""
    found = load_model(str(target))
    assert any(params_equal(found.params, whole.params) and found.config == whole.config for whole in wholes)
    assert all(name.startswith(".") for name in os.listdir(target.parent) if name != target.name)


def test_fuzz_killed_half_way_through_a_write_leaves_the_old_file_whole(model, good_bytes, tmp_path):
    target = _prepare(model, good_bytes, tmp_path)
    writer = _writer(tmp_path, target, "half")
    writer.communicate(timeout=120)
    assert writer.returncode == -9  # it really was killed mid-write
    assert target.read_bytes() == good_bytes
    _assert_whole(target, _whole_models(tmp_path, ("old.safetensors",)))


def test_fuzz_killed_at_random_moments_while_saving_leaves_a_whole_file(model, good_bytes, tmp_path):
    """A process saving two models in turn, killed (SIGKILL) at seeded random moments:
    each time the destination holds one of the two whole files."""
    target = _prepare(model, good_bytes, tmp_path)
    wholes = _whole_models(tmp_path)
    rng = random.Random(5)
    for _ in range(KILLS):
        writer = _writer(tmp_path, target, "loop")
        assert writer.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.25))
        writer.send_signal(signal.SIGKILL)
        writer.communicate(timeout=120)
        _assert_whole(target, wholes)


def test_fuzz_saving_an_inconsistent_model_keeps_the_good_file(model, good_bytes, tmp_path):
    target = tmp_path / "model.safetensors"
    target.write_bytes(good_bytes)
    broken = _with_params(model, lambda p: p.__setitem__("unembed", np.zeros((3, 3), np.float32)))
    with pytest.raises((ModelFileError, ValueError)):
        save_model(broken, str(target))
    assert target.read_bytes() == good_bytes
