"""``raspc verify``: the compiled model against the reference interpreter.

Every input up to ``--max-len`` over the vocabulary is checked when there are at
most 100,000 of them; otherwise ``--samples`` random ones (seeded: lengths and
tokens drawn uniformly). Categorical outputs must match exactly, numbers within
1e-4. Prints the first mismatches (input, expected, got), the counts, and the
smallest decision margin observed: for a categorical output, the gap between the
top logit and the runner-up at the output position (how far the model was from
answering differently). Inputs the interpreter itself rejects (averaging strings,
a division by zero) are not checked, and counted apart.

Exit status 0 only when every checked input matches.
"""
from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

import numpy as np

from raspc.errors import RaspcError
from cli.commands.compile import (add_compile_options, add_program_options, compile_from_args,
                                              load_staged)
from cli.commands.run import json_atom, json_value, shown_sequence, input_literal
from runtime.outputs import TOLERANCE, decode, same_output
from runtime.model import CATEGORICAL, Model

EXAMPLES = """examples:
  raspc verify programs/sort.rasp --max-len 5            every input of length 1..5 (1,364 of them)
  raspc verify programs/reverse.rasp --samples 5000 --seed 1
  raspc verify programs/hist.rasp --vocab abcdef --max-len 8 --json
      {"checked": ..., "exhaustive": false, "mismatched": 0, "min_margin": ..., ...}
"""

#: Check every input when there are at most this many.
EXHAUSTIVE_LIMIT = 100_000
#: How many mismatches to print.
SHOWN = 5
BATCH = 2048


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "verify", help="check the compiled model against the interpreter",
        description=__doc__.split("\n\n")[1], epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", metavar="FILE.rasp", help="the RASP program")
    add_program_options(parser)
    add_compile_options(parser)
    parser.add_argument("--samples", metavar="K", type=int, default=2000,
                        help="how many random inputs when the space is too large to enumerate (default 2000)")
    parser.add_argument("--seed", metavar="S", type=int, default=0, help="seed of the random inputs (default 0)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)


# ------------------------------------------------------------------ inputs

def input_space_size(vocab_size: int, max_len: int) -> int:
    return sum(vocab_size ** n for n in range(1, max_len + 1))


def all_inputs(vocab: Sequence[Any], max_len: int) -> Iterator[tuple]:
    for n in range(1, max_len + 1):
        yield from itertools.product(vocab, repeat=n)


def sampled_inputs(vocab: Sequence[Any], max_len: int, samples: int, seed: int) -> list[tuple]:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, max_len + 1, size=samples)
    return [tuple(vocab[int(k)] for k in rng.integers(0, len(vocab), size=int(n))) for n in lengths]


# ------------------------------------------------------------------ checking

@dataclass(frozen=True)
class Mismatch:
    input: tuple
    expected: list
    got: list


@dataclass
class Verdict:
    """What a verification found."""

    output: str
    vocab: tuple
    max_len: int
    exhaustive: bool
    checked: int = 0
    matched: int = 0
    skipped: int = 0
    skip_example: str = ""
    mismatches: list[Mismatch] = field(default_factory=list)
    mismatched: int = 0
    min_margin: float | None = None
    max_error: float | None = None
    seconds: float = 0.0
    tolerance: float = TOLERANCE  # how far a number may be: the output's @tolerance, at least 1e-4

    @property
    def ok(self) -> bool:
        return self.mismatched == 0 and self.checked > 0

    def to_json(self) -> dict:
        return {"output": self.output, "max_len": self.max_len, "vocab_size": len(self.vocab),
                "exhaustive": self.exhaustive, "checked": self.checked, "matched": self.matched,
                "mismatched": self.mismatched, "skipped": self.skipped, "min_margin": self.min_margin,
                "max_error": self.max_error, "seconds": round(self.seconds, 3), "ok": self.ok,
                "mismatches": [{"input": [json_atom(t) for t in m.input], "expected": json_value(m.expected),
                                "got": json_value(m.got)} for m in self.mismatches[:SHOWN * 4]]}


def _reference(expr, tokens: tuple):
    from rasp.interpreter import evaluate

    try:
        return evaluate(expr, tokens), None
    except RaspcError as error:
        return None, error.message
    except RecursionError:
        return None, "too deep to evaluate"


def verify(model: Model, expr, inputs: Sequence[tuple], exhaustive: bool) -> Verdict:
    """Run ``inputs`` through the model and the interpreter and compare."""
    from runtime.engine.forward import Runner

    started = time.perf_counter()
    verdict = Verdict(model.config.output, tuple(model.config.vocab[1:]), model.config.max_len, exhaustive,
                      tolerance=max(TOLERANCE, float(model.stats.get("output_tolerance") or 0.0)))
    runner = Runner(model)
    for start in range(0, len(inputs), BATCH):
        chunk = inputs[start:start + BATCH]
        references = [_reference(expr, tokens) for tokens in chunk]
        logits = runner.logits(chunk)
        for tokens, (expected, rejected), output_logits in zip(chunk, references, logits):
            if expected is None:
                verdict.skipped += 1
                verdict.skip_example = verdict.skip_example or f"{input_literal(tokens)}: {rejected}"
                continue
            _check(verdict, model, tokens, expected, np.asarray(output_logits, np.float64))
    verdict.seconds = time.perf_counter() - started
    return verdict


def _check(verdict: Verdict, model: Model, tokens: tuple, expected: list, logits: np.ndarray) -> None:
    decoded = decode(model.config, logits)
    got, margins = decoded.values, decoded.margins
    raw = None if margins is not None else np.asarray(got, np.float64)
    verdict.checked += 1
    if margins is not None and len(margins):
        least = float(np.min(margins))
        verdict.min_margin = least if verdict.min_margin is None else min(verdict.min_margin, least)
    if raw is not None:
        try:
            error = float(np.max(np.abs(raw - np.asarray(expected, np.float64))))
            verdict.max_error = error if verdict.max_error is None else max(verdict.max_error, error)
        except (TypeError, ValueError):
            pass
    if same_output(expected, got, verdict.tolerance):
        verdict.matched += 1
    else:
        verdict.mismatched += 1
        if len(verdict.mismatches) < SHOWN * 4:
            verdict.mismatches.append(Mismatch(tokens, expected, got))


# ------------------------------------------------------------------ the command

def run(args: argparse.Namespace, out=None) -> int:
    out = out or sys.stdout
    staged = load_staged(args)
    compiled = compile_from_args(staged.program, args)
    expr = staged.program.output_expr(args.output)
    vocab, max_len = compiled.vocab, compiled.max_len
    size = input_space_size(len(vocab), max_len)
    exhaustive = size <= EXHAUSTIVE_LIMIT
    inputs = list(all_inputs(vocab, max_len)) if exhaustive else \
        sampled_inputs(vocab, max_len, max(1, args.samples), args.seed)
    verdict = verify(compiled.model, expr, inputs, exhaustive)
    if args.json:
        print(json.dumps({"file": args.file, **verdict.to_json()}, ensure_ascii=False), file=out)
    else:
        report(verdict, size, args, out)
    return 0 if verdict.ok else 1


def report(verdict: Verdict, size: int, args: argparse.Namespace, out) -> None:
    how = (f"every input of length 1..{verdict.max_len} over {len(verdict.vocab)} tokens"
           if verdict.exhaustive else
           f"{verdict.checked + verdict.skipped:,} random inputs (seed {args.seed}) of the {size:,} "
           f"of length 1..{verdict.max_len}")
    print(f"verify {args.file}: {verdict.output}, {how}", file=out)
    for mismatch in verdict.mismatches[:SHOWN]:
        print(f"  MISMATCH on {input_literal(mismatch.input)}: expected {shown_sequence(mismatch.expected)}, "
              f"got {shown_sequence(mismatch.got)}", file=out)
    if verdict.mismatched > SHOWN:
        print(f"  ... and {verdict.mismatched - SHOWN:,} more", file=out)
    print(f"  checked {verdict.checked:,}: {verdict.matched:,} match, {verdict.mismatched:,} differ"
          f" ({verdict.seconds:.1f} s)", file=out)
    if verdict.skipped:
        print(f"  not checked: {verdict.skipped:,} inputs the interpreter rejects "
              f"(e.g. {verdict.skip_example})", file=out)
    if verdict.min_margin is not None:
        print(f"  smallest decision margin (top logit - runner-up): {verdict.min_margin:.4g}", file=out)
    if verdict.max_error is not None:
        print(f"  largest numerical error: {verdict.max_error:.3g} (tolerance {verdict.tolerance:g})", file=out)
    print("  OK" if verdict.ok else ("  FAILED" if verdict.checked else "  nothing was checked"), file=out)
