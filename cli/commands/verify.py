"""``raspc verify``: the compiled model against the reference interpreter.

Every input up to ``--max-len`` over the vocabulary is checked when there are at
most 100,000 of them; otherwise ``--samples`` random ones (seeded: lengths and
tokens drawn uniformly). Categorical outputs must match exactly, numbers within
1e-4. Prints the first mismatches (input, expected, got), the counts, and the
smallest decision margin observed: for a categorical output, the gap between the
top logit and the runner-up at the output position (how far the model was from
answering differently). Inputs the interpreter itself rejects (averaging strings,
a division by zero) are not checked, and counted apart.

It also counts how often each output value occurred, at every position and as the
answer (the value at the last position). Random inputs miss rare answers (dyck1's
"T", a balanced input, is under 2 in 100 of them), so for a categorical output the
random sample is followed by a search (``cli.value_search``: mutations of the inputs
it has, seeded by --seed) for inputs whose answer is a value seen fewer than
--per-value times; the report names any value the search never reached.

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

from cli.display import input_literal, json_atom, json_value, shown_atom, shown_sequence
from cli.programs import add_compile_options, add_program_options, compile_from_args, load_staged
from cli.value_search import search_inputs, value_key
from rasp.interpreter import evaluate
from raspc.errors import RaspcError
from runtime.engine.forward import Runner
from runtime.model import CATEGORICAL, Model
from runtime.outputs import TOLERANCE, decode, same_output

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
#: How many output values the counts name (the most frequent answers first).
SHOWN_VALUES = 12
BATCH = 2048
#: The default of --per-value: how many checked inputs should have each answer.
PER_VALUE = 100
#: Interpreter runs the search may spend (a few seconds).
SEARCH_BUDGET = 20_000


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
    parser.add_argument("--per-value", metavar="N", type=int, default=PER_VALUE,
                        help="for a categorical output, search (by mutating inputs) until each answer "
                             f"(value at the last position) was checked N times (default {PER_VALUE}; 0: no search)")
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
    #: value key -> (value, how often it occurred at any position, how often as the answer).
    value_counts: dict = field(default_factory=dict)
    searched: int = 0
    search_evaluations: int = 0
    unreached: list = field(default_factory=list)

    def count_values(self, expected: list) -> None:
        """Record a checked input's expected output in ``value_counts``."""
        for position, value in enumerate(expected):
            key = value_key(value)
            _, anywhere, answers = self.value_counts.get(key, (value, 0, 0))
            self.value_counts[key] = (value, anywhere + 1, answers + (position == len(expected) - 1))

    def answers(self, key) -> int:
        return self.value_counts.get(key, (None, 0, 0))[2]

    @property
    def ok(self) -> bool:
        return self.mismatched == 0 and self.checked > 0

    def to_json(self) -> dict:
        return {"output": self.output, "max_len": self.max_len, "vocab_size": len(self.vocab),
                "exhaustive": self.exhaustive, "checked": self.checked, "matched": self.matched,
                "mismatched": self.mismatched, "skipped": self.skipped, "min_margin": self.min_margin,
                "max_error": self.max_error, "seconds": round(self.seconds, 3), "ok": self.ok,
                "value_counts": [{"value": json_atom(value), "positions": anywhere, "answers": answers}
                                 for value, anywhere, answers in self.value_counts.values()],
                "searched": self.searched, "search_evaluations": self.search_evaluations,
                "unreached": [json_atom(v) for v in self.unreached],
                "mismatches": [{"input": [json_atom(t) for t in m.input], "expected": json_value(m.expected),
                                "got": json_value(m.got)} for m in self.mismatches[:SHOWN * 4]]}


def _reference(expr, tokens: tuple):
    try:
        return evaluate(expr, tokens), None
    except RaspcError as error:
        return None, error.message
    except RecursionError:
        return None, "too deep to evaluate"


def verify(model: Model, expr, inputs: Sequence[tuple], exhaustive: bool, verdict: Verdict | None = None,
           runner: Runner | None = None) -> Verdict:
    """Run ``inputs`` through the model and the interpreter and compare (adding to
    ``verdict`` when one is given)."""
    started = time.perf_counter()
    verdict = verdict or Verdict(model.output_name, tuple(model.config.vocab[1:]), model.config.max_len,
                                 exhaustive,
                                 tolerance=max(TOLERANCE, float(model.stats.get("output_tolerance") or 0.0)))
    runner = runner or Runner(model)
    for start in range(0, len(inputs), BATCH):
        chunk = inputs[start:start + BATCH]
        references = [_reference(expr, tokens) for tokens in chunk]
        logits = runner.logits(chunk)
        for tokens, (expected, rejected), output_logits in zip(chunk, references, logits):
            if expected is None:
                verdict.skipped += 1
                verdict.skip_example = verdict.skip_example or f"{input_literal(tokens)}: {rejected}"
                continue
            verdict.count_values(expected)
            _check(verdict, model, tokens, expected, np.asarray(output_logits, np.float64))
    verdict.seconds += time.perf_counter() - started
    return verdict


def search_rare_answers(model: Model, expr, verdict: Verdict, inputs: Sequence[tuple], per_value: int,
                        seed: int, runner: Runner) -> None:
    """Check, besides ``inputs``, inputs whose answer is an output value that came up
    fewer than ``per_value`` times (``cli.value_search``); record those never reached."""
    started = time.perf_counter()
    values = {value_key(v): v for v in model.config.output_values}
    needed = {key: per_value - verdict.answers(key) for key in values}
    search = search_inputs(lambda tokens: _reference(expr, tokens)[0], inputs, needed, values, verdict.vocab,
                           verdict.max_len, set(inputs), seed, SEARCH_BUDGET)
    verdict.search_evaluations = search.evaluations
    verdict.seconds += time.perf_counter() - started
    if search.inputs:
        verify(model, expr, search.inputs, verdict.exhaustive, verdict, runner)
        verdict.searched = len(search.inputs)
    verdict.unreached = [value for key, value in values.items() if verdict.answers(key) == 0]


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
    runner = Runner(compiled.model)
    verdict = verify(compiled.model, expr, inputs, exhaustive, runner=runner)
    if compiled.model.config.output_encoding == CATEGORICAL:
        if not exhaustive and args.per_value > 0:
            search_rare_answers(compiled.model, expr, verdict, inputs, args.per_value, args.seed, runner)
        else:
            verdict.unreached = [v for v in compiled.model.config.output_values if not verdict.answers(value_key(v))]
    if args.json:
        print(json.dumps({"file": args.file, **verdict.to_json()}, ensure_ascii=False), file=out)
    else:
        report(verdict, size, args, out)
    return 0 if verdict.ok else 1


def report(verdict: Verdict, size: int, args: argparse.Namespace, out) -> None:
    how = (f"every input of length 1..{verdict.max_len} over {len(verdict.vocab)} tokens"
           if verdict.exhaustive else
           f"{verdict.checked + verdict.skipped - verdict.searched:,} random inputs (seed {args.seed}) of the {size:,} "
           f"of length 1..{verdict.max_len}")
    print(f"verify {args.file}: {verdict.output}, {how}", file=out)
    for mismatch in verdict.mismatches[:SHOWN]:
        print(f"  MISMATCH on {input_literal(mismatch.input)}: expected {shown_sequence(mismatch.expected)}, "
              f"got {shown_sequence(mismatch.got)}", file=out)
    if verdict.mismatched > SHOWN:
        print(f"  ... and {verdict.mismatched - SHOWN:,} more", file=out)
    print(f"  checked {verdict.checked:,}: {verdict.matched:,} match, {verdict.mismatched:,} differ"
          f" ({verdict.seconds:.1f} s)", file=out)
    if verdict.value_counts:
        counted = sorted(verdict.value_counts.values(), key=lambda item: (-item[2], -item[1]))
        more = f", ... ({len(counted) - SHOWN_VALUES:,} more)" if len(counted) > SHOWN_VALUES else ""
        print("  answers (value at the last position): " + ", ".join(
            f"{shown_atom(value)} {answers:,}" for value, _, answers in counted[:SHOWN_VALUES]) + more, file=out)
        print("  values at every position: " + ", ".join(
            f"{shown_atom(value)} {anywhere:,}" for value, anywhere, _ in counted[:SHOWN_VALUES]) + more, file=out)
    if verdict.search_evaluations:
        print(f"  searched for answers seen fewer than {args.per_value:,} times: {verdict.search_evaluations:,} "
              f"mutated inputs tried (seed {args.seed}), {verdict.searched:,} of them checked", file=out)
    if verdict.unreached:
        print("  never reached as an answer: " + ", ".join(shown_atom(v) for v in verdict.unreached), file=out)
    if verdict.skipped:
        print(f"  not checked: {verdict.skipped:,} inputs the interpreter rejects "
              f"(e.g. {verdict.skip_example})", file=out)
    if verdict.min_margin is not None:
        print(f"  smallest decision margin (top logit - runner-up): {verdict.min_margin:.4g}", file=out)
    if verdict.max_error is not None:
        print(f"  largest numerical error: {verdict.max_error:.3g} (tolerance {verdict.tolerance:g})", file=out)
    print("  OK" if verdict.ok else ("  FAILED" if verdict.checked else "  nothing was checked"), file=out)
