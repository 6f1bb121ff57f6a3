"""The benchmark's tables (markdown) and its files: results.json and results.md.

Every table is a pure function of the rows, so that ``--table`` can print the
last results again from results.json without measuring anything.
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from dataclasses import asdict, dataclass, field, fields
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Sequence

import jax
import numpy

from benchmark.measure import ROOT, Row
from benchmark.tracr import (SPEEDUP_BATCH, SPEEDUP_TARGET, TRACR_FIGURES, TRACR_SOURCE, Comparison,
                             compare, targets)


@dataclass
class Results:
    """One benchmark run: its settings, the environment, and the rows."""

    settings: dict[str, Any]
    environment: dict[str, Any]
    rows: list[Row] = field(default_factory=list)
    vocab_rows: list[Row] = field(default_factory=list)
    wall_seconds: float | None = None
    task_rows: list[dict[str, Any]] = field(default_factory=list)


# ------------------------------------------------------------------ cells

def _cell(value: Any, spec: str = "") -> str:
    return "-" if value is None else format(value, spec)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def _times(value: float | None) -> str:
    return "-" if value is None else (f"{value:.2f}x" if value < 10 else f"{value:,.0f}x")


def _load(value: Sequence[float] | None) -> str:
    return "-" if not value else f"{value[0]:.1f}"


def _mark(met: bool | None) -> str:
    return {True: "yes", False: "NO", None: "-"}[met]


def status(row: Row) -> str:
    """"ok", or how the configuration stopped."""
    if row.timed_out:
        return f"timed out ({row.stage})"
    if row.error:
        return "fails"
    return "ok" if row.stage == "done" else f"stopped ({row.stage})"


def _notes(rows: Sequence[Row], with_vocab: bool = False) -> list[str]:
    notes = []
    for row in rows:
        if row.error or row.timed_out:
            where = f"{row.program}, max_len {row.max_len}" + (f", vocabulary {row.vocab_size}" if with_vocab else "")
            notes.append(f"- {where}: {status(row)}: {row.error or ''}".rstrip(": "))
    return notes


def _table(header: Sequence[str], align: str, lines: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|"]
    return out + ["| " + " | ".join(cells) + " |" for cells in lines]


# ------------------------------------------------------------------ tables

def main_table(rows: Sequence[Row], batches: Sequence[int]) -> str:
    """Shape, compile time, accuracy and throughput of every program at every max_len."""
    header = (["program", "max_len", "vocab", "layers", "heads", "d_model", "d_mlp", "params", "compile s",
               "accuracy", "interpreter seq/s"] + [f"fwd seq/s @{b}" for b in batches]
              + [f"dense @{SPEEDUP_BATCH}", f"speed-up @{SPEEDUP_BATCH}", "status"])
    lines = []
    for row in rows:
        shape = [_cell(row.vocab_size), _cell(row.layers), _cell(row.heads), _cell(row.d_model), _cell(row.d_mlp),
                 _cell(row.params, ",")]
        lines.append([row.program, str(row.max_len)] + shape
                     + [_seconds(row.compile_seconds), _percent(row.accuracy), _cell(row.interpreter_seq_per_s, ",.0f")]
                     + [_cell(row.forward_rate(b), ",.0f") for b in batches]
                     + [_cell(row.dense_forward_seq_per_s, ",.0f"), _times(row.speedup(SPEEDUP_BATCH)), status(row)])
    out = _table(header, "lr" + "r" * (len(header) - 3) + "l", lines)
    notes = _notes(rows)
    return "\n".join(out + (["", "Not measured in full:"] + notes if notes else []))


def comparison_table(comparisons: Sequence[Comparison]) -> str:
    """raspc beside tracr, row by row, with the targets each raspc row meets."""
    header = ["program", "max_len", "layers raspc/tracr", "d_model raspc/tracr", "d_mlp raspc/tracr",
              "params raspc/tracr", "params ratio", "layers diff", "compile s raspc/tracr",
              "accuracy raspc/tracr", f"speed-up @{SPEEDUP_BATCH}", "layers <=", "params <= 1/2", "100%",
              "compile", f">= {SPEEDUP_TARGET:g}x"]
    lines = []
    for c in comparisons:
        f, r = c.figure, c.row
        got = r or Row(f.program, f.max_len)
        met = c.targets
        name = f.program if f.task == f.program else f"{f.program} ({f.task})"
        lines.append([
            name, str(f.max_len), f"{_cell(got.layers)} / {f.layers}", f"{_cell(got.d_model)} / {f.d_model}",
            f"{_cell(got.d_mlp)} / {f.d_mlp}", f"{_cell(got.params, ',')} / {f.params:,}",
            _cell(c.params_ratio, ".3f"), _cell(c.layers_difference, "+d"),
            f"{_seconds(got.compile_seconds)} / {f.compile_seconds:.2f}",
            f"{_percent(got.accuracy)} / {_percent(f.accuracy)}", _times(got.speedup(SPEEDUP_BATCH))]
            + ([_mark(m) for m in (met.layers, met.params, met.accuracy, met.compile, met.speedup)]
               if met else ["not run"] * 5))
    return "\n".join(_table(header, "lr" + "r" * (len(header) - 2), lines))


def targets_table(rows: Sequence[Row], max_len: int = 64) -> str:
    """The size-independent targets at ``max_len``: compile time, accuracy, speed-up."""
    header = ["program", "compile s", "compile target", "accuracy", "100%", f"speed-up @{SPEEDUP_BATCH}",
              f">= {SPEEDUP_TARGET:g}x", "status"]
    lines = []
    for row in rows:
        if row.max_len != max_len:
            continue
        met = targets(row, None)
        lines.append([row.program, _seconds(row.compile_seconds), _mark(met.compile), _percent(row.accuracy),
                      _mark(met.accuracy), _times(row.speedup(SPEEDUP_BATCH)), _mark(met.speedup), status(row)])
    return "\n".join(_table(header, "l" + "r" * 6 + "l", lines))


def vocab_table(rows: Sequence[Row]) -> str:
    """Compile time and size against the vocabulary size."""
    header = ["program", "max_len", "vocab size", "layers", "d_model", "d_mlp", "params", "compile s",
              "compilations", "status"]
    lines = [[r.program, str(r.max_len), _cell(r.vocab_size), _cell(r.layers), _cell(r.d_model), _cell(r.d_mlp),
              _cell(r.params, ","), _seconds(r.compile_seconds), str(len(r.compile_runs)), status(r)]
             for r in rows]
    notes = _notes(rows, with_vocab=True)
    return "\n".join(_table(header, "l" + "r" * 8 + "l", lines) + (["", "Not measured in full:"] + notes
                                                                   if notes else []))


def _passes(settings: dict) -> str:
    """How the interpreter's figure was taken, where the settings record it."""
    if "interpreter_passes" not in settings:
        return ""
    return (f", in the fastest of up to {settings['interpreter_passes']} passes over them (no further pass "
            f"after {settings['interpreter_budget_seconds']:g} s)")


def _windows(settings: dict) -> str:
    """How the widest batch was timed, where the settings record it."""
    if "forward_windows" not in settings:
        return ""
    return (f", at the widest batch the fastest of {settings['forward_windows']} such windows, taken in "
            "turn with the interpreter's passes")


def report(results: Results) -> str:
    """The whole report in markdown: every table, with what each measured."""
    s, env = results.settings, results.environment
    batches = s["batches"]
    parts = [
        "# raspc benchmark", "",
        f"{env['date']}; {env['backend']} backend ({', '.join(env['devices'])}), {env['cpus']} CPUs "
        f"({env['cpu']}), Python {env['python']}, JAX {env['jax']}, NumPy {env['numpy']}; raspc "
        f"{env['raspc']} ({env['commit'] or 'commit unknown'})."
        + (f" The run took {results.wall_seconds:.0f} s." if results.wall_seconds is not None else ""), "",
        f"Compile s: the median of up to {s['repeats']} compilations (staged program to model; fewer when "
        f"they take over {s['compile_budget_seconds']:g} s together). Accuracy: {s['samples']:,} random "
        f"inputs (seed {s['seed']}, lengths uniform in 1..max_len) against the reference interpreter, "
        "categorical outputs exactly, numbers within 1e-4 (inputs the interpreter rejects are not "
        "counted). Interpreter seq/s: the reference interpreter on those inputs, alone on the machine "
        "(after XLA has compiled the forward pass), per CPU-second of its thread"
        + _passes(s) + " (results.json also has the wall-clock figure). Fwd seq/s @B: the jit-compiled "
        "forward pass, token ids to output logits (what raspc run decodes), on the first B of the same "
        "inputs padded to max_len + 1, over the nonzero blocks of "
        "the weights only (runtime/packed.py, the pass raspc run uses for a compiled model; "
        f"dense @{SPEEDUP_BATCH}: the same batch through every dense matrix), "
        "the batch cut into one equal part per core (at least 64 sequences each) run side by side, "
        "after a warm-up call, by the wall clock: the fastest of the calls made in "
        f"{s.get('min_timing_seconds', 0.2):g} s (at least one; results.json also has their mean)"
        + _windows(s) + ". Each "
        f"configuration is capped at {s['timeout_seconds']:g} s of wall-clock time. Load average (1 min) at "
        f"the start and the end: {_load(env.get('load_average_start'))} and {_load(env.get('load_average'))}: "
        "other work on the machine slows the wall-clock figures.", "",
        "## Programs", "", main_table(results.rows, batches), "",
    ]
    comparisons = compare(results.rows)
    if comparisons:
        parts += [f"## Against tracr", "", f"tracr's figures: {TRACR_SOURCE}. Params ratio: raspc / tracr; "
                  "layers diff: raspc - tracr. Targets: layers <= tracr's, params <= half of tracr's, 100% "
                  "accuracy, compile < 0.5 s up to max_len 20 (< 5 s at 64), forward at batch "
                  f"{SPEEDUP_BATCH:,} >= {SPEEDUP_TARGET:g}x the interpreter.", "",
                  comparison_table(comparisons), ""]
    if any(r.max_len == 64 for r in results.rows):
        parts += ["## Targets at max_len 64", "", targets_table(results.rows, 64), ""]
    if results.vocab_rows:
        parts += ["## Vocabulary size", "", "Compile time and size with the declared vocabulary replaced by "
                  "one of the given size: zero-padded strings (t000, t001, ...), or the ints 0..N-1 for a program "
                  "whose tokens are ints.", "", vocab_table(results.vocab_rows), ""]
    return "\n".join(parts + task_tables(results.task_rows))


def _task_cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "-" if value is None else str(value).replace("|", "/")


def task_tables(records: Sequence[dict[str, Any]]) -> list[str]:
    """One section per ``table`` the task rows name; the columns are the union of the
    rows' fields in the order they first appear (a failed row shows its error)."""
    sections: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        sections.setdefault(record.get("table", "Other rows"), []).append(record)
    lines: list[str] = []
    for title, group in sections.items():
        columns = list(dict.fromkeys(k for record in group for k in record if k != "table"))
        lines += [f"## {title}", "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        lines += ["| " + " | ".join(_task_cell(record.get(c)) for c in columns) + " |" for record in group]
        lines.append("")
    return lines


# ------------------------------------------------------------------ files

def _git_commit() -> str | None:
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment() -> dict[str, Any]:
    """The machine and the versions the figures were measured with."""
    try:
        raspc = version("raspc")
    except PackageNotFoundError:
        raspc = "unknown"
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30
    except (ValueError, OSError, AttributeError):
        memory = None
    return {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "python": platform.python_version(),
            "jax": jax.__version__, "numpy": numpy.__version__, "backend": jax.default_backend(),
            "devices": [str(d) for d in jax.devices()], "machine": platform.machine(), "system": platform.system(),
            "cpu": _cpu_model(), "cpus": os.cpu_count(),
            "memory_gib": None if memory is None else round(memory, 1), "raspc": raspc, "commit": _git_commit(),
            "load_average": load_average()}


def load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages, where the system tells them."""
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except (OSError, AttributeError):
        return None


def to_json(results: Results) -> dict[str, Any]:
    comparisons = compare(results.rows)
    return {
        "settings": results.settings, "environment": results.environment, "wall_seconds": results.wall_seconds,
        "rows": [asdict(r) | {"accuracy": r.accuracy, f"speedup_at_{SPEEDUP_BATCH}": r.speedup(SPEEDUP_BATCH)}
                 for r in results.rows],
        "vocab_rows": [asdict(r) for r in results.vocab_rows],
        "task_rows": results.task_rows,
        "tracr": {"source": TRACR_SOURCE, "figures": [asdict(f) for f in TRACR_FIGURES]},
        "comparison": [{"program": c.figure.program, "max_len": c.figure.max_len, "params_ratio": c.params_ratio,
                        "layers_difference": c.layers_difference,
                        "targets": None if c.targets is None else asdict(c.targets)} for c in comparisons],
    }


def _row(data: dict[str, Any]) -> Row:
    known = {f.name for f in fields(Row)}
    return Row(**{k: v for k, v in data.items() if k in known})


def from_json(data: dict[str, Any]) -> Results:
    return Results(data["settings"], data["environment"], [_row(r) for r in data["rows"]],
                   [_row(r) for r in data.get("vocab_rows", [])], data.get("wall_seconds"),
                   data.get("task_rows", []))


def write(results: Results, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps(to_json(results), indent=2) + "\n")
    (folder / "results.md").write_text(report(results))


def read(folder: Path) -> Results:
    return from_json(json.loads((folder / "results.json").read_text()))
