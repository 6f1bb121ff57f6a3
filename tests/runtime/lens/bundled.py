"""The bundled programs compiled once per test session, each with an example input,
and seeded random models without a layout (what a trained model looks like to the lens)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from compiler import compile_program
from rasp import ir
from rasp.stage import load_program
from runtime.model import Layout, Model
from tests.support.hand_models import random_model

PROGRAMS = Path(__file__).resolve().parents[3] / "programs"
NAMES = tuple(sorted(path.stem for path in PROGRAMS.glob("*.rasp")))


@dataclass(frozen=True)
class Bundled:
    name: str
    program: ir.Program
    model: Model
    example: tuple


@lru_cache(maxsize=None)
def bundled(name: str) -> Bundled:
    program = load_program(str(PROGRAMS / f"{name}.rasp"))
    example = program.examples[0].input if program.examples else tuple(program.vocab[:3])
    return Bundled(name, program, compile_program(program), tuple(example))


def dense_model(seed: int = 0, heads=(2, 3), hidden=(4, 5), d: int = 6, d_head: int = 3,
                max_len: int = 3) -> Model:
    """Random weights of a trained model's scale (std 1/sqrt(fan-in)), unequal layers,
    no layout: everything the lens reads except the variables."""
    model = random_model(seed=seed, heads=heads, hidden=hidden, d=d, d_head=d_head, max_len=max_len,
                         kind="trained")
    params = {"token_embed": model.params["token_embed"], "pos_embed": model.params["pos_embed"],
              "unembed": model.params["unembed"] / np.sqrt(d),
              "layers": [{name: (w / np.sqrt(w.shape[-2]) if w.ndim > 1 else w).astype(np.float32)
                          for name, w in layer.items()} for layer in model.params["layers"]]}
    config = replace(model.config, attn_scale=float(1 / np.sqrt(d_head)))
    return replace(model, config=config, params=params, layout=Layout(d, ()), head_labels=(), neuron_labels=())


def random_inputs(model: Model, count: int, seed: int) -> list[tuple]:
    rng = np.random.default_rng(seed)
    vocab = model.config.vocab[1:]
    return [tuple(vocab[int(k)] for k in rng.integers(0, len(vocab), int(rng.integers(1, model.config.max_len + 1))))
            for _ in range(count)]
