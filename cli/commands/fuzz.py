"""``raspc fuzz``: differential testing of the compiler, and fuzzing of the front end.

Differential: random well-typed programs (``fuzz.random_programs``) are staged,
compiled and run; every output is compared with the reference interpreter's, on every
input up to ``max_len`` when there are few, else on 200 seeded random inputs. A
mismatch is shrunk to a small program and saved under ``tests/regressions/``, which
the regression tests run forever after.

Compiled models differ in shape, and a jit compilation per shape would cost more
than everything else together. So the models are padded with zeros to a few bucketed
shapes (more layers, heads, residual and MLP directions, all zero) before they go
through ``runtime.engine.forward.forward``, whose jit compilations are then shared: a zero layer, head or direction adds
exact zeros, so the outputs are those of the unpadded model; ``Runner.decode`` reads
them. The tests check this path against ``Runner.run`` itself.

Front end: random and mutated source text must end, within a time bound, in a
program or a ``RaspcError`` with a line and column; anything else is counted.
"""
from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import random
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from compiler.errors import CompileError
from raspc.errors import RaspcError
from runtime.outputs import decode_batch, same_output
from fuzz.random_programs import FULL, SMALL, FuzzConfig, generate, mutate_source, random_source, shrink

REGRESSIONS = Path(__file__).resolve().parents[2] / "tests" / "regressions"
#: Inputs checked per program: all of them up to this many, else this many sampled.
EXHAUSTIVE_LIMIT = 400
SAMPLED_INPUTS = 200
TOLERANCE = 1e-4
#: Every batch goes through the model in chunks of exactly this many rows: one batch
#: shape, so a jit compilation serves programs with few inputs and many alike.
ROWS = 128


@dataclass(frozen=True)
class InputPlan:
    """How many inputs a program is checked on: all of them when there are at most
    ``exhaustive``, else ``sampled`` seeded ones."""

    exhaustive: int = EXHAUSTIVE_LIMIT
    sampled: int = SAMPLED_INPUTS


#: What ``raspc fuzz`` and ``make fuzz`` check: thorough.
THOROUGH = InputPlan()
#: What CI's thousands of small programs are checked on: one chunk of rows each (small
#: programs are still checked on every input up to length 4, or 5 over two tokens).
QUICK = InputPlan(exhaustive=ROWS, sampled=ROWS)


# ------------------------------------------------------------------ comparing outputs

def inputs_for(vocab: Sequence[Any], max_len: int, seed: int = 0, plan: InputPlan = THOROUGH) -> list[tuple]:
    """Every input up to max_len when there are at most ``plan.exhaustive``, else a
    seeded sample of ``plan.sampled`` (always including the shortest and longest)."""
    total = sum(len(vocab) ** n for n in range(1, max_len + 1))
    if total <= plan.exhaustive:
        return [tuple(t) for n in range(1, max_len + 1) for t in itertools.product(vocab, repeat=n)]
    rng = random.Random(seed)
    chosen = [tuple(vocab[:1]), tuple(vocab[-1:] * max_len)]
    while len(chosen) < plan.sampled:
        n = rng.randint(1, max_len)
        chosen.append(tuple(rng.choice(vocab) for _ in range(n)))
    return chosen


# ------------------------------------------------------------------ the shared jit

def _bucket(n: int, floor: int) -> int:
    """The smallest of floor, 2 floor, 4 floor, ... that holds n: few sizes, so few
    compilations, and at most twice the work of the unpadded model per dimension."""
    size = floor
    while size < n:
        size *= 2
    return size


def _pad(array: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    out = np.zeros(shape, np.float32)
    out[tuple(slice(0, s) for s in array.shape)] = array
    return out


def padded_params(model, positions: int) -> dict:
    """The model's parameters with zeros added up to bucketed shapes."""
    params = model.params
    layers = params["layers"]
    d_model = _bucket(model.config.d_model, 64)
    n_layers = _bucket(len(layers), 4)
    heads = _bucket(max((l["w_q"].shape[0] for l in layers), default=1), 2)
    d_head = _bucket(max((l["w_q"].shape[2] for l in layers), default=1), 32)
    d_mlp = _bucket(max((l["w_in"].shape[1] for l in layers), default=1), 64)
    vocab_rows = _bucket(params["token_embed"].shape[0], 8)
    shapes = {"w_q": (heads, d_model, d_head), "w_k": (heads, d_model, d_head),
              "w_v": (heads, d_model, d_head), "w_o": (heads, d_head, d_model),
              "w_in": (d_model, d_mlp), "b_in": (d_mlp,), "w_out": (d_mlp, d_model), "b_out": (d_model,)}
    empty = {name: np.zeros((0,) * len(shape)) for name, shape in shapes.items()}
    padded_layers = [{name: _pad(np.asarray((layers[k] if k < len(layers) else empty)[name]), shape)
                      for name, shape in shapes.items()} for k in range(n_layers)]
    return {"token_embed": _pad(np.asarray(params["token_embed"]), (vocab_rows, d_model)),
            "pos_embed": _pad(np.asarray(params["pos_embed"]), (positions, d_model)),
            "layers": padded_layers}


class SharedRunner:
    """Runs any compiled model through one shared jit (see the module docstring).

    ``run(batch)`` returns, per input, the output as ``runtime.outputs.decode`` reads it.
    """

    def __init__(self, model, positions: int = 9):
        self.model = model
        self.unembed = np.asarray(model.params["unembed"], np.float64)
        self.positions = max(positions, model.config.max_len + 1)
        self.params = padded_params(model, self.positions)

    def run(self, batch: Sequence[Sequence[Any]]) -> list[list[Any]]:
        import jax.numpy as jnp

        from runtime.engine.forward import PAD, encode, forward

        encoded = [encode(self.model.config, tokens) for tokens in batch]
        outputs: list[list[Any]] = []
        for start in range(0, len(encoded), ROWS):
            chunk = encoded[start:start + ROWS]
            ids = np.full((ROWS, self.positions), PAD, np.int32)
            for row, one in enumerate(chunk):
                ids[row, :len(one)] = one
            residual = np.asarray(forward(self.params, jnp.asarray(ids), self.model.config))
            logits = residual[:len(chunk), :, :self.model.config.d_model].astype(np.float64) @ self.unembed
            outputs += decode_batch(self.model.config, logits, [len(one) - 1 for one in chunk])
        return outputs


# ------------------------------------------------------------------ one program

@dataclass
class Outcome:
    """What happened to one program: ``ok``, ``mismatch``, ``invalid`` (the
    interpreter or staging rejects it: not the compiler's business),
    ``compile_error`` (a CompileError: a limitation, reported, not a wrong answer) or
    ``crash`` (compiling or running raised anything else: ``detail`` names it)."""

    status: str
    detail: str = ""
    input: tuple | None = None
    expected: list | None = None
    got: list | None = None
    n_inputs: int = 0


def check_source(source: str, seed: int = 0, runner_class: Callable = SharedRunner,
                 plan: InputPlan = THOROUGH) -> Outcome:
    """Stage, interpret, compile and run one program on its inputs; compare."""
    from compiler import compile_program
    from rasp.interpreter import evaluate
    from rasp.parser import parse
    from rasp.stage import stage

    try:
        program = stage(parse(source, "<fuzz>"))
        output = program.output_expr()
        inputs = inputs_for(program.vocab, program.max_len, seed, plan)
        expected = [evaluate(output, tokens) for tokens in inputs]
    except RaspcError as error:
        return Outcome("invalid", error.message)
    try:
        model = compile_program(program)
    except CompileError as error:
        return Outcome("compile_error", error.message)
    except Exception as failure:  # noqa: BLE001 - a crash is a finding, not the end of the run
        return Outcome("crash", f"{type(failure).__name__} while compiling: {failure}"[:300])
    try:
        got = runner_class(model).run(inputs)
    except Exception as failure:  # noqa: BLE001
        return Outcome("crash", f"{type(failure).__name__} while running: {failure}"[:300])
    for tokens, want, have in zip(inputs, expected, got):
        if not same_output(want, have):
            return Outcome("mismatch", "", tokens, want, have, len(inputs))
    return Outcome("ok", n_inputs=len(inputs))


def shrink_mismatch(source: str, seed: int = 0, plan: InputPlan = THOROUGH) -> str:
    """The smallest program found that still compiles to a wrong answer."""
    return shrink(source, lambda candidate: check_source(candidate, seed, plan=plan).status == "mismatch",
                  max_attempts=400)


def save_regression(source: str, outcome: Outcome, folder: Path = REGRESSIONS) -> Path:
    """Write a shrunk failing program as ``<hash>.rasp``, with what it showed."""
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha1(source.encode()).hexdigest()[:12]
    path = folder / f"{digest}.rasp"
    if outcome.status == "mismatch":
        note = (f"# Found by the differential fuzzer: on input {list(outcome.input or ())!r}\n"
                f"# the interpreter gives {outcome.expected!r}\n# the compiled model gave {outcome.got!r}\n")
    else:
        note = f"# Found by the differential fuzzer: {outcome.status}: {' '.join(outcome.detail.split())}\n"
    path.write_text(note + source, encoding="utf-8")
    return path


# ------------------------------------------------------------------ many programs

@dataclass
class DifferentialReport:
    """Counts over many programs. ``failures`` holds each mismatch and crash (shrunk)
    and each program the generator should not have written (``invalid``)."""

    programs: int = 0
    ok: int = 0
    mismatches: int = 0
    crashes: int = 0
    invalid: int = 0
    compile_errors: int = 0
    inputs_checked: int = 0
    seconds: float = 0.0
    compile_error_reasons: dict[str, int] = field(default_factory=dict)
    compile_error_examples: dict[str, dict] = field(default_factory=dict)
    failures: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        return dict(self.__dict__)


def _reason(message: str) -> str:
    """A compile error's message without the s-op names, to count alike ones together."""
    import re

    return re.sub(r"[A-Za-z_]+_\d+|v\d+|acc\d+|'[^']*'|\d+(\.\d+)?", "_", message)[:90]


def run_differential(count: int, seed: int = 0, config: FuzzConfig = SMALL, *, save: bool = False,
                     shrink_failures: bool = True, folder: Path = REGRESSIONS,
                     workers: int = 1, plan: InputPlan = THOROUGH) -> DifferentialReport:
    """Generate ``count`` programs from seeds seed, seed+1, ... and check each.

    With ``workers`` > 1 the seeds are split into slices run by that many fresh
    processes (spawned, not forked: JAX does not survive a fork); the counts are the
    same as in one process.
    """
    if workers > 1 and count > 1:
        return _run_parallel(count, seed, config, save, shrink_failures, folder, workers, plan)
    report = DifferentialReport()
    started = time.perf_counter()
    for program_seed in range(seed, seed + count):
        source = generate(program_seed, config).source
        outcome = check_source(source, program_seed, plan=plan)
        report.programs += 1
        report.inputs_checked += outcome.n_inputs
        if outcome.status == "ok":
            report.ok += 1
        elif outcome.status == "invalid":
            report.invalid += 1
            report.failures.append({"seed": program_seed, "status": "invalid", "detail": outcome.detail,
                                    "source": source})
        elif outcome.status == "compile_error":
            report.compile_errors += 1
            key = _reason(outcome.detail)
            report.compile_error_reasons[key] = report.compile_error_reasons.get(key, 0) + 1
            if key not in report.compile_error_examples:
                report.compile_error_examples[key] = {"seed": program_seed, "detail": outcome.detail}
        else:  # a mismatch, or a crash: a wrong answer or no answer, the compiler's fault
            if outcome.status == "mismatch":
                report.mismatches += 1
            else:
                report.crashes += 1
            report.failures.append(_failure(source, program_seed, outcome, save, shrink_failures, folder, plan))
    report.seconds = time.perf_counter() - started
    return report


def _failure(source: str, seed: int, outcome: Outcome, save: bool, shrink_failures: bool, folder: Path,
             plan: InputPlan) -> dict:
    """A mismatch or crash, shrunk to the smallest program that still shows it (and
    saved, with ``save``)."""
    status = outcome.status

    def still_fails(candidate: str) -> bool:
        again = check_source(candidate, seed, plan=plan)
        return again.status == status and (status == "mismatch" or again.detail.split(":")[0] ==
                                           outcome.detail.split(":")[0])

    small = shrink(source, still_fails, max_attempts=400) if shrink_failures else source
    final = check_source(small, seed, plan=plan)
    failure = {"seed": seed, "status": final.status, "detail": final.detail, "source": small,
               "input": list(final.input or ()), "expected": final.expected, "got": final.got}
    if save:
        failure["saved"] = str(save_regression(small, final, folder))
    return failure


def _run_slice(arguments: tuple) -> DifferentialReport:
    count, seed, config, save, shrink_failures, folder, plan = arguments
    return run_differential(count, seed, config, save=save, shrink_failures=shrink_failures, folder=folder,
                            plan=plan)


def _run_parallel(count, seed, config, save, shrink_failures, folder, workers, plan) -> DifferentialReport:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    started = time.perf_counter()
    slices = min(count, workers * 4)
    bounds = [seed + count * k // slices for k in range(slices + 1)]
    jobs = [(bounds[k + 1] - bounds[k], bounds[k], config, save, shrink_failures, folder, plan)
            for k in range(slices)]
    merged = DifferentialReport()
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        for part in pool.map(_run_slice, jobs):
            for name in ("programs", "ok", "mismatches", "crashes", "invalid", "compile_errors",
                         "inputs_checked"):
                setattr(merged, name, getattr(merged, name) + getattr(part, name))
            for reason, n in part.compile_error_reasons.items():
                merged.compile_error_reasons[reason] = merged.compile_error_reasons.get(reason, 0) + n
            for reason, example in part.compile_error_examples.items():
                merged.compile_error_examples.setdefault(reason, example)
            merged.failures += part.failures
    merged.seconds = time.perf_counter() - started
    return merged


# ------------------------------------------------------------------ front end

class _Timeout(Exception):
    pass


def _alarm(signum, frame):  # pragma: no cover - only on a hang
    raise _Timeout()


@dataclass
class FrontendReport:
    sources: int = 0
    accepted: int = 0
    rejected: int = 0
    uncaught: int = 0
    without_location: int = 0
    timeouts: int = 0
    seconds: float = 0.0
    kinds: dict[str, int] = field(default_factory=dict)
    examples: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        return dict(self.__dict__)


def front_end(source: str, seconds: float = 2.0) -> tuple[str, str]:
    """Parse and stage ``source`` under a time bound: ``(verdict, detail)`` with
    verdict ``accepted``, ``rejected`` (a RaspcError with a line and column),
    ``no_location`` (a RaspcError without one), ``timeout`` or ``uncaught``."""
    from rasp.parser import parse
    from rasp.stage import stage

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        stage(parse(source, "<fuzz>"))
        return "accepted", ""
    except _Timeout:
        return "timeout", ""
    except RaspcError as error:
        location = error.location
        if location is None or not (location.line >= 1 and location.column >= 1):
            return "no_location", error.message
        return "rejected", ""
    except Exception as failure:  # noqa: BLE001 - exactly what this fuzzer looks for
        return "uncaught", f"{type(failure).__name__}: {failure}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


#: How long one source may take in parse + stage before it counts as a hang.
FRONTEND_SECONDS = 5.0


def frontend_source(seed: int, k: int) -> str:
    """The ``k``-th source of the run with this seed: a mutated random program, or
    (every fifth) text assembled from the language's fragments. Each has its own
    seeded generator, so a run may be split among processes and still be the same."""
    rng = random.Random(f"frontend {seed} {k}")
    if k % 5 == 4:
        return random_source(rng)
    return mutate_source(generate(rng.randrange(10 ** 6), SMALL).source, rng)


def run_frontend(count: int, seed: int = 0, workers: int = 1, start: int = 0) -> FrontendReport:
    """Fuzz the front end with ``count`` sources (numbers ``start``, ``start`` + 1, ...)."""
    if workers > 1 and count > 1:
        return _frontend_parallel(count, seed, workers, start)
    report = FrontendReport()
    started = time.perf_counter()
    for k in range(start, start + count):
        source = frontend_source(seed, k)
        verdict, detail = front_end(source, FRONTEND_SECONDS)
        report.sources += 1
        if verdict == "accepted":
            report.accepted += 1
        elif verdict == "rejected":
            report.rejected += 1
        else:
            if verdict == "timeout":
                report.timeouts += 1
            elif verdict == "no_location":
                report.without_location += 1
            else:
                report.uncaught += 1
            kind = f"{verdict}: {detail.split(':')[0] if verdict == 'uncaught' else detail[:60]}"
            if kind not in report.kinds:
                report.examples.append({"kind": kind, "verdict": verdict, "detail": detail[:200],
                                        "source": source[:500], "number": k})
            report.kinds[kind] = report.kinds.get(kind, 0) + 1
    report.seconds = time.perf_counter() - started
    return report


def _frontend_slice(arguments: tuple) -> FrontendReport:
    count, seed, start = arguments
    return run_frontend(count, seed, start=start)


def _frontend_parallel(count: int, seed: int, workers: int, start: int = 0) -> FrontendReport:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    started = time.perf_counter()
    slices = min(count, workers * 4)
    bounds = [start + count * k // slices for k in range(slices + 1)]
    jobs = [(bounds[k + 1] - bounds[k], seed, bounds[k]) for k in range(slices)]
    merged = FrontendReport()
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        for part in pool.map(_frontend_slice, jobs):
            for name in ("sources", "accepted", "rejected", "uncaught", "without_location", "timeouts"):
                setattr(merged, name, getattr(merged, name) + getattr(part, name))
            for kind, n in part.kinds.items():
                if kind not in merged.kinds:
                    merged.examples += [e for e in part.examples if e["kind"] == kind][:1]
                merged.kinds[kind] = merged.kinds.get(kind, 0) + n
    merged.seconds = time.perf_counter() - started
    return merged


# ------------------------------------------------------------------ the command

def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "fuzz", help="differential-test the compiler and fuzz the front end",
        description="Compile random well-typed programs and compare every output with the reference "
                    "interpreter; feed random and mutated source text to the parser and staging.",
        epilog="example:\n  raspc fuzz --programs 200 --sources 2000 --seed 1 --json\n"
               "what `make fuzz` runs:\n"
               "  raspc fuzz --programs 20000 --sources 100000 --full --seed 100000 --workers 2 --save",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--programs", type=int, default=200, help="random programs to compile and check")
    parser.add_argument("--sources", type=int, default=1000, help="random source texts for the front end")
    parser.add_argument("--seed", type=int, default=0, help="first seed (runs are reproducible)")
    parser.add_argument("--full", action="store_true", help="draw programs from the full ranges "
                        "(max_len up to 8, vocabularies up to 4) instead of the small ones")
    parser.add_argument("--save", action="store_true",
                        help="save each shrunk mismatch or crash under tests/regressions/")
    parser.add_argument("--workers", type=int, default=1,
                        help="processes for each part (the results do not depend on it)")
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")
    parser.set_defaults(handler=_handle)


def _handle(args) -> int:
    if args.programs < 0 or args.sources < 0:
        raise RaspcError("--programs and --sources must not be negative")
    if args.workers < 1:
        raise RaspcError("--workers must be at least 1")
    differential = run_differential(args.programs, args.seed, FULL if args.full else SMALL, save=args.save,
                                    workers=args.workers)
    frontend = run_frontend(args.sources, args.seed, workers=args.workers)
    if args.json:
        print(json.dumps({"differential": differential.to_json(), "frontend": frontend.to_json()},
                         indent=2, default=repr))
    else:
        d, f = differential, frontend
        print(f"differential: {d.programs} programs in {d.seconds:.1f}s: {d.ok} agree on "
              f"{d.inputs_checked} inputs, {d.mismatches} mismatches, {d.crashes} crashes, "
              f"{d.compile_errors} compile errors, {d.invalid} rejected by the interpreter")
        for reason, n in sorted(d.compile_error_reasons.items(), key=lambda kv: -kv[1]):
            print(f"  compile error x{n} (first: seed {d.compile_error_examples[reason]['seed']}): {reason}")
        for failure in d.failures:
            shown = (f"on {failure['input']!r}: expected {failure['expected']!r}, got {failure['got']!r}"
                     if failure["status"] == "mismatch" else failure["detail"])
            print(f"  {failure['status']} (seed {failure['seed']}) {shown}\n    " +
                  failure["source"].strip().replace("\n", "\n    "))
        print(f"front end: {f.sources} sources in {f.seconds:.1f}s: {f.accepted} accepted, {f.rejected} "
              f"rejected with a location, {f.uncaught} uncaught exceptions, {f.without_location} errors "
              f"without a location, {f.timeouts} timeouts")
        for example in f.examples[:5]:
            print(f"  {example['verdict']} (source {example['number']}): {example['detail']}")
    return 1 if differential.mismatches or differential.crashes or differential.invalid or frontend.uncaught \
        or frontend.timeouts or frontend.without_location else 0
