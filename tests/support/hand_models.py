"""Small models written by hand, for tests that need a Model without the compiler.

``identity_model`` is a real program worked out on paper: a one-layer model whose
output is the input token (the embedding writes a one-hot of the token, the head
attends to BOS and writes nothing, the MLP is empty, the unembedding reads the
one-hot back). ``random_model`` has seeded random weights of every shape the format
allows, including layers without heads or MLP units.
"""
from __future__ import annotations

import numpy as np

from runtime.model import CATEGORICAL, NUMERICAL, HeadLabel, Layout, Model, ModelConfig, Subspace


def identity_model(vocab=("a", "b", "c"), max_len: int = 4) -> Model:
    """Residual: [one, tokens one-hot...]; output = tokens."""
    n = len(vocab)
    d = 1 + n
    token_embed = np.zeros((n + 1, d), np.float32)
    token_embed[:, 0] = 1.0
    for k in range(n):
        token_embed[k + 1, 1 + k] = 1.0
    pos_embed = np.zeros((max_len + 1, d), np.float32)
    layer = {
        "w_q": np.zeros((1, d, 1), np.float32), "w_k": np.zeros((1, d, 1), np.float32),
        "w_v": np.zeros((1, d, 1), np.float32), "w_o": np.zeros((1, 1, d), np.float32),
        "w_in": np.zeros((d, 0), np.float32), "b_in": np.zeros((0,), np.float32),
        "w_out": np.zeros((0, d), np.float32), "b_out": np.zeros((d,), np.float32),
    }
    unembed = np.zeros((d, n), np.float32)
    for k in range(n):
        unembed[1 + k, k] = 1.0
    config = ModelConfig(vocab=("<BOS>",) + tuple(vocab), max_len=max_len, d_model=d, d_head=1,
                         n_layers=1, output="tokens", output_encoding=CATEGORICAL,
                         output_values=tuple(vocab))
    layout = Layout(d, (Subspace("one", 0, 1, NUMERICAL, (1,)),
                        Subspace("tokens", 1, 1 + n, CATEGORICAL, tuple(vocab))))
    return Model(config, {"token_embed": token_embed, "pos_embed": pos_embed, "layers": [layer],
                          "unembed": unembed}, layout,
                 head_labels=(HeadLabel(0, 0, "nothing", "tokens", "nothing"),),
                 neuron_labels=((),), settings={"note": "hand-built"}, stats={"n_params": 0})


def random_model(seed: int = 0, heads=(2, 0), hidden=(3, 0), d: int = 6, d_head: int = 2,
                 vocab=("x", 1, 2.5, True), max_len: int = 3, kind: str = "compiled") -> Model:
    """Seeded random weights; ``heads``/``hidden`` give each layer's head and MLP unit counts."""
    rng = np.random.default_rng(seed)

    def rand(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    layers = []
    for h, m in zip(heads, hidden):
        layers.append({"w_q": rand(h, d, d_head), "w_k": rand(h, d, d_head), "w_v": rand(h, d, d_head),
                       "w_o": rand(h, d_head, d), "w_in": rand(d, m), "b_in": rand(m),
                       "w_out": rand(m, d), "b_out": rand(d)})
    outputs = (0, "x", 1.5, False)
    config = ModelConfig(vocab=("<BOS>",) + tuple(vocab), max_len=max_len, d_model=d, d_head=d_head,
                         n_layers=len(layers), output="out", output_encoding=CATEGORICAL,
                         output_values=outputs, attn_scale=0.7071067811865476, kind=kind)
    params = {"token_embed": rand(len(vocab) + 1, d), "pos_embed": rand(max_len + 1, d),
              "layers": layers, "unembed": rand(d, len(outputs))}
    layout = Layout(d, (Subspace("one", 0, 1, NUMERICAL, (1,)),
                        Subspace("tokens", 1, 4, CATEGORICAL, ("x", 1, 2.5), "embed"),
                        Subspace("out", 2, 6, CATEGORICAL, outputs, "L0.attn"),
                        Subspace("num", 5, 6, NUMERICAL, (0.1, 1 / 3), "L0.mlp")))
    labels = tuple(HeadLabel(l, k, f"sel {l}.{k}", "tokens", "out")
                   for l, h in enumerate(heads) for k in range(h))
    neurons = tuple(tuple(f"unit {l}.{k} ünïcode" for k in range(m)) for l, m in enumerate(hidden))
    return Model(config, params, layout, labels, neurons,
                 settings={"vocab": ["x", 1, 2.5, True], "max_len": max_len, "passes": ("a", "b")},
                 stats={"compile_seconds": 0.125, "margins": [{"op": "out", "value": 1e-9}],
                        "min_margin": None, "count": np.int64(3)})
