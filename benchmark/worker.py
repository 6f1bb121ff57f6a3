"""A worker process with a wall-clock cap per task, so that one pathological
configuration cannot hang the benchmark.

Tasks run one at a time in a long-lived child process (started with ``spawn``:
JAX does not survive a fork), so that JAX is imported once, not once per task. A
new child first runs ``prepare`` (the imports) and says it is ready; the cap counts
from then, so that starting a child is not charged to a task. The task reports
partial results as it goes; when it overruns its cap the child is killed, the
partial results are kept, and the next task gets a fresh child.

    >>> worker = CappedWorker(measure)                          # doctest: +SKIP
    >>> outcome = worker.run(config, cap_seconds=60, on_fields=print)   # doctest: +SKIP
"""
from __future__ import annotations

import multiprocessing
import queue
import time
from dataclasses import dataclass
from typing import Any, Callable

from raspc.errors import RaspcError

#: How often the parent looks at a silent child (seconds).
POLL_SECONDS = 0.5
#: How long a new child may take to start and prepare (seconds).
START_SECONDS = 300.0


@dataclass(frozen=True)
class Outcome:
    """How a task ended: "done", "error" (message: the task's own error),
    "timed_out" or "crashed" (the child died; message: its exit code)."""

    status: str
    message: str | None = None
    seconds: float = 0.0


def _serve(target: Callable[[Any, Callable[..., None]], None], prepare: Callable[[], None] | None,
           tasks, results) -> None:
    """The child's loop: prepare, say so, then run each task, forwarding what it
    emits, then its end."""
    if prepare is not None:
        prepare()
    results.put(("ready", None))
    while True:
        task = tasks.get()
        if task is None:
            return

        def emit(**fields: Any) -> None:
            results.put(("fields", fields))

        try:
            target(task, emit)
        except RaspcError as error:
            results.put(("error", error.message))
        except Exception as error:  # a crash in the measured code is a result, not the end of the run
            results.put(("error", f"{type(error).__name__}: {error}"))
        else:
            results.put(("done", None))


class CappedWorker:
    """Runs ``target(task, emit)`` in a child process, at most ``cap_seconds`` per task;
    a new child runs ``prepare()`` first."""

    def __init__(self, target: Callable[[Any, Callable[..., None]], None],
                 prepare: Callable[[], None] | None = None):
        self._target = target
        self._prepare = prepare
        self._context = multiprocessing.get_context("spawn")
        self._process = None
        self._tasks = self._results = None

    def _start(self) -> Outcome | None:
        """Start a child and wait until it is ready; an Outcome when it is not."""
        self._tasks, self._results = self._context.Queue(), self._context.Queue()
        self._process = self._context.Process(target=_serve, args=(self._target, self._prepare, self._tasks,
                                                                   self._results), daemon=True)
        started = time.perf_counter()
        self._process.start()
        while time.perf_counter() - started < START_SECONDS:
            try:
                kind, _ = self._results.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if not self._process.is_alive():
                    code = self._process.exitcode
                    self._process = None
                    return Outcome("crashed", f"the worker process did not start (exit code {code})")
                continue
            if kind == "ready":
                return None
        self._stop(kill=True)
        return Outcome("crashed", f"the worker process was not ready after {START_SECONDS:g} s")

    def _stop(self, kill: bool) -> None:
        if self._process is None:
            return
        if kill:
            self._process.kill()
        else:
            self._tasks.put(None)
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._process = None

    def run(self, task: Any, cap_seconds: float, on_fields: Callable[[dict], None]) -> Outcome:
        """Run one task; ``on_fields`` receives each dict the task emits."""
        if self._process is None or not self._process.is_alive():
            failed = self._start()
            if failed is not None:
                return failed
        started = time.perf_counter()
        self._tasks.put(task)
        while True:
            elapsed = time.perf_counter() - started
            if elapsed >= cap_seconds:
                self._stop(kill=True)
                return Outcome("timed_out", f"stopped after {cap_seconds:g} s", elapsed)
            try:
                kind, payload = self._results.get(timeout=min(POLL_SECONDS, cap_seconds - elapsed))
            except queue.Empty:
                if not self._process.is_alive():
                    code = self._process.exitcode
                    self._process = None
                    return Outcome("crashed", f"the worker process died (exit code {code})",
                                   time.perf_counter() - started)
                continue
            if kind == "fields":
                on_fields(payload)
            else:
                return Outcome(kind, payload, time.perf_counter() - started)

    def close(self) -> None:
        self._stop(kill=False)

    def __enter__(self) -> "CappedWorker":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
