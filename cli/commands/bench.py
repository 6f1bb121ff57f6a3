"""``raspc bench``: what the programs compile to, how fast, how right, and how fast they run.

For every program in programs/ at max_len 5, 10, 20, 40 and 64: layers, heads,
d_model, d_mlp, parameters, compile seconds (median of 5), accuracy against the
reference interpreter on 1,000 random inputs, and the throughput of the interpreter
and of the jit-compiled forward pass at batch 1, 64, 256 and 1,024; raspc beside
tracr's measured figures; compile time and size against the vocabulary size.
Writes results.json, results.md and PNG plots into --out DIR (default ./bench under
the current directory), and prints the tables.
Each configuration is capped in wall-clock time (--timeout).
"""
from __future__ import annotations

import argparse

from benchmark.main import add_arguments, run_from_args

EXAMPLES = """examples:
  raspc bench                                     everything, into ./bench (about a quarter of an hour on 2 cores)
  raspc bench --quick                             length, reverse, hist, sort at max_len 5 and 10 (about a minute)
  raspc bench --table                             print the last results (of ./bench) again
  raspc bench --programs reverse sort --max-lens 5 10 --no-vocab-sweep --out /tmp/bench
  raspc bench --vocab-programs hist --vocab-sizes 10 100 1000 --vocab-max-lens 20 --programs hist --max-lens 20
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "bench", help="benchmark model size, compile time, accuracy and throughput",
        description=__doc__.split("\n\n")[1], epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    return run_from_args(args)
