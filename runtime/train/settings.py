"""The settings of a training run, apart from the code that uses them.

Light on purpose (no JAX): the command line reads its defaults and choices from
here without loading the training machinery.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

#: The parameter groups ``--freeze`` can keep fixed, and the tensors of each.
GROUPS = {
    "embed": ("token_embed", "pos_embed"),
    "attention": ("w_q", "w_k", "w_v", "w_o"),
    "mlp": ("w_in", "b_in", "w_out", "b_out"),
    "unembed": ("unembed",),
}

#: How the parameters can start.
INITS = ("random", "compiled")


@dataclass(frozen=True)
class Settings:
    """Everything that decides a training run besides the data and the start.

    The defaults were tuned on hist, sort, reverse and double_hist at max_len 10
    (README, "Training"): every one of them past 99% per sequence on three seeds.
    A run stops once the whole validation set is right (``target`` 1.0): were the
    model wrong on 1% of inputs, 1,000 validation inputs would all come out right
    with a chance of 0.99^1000, about 4e-5."""

    steps: int = 4000
    batch_size: int = 128
    learning_rate: float = 1e-2
    warmup: float = 0.05
    weight_decay: float = 0.01
    clip: float = 1.0
    seed: int = 0
    eval_every: int = 100
    target: float | None = 1.0
    devices: int = 1
    attention_weight: float = 0.0
    freeze: tuple[str, ...] = ()
    checkpoint_every: int = 0

    def to_json(self) -> dict:
        record = asdict(self)
        record["freeze"] = list(self.freeze)
        return record

    @staticmethod
    def from_json(data: dict) -> "Settings":
        known = {k: v for k, v in data.items() if k in Settings.__dataclass_fields__}
        known["freeze"] = tuple(known.get("freeze", ()))
        return Settings(**known)
