"""The RASP paper's training experiment, reproduced: does gradient descent learn the
program at the depth the program needs, and does it find the program's algorithm?

For reverse, hist, double_hist, sort, most_freq and dyck1 at max_len 10, a
transformer is trained at the compiled model's layers and heads and at one layer
fewer, with and without the attention loss (the squared error between each head's
pattern and the compiled head's), for each seed. Every run is then compared with
the compiled model (``runtime.compare``). Per row (mean and spread over the seeds):
per-sequence and per-token held-out test accuracy, attention agreement (the share
of queries whose most-attended key agrees with the matched compiled head's),
probe accuracy (the program's categorical s-ops read by linear probes at the point
where the compiled model writes them), interchange-intervention accuracy, and
seconds. Runs stop early once the validation accuracy per sequence is 100%.

Writes bench/paper.json (every run) and bench/paper.md (the table).

    python -m cli.paper                       # everything (make paper)
    python -m cli.paper --programs reverse --seeds 0   # one program, one seed

The training step's throughput is a row of ``make bench`` (``benchmark.training``).
"""
from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import jax
import numpy as np

from cli.comparing import gather_evidence
from cli.task import Task, program_sops
from compiler import compile_program
from rasp.stage import load_file
from runtime.compare.comparison import Evidence, compare
from runtime.train.data import Dataset, feasible_sizes, labelled_dataset
from runtime.train.fit import fit
from runtime.train.settings import Settings
from runtime.train.shape import overridden, shape_of

ROOT = Path(__file__).resolve().parents[1]
PROGRAMS = ("reverse", "hist", "double_hist", "sort", "most_freq", "dyck1")
SEEDS = (0, 1, 2)
MAX_LEN = 10
ATTENTION_WEIGHT = 1.0
#: The paper's runs: the training defaults, stopping once validation is perfect.
SETTINGS = Settings(target=1.0)
SIZES = (20000, 1000, 2000)
COMPARE_INPUTS, COMPARE_PAIRS = 300, 60


@dataclass(frozen=True)
class Run:
    """One trained model and how it relates to the compiled one."""

    program: str
    depth: str                 # "compiled" or "one fewer"
    layers: int
    heads: tuple[int, ...]
    attention_weight: float
    seed: int
    test_accuracy: float
    test_token_accuracy: float
    attention_agreement: float | None
    probe_accuracy: float | None
    iia: float | None
    steps: int
    seconds: float


@lru_cache(maxsize=None)
def task(name: str) -> Task:
    program = load_file(str(ROOT / "programs" / f"{name}.rasp")).program
    output = program.output_expr()
    return Task(name, compile_program(program, max_len=MAX_LEN), output, program_sops(output))


@lru_cache(maxsize=None)
def dataset(name: str, seed: int) -> Dataset:
    found = task(name)
    config = found.model.config
    sizes = feasible_sizes(SIZES, len(config.vocab) - 1, config.max_len)
    return labelled_dataset(config, lambda inputs: found.label(inputs, "interpreter"), sizes, seed,
                            label_train=lambda inputs: found.label(inputs, "model"))


@lru_cache(maxsize=None)
def evidence(name: str, seed: int) -> Evidence:
    found = task(name)
    return gather_evidence(found, found.model, COMPARE_INPUTS, COMPARE_PAIRS, seed + 1000)


def _mean(values: Sequence[float | None]) -> float | None:
    found = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.mean(found)) if found else None


def one_run(name: str, depth: str, attention_weight: float, seed: int, settings: Settings = SETTINGS) -> Run:
    found = task(name)
    compiled_shape = shape_of(found.model)
    shape = compiled_shape if depth == "compiled" else overridden(compiled_shape, layers=compiled_shape.n_layers - 1)
    began = time.perf_counter()
    run_settings = replace(settings, seed=seed, attention_weight=attention_weight)
    outcome = fit(found.model, dataset(name, seed), shape, run_settings)
    seconds = time.perf_counter() - began
    result = compare(found.model, outcome.model, evidence(name, seed), seed=seed)
    agreement = _mean([h.argmax_agreement for h in result.heads])
    probes = _mean([v.probe.get(v.writer) for v in result.variables
                    if v.encoding == "categorical" and v.name not in ("tokens", "indices")])
    iia = _mean([v.b_iia for v in result.variables if v.pairs and v.name not in ("tokens", "indices")])
    return Run(name, depth, shape.n_layers, shape.heads, attention_weight, seed, outcome.test.sequence_accuracy,
               outcome.test.token_accuracy, agreement, probes, iia, outcome.state.step, seconds)


# ------------------------------------------------------------------ report

def _spread(values: Sequence[float | None], percent: bool) -> str:
    found = [v for v in values if v is not None and math.isfinite(v)]
    if not found:
        return "-"
    scale = 100 if percent else 1
    mean, spread = scale * float(np.mean(found)), scale * float(np.std(found))
    unit = "%" if percent else ""
    return f"{mean:.1f}{unit} ± {spread:.1f}" if len(found) > 1 else f"{mean:.1f}{unit}"


def table(runs: Sequence[Run]) -> str:
    rows = {}
    for run in runs:
        rows.setdefault((run.program, run.depth, run.attention_weight), []).append(run)
    lines = ["| program | depth | layers | heads | attention loss | test acc (seq) | test acc (token) | "
             "attention agreement | probe acc | IIA | seconds | seeds |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for (program, depth, weight), group in rows.items():
        first = group[0]
        lines.append(
            f"| {program} | {depth} | {first.layers} | {list(first.heads)} | {weight:g} | "
            f"{_spread([r.test_accuracy for r in group], True)} | "
            f"{_spread([r.test_token_accuracy for r in group], True)} | "
            f"{_spread([r.attention_agreement for r in group], True)} | "
            f"{_spread([r.probe_accuracy for r in group], True)} | {_spread([r.iia for r in group], True)} | "
            f"{_spread([r.seconds for r in group], False)} | {len(group)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cli.paper", description=__doc__.split("\n\n")[0])
    parser.add_argument("--programs", nargs="+", default=list(PROGRAMS))
    parser.add_argument("--seeds", nargs="+", type=int, default=list(SEEDS))
    parser.add_argument("--depths", nargs="+", choices=("compiled", "one fewer"), default=["compiled", "one fewer"])
    parser.add_argument("--attention", nargs="+", type=float, default=[0.0, ATTENTION_WEIGHT],
                        help="attention-loss weights to run (default 0 and 1)")
    parser.add_argument("--out-dir", default=str(ROOT / "bench"))
    args = parser.parse_args(argv)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    runs: list[Run] = []
    text = ""
    for name in args.programs:
        for depth in args.depths:
            for weight in args.attention:
                for seed in args.seeds:
                    run = one_run(name, depth, weight, seed)
                    runs.append(run)
                    print(f"{name:12} {depth:9} attention {weight:g} seed {seed}: test {run.test_accuracy:.2%} "
                          f"({run.steps} steps, {run.seconds:.1f} s)", file=sys.stderr, flush=True)
                    text = write_results(out, runs, args, time.perf_counter() - began)
    print(text)
    return 0


def write_results(out: Path, runs: Sequence[Run], args: argparse.Namespace, total: float) -> str:
    """bench/paper.json and bench/paper.md with the runs so far (rewritten after each
    run, so that an interrupted experiment keeps what it measured)."""
    record = {"settings": {**SETTINGS.to_json(), "sizes": SIZES, "max_len": MAX_LEN,
                           "attention_weights": args.attention, "seeds": args.seeds},
              "machine": {"platform": platform.platform(), "python": platform.python_version(),
                          "jax": jax.__version__, "devices": [str(d) for d in jax.devices()]},
              "total_seconds": round(total, 1), "runs": [asdict(run) for run in runs]}
    (out / "paper.json").write_text(json.dumps(record, indent=1) + "\n")
    text = (f"# The RASP paper's training experiment\n\nmax_len {MAX_LEN}; per row the mean ± spread over seeds "
            f"{args.seeds}; {total / 60:.1f} minutes in all (`make paper`).\n\n{table(runs)}\n")
    (out / "paper.md").write_text(text)
    return text


if __name__ == "__main__":
    sys.exit(main())
