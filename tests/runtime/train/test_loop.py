"""The training loop on tiny runs: the loss falls, a resumed run follows the
uninterrupted one, frozen parts stay put, the attention loss has its known values,
and two host devices give one device's learning curve."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from runtime.io import flatten_params
from runtime.train.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from runtime.train.fit import Start, fit, objective_for, start_params
from runtime.train.loop import State, initial_state, train
from runtime.train.settings import Settings
from runtime.train.loss import attention_loss, compiled_patterns, run_model
from runtime.train.shape import shape_of
from tests.runtime.train.helpers import ROOT, compiled, dataset

SIZES = (600, 100, 100)


def short(**changes) -> Settings:
    return Settings(**{"steps": 40, "batch_size": 32, "learning_rate": 1e-2, "eval_every": 10, "target": None,
                       **changes})


def run(settings: Settings, name: str = "hist", start: Start = Start()):
    model, _ = compiled(name, 5)
    return fit(model, dataset(name, 5, SIZES), shape_of(model), settings, start)


def test_loss_falls():
    curve = run(short()).state.curve
    assert [r["step"] for r in curve] == [10, 20, 30, 40]
    assert curve[-1]["loss"] < 0.8 * curve[0]["loss"]


def test_the_trained_model_records_its_run():
    outcome = run(short(steps=10))
    settings, stats = outcome.model.settings, outcome.model.stats
    assert outcome.model.config.kind == "trained" and not outcome.model.layout.subspaces
    assert settings["training"]["seed"] == 0 and settings["training"]["steps"] == 10
    assert settings["data_digest"] == dataset("hist", 5, SIZES).digest
    assert settings["data_sizes"] == {"train": 600, "validation": 100, "test": 100}
    assert stats["learning_curve"] == list(outcome.state.curve) and stats["steps"] == 10
    lengths = dataset("hist", 5, SIZES).test.lengths
    assert [n for n, _, _ in outcome.test.by_length] == sorted(set(lengths.tolist()))
    assert sum(c for _, c, _ in outcome.test.by_length) == len(lengths)
    weighted = sum(c * a for _, c, a in outcome.test.by_length) / len(lengths)
    assert weighted == pytest.approx(outcome.test.sequence_accuracy)


def test_early_stop_at_the_target():
    outcome = run(short(steps=400, target=0.05))
    assert outcome.state.step < 400 and outcome.state.curve[-1]["validation_accuracy"] >= 0.05


def _continue(state: State, settings: Settings, name: str = "hist", **hooks) -> State:
    model, _ = compiled(name, 5)
    data = dataset(name, 5, SIZES)
    return train(state, data, objective_for(model, shape_of(model), data, settings), settings, **hooks)


def test_a_run_interrupted_and_resumed_follows_the_same_curve(tmp_path):
    model, _ = compiled("hist", 5)
    settings = short(steps=20, eval_every=4)
    params = start_params(model, shape_of(model), Start(), settings.seed)
    whole = _continue(initial_state(params, settings), settings)
    path = str(tmp_path / "run.ckpt")

    def interrupt(step):
        if step == 10:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _continue(initial_state(params, settings), settings, on_step=interrupt,
                  on_checkpoint=lambda state: save_checkpoint(state, settings, {"what": "hist"}, path))
    loaded = load_checkpoint(path)
    assert loaded.state.step == 10 and len(loaded.state.pending) == 2
    assert loaded.run == {"what": "hist"} and loaded.settings == settings
    resumed = _continue(loaded.state, settings)
    assert [r["step"] for r in resumed.curve] == [r["step"] for r in whole.curve] == [4, 8, 12, 16, 20]
    for key in ("loss", "validation_accuracy"):
        np.testing.assert_allclose([r[key] for r in resumed.curve], [r[key] for r in whole.curve], rtol=1e-5)
    for name, array in flatten_params(jax.device_get(whole.params)).items():
        np.testing.assert_allclose(flatten_params(jax.device_get(resumed.params))[name], array, atol=1e-6)


def test_checkpoints_every_k_steps(tmp_path):
    model, _ = compiled("hist", 5)
    settings = short(steps=12, checkpoint_every=5)
    saved = []
    _continue(initial_state(start_params(model, shape_of(model), Start(), 0), settings), settings,
              on_checkpoint=lambda state: saved.append(state.step))
    assert saved == [5, 10]


def test_a_damaged_checkpoint_is_refused(tmp_path):
    model, _ = compiled("hist", 5)
    settings = short(steps=1)
    state = initial_state(start_params(model, shape_of(model), Start(), 0), settings)
    path = tmp_path / "run.ckpt"
    save_checkpoint(state, settings, {}, str(path))
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="damaged"):
        load_checkpoint(str(path))
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="damaged"):
        load_checkpoint(str(path))
    with pytest.raises(CheckpointError, match="no checkpoint"):
        load_checkpoint(str(tmp_path / "missing.ckpt"))


def test_frozen_parts_do_not_move():
    model, _ = compiled("hist", 5)
    outcome = run(short(steps=10, freeze=("attention", "embed")), start=Start("compiled"))
    start = start_params(model, shape_of(model), Start("compiled"), 0)
    after = outcome.model.params
    np.testing.assert_array_equal(after["token_embed"], start["token_embed"])
    np.testing.assert_array_equal(after["layers"][0]["w_q"], start["layers"][0]["w_q"])
    assert not np.array_equal(after["layers"][0]["w_in"], start["layers"][0]["w_in"])


def test_compiled_start_is_right_from_the_first_step():
    outcome = run(short(steps=1, learning_rate=1e-9), start=Start("compiled"))
    assert outcome.test.sequence_accuracy == 1.0


def test_attention_loss_known_values():
    model, _ = compiled("reverse", 5)
    data = dataset("reverse", 5, SIZES)
    ids = data.train.ids[:8]
    patterns = compiled_patterns(model.params, ids, model.config.attn_scale)
    mask = jnp.asarray(data.train.mask[:8])
    assert float(attention_loss(patterns, patterns, mask)) == 0.0
    # One head, one input, two positions: (0.5, 0.5) against (1, 0) on each real query costs 0.5.
    half = jnp.full((1, 1, 3, 3), 0.5).at[..., 2].set(0.0)
    first = jnp.zeros((1, 1, 3, 3)).at[..., 0].set(1.0)
    assert float(attention_loss((half,), (first,), jnp.asarray([[False, True, True]]))) == pytest.approx(0.5)


def test_attention_loss_pulls_the_heads_towards_the_compiled_ones():
    model, _ = compiled("reverse", 5)
    data = dataset("reverse", 5, SIZES)
    patterns = compiled_patterns(model.params, data.train.ids[:200], model.config.attn_scale)
    mask = jnp.asarray(data.train.mask[:200])

    def error(outcome):
        params = jax.tree_util.tree_map(jnp.asarray, outcome.model.params)
        _, got = run_model(params, data.train.ids[:200], outcome.model.config.attn_scale, keep_patterns=True)
        return float(attention_loss(got, patterns, mask))

    guided = run(short(steps=30, attention_weight=10.0), "reverse")
    free = run(short(steps=30), "reverse")
    assert error(guided) < 0.75 * error(free)


DEVICES_SCRIPT = """
import json, sys
sys.path.insert(0, {root!r})
import jax
from runtime.train.fit import fit
from runtime.train.settings import Settings
from runtime.train.shape import shape_of
from tests.runtime.train.helpers import compiled, dataset
model, _ = compiled("hist", 5)
curves = {{}}
for devices in (1, 2):
    settings = Settings(steps=20, batch_size=32, learning_rate=1e-2, eval_every=5, devices=devices, target=None)
    outcome = fit(model, dataset("hist", 5, (600, 100, 100)), shape_of(model), settings)
    curves[devices] = outcome.state.curve
print(json.dumps({{"devices": jax.local_device_count(), "curves": curves}}))
"""


def test_two_devices_follow_one_devices_curve():
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2", "JAX_PLATFORMS": "cpu"}
    result = subprocess.run([sys.executable, "-c", DEVICES_SCRIPT.format(root=str(ROOT))], env=env,
                            capture_output=True, text=True, timeout=600, cwd=str(ROOT))
    assert result.returncode == 0, result.stderr[-2000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["devices"] == 2
    one, two = found["curves"]["1"], found["curves"]["2"]
    assert [r["step"] for r in one] == [r["step"] for r in two] == [5, 10, 15, 20]
    np.testing.assert_allclose([r["loss"] for r in two], [r["loss"] for r in one], rtol=1e-4)
    np.testing.assert_allclose([r["validation_accuracy"] for r in two], [r["validation_accuracy"] for r in one],
                               atol=0.011)
