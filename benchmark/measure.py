"""Measuring one benchmark configuration: one program at one max_len (and vocabulary).

``measure`` compiles the program several times (the median is the compile time),
then, for the main runs, checks the model against the reference interpreter on
random inputs and times the jit-compiled forward pass at several batch sizes. It
reports what it has as it goes, through ``emit``, so that a configuration stopped
by the wall-clock cap (see ``benchmark.worker``) still records what it finished.

The inputs are drawn with a fixed seed: lengths uniform in 1..max_len, tokens
uniform over the vocabulary. The same inputs feed the interpreter and the model,
so the interpreter's throughput and the model's are measured on the same work;
the model sees them padded to max_len + 1 positions (BOS included), one compiled
shape per batch size.
"""
from __future__ import annotations

import statistics
import time
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from runtime.model import model_facts
from compiler import compile_program
from rasp.errors import RaspNameError
from rasp.interpreter import evaluate
from rasp.stage import load_file
from raspc.errors import RaspcError
from runtime.engine.batching import PAD, encode, in_shards, shard_count
from runtime.engine.forward import DENSE, LogitsPass, chosen_pass, dense_pass
from runtime.model import Model
from runtime.outputs import decode_batch, same_output

ROOT = Path(__file__).resolve().parents[1]
PROGRAM_DIR = ROOT / "programs"

#: Time each batch size for at least this long (after a warm-up call that compiles it).
MIN_TIMING_SECONDS = 0.2

#: The interpreter's throughput comes from the fastest of up to this many passes
#: over the inputs, as the forward pass's comes from its fastest call: a single
#: pass (the first, with cold caches) read up to 2x apart between two runs of the
#: benchmark on the fast configurations, where a pass takes a few dozen ms.
INTERPRETER_PASSES = 3

#: No further pass once the passes have taken this many CPU seconds together
#: (the slowest configurations, dyck2 or long_addition at 64, run one).
INTERPRETER_BUDGET_SECONDS = 2.0

#: The forward pass at the widest batch is timed in this many windows of
#: MIN_TIMING_SECONDS, in turn with the interpreter's passes, and the fastest call
#: of them all counts: one window could fall wholly in a slow spell of a shared
#: machine (dyck1 at max_len 10 read 554,460 and 1,395,666 seq/s in two runs).
FORWARD_WINDOWS = 3


@dataclass(frozen=True)
class Config:
    """What to measure. ``vocab_size`` None keeps the program's declared vocabulary;
    ``runtime`` False measures compilation only (the vocabulary sweep)."""

    program: str
    max_len: int
    vocab_size: int | None = None
    runtime: bool = True
    repeats: int = 5
    #: Stop repeating compilations once they have taken this long in all (at least one runs).
    compile_budget_seconds: float = 10.0
    samples: int = 1000
    batches: tuple[int, ...] = (1, 64, 256, 1024)
    seed: int = 0


@dataclass
class Row:
    """Everything measured for one configuration; None where it was not reached."""

    program: str
    max_len: int
    vocab_size: int | None = None
    layers: int | None = None
    heads: int | None = None
    d_model: int | None = None
    d_mlp: int | None = None
    params: int | None = None
    compile_seconds: float | None = None
    compile_runs: list[float] = field(default_factory=list)
    checked: int | None = None
    matched: int | None = None
    skipped: int | None = None
    #: Inputs per CPU-second of the interpreter's thread (see ``measure_runtime``).
    interpreter_seq_per_s: float | None = None
    #: The same by the wall clock.
    interpreter_wall_seq_per_s: float | None = None
    #: Forward-pass sequences per second by the fastest timed call, keyed by batch size
    #: (as a string, for JSON).
    forward_seq_per_s: dict[str, float] = field(default_factory=dict)
    #: The same over all the timed calls together.
    forward_mean_seq_per_s: dict[str, float] = field(default_factory=dict)
    #: Which forward pass those are: "packed" (nonzero blocks only, as ``Runner``
    #: runs a compiled model) or "dense".
    forward_pass: str | None = None
    #: The dense forward pass at the largest batch, fastest call, for comparison.
    dense_forward_seq_per_s: float | None = None
    error: str | None = None
    timed_out: bool = False
    #: The step under way when the configuration stopped (or "done").
    stage: str = "queued"
    wall_seconds: float | None = None

    @property
    def accuracy(self) -> float | None:
        if not self.checked:
            return None
        return (self.matched or 0) / self.checked

    def forward_rate(self, batch: int) -> float | None:
        return self.forward_seq_per_s.get(str(batch))

    def speedup(self, batch: int = 1024) -> float | None:
        """Forward throughput at ``batch`` over the interpreter's."""
        rate = self.forward_rate(batch)
        if rate is None or not self.interpreter_seq_per_s:
            return None
        return rate / self.interpreter_seq_per_s


Emit = Callable[..., None]


# ------------------------------------------------------------------ inputs

def sweep_vocab(declared: Sequence[Any], size: int) -> tuple:
    """A vocabulary of ``size`` tokens of the declared vocabulary's kind: the ints
    0..size-1 when it holds ints, otherwise zero-padded strings ("t007"), so that
    the string order of the tokens is their numeric order."""
    if declared and all(isinstance(t, int) and not isinstance(t, bool) for t in declared):
        return tuple(range(size))
    width = len(str(size - 1))
    return tuple(f"t{k:0{width}d}" for k in range(size))


def random_inputs(vocab: Sequence[Any], max_len: int, count: int, seed: int) -> list[tuple]:
    """``count`` inputs: lengths uniform in 1..max_len, tokens uniform over ``vocab``."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, max_len + 1, size=count)
    return [tuple(vocab[int(k)] for k in rng.integers(0, len(vocab), size=int(n))) for n in lengths]


def padded_ids(model: Model, inputs: Sequence[tuple]) -> np.ndarray:
    """Token ids (BOS first), each row padded with -1 to max_len + 1 positions."""
    ids = np.full((len(inputs), model.config.max_len + 1), PAD, np.int32)
    for row, tokens in enumerate(inputs):
        encoded = encode(model.config, tokens)
        ids[row, :len(encoded)] = encoded
    return ids


# ------------------------------------------------------------------ compiling

def load(name: str):
    """The staged program ``programs/<name>.rasp``."""
    path = PROGRAM_DIR / f"{name}.rasp"
    if not path.exists():
        raise RaspNameError(f"no program {name!r}: {path} does not exist")
    return load_file(str(path)).program


def compile_timed(program, vocab, max_len: int, repeats: int, budget_seconds: float):
    """(the last model, the seconds of each compilation): ``repeats`` compilations of
    the whole staged program, fewer when they exceed ``budget_seconds`` together."""
    seconds: list[float] = []
    model = None
    for _ in range(max(1, repeats)):
        started = time.perf_counter()
        model = compile_program(program, vocab=vocab, max_len=max_len)
        seconds.append(time.perf_counter() - started)
        if sum(seconds) >= budget_seconds:
            break
    return model, seconds


# ------------------------------------------------------------------ verifying

def reference_outputs(expr, inputs: Sequence[tuple]) -> tuple[list, float, float]:
    """The interpreter's output per input (None where it rejects the input), and the
    CPU seconds of this thread and the wall-clock seconds it took for all of them."""
    outputs: list = []
    cpu_started, wall_started = time.thread_time(), time.perf_counter()
    for tokens in inputs:
        try:
            outputs.append(evaluate(expr, tokens))
        except (RaspcError, RecursionError):
            outputs.append(None)
    return outputs, time.thread_time() - cpu_started, time.perf_counter() - wall_started


def alternate_timings(interpreter_pass: Callable[[], tuple[float, float]], forward_window: Callable[[], Rate],
                      first_pass: tuple[float, float]) -> tuple[tuple[float, float], Rate]:
    """The interpreter's fastest pass, (CPU, wall-clock) seconds, and the forward
    pass's rate over FORWARD_WINDOWS windows, taken in turn: after ``first_pass``,
    a window, then a pass and a window while INTERPRETER_PASSES and
    INTERPRETER_BUDGET_SECONDS allow passes, then windows alone. Both sides see
    the machine's spells alike. The rate: the fastest call of every window, and
    the mean of the windows' means."""
    passes, windows = [first_pass], [forward_window()]
    while len(windows) < FORWARD_WINDOWS:
        if len(passes) < INTERPRETER_PASSES and sum(cpu for cpu, _ in passes) < INTERPRETER_BUDGET_SECONDS:
            passes.append(interpreter_pass())
        windows.append(forward_window())
    rate = Rate(best=max(window.best for window in windows),
                mean=statistics.mean(window.mean for window in windows))
    return min(passes), rate


def count_matches(got: Sequence[list | None], expected: Sequence[list | None]) -> tuple[int, int, int]:
    """(checked, matched, skipped): inputs the interpreter rejected (expected None)
    are skipped; categorical values must be equal, numbers within 1e-4."""
    checked = matched = skipped = 0
    for answer, reference in zip(got, expected):
        if reference is None:
            skipped += 1
            continue
        checked += 1
        matched += answer is not None and same_output(reference, answer)
    return checked, matched, skipped


def decoded_outputs(model: Model, logits: np.ndarray, inputs: Sequence[tuple]) -> list[list]:
    """The output s-op read from the output logits (batch, positions, n_outputs):
    categorical outputs by argmax, numerical ones as raw numbers (the comparison's
    tolerance applies)."""
    return decode_batch(model.config, logits, [len(tokens) for tokens in inputs])


# ------------------------------------------------------------------ timing

def forward_executables(chosen: LogitsPass, max_len: int, batches: Sequence[int], pool: Executor
                        ) -> dict[int, Future]:
    """Per batch size, a future of a model's forward pass ``chosen``
    (``runtime.engine.forward.chosen_pass``, the pass ``raspc run`` takes, or
    ``dense_pass``): token ids (batch, max_len + 1) to output logits (what
    ``raspc run`` computes before it decodes), compiled by XLA, parameters already
    on the device. The batch runs as equal shards, one per core (``in_shards``), so
    a function gives the shards' logits, computed. XLA compiles without holding
    Python's lock, so the compilations run in ``pool`` while the caller does other
    work."""
    step = jax.jit(chosen.logits)

    def build(batch: int) -> Callable[[Any], Any]:
        shards = shard_count(batch)
        shape = jax.ShapeDtypeStruct((batch // shards, max_len + 1), jnp.int32)
        compiled = step.lower(chosen.params, shape).compile()
        return lambda ids: in_shards(partial(compiled, chosen.params), ids, shards)

    return {batch: pool.submit(build, batch) for batch in batches}


@dataclass(frozen=True)
class Rate:
    """Sequences per second of a batch: from the fastest call (the least disturbed by
    other work on the machine) and from all the calls together."""

    best: float
    mean: float


def sequences_per_second(run: Callable[[Any], Any], ids, clock: Callable[[], float] = time.perf_counter) -> Rate:
    """Throughput of ``run`` on the batch ``ids``, already warmed up: as many calls as
    fit in MIN_TIMING_SECONDS (at least one). ``run`` returns once its result is
    computed (``forward_executables`` gives such functions)."""
    seconds: list[float] = []
    while not seconds or sum(seconds) < MIN_TIMING_SECONDS:
        started = clock()
        run(ids)
        seconds.append(clock() - started)
    batch = ids.shape[0]
    return Rate(best=batch / min(seconds), mean=batch * len(seconds) / sum(seconds))


# ------------------------------------------------------------------ one configuration

def prepare() -> None:
    """Start JAX's CPU backend, so that no configuration's cap pays for it. (What
    measuring imports, this module imports: a worker has it before it is ready.)"""
    jax.devices()


def measure(config: Config, emit: Emit) -> None:
    """Measure ``config``, reporting each result through ``emit(**fields of Row)``."""
    emit(stage="compile")
    program = load(config.program)
    vocab = None if config.vocab_size is None else sweep_vocab(program.vocab or (), config.vocab_size)
    model, seconds = compile_timed(program, vocab, config.max_len, config.repeats,
                                   config.compile_budget_seconds)
    facts = model_facts(model)
    emit(layers=facts.layers, heads=facts.heads, d_model=facts.d_model, d_mlp=facts.d_mlp, params=facts.params,
         vocab_size=len(model.config.vocab) - 1,
         compile_seconds=statistics.median(seconds), compile_runs=seconds)
    if config.runtime:
        measure_runtime(config, program, model, emit)
    emit(stage="done")


def measure_runtime(config: Config, program, model, emit: Emit) -> None:
    """Accuracy against the interpreter, the interpreter's throughput, and the forward
    pass's throughput at each batch size (largest first: the headline figure).

    XLA compiles the forward pass for each batch size first, on two threads; the
    interpreter then runs alone (run while XLA compiled alongside, it measured
    1.2x-1.9x slower, which flattered the forward pass's ratio), its throughput
    taken from the CPU time of its own thread (alone, wall-clock and CPU time agree:
    it is single-threaded Python). The forward pass is timed by the wall clock, in
    windows of MIN_TIMING_SECONDS reporting the fastest call (and the mean): at the
    widest batch in turn with the interpreter's passes (``alternate_timings``),
    then each other batch size once."""
    emit(stage="verify")
    batches = sorted(set(config.batches), reverse=True)
    widest = batches[0]
    chunks = -(-config.samples // widest)
    inputs = random_inputs(model.config.vocab[1:], config.max_len, max(chunks, 1) * widest, config.seed)
    ids = padded_ids(model, inputs)
    checked_inputs = inputs[:config.samples]
    with ThreadPoolExecutor(max_workers=2) as pool:
        chosen = chosen_pass(model)
        dense = chosen if chosen.name == DENSE else dense_pass(model)
        pending = forward_executables(chosen, config.max_len, batches, pool)
        pending_dense = forward_executables(dense, config.max_len, [widest], pool)
        runs = {batch: future.result() for batch, future in pending.items()}
        dense_run = pending_dense[widest].result()
    expression = program.output_expr(None)
    expected, cpu_seconds, wall_seconds = reference_outputs(expression, checked_inputs)
    got: list = []
    for chunk in range(chunks):
        rows = slice(chunk * widest, (chunk + 1) * widest)
        logits = np.concatenate([np.asarray(part) for part in runs[widest](ids[rows])])
        got += decoded_outputs(model, logits, inputs[rows])
    checked, matched, skipped = count_matches(got[:config.samples], expected)

    def emit_interpreter(cpu_seconds: float, wall_seconds: float) -> None:
        emit(interpreter_seq_per_s=len(checked_inputs) / cpu_seconds if cpu_seconds > 0 else None,
             interpreter_wall_seq_per_s=len(checked_inputs) / wall_seconds if wall_seconds > 0 else None)

    emit(checked=checked, matched=matched, skipped=skipped, stage=f"forward at batch {widest}")
    emit_interpreter(cpu_seconds, wall_seconds)  # the first pass, kept if the cap stops the timings
    widest_ids = ids[:widest]
    if chunks == 0:  # the verification ran the widest batch already
        runs[widest](widest_ids)
    fastest_pass, widest_rate = alternate_timings(
        lambda: reference_outputs(expression, checked_inputs)[1:],
        lambda: sequences_per_second(runs[widest], widest_ids), (cpu_seconds, wall_seconds))
    emit_interpreter(*fastest_pass)
    best = {str(widest): widest_rate.best}
    mean = {str(widest): widest_rate.mean}
    pass_used = chosen.name
    emit(forward_seq_per_s=dict(best), forward_mean_seq_per_s=dict(mean), forward_pass=pass_used)
    for batch in batches[1:]:
        emit(stage=f"forward at batch {batch}")
        batch_ids = ids[:batch]
        runs[batch](batch_ids)
        rate = sequences_per_second(runs[batch], batch_ids)
        best[str(batch)], mean[str(batch)] = rate.best, rate.mean
        emit(forward_seq_per_s=dict(best), forward_mean_seq_per_s=dict(mean), forward_pass=pass_used)
    emit(stage="dense forward")
    dense_run(widest_ids)
    emit(dense_forward_seq_per_s=sequences_per_second(dense_run, widest_ids).best)
