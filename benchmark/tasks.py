"""Benchmark rows that are not a program at a max_len: the training step's
throughput, and (where the language programs exist) the text rows. Each row is a
named measurement returning one flat record; its ``table`` field names the section
of results.md it belongs to."""
from __future__ import annotations

from typing import Any, Callable

from benchmark.text_rows import large_vocabulary_row, vader_row
from benchmark.training import PROGRAMS as TRAINING_PROGRAMS, training_throughput


def _training_row(name: str) -> Callable[[], dict[str, Any]]:
    def measure() -> dict[str, Any]:
        return {"table": "Training throughput"} | training_throughput(name)
    return measure


#: Every task row by name, in the order they run and print.
TASK_ROWS: dict[str, Callable[[], dict[str, Any]]] = {
    **{f"training {name}": _training_row(name) for name in TRAINING_PROGRAMS},
    "text: 10,000-word lexicon": lambda: {"table": "Text"} | large_vocabulary_row(),
    "text: VADER tweets": lambda: {"table": "Text"} | vader_row(),
}


def run_task_row(name: str, emit: Callable[..., None]) -> None:
    """The capped worker's target: measure row ``name`` and hand its record back."""
    emit(record=TASK_ROWS[name]())
