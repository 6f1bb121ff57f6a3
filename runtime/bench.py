"""The benchmark: what the paper's programs compile to, how fast, and how fast they run.

For each program (length, reverse, hist, double_hist, sort, most_freq, from
``programs/``) and each maximum length (5, 10, 20, 40) it records the compile time
(the median of three compilations), the model's shape (layers, heads, d_model,
d_mlp, parameters) and the forward throughput: sequences per second through the
jit-compiled forward pass at batch 256, inputs of full length, after a warm-up
call (and, for comparison, through ``Runner``, which also encodes and decodes).
Inputs are drawn with a fixed seed. A configuration that does not compile is
recorded with the compiler's message.

Results go to ``bench/results.json`` and ``bench/results.md``; the table is printed.

    python -m runtime.bench                 # everything (make bench)
    python -m runtime.bench --table         # print the last results again
    python -m runtime.bench --programs reverse sort --max-lens 5 10
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PROGRAMS = ("length", "reverse", "hist", "double_hist", "sort", "most_freq")
MAX_LENS = (5, 10, 20, 40)
BATCH = 256
REPEATS = 3
SEED = 0
#: Time forward passes for at least this long (and at least 3 calls).
MIN_TIMING_SECONDS = 0.3


@dataclass
class Row:
    """One program at one max_len."""

    program: str
    max_len: int
    compile_seconds: float | None = None
    layers: int | None = None
    heads: int | None = None
    d_model: int | None = None
    d_mlp: int | None = None
    params: int | None = None
    seq_per_s: float | None = None
    runner_seq_per_s: float | None = None
    error: str | None = None


# ------------------------------------------------------------------ measuring

def compile_median(program, max_len: int, repeats: int):
    """(the last model, the median compile seconds) of ``repeats`` compilations."""
    from compiler import compile_program

    seconds, model = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        model = compile_program(program, max_len=max_len)
        seconds.append(time.perf_counter() - started)
    return model, statistics.median(seconds)


def random_batch(vocab: Sequence, max_len: int, batch: int, seed: int) -> list[tuple]:
    rng = np.random.default_rng(seed)
    return [tuple(vocab[int(k)] for k in rng.integers(0, len(vocab), size=max_len)) for _ in range(batch)]


def _timed(call) -> float:
    """Calls per second of ``call`` (already warmed up)."""
    calls, started = 0, time.perf_counter()
    while True:
        call()
        calls += 1
        elapsed = time.perf_counter() - started
        if calls >= 3 and elapsed >= MIN_TIMING_SECONDS:
            return calls / elapsed


def throughput(model, inputs: list[tuple]) -> tuple[float, float]:
    """Sequences per second: the jitted forward pass alone, and Runner end to end."""
    import jax
    import jax.numpy as jnp

    from runtime.forward import Runner, encode, forward, to_jax

    config = model.config
    ids = jnp.asarray(np.stack([encode(config, tokens) for tokens in inputs]))
    params = to_jax(model.params)
    step = jax.jit(lambda p, x: forward(p, x, config))
    step(params, ids).block_until_ready()
    forward_rate = _timed(lambda: step(params, ids).block_until_ready()) * len(inputs)
    runner = Runner(model, max_batch=len(inputs))
    runner.run(inputs)
    runner_rate = _timed(lambda: runner.run(inputs)) * len(inputs)
    return forward_rate, runner_rate


def measure(name: str, max_len: int, repeats: int = REPEATS, batch: int = BATCH, seed: int = SEED) -> Row:
    from rasp.errors import RaspcError
    from rasp.stage import load_program

    row = Row(name, max_len)
    path = ROOT / "programs" / f"{name}.rasp"
    if not path.exists():
        row.error = f"{path.relative_to(ROOT)} is missing"
        return row
    try:
        program = load_program(str(path))
        model, row.compile_seconds = compile_median(program, max_len, repeats)
    except RaspcError as error:
        row.error = error.message
        return row
    row.layers, row.heads = model.config.n_layers, model.n_heads
    row.d_model, row.d_mlp, row.params = model.config.d_model, model.d_mlp, model.n_params
    inputs = random_batch(model.config.vocab[1:], max_len, batch, seed)
    row.seq_per_s, row.runner_seq_per_s = throughput(model, inputs)
    return row


# ------------------------------------------------------------------ reporting

def environment() -> dict:
    import jax

    return {"python": platform.python_version(), "jax": jax.__version__, "backend": jax.default_backend(),
            "devices": [str(d) for d in jax.devices()], "machine": platform.machine(),
            "cpus": os.cpu_count(), "batch": BATCH, "repeats": REPEATS, "seed": SEED,
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def _cell(value, spec: str = "") -> str:
    if value is None:
        return "-"
    return format(value, spec)


def markdown_table(rows: Sequence[Row]) -> str:
    lines = ["| program | max_len | compile s | layers | heads | d_model | d_mlp | params | forward seq/s | Runner seq/s |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    notes = []
    for row in rows:
        if row.error:
            notes.append(f"- {row.program}, max_len {row.max_len}: {row.error}")
            lines.append(f"| {row.program} | {row.max_len} | fails (see below) | | | | | | | |")
            continue
        lines.append(
            f"| {row.program} | {row.max_len} | {_cell(row.compile_seconds, '.3f')} | {row.layers} | "
            f"{row.heads} | {row.d_model} | {row.d_mlp} | {_cell(row.params, ',')} | "
            f"{_cell(row.seq_per_s, ',.0f')} | {_cell(row.runner_seq_per_s, ',.0f')} |")
    if notes:
        lines += ["", "Not compiled:"] + notes
    return "\n".join(lines)


def write_results(rows: Sequence[Row], env: dict, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(
        json.dumps({"environment": env, "rows": [asdict(r) for r in rows]}, indent=2) + "\n")
    header = (f"# raspc benchmark\n\n{env['date']}; {env['backend']} backend "
              f"({', '.join(env['devices'])}), {env['cpus']} CPUs, Python {env['python']}, "
              f"JAX {env['jax']}. Compile time: median of {env['repeats']}. Throughput: batch "
              f"{env['batch']}, inputs of full length, seed {env['seed']}, after a warm-up call.\n\n")
    (folder / "results.md").write_text(header + markdown_table(rows) + "\n")


def run_benchmark(programs: Sequence[str] = PROGRAMS, max_lens: Sequence[int] = MAX_LENS,
                  folder: Path | str = ROOT / "bench", repeats: int = REPEATS, out=None) -> list[Row]:
    out = out or sys.stdout
    rows = []
    for name in programs:
        for max_len in max_lens:
            row = measure(name, max_len, repeats)
            rows.append(row)
            status = row.error or (f"{row.params:,} params, compiled in {row.compile_seconds:.3f} s, "
                                   f"{row.seq_per_s:,.0f} seq/s")
            print(f"  {name:<12} max_len {max_len:<3} {status}", file=out, flush=True)
    env = environment()
    env["repeats"] = repeats
    write_results(rows, env, Path(folder))
    print("", file=out)
    print(markdown_table(rows), file=out)
    print(f"\nwrote {Path(folder) / 'results.json'} and {Path(folder) / 'results.md'}", file=out)
    return rows


def print_last(folder: Path | str = ROOT / "bench", out=None) -> int:
    from rasp.errors import RaspInputError

    out = out or sys.stdout
    path = Path(folder) / "results.json"
    if not path.exists():
        raise RaspInputError(f"no benchmark results at {path}: run `raspc bench` first")
    data = json.loads(path.read_text())
    rows = [Row(**row) for row in data["rows"]]
    print(markdown_table(rows), file=out)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m runtime.bench", description=__doc__.split("\n\n")[1])
    add_arguments(parser)
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--table", action="store_true", help="print the last results instead of measuring")
    parser.add_argument("--programs", nargs="+", metavar="NAME", default=list(PROGRAMS),
                        help=f"which programs (default: {' '.join(PROGRAMS)})")
    parser.add_argument("--max-lens", nargs="+", type=int, metavar="N", default=list(MAX_LENS),
                        help="which maximum lengths (default: 5 10 20 40)")
    parser.add_argument("--repeats", type=int, default=REPEATS, help="compilations per configuration (median)")
    parser.add_argument("--out-dir", metavar="DIR", default=str(ROOT / "bench"),
                        help="where results.json and results.md go (default: bench/)")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_from_args(args)


def run_from_args(args: argparse.Namespace) -> int:
    if args.table:
        return print_last(args.out_dir)
    run_benchmark(args.programs, args.max_lens, args.out_dir, max(1, args.repeats))
    return 0


if __name__ == "__main__":
    from rasp.errors import RaspcError

    try:
        sys.exit(main())
    except RaspcError as error:
        print(error.format(), file=sys.stderr)
        sys.exit(2)
