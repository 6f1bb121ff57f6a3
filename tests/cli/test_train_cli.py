"""``raspc train`` in process: the file it writes, --json, checkpoints and resume,
a damaged checkpoint, a corpus, and the user mistakes it refuses. Tiny runs only:
the accuracy figures live in the README and the paper benchmark."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import runtime.train.loop as loop
from tests.support.cli import cli, HIST, write_program
from runtime.io import flatten_params, load_model

SMALL = ["--train-size", "60", "--val-size", "20", "--test-size", "20", "--steps", "20", "--batch-size", "16",
         "--eval-every", "5", "--no-progress", "--no-early-stop"]


@pytest.fixture()
def program(tmp_path: Path) -> str:
    return write_program(tmp_path, "hist", HIST)


def test_train_writes_a_trained_model_and_reports_json(capsys, tmp_path, program):
    out = tmp_path / "trained.safetensors"
    status, stdout, _ = cli(capsys, "train", program, "-o", out, "--json", "--seed", "3", *SMALL)
    assert status == 0
    record = json.loads(stdout)
    for key in ("test_accuracy", "test_token_accuracy", "steps", "seconds", "settings", "shape", "data_digest"):
        assert key in record
    assert record["steps"] == 20 and record["settings"]["seed"] == 3 and record["settings"]["batch_size"] == 16
    assert record["data_sizes"] == {"train": 60, "validation": 20, "test": 20}
    model = load_model(str(out))
    assert model.config.kind == "trained" and model.config.output == "hist"
    assert model.settings["training"]["seed"] == 3 and model.settings["data_digest"] == record["data_digest"]
    assert [r["step"] for r in model.stats["learning_curve"]] == [5, 10, 15, 20]
    assert model.stats["test"]["sequence_accuracy"] == record["test_accuracy"]
    status, stdout, _ = cli(capsys, "run", out, "--input", "abca")
    assert status == 0 and "hist" in stdout


def _run_until(monkeypatch, stop_at: int):
    """Make the training loop raise KeyboardInterrupt as it draws step ``stop_at``'s batch."""
    drawn = loop.batch_rows

    def interrupting(seed, step, cumulative, batch_size):
        if step == stop_at:
            raise KeyboardInterrupt
        return drawn(seed, step, cumulative, batch_size)

    monkeypatch.setattr(loop, "batch_rows", interrupting)


def test_ctrl_c_leaves_a_checkpoint_and_resume_follows_the_same_curve(capsys, tmp_path, program, monkeypatch):
    whole = tmp_path / "whole.safetensors"
    assert cli(capsys, "train", program, "-o", whole, *SMALL)[0] == 0
    parted = tmp_path / "parted.safetensors"
    with monkeypatch.context() as patch:
        _run_until(patch, 12)
        status, _, stderr = cli(capsys, "train", program, "-o", parted, *SMALL)
    assert status == 130 and "--resume" in stderr
    assert not parted.exists() and Path(str(parted) + ".ckpt").exists()
    assert cli(capsys, "train", program, "-o", parted, *SMALL, "--resume")[0] == 0
    left, right = load_model(str(whole)), load_model(str(parted))
    assert [r["step"] for r in left.stats["learning_curve"]] == [r["step"] for r in right.stats["learning_curve"]]
    np.testing.assert_allclose([r["loss"] for r in right.stats["learning_curve"]],
                               [r["loss"] for r in left.stats["learning_curve"]], rtol=1e-5)
    for name, array in flatten_params(left.params).items():
        np.testing.assert_allclose(flatten_params(right.params)[name], array, atol=1e-6)


def test_a_damaged_checkpoint_is_refused_and_nothing_is_overwritten(capsys, tmp_path, program):
    out = tmp_path / "t.safetensors"
    assert cli(capsys, "train", program, "-o", out, *SMALL, "--checkpoint-every", "10")[0] == 0
    checkpoint = Path(str(out) + ".ckpt")
    damaged = bytearray(checkpoint.read_bytes())
    damaged[len(damaged) // 2] ^= 0x5A
    checkpoint.write_bytes(bytes(damaged))
    model_before = out.read_bytes()
    status, _, stderr = cli(capsys, "train", program, "-o", out, *SMALL, "--checkpoint-every", "10", "--resume")
    assert status == 2 and "damaged" in stderr and "Traceback" not in stderr
    assert out.read_bytes() == model_before and checkpoint.read_bytes() == bytes(damaged)


def test_resume_with_other_settings_is_refused(capsys, tmp_path, program):
    out = tmp_path / "t.safetensors"
    assert cli(capsys, "train", program, "-o", out, *SMALL, "--checkpoint-every", "10")[0] == 0
    status, _, stderr = cli(capsys, "train", program, "-o", out, *SMALL, "--checkpoint-every", "10", "--resume",
                            "--lr", "0.5")
    assert status == 2 and "learning_rate" in stderr


def test_a_corpus_trains_in_place_of_sampled_inputs(capsys, tmp_path, program):
    corpus = tmp_path / "pairs.tsv"
    words = ["a", "ab", "abc", "cab", "aab", "bba", "cc", "acca", "bbbb", "cabc", "abca", "bcab", "ca", "b"]
    lines = ["# input\toutput"]
    for word in words:
        counts = Counter(word)
        lines.append(f"{word}\t[{', '.join(str(counts[c]) for c in word)}]")
    corpus.write_text("\n".join(lines) + "\n")
    out = tmp_path / "c.safetensors"
    status, stdout, _ = cli(capsys, "train", program, "-o", out, "--corpus", corpus, "--json", "--steps", "5",
                            "--batch-size", "4", "--val-size", "2", "--test-size", "2", "--no-progress")
    assert status == 0
    record = json.loads(stdout)
    assert record["labels"] == "corpus" and record["data_sizes"] == {"train": 10, "validation": 2, "test": 2}
    corpus.write_text("abc\t[1, 1]\n")
    status, _, stderr = cli(capsys, "train", program, "-o", out, "--corpus", corpus, "--steps", "5")
    assert status == 2 and "pairs.tsv:1" in stderr


def test_layer_norm_is_asked_for_and_recorded(capsys, tmp_path, program):
    out = tmp_path / "ln.safetensors"
    status, stdout, _ = cli(capsys, "train", program, "-o", out, "--json", "--layer-norm", *SMALL)
    assert status == 0 and json.loads(stdout)["shape"]["layer_norm"] is True
    model = load_model(str(out))
    assert model.config.layer_norm and "ln_final_w" in model.params
    assert all({"ln_attn_w", "ln_attn_b", "ln_mlp_w", "ln_mlp_b"} <= set(layer) for layer in model.params["layers"])
    assert cli(capsys, "run", out, "--input", "abc")[0] == 0
    frozen = tmp_path / "frozen.safetensors"
    assert cli(capsys, "train", program, "-o", frozen, "--layer-norm", "--freeze", "attention", *SMALL)[0] == 0
    plain = tmp_path / "plain.safetensors"
    assert cli(capsys, "train", program, "-o", plain, *SMALL)[0] == 0
    assert not load_model(str(plain)).config.layer_norm


def test_a_diverging_run_is_refused_and_writes_nothing(capsys, tmp_path, program):
    out = tmp_path / "diverged.safetensors"
    status, _, stderr = cli(capsys, "train", program, "-o", out, "--lr", "1e9", "--steps", "30", "--eval-every", "5",
                            "--train-size", "60", "--val-size", "20", "--test-size", "20", "--no-progress",
                            "--no-early-stop")
    assert status == 2 and "training diverged" in stderr and "--lr" in stderr and "Traceback" not in stderr
    assert not out.exists()


def test_sizes_shrink_to_the_distinct_inputs_there_are(capsys, tmp_path, program):
    # "abc" up to length 4: 3 + 9 + 27 + 81 = 120 inputs; validation and test keep a tenth
    # and a fifth of them (12 and 24), training the other 84.
    out = tmp_path / "t.safetensors"
    status, stdout, _ = cli(capsys, "train", program, "-o", out, "--json", "--steps", "2", "--train-size", "10000",
                            "--no-progress")
    assert status == 0
    assert json.loads(stdout)["data_sizes"] == {"train": 84, "validation": 12, "test": 24}


@pytest.mark.parametrize("flags, message", [
    (["-o", "model.bin"], "must end in .safetensors"),
    (["-o", "{tmp}/x.safetensors", "--init", "compiled", "--layers", "2"], "--init compiled"),
    (["-o", "{tmp}/x.safetensors", "--devices", "64"], "--devices 64"),
    (["-o", "{tmp}/x.safetensors", "--noise", "0.1"], "--noise applies to --init compiled"),
    (["-o", "{tmp}/x.safetensors", "--init", "compiled", "--layer-norm"], "cannot take --layer-norm"),
])
def test_user_mistakes_are_one_line_errors(capsys, tmp_path, program, flags, message):
    flags = [f.format(tmp=tmp_path) for f in flags]
    status, _, stderr = cli(capsys, "train", program, *flags, "--steps", "2", "--no-progress")
    assert status == 2 and message in stderr and "Traceback" not in stderr
