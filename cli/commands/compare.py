"""``raspc compare``: how does a trained model relate to the program's compiled one?

A is a .rasp file (compiled here) or a compiled model file, B a trained model (or
any model with the same vocabulary, positions and output values). On fresh inputs:
behaviour (each against the interpreter, their agreement, accuracy by length),
attention (A's heads matched to B's), variables (linear probes for the program's
s-ops on B's residual, beside a random model's as control), causal use
(interchange-intervention accuracy per s-op) and linear CKA, as a table, --json or
one self-contained HTML page (--html).
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import numpy as np

from rasp import ir
from raspc.errors import InputError
from runtime.compare.comparison import (Evidence, Interchange, compare, probe_targets, variables_of)
from runtime.compare.render import format_text, write_html
from runtime.model import Model
from runtime.train.data import sample_inputs
from cli.commands.compile import add_compile_options, add_program_options
from cli.task import Task, load_task

EXAMPLES = """examples:
  raspc train programs/reverse.rasp -o reverse_trained.safetensors
  raspc compare programs/reverse.rasp reverse_trained.safetensors
  raspc compare programs/reverse.rasp reverse_trained.safetensors --html reverse_compare.html
  raspc compare programs/sort.rasp sort_trained.safetensors --inputs 1000 --json
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "compare", help="compare a compiled model with a trained one: behaviour, heads, variables, CKA",
        description=__doc__.split("\n\n")[1], epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", metavar="A", help="a .rasp program or a compiled model file")
    parser.add_argument("other", metavar="B", help="a model file (trained, or any of the same task)")
    parser.add_argument("--inputs", metavar="N", type=int, default=600, help="fresh inputs (default 600)")
    parser.add_argument("--pairs", metavar="N", type=int, default=200,
                        help="interchange pairs per s-op (default 200)")
    parser.add_argument("--seed", metavar="N", type=int, default=0, help="seed of the inputs (default 0)")
    parser.add_argument("--html", metavar="REPORT.html", help="also write the comparison as one HTML page")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    add_program_options(parser)
    add_compile_options(parser)
    parser.set_defaults(handler=run)


def _differing(values_a: list, values_b: list) -> bool:
    return any(type(x) is not type(y) or x != y for x, y in zip(values_a, values_b))


def interchange_pairs(task: Task, inputs: list[tuple], name: str, count: int, seed: int) -> Interchange:
    """Up to ``count`` pairs of distinct inputs of one length whose values of s-op
    ``name`` differ, with the program's counterfactual output on each (pairs where
    it is undefined are dropped)."""
    rng = np.random.default_rng(seed)
    by_length: dict[int, list[tuple]] = {}
    for tokens in inputs:
        by_length.setdefault(len(tokens), []).append(tokens)
    groups = [g for g in by_length.values() if len(g) >= 2]
    bases, sources, expected = [], [], []
    attempts = 0
    while groups and len(bases) < count and attempts < 5 * count:
        attempts += 1
        group = groups[int(rng.integers(len(groups)))]
        i, j = rng.choice(len(group), size=2, replace=False)
        base, source = group[int(i)], group[int(j)]
        values = task.values([base, source], [name])[name]
        if not _differing(values[0], values[1]):
            continue
        output = task.counterfactual(base, source, name)
        if output is None:
            continue
        bases.append(base)
        sources.append(source)
        expected.append(output)
    return Interchange(name, tuple(bases), tuple(sources), tuple(expected))


def gather_evidence(task: Task, a: Model, count: int, pairs: int, seed: int) -> Evidence:
    """Fresh inputs and everything the interpreter says about them."""
    if count < 10:
        raise InputError(f"--inputs {count}: compare needs at least 10 inputs")
    vocab = a.config.vocab[1:]
    available = sum(len(vocab) ** n for n in range(1, a.config.max_len + 1))
    inputs = sample_inputs(vocab, a.config.max_len, (min(count, available),), seed)[0]
    truth = task.label(inputs, "interpreter")
    if not task.has_program:
        return Evidence(tuple(inputs), tuple(truth))
    names = [name for name in probe_targets(a)
             if name in task.sops and not isinstance(task.sops[name], ir.Constant)]
    variables = variables_of(a, task.values(inputs, names))
    changes = tuple(interchange_pairs(task, inputs, name, pairs, seed + k + 1) for k, name in enumerate(names))
    return Evidence(tuple(inputs), tuple(truth), variables, changes)


def run(args: argparse.Namespace, out=None) -> int:
    from runtime.io import is_model_file, load_model

    out = out or sys.stdout
    task = load_task(args)
    b = load_model(args.other) if is_model_file(args.other) else load_task(args, args.other).model
    evidence = gather_evidence(task, task.model, args.inputs, args.pairs, args.seed)
    result = compare(task.model, b, evidence, seed=args.seed)
    if args.html:
        try:
            write_html(result, args.html, args.file, args.other)
        except OSError as failure:
            raise InputError(f"cannot write {args.html}: {failure.strerror or failure}") from None
    if args.json:
        record: dict[str, Any] = {"a": args.file, "b": args.other, "inputs": len(evidence.inputs),
                                  "truth": "interpreter" if task.has_program else "A", **result.to_json()}
        print(json.dumps(record), file=out)
        return 0
    print(format_text(result, args.file, args.other), file=out)
    if not task.has_program:
        print("\n(A's program is not at hand: A's own outputs stand for the truth, and no variable is probed)",
              file=out)
    if args.html:
        print(f"\nwrote {args.html}", file=out)
    return 0
