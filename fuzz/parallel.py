"""Splitting a run of numbered cases among processes.

Every case (a program, a source text) is drawn from its own number, so a run split
into slices gives the same counts as one process. Processes are spawned, not forked:
JAX does not survive a fork.
"""
from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Callable, Iterator, TypeVar

Job = TypeVar("Job")
Result = TypeVar("Result")


@dataclass(frozen=True)
class Slice:
    """Cases ``start``, ``start`` + 1, ..., ``count`` of them."""

    start: int
    count: int


def slices(start: int, count: int, workers: int) -> list[Slice]:
    """``count`` cases from ``start`` cut into up to four slices per worker (so that a
    slow slice does not leave the other workers idle)."""
    parts = min(count, workers * 4)
    bounds = [start + count * k // parts for k in range(parts + 1)]
    return [Slice(bounds[k], bounds[k + 1] - bounds[k]) for k in range(parts)]


def in_processes(run: Callable[[Job], Result], jobs: list[Job], workers: int) -> Iterator[Result]:
    """``run`` on each job in ``workers`` spawned processes; results in job order."""
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield from pool.map(run, jobs)
