"""Shared pieces of the training tests: a compiled program and its task."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from compiler import compile_program
from rasp.interpreter import evaluate
from rasp.stage import load_file
from runtime.model import Model
from runtime.train.data import Dataset, labelled_dataset

ROOT = Path(__file__).resolve().parents[3]


@lru_cache(maxsize=None)
def compiled(name: str, max_len: int | None = None) -> tuple[Model, object]:
    """The program's compiled model and output s-op."""
    program = load_file(str(ROOT / "programs" / f"{name}.rasp")).program
    return compile_program(program, max_len=max_len), program.output_expr()


def interpreter_labels(output):
    return lambda inputs: [evaluate(output, tokens) for tokens in inputs]


@lru_cache(maxsize=None)
def dataset(name: str, max_len: int, sizes: tuple[int, int, int], seed: int = 0) -> Dataset:
    model, output = compiled(name, max_len)
    return labelled_dataset(model.config, interpreter_labels(output), sizes, seed)
