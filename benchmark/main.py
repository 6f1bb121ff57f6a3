"""The benchmark: what raspc's programs compile to, how fast, how right, and how fast they run.

For every program in ``programs/`` (the ones compared with tracr first) at max_len
5, 10, 20, 40 and 64 it records the model's shape (layers, heads, d_model, d_mlp,
parameters), the compile time (median of 5 compilations of the staged program),
the accuracy against the reference interpreter on 1,000 random inputs, the
interpreter's throughput on them and the jit-compiled forward pass's at batch 1,
64, 256 and 1,024. It sets raspc's rows beside tracr's measured figures
(``benchmark.tracr``), and sweeps the vocabulary size (10, 100, 1,000) for hist, sort
and reverse at max_len 10 and 20, compile time and size only.

Each configuration runs in a worker process under a wall-clock cap (``--timeout``);
one that overruns is recorded as timed out with whatever it had measured, one that
does not compile with the compiler's message, and the run goes on.

Results go to ``--out DIR`` (default ``./bench`` under the current directory; ``make
bench`` gives the repository's ``bench/``): ``results.json`` (every figure, the
settings, seeds, machine and versions), ``results.md`` (the tables, also printed) and
two plots, ``max_len.png`` and ``vocab_size.png``.

    python -m benchmark.main                 # everything (make bench)
    python -m benchmark.main --quick         # a few programs at small sizes
    python -m benchmark.main --table         # print the last results again
    python -m benchmark.main --programs reverse sort --max-lens 5 10 --no-vocab-sweep
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence, TextIO

from benchmark.measure import (FORWARD_WINDOWS, INTERPRETER_BUDGET_SECONDS, INTERPRETER_PASSES, MIN_TIMING_SECONDS,
                               PROGRAM_DIR, Config, Row, measure, prepare)
from benchmark.plots import write_plots
from benchmark.report import Results, environment, load_average, read, report, write
from benchmark.tasks import TASK_ROWS, run_task_row
from benchmark.tracr import TRACR_PROGRAMS
from benchmark.worker import CappedWorker
from raspc.errors import InputError, RaspcError

MAX_LENS = (5, 10, 20, 40, 64)
BATCHES = (1, 64, 256, 1024)
SAMPLES = 1000
REPEATS = 5
SEED = 0
#: Wall-clock seconds one configuration may take (compiling, verifying and timing).
TIMEOUT_SECONDS = 240.0
COMPILE_BUDGET_SECONDS = 10.0
VOCAB_PROGRAMS = ("hist", "sort", "reverse")
VOCAB_SIZES = (10, 100, 1000)
VOCAB_MAX_LENS = (10, 20)

#: The folder, under the current directory, that the results go to without --out.
DEFAULT_FOLDER = "bench"

QUICK_PROGRAMS = ("length", "reverse", "hist", "sort")
QUICK_MAX_LENS = (5, 10)
QUICK_VOCAB_SIZES = (10, 100)
QUICK_VOCAB_MAX_LENS = (10,)


@dataclass(frozen=True)
class Plan:
    """What one run measures."""

    programs: tuple[str, ...]
    max_lens: tuple[int, ...]
    vocab_programs: tuple[str, ...]
    vocab_sizes: tuple[int, ...]
    vocab_max_lens: tuple[int, ...]
    batches: tuple[int, ...] = BATCHES
    samples: int = SAMPLES
    repeats: int = REPEATS
    seed: int = SEED
    timeout_seconds: float = TIMEOUT_SECONDS
    compile_budget_seconds: float = COMPILE_BUDGET_SECONDS
    task_rows: tuple[str, ...] = ()

    def configs(self) -> list[Config]:
        common = dict(repeats=self.repeats, compile_budget_seconds=self.compile_budget_seconds,
                      samples=self.samples, batches=self.batches, seed=self.seed)
        return [Config(p, n, **common) for p in self.programs for n in self.max_lens]

    def vocab_configs(self) -> list[Config]:
        common = dict(repeats=self.repeats, compile_budget_seconds=self.compile_budget_seconds, seed=self.seed,
                      runtime=False)
        return [Config(p, n, vocab_size=v, **common)
                for p in self.vocab_programs for n in self.vocab_max_lens for v in self.vocab_sizes]

    def settings(self) -> dict:
        return {"programs": list(self.programs), "max_lens": list(self.max_lens),
                "vocab_programs": list(self.vocab_programs), "vocab_sizes": list(self.vocab_sizes),
                "vocab_max_lens": list(self.vocab_max_lens), "batches": list(self.batches),
                "task_rows": list(self.task_rows),
                "samples": self.samples, "repeats": self.repeats, "seed": self.seed,
                "timeout_seconds": self.timeout_seconds, "compile_budget_seconds": self.compile_budget_seconds,
                "min_timing_seconds": MIN_TIMING_SECONDS, "interpreter_passes": INTERPRETER_PASSES,
                "interpreter_budget_seconds": INTERPRETER_BUDGET_SECONDS, "forward_windows": FORWARD_WINDOWS}


def available_programs() -> list[str]:
    """Every program in programs/, the ones compared with tracr first."""
    names = sorted(path.stem for path in PROGRAM_DIR.glob("*.rasp"))
    return [p for p in TRACR_PROGRAMS if p in names] + [p for p in names if p not in TRACR_PROGRAMS]


# ------------------------------------------------------------------ running

def _progress(config: Config, row: Row) -> str:
    """One line per configuration, printed as soon as it is measured."""
    where = f"{row.program:<14} max_len {row.max_len:<3}" + (
        f" vocab {config.vocab_size:<5}" if config.vocab_size is not None else "")
    if row.timed_out or row.error:
        what = f"timed out during {row.stage}" if row.timed_out else f"fails: {row.error}"
        return f"  {where} {what[:160]}"
    parts = [f"{row.params:,} params" if row.params is not None else "",
             f"compile {row.compile_seconds:.3f} s" if row.compile_seconds is not None else "",
             f"accuracy {100 * row.accuracy:.1f}%" if row.accuracy is not None else "",
             f"{row.forward_rate(max(config.batches)):,.0f} seq/s @{max(config.batches)}"
             if config.runtime and row.forward_rate(max(config.batches)) else ""]
    return f"  {where} " + ", ".join(p for p in parts if p) + f" ({row.wall_seconds:.1f} s)"


def run_configs(worker, configs: Sequence[Config], timeout_seconds: float, out: TextIO) -> list[Row]:
    """Measure each configuration in the capped ``worker``; one row each, in order."""
    rows = []
    for config in configs:
        row = Row(config.program, config.max_len, config.vocab_size)

        def merge(fields: dict, row: Row = row) -> None:
            for name, value in fields.items():
                setattr(row, name, value)

        outcome = worker.run(config, timeout_seconds, merge)
        row.wall_seconds = outcome.seconds
        if outcome.status == "timed_out":
            row.timed_out = True
        elif outcome.status != "done":
            row.error = outcome.message
        rows.append(row)
        print(_progress(config, row), file=out, flush=True)
    return rows


def run_task_rows(names: Sequence[str], timeout_seconds: float, out: TextIO) -> list[dict]:
    """Each named task row in a capped worker of its own kind; a row that fails or
    overruns is recorded with its reason."""
    records = []
    with CappedWorker(run_task_row, prepare) as worker:
        for name in names:
            found: dict = {}
            outcome = worker.run(name, timeout_seconds, lambda fields: found.update(fields.get("record", {})))
            record = {"name": name, **found, "wall_seconds": round(outcome.seconds, 1)}
            if outcome.status != "done":
                record["error"] = "timed out" if outcome.status == "timed_out" else outcome.message
            records.append(record)
            print(f"  {name:<24} " + (record.get("error") or "done") + f" ({outcome.seconds:.1f} s)",
                  file=out, flush=True)
    return records


def run_benchmark(plan: Plan, folder: Path | str = DEFAULT_FOLDER, out: TextIO | None = None,
                  plots: bool = True, target: Callable = measure, prepare_worker: Callable | None = prepare):
    """Measure everything in ``plan`` (each configuration through ``target``), write the
    files into ``folder`` and print the tables."""
    out = out or sys.stdout
    folder = Path(folder)
    started, load_at_start = time.perf_counter(), load_average()
    configs, vocab_configs = plan.configs(), plan.vocab_configs()
    print(f"benchmark: {len(configs)} configuration(s), {len(vocab_configs)} in the vocabulary sweep, "
          f"at most {plan.timeout_seconds:g} s each", file=out, flush=True)
    with CappedWorker(target, prepare_worker) as worker:
        rows = run_configs(worker, configs, plan.timeout_seconds, out)
        vocab_rows = run_configs(worker, vocab_configs, plan.timeout_seconds, out)
    task_rows = run_task_rows(plan.task_rows, plan.timeout_seconds, out) if plan.task_rows else []
    results = Results(plan.settings(), environment() | {"load_average_start": load_at_start}, rows, vocab_rows,
                      task_rows=task_rows)
    results.wall_seconds = time.perf_counter() - started
    write(results, folder)
    written = write_plots(rows, vocab_rows, folder) if plots else []
    print("", file=out)
    print(report(results), file=out)
    files = [folder / "results.json", folder / "results.md"] + written
    print(f"wrote {', '.join(str(f) for f in files)}", file=out)
    return results


# ------------------------------------------------------------------ command line

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true",
                        help=f"a fast check: {' '.join(QUICK_PROGRAMS)} at max_len "
                             f"{' '.join(map(str, QUICK_MAX_LENS))}, a small vocabulary sweep")
    parser.add_argument("--table", action="store_true", help="print the last results instead of measuring")
    parser.add_argument("--programs", nargs="+", metavar="NAME",
                        help="which programs of programs/ (default: all of them)")
    parser.add_argument("--max-lens", nargs="+", type=int, metavar="N",
                        help=f"which maximum lengths (default: {' '.join(map(str, MAX_LENS))})")
    parser.add_argument("--batches", nargs="+", type=int, metavar="B",
                        help=f"forward-pass batch sizes (default: {' '.join(map(str, BATCHES))})")
    parser.add_argument("--samples", type=int, default=SAMPLES,
                        help=f"random inputs checked against the interpreter (default {SAMPLES})")
    parser.add_argument("--repeats", type=int, default=REPEATS,
                        help=f"compilations per configuration, the median is reported (default {REPEATS})")
    parser.add_argument("--seed", type=int, default=SEED, help=f"seed of the random inputs (default {SEED})")
    parser.add_argument("--timeout", type=float, default=TIMEOUT_SECONDS, metavar="SECONDS",
                        help=f"wall-clock cap per configuration (default {TIMEOUT_SECONDS:g})")
    parser.add_argument("--vocab-programs", nargs="+", metavar="NAME",
                        help=f"programs of the vocabulary sweep (default: {' '.join(VOCAB_PROGRAMS)})")
    parser.add_argument("--vocab-sizes", nargs="+", type=int, metavar="V",
                        help=f"vocabulary sizes of the sweep (default: {' '.join(map(str, VOCAB_SIZES))})")
    parser.add_argument("--vocab-max-lens", nargs="+", type=int, metavar="N",
                        help=f"max_lens of the sweep (default: {' '.join(map(str, VOCAB_MAX_LENS))})")
    parser.add_argument("--no-vocab-sweep", action="store_true", help="skip the vocabulary sweep")
    parser.add_argument("--task-rows", nargs="*", metavar="NAME", choices=list(TASK_ROWS),
                        help=f"the rows that are not a program at a max_len (default: all: {', '.join(TASK_ROWS)}; "
                             "none with --quick)")
    parser.add_argument("--no-plots", action="store_true", help="write no PNG plots")
    parser.add_argument("--out", "--out-dir", dest="out", metavar="DIR", default=None,
                        help=f"where the results and plots go (default: ./{DEFAULT_FOLDER} under the "
                             "current directory; `make bench` gives the repository's bench/)")


def _positive(values: Sequence[int] | None, what: str) -> None:
    for value in values or ():
        if value < 1:
            raise InputError(f"{what} must be at least 1, not {value}")


def plan_from_args(args: argparse.Namespace) -> Plan:
    """The plan the options ask for (``--quick`` changes the defaults only)."""
    known = available_programs()
    programs = tuple(args.programs or (QUICK_PROGRAMS if args.quick else known))
    vocab_programs = () if args.no_vocab_sweep else tuple(args.vocab_programs or VOCAB_PROGRAMS)
    for name in programs + vocab_programs:
        if name not in known:
            raise InputError(f"no program {name!r} in {PROGRAM_DIR} (there are: {', '.join(known)})")
    max_lens = tuple(args.max_lens or (QUICK_MAX_LENS if args.quick else MAX_LENS))
    vocab_sizes = tuple(args.vocab_sizes or (QUICK_VOCAB_SIZES if args.quick else VOCAB_SIZES))
    vocab_max_lens = tuple(args.vocab_max_lens or (QUICK_VOCAB_MAX_LENS if args.quick else VOCAB_MAX_LENS))
    batches = tuple(args.batches or BATCHES)
    for values, what in ((max_lens, "--max-lens"), (vocab_sizes, "--vocab-sizes"),
                         (vocab_max_lens, "--vocab-max-lens"), (batches, "--batches"),
                         ((args.samples, args.repeats), "--samples and --repeats")):
        _positive(values, what)
    if args.timeout <= 0:
        raise InputError(f"--timeout must be positive, not {args.timeout:g}")
    task_rows = tuple(args.task_rows if args.task_rows is not None else (() if args.quick else TASK_ROWS))
    return Plan(programs, max_lens, vocab_programs, vocab_sizes, vocab_max_lens, batches=batches,
                samples=args.samples, repeats=args.repeats, seed=args.seed, timeout_seconds=args.timeout,
                task_rows=task_rows)


def print_last(folder: Path | str, out: TextIO | None = None) -> int:
    path = Path(folder) / "results.json"
    if not path.exists():
        raise InputError(f"no benchmark results at {path}: run `make bench` or `raspc bench` first")
    print(report(read(Path(folder))), file=out or sys.stdout)
    return 0


def output_folder(args: argparse.Namespace) -> Path:
    """Where the results go: ``--out``, else ./bench under the current directory (never
    into the installed package's folder, which may not be the user's or writable)."""
    return Path(args.out) if args.out else Path.cwd() / DEFAULT_FOLDER


def run_from_args(args: argparse.Namespace) -> int:
    folder = output_folder(args)
    if args.table:
        return print_last(folder)
    run_benchmark(plan_from_args(args), folder, plots=not args.no_plots)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmark.main", description=__doc__.split("\n\n")[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    return run_from_args(build_parser().parse_args(argv))


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RaspcError as error:
        print(error.format(), file=sys.stderr)
        sys.exit(2)
