"""Compile every bundled program, check it against the interpreter, and tabulate.

    python scripts/programs_table.py            # print the Markdown table
    python scripts/programs_table.py --write    # also replace the table in programs/README.md

For each program (and each extra output named below) the table gives the compiled
model's shape (layers, heads per layer, residual width, widest MLP, parameters),
the compile time, and the result of running the compiled model against the
reference interpreter: every input up to length 5 over the declared vocabulary
(a seeded sample of 2,000 where that space is larger) plus seeded random inputs up
to the declared max_len. For the paper's tasks it puts the paper's layer and head
counts beside ours.

Some programs are defined only on part of the input space (distinct tokens for
``sort_unique``, the form ``digits+digits`` for ``long_addition``); their inputs
are drawn from that part.
"""
from __future__ import annotations

import argparse
import itertools
import math
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rasp.errors import RaspcError  # noqa: E402
from rasp.interpreter import evaluate  # noqa: E402

PROGRAMS = ROOT / "programs"
README = PROGRAMS / "README.md"
START = "<!-- programs-table:start -->"
END = "<!-- programs-table:end -->"

#: "Thinking Like Transformers" (Weiss, Goldberg, Yahav 2021), Table 1: (layers, heads).
PAPER = {
    "reverse": (2, 1),
    "hist": (1, 1),
    "double_hist": (2, 2),
    "sort": (2, 1),
    "sort_unique": (2, 1),
    "most_freq": (3, 2),
}

#: Outputs other than the declared one that the table also reports.
EXTRA_OUTPUTS = {"max_min": ("minimum", "spread")}

SMALL_LIMIT = 2_000
RANDOM_INPUTS = 300


# ------------------------------------------------------------------ inputs

def every_short_input(vocab: tuple, rng: random.Random) -> list[tuple]:
    space = sum(len(vocab) ** n for n in range(1, 6))
    if space <= SMALL_LIMIT:
        return [w for n in range(1, 6) for w in itertools.product(vocab, repeat=n)]
    return [tuple(rng.choice(vocab) for _ in range(rng.randint(1, 5))) for _ in range(SMALL_LIMIT)]


def random_inputs(vocab: tuple, max_len: int, rng: random.Random) -> list[tuple]:
    return [tuple(rng.choice(vocab) for _ in range(rng.randint(1, max_len)))
            for _ in range(RANDOM_INPUTS)]


def any_inputs(vocab: tuple, max_len: int, rng: random.Random) -> tuple[list[tuple], str]:
    short = every_short_input(vocab, rng)
    label = "all" if sum(len(vocab) ** n for n in range(1, 6)) <= SMALL_LIMIT else f"{SMALL_LIMIT} sampled"
    return short + random_inputs(vocab, max_len, rng), f"{label} <=5 + {RANDOM_INPUTS} random <={max_len}"


def distinct_inputs(vocab: tuple, max_len: int, rng: random.Random) -> tuple[list[tuple], str]:
    longest = min(max_len, len(vocab))
    inputs = [tuple(rng.sample(vocab, rng.randint(1, longest))) for _ in range(1_000)]
    return inputs, f"1000 random distinct-token inputs <={longest}"


def addition_inputs(vocab: tuple, max_len: int, rng: random.Random) -> tuple[list[tuple], str]:
    inputs = []
    for _ in range(1_000):
        total = rng.randint(2, max_len - 1)
        left = rng.randint(1, total - 1)
        digits = [rng.choice("0123456789") for _ in range(total)]
        inputs.append(tuple(digits[:left] + ["+"] + digits[left:]))
    return inputs, f"1000 random a+b inputs <={max_len}"


DOMAINS: dict[str, Callable[[tuple, int, random.Random], tuple[list[tuple], str]]] = {
    "sort_unique": distinct_inputs,
    "long_addition": addition_inputs,
}


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


def verify(model, expr, inputs: list[tuple], batch: int = 512) -> tuple[int, int, str]:
    """(agreeing, checked, first disagreement) of the compiled model vs the interpreter."""
    from runtime.forward import Runner

    runner = Runner(model)
    expected, kept = [], []
    for tokens in inputs:
        try:
            expected.append(evaluate(expr, tokens))
            kept.append(tokens)
        except RaspcError:
            continue  # outside the program's domain: the interpreter refuses it
    good, first_bad = 0, ""
    for start in range(0, len(kept), batch):
        chunk = kept[start:start + batch]
        for tokens, want, got in zip(chunk, expected[start:start + batch], runner.run(chunk)):
            if len(got) == len(want) and all(close(g, w) for g, w in zip(got, want)):
                good += 1
            elif not first_bad:
                first_bad = f"{''.join(map(str, tokens))}: got {list(got)}, want {want}"
    return good, len(kept), first_bad


def measure(path: Path, output: str | None, max_len: int | None, seed: int) -> Row:
    from compiler import compile_program
    from rasp.stage import load_program

    program = load_program(str(path))
    name = output or program.output
    row = Row(path.stem, name)
    if path.stem in PAPER and output is None:
        row.paper = "{} / {}".format(*PAPER[path.stem])
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
    make = DOMAINS.get(path.stem, any_inputs)
    inputs, description = make(tuple(program.vocab), model.config.max_len, rng)
    good, checked, first_bad = verify(model, program.output_expr(output), inputs)
    row.verified = f"{good}/{checked} ({description})"
    if first_bad:
        row.verified += f"; e.g. {first_bad}"
    return row


def all_rows(max_len: int | None, seed: int) -> list[Row]:
    rows = []
    for path in sorted(PROGRAMS.glob("*.rasp")):
        for output in (None,) + EXTRA_OUTPUTS.get(path.stem, ()):
            print(f"  {path.stem} {output or ''}", file=sys.stderr)
            rows.append(measure(path, output, max_len, seed))
    return rows


def markdown(rows: list[Row]) -> str:
    header = ("| program | output | layers | heads per layer | residual width | MLP width "
              "| parameters | compile (s) | compiled = interpreter | paper (layers / heads) |")
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
        import platform

        where = f"max_len {args.max_len}" if args.max_len else "each program's declared max_len"
        note = (f"Generated by `python scripts/programs_table.py --write` ({where}, seed {args.seed}; "
                f"compile times on {platform.machine()} {platform.system()}, one process).")
        write_readme(table, note)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
