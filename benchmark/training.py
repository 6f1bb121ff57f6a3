"""The training benchmark's row: sequences per second of the training step (forward,
backward, AdamW) at the compiled shape of hist and sort, batch 256."""
from __future__ import annotations

import time
from pathlib import Path

import jax
import numpy as np

from compiler import compile_program
from rasp.stage import load_file
from runtime.model import CATEGORICAL
from runtime.train.loop import initial_state, step_function
from runtime.train.loss import Batch, Objective
from runtime.train.settings import Settings
from runtime.train.shape import random_params, shape_of, trained_config

ROOT = Path(__file__).resolve().parents[1]
PROGRAMS = ("hist", "sort")
MAX_LEN = 10


def training_throughput(name: str, batch_size: int = 256, steps: int = 50, max_len: int = MAX_LEN) -> dict:
    """Sequences per second of the training step (forward, backward, AdamW) at the
    compiled shape, after one warm-up step; for the benchmark's training row."""
    program = load_file(str(ROOT / "programs" / f"{name}.rasp")).program
    model = compile_program(program, max_len=max_len)
    shape = shape_of(model)
    config = trained_config(model.config, shape)
    settings = Settings(batch_size=batch_size, steps=steps)
    state = initial_state(random_params(shape, config, 0), settings)
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, max_len + 1, batch_size)
    ids = np.where(np.arange(max_len + 1)[None] <= lengths[:, None],
                   rng.integers(1, len(config.vocab), (batch_size, max_len + 1)), -1).astype(np.int32)
    ids[:, 0] = 0
    mask = (ids > 0)
    targets = np.zeros_like(ids) if config.output_encoding == CATEGORICAL else np.zeros(ids.shape, np.float32)
    batch = Batch(ids, targets, mask)
    objective = Objective(config.attn_scale, config.output_encoding == CATEGORICAL)
    step = step_function(settings, objective, shape.n_layers)
    began = time.perf_counter()
    params, opt_state, loss = step(state.params, state.opt_state, batch)
    jax.block_until_ready(loss)
    compile_seconds = time.perf_counter() - began
    began = time.perf_counter()
    for _ in range(steps):
        params, opt_state, loss = step(params, opt_state, batch)
    jax.block_until_ready(loss)
    per_step = (time.perf_counter() - began) / steps
    return {"program": name, "max_len": max_len, "batch_size": batch_size, "shape": shape.to_json(),
            "step_ms": round(1000 * per_step, 3), "sequences_per_second": round(batch_size / per_step, 1),
            "compile_seconds": round(compile_seconds, 3), "steps_timed": steps}
