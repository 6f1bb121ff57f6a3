"""Compile every bundled program, check it exhaustively and at random, and tabulate.

    python scripts/programs_table.py            # print the Markdown table
    python scripts/programs_table.py --write    # also replace the table in programs/README.md

For each program (and each extra output named below) the table gives the compiled
model's shape (layers, heads per layer, residual width, widest MLP, parameters),
the compile time, and the exactness check: the compiled model against the
reference interpreter and against the task's plain Python definition (``TASKS`` in
tests/programs/tasks.py, which the tests check too), categorical outputs exactly and
numbers within 1e-4, on

* every input of length 1 to 5 over at most 4 tokens: the declared vocabulary, or
  the documented 4-token subset of it (``SMALL_VOCAB`` in tests/programs/tasks.py);
* 1,000 seeded random inputs of length 1 to max_len over the whole vocabulary.

For the paper's tasks ("Thinking Like Transformers", Weiss, Goldberg, Yahav 2021,
Table 1) it puts the paper's layer and head counts beside ours.

It lives here rather than in benchmark/ because its oracle is the tests' own
(tests/programs/tasks.py), which the installed packages do not ship.
"""
from __future__ import annotations

import argparse
import itertools
import math
import platform
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a file: the project's packages and tests/ from here

from compiler import compile_program  # noqa: E402
from rasp.interpreter import evaluate  # noqa: E402
from rasp.stage import load_program  # noqa: E402
from raspc.errors import RaspcError  # noqa: E402
from runtime.engine.forward import Runner  # noqa: E402
from tests.programs.tasks import SMALL_VOCAB, TASKS, Task  # noqa: E402

PROGRAMS = ROOT / "programs"
README = PROGRAMS / "README.md"
START = "<!-- programs-table:start -->"
END = "<!-- programs-table:end -->"

#: The Python definition of each (file, output); output None is the declared one.
DEFINITIONS: dict[tuple[str, str | None], Task] = {(task.file, task.output): task for task in TASKS}

RANDOM_INPUTS = 1_000
SHORTEST_LONGEST = 5  # the exhaustive part: every input of length 1 to this


# ------------------------------------------------------------------ inputs

def shown_vocab(vocab: tuple) -> str:
    if all(isinstance(t, str) and len(t) == 1 for t in vocab):
        return "".join(vocab)
    return "{" + ",".join(map(str, vocab)) + "}"


def check_inputs(vocab: tuple, small: tuple, max_len: int, rng: random.Random) -> tuple[list[tuple], str]:
    """Every input up to length 5 over ``small``, then seeded random ones over ``vocab``."""
    short = [w for n in range(1, SHORTEST_LONGEST + 1) for w in itertools.product(small, repeat=n)]
    randoms = [tuple(rng.choice(vocab) for _ in range(rng.randint(1, max_len)))
               for _ in range(RANDOM_INPUTS)]
    subset = "" if tuple(small) == tuple(vocab) else " (subset)"
    label = (f"all {len(short):,} <={SHORTEST_LONGEST} over {shown_vocab(small)}{subset} "
             f"+ {RANDOM_INPUTS:,} random <={max_len}")
    return short + randoms, label


# ------------------------------------------------------------------ rows

@dataclass
class Row:
    program: str
    output: str
    layers: int | None = None
    heads: str = ""
    d_model: int | None = None
    d_mlp: int | None = None
    params: int | None = None
    compile_s: float | None = None
    verified: str = ""
    paper: str = ""


def close(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) \
            and not isinstance(a, bool) and not isinstance(b, bool):
        return math.isclose(float(a), float(b), abs_tol=1e-4)
    return a == b and isinstance(a, str) == isinstance(b, str) and isinstance(a, bool) == isinstance(b, bool)


def verify(model, expr, inputs: list[tuple], reference=None, numerical: bool = False,
           batch: int = 512) -> tuple[int, int, str]:
    """(agreeing, checked, first disagreement) of the compiled model against the
    interpreter and, when given, the task's Python definition."""
    runner = Runner(model)
    good, first_bad = 0, ""
    for start in range(0, len(inputs), batch):
        chunk = inputs[start:start + batch]
        for tokens, got in zip(chunk, runner.run(chunk)):
            try:
                want = evaluate(expr, tokens)
            except RaspcError as error:
                first_bad = first_bad or f"{shown(tokens)}: the interpreter refuses it ({error.message})"
                continue
            python = reference(tokens) if reference else want
            if same(got, want) and same(want, python, numerical):
                good += 1
            elif not first_bad:
                first_bad = f"{shown(tokens)}: model {list(got)}, interpreter {want}, Python {python}"
    return good, len(inputs), first_bad


def shown(tokens: tuple) -> str:
    return "".join(map(str, tokens)) if all(isinstance(t, str) for t in tokens) else str(list(tokens))


def same(got, want, numerical: bool = False) -> bool:
    if len(got) != len(want):
        return False
    if numerical:
        return all(math.isclose(float(g), float(w), abs_tol=1e-4) for g, w in zip(got, want))
    return all(close(g, w) for g, w in zip(got, want))


def measure(path: Path, output: str | None, max_len: int | None, seed: int) -> Row:
    program = load_program(str(path))
    name = output or program.output
    row = Row(path.stem, name)
    task = DEFINITIONS.get((path.name, output))
    if task and task.paper:
        row.paper = "{} / {}".format(*task.paper)
    started = time.perf_counter()
    try:
        model = compile_program(program, output, max_len=max_len)
    except RaspcError as error:
        row.verified = f"does not compile: {error}"
        return row
    row.compile_s = model.stats.get("compile_seconds", time.perf_counter() - started)
    heads = [int(layer["w_q"].shape[0]) for layer in model.params["layers"]]
    row.layers = model.config.n_layers
    row.heads = "+".join(map(str, heads)) if heads else "0"
    row.d_model = model.config.d_model
    row.d_mlp = model.d_mlp
    row.params = model.n_params
    rng = random.Random(seed)
    vocab = tuple(program.vocab)
    small = SMALL_VOCAB.get(path.name, vocab)
    inputs, description = check_inputs(vocab, tuple(small), model.config.max_len, rng)
    good, checked, first_bad = verify(model, program.output_expr(output), inputs,
                                      task.reference if task else None, bool(task and task.numerical))
    against = "interpreter and Python" if task else "interpreter"
    row.verified = f"{good:,}/{checked:,} vs {against} ({description})"
    if first_bad:
        row.verified += f"; e.g. {first_bad}"
    return row


def extra_outputs(path: Path) -> tuple[str, ...]:
    """The outputs besides the declared one that the tasks define (max_min's minimum, spread)."""
    return tuple(task.output for task in TASKS if task.file == path.name and task.output)


def all_rows(max_len: int | None, seed: int) -> list[Row]:
    rows = []
    for path in sorted(PROGRAMS.glob("*.rasp")):
        for output in (None,) + extra_outputs(path):
            print(f"  {path.stem} {output or ''}", file=sys.stderr)
            rows.append(measure(path, output, max_len, seed))
    return rows


def markdown(rows: list[Row]) -> str:
    header = ("| program | output | layers | heads per layer | residual width | MLP width "
              "| parameters | compile (s) | compiled model exact | paper (layers / heads) |")
    lines = [header, "|" + "---|" * 10]

    def show(value, fmt="{}"):
        return "" if value is None else fmt.format(value)

    for r in rows:
        lines.append(
            f"| {r.program} | {r.output} | {show(r.layers)} | {r.heads} | {show(r.d_model)} "
            f"| {show(r.d_mlp)} | {show(r.params, '{:,}')} | {show(r.compile_s, '{:.2f}')} "
            f"| {r.verified} | {r.paper} |")
    return "\n".join(lines)


def write_readme(table: str, note: str) -> None:
    text = README.read_text()
    if START not in text or END not in text:
        raise SystemExit(f"{README} has no {START} ... {END} block to replace")
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    README.write_text(f"{before}{START}\n{note}\n\n{table}\n{END}{after}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="replace the table in programs/README.md")
    parser.add_argument("--max-len", type=int, default=None, help="compile at this max_len (default: declared)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rows = all_rows(args.max_len, args.seed)
    table = markdown(rows)
    print(table)
    if args.write:
        where = f"max_len {args.max_len}" if args.max_len else "each program's declared max_len"
        note = (f"Generated by `python scripts/programs_table.py --write` ({where}, seed {args.seed}; "
                f"compile times on {platform.machine()} {platform.system()}, one process).")
        write_readme(table, note)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
