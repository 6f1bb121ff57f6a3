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
from runtime.model import CATEGORICAL, Layout, Model, ModelConfig, Subspace
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


def wide_model(seed: int = 0, layers: int = 20, d: int = 500, heads: int = 2, d_head: int = 16,
               d_mlp: int = 64, max_len: int = 4) -> Model:
    """A model of the size the page must stay usable for: 20 layers, 500 residual
    dimensions, random weights, and a layout of 100 five-dimensional variables
    written all along the layers (so that there is something to filter)."""
    rng = np.random.default_rng(seed)

    def weights(*shape, fan_in: int) -> np.ndarray:
        return (rng.standard_normal(shape) / np.sqrt(fan_in)).astype(np.float32)

    vocab = ("<BOS>",) + tuple("abcdefgh")
    outputs = tuple("abcdefgh")
    params = {"token_embed": weights(len(vocab), d, fan_in=1), "pos_embed": weights(max_len + 1, d, fan_in=1),
              "unembed": weights(d, len(outputs), fan_in=d),
              "layers": [{"w_q": weights(heads, d, d_head, fan_in=d), "w_k": weights(heads, d, d_head, fan_in=d),
                          "w_v": weights(heads, d, d_head, fan_in=d),
                          "w_o": weights(heads, d_head, d, fan_in=heads * d_head),
                          "w_in": weights(d, d_mlp, fan_in=d), "b_in": np.zeros(d_mlp, np.float32),
                          "w_out": weights(d_mlp, d, fan_in=d_mlp), "b_out": np.zeros(d, np.float32)}
                         for _ in range(layers)]}
    config = ModelConfig(vocab, max_len, d, d_head, layers, "out", CATEGORICAL, outputs,
                         float(1 / np.sqrt(d_head)), "trained")
    writers = ["embed"] + [f"L{l}.{s}" for l in range(layers) for s in ("attn", "mlp")]
    subspaces = tuple(Subspace(f"var{k}", 5 * k, 5 * k + 5, CATEGORICAL, tuple("vwxyz"),
                               writers[k * len(writers) // 100]) for k in range(100))
    return Model(config, params, Layout(d, subspaces))
