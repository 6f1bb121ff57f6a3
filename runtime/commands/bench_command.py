"""``raspc bench``: compile the paper's programs at several lengths and time them.

Records compile seconds (median of three), layers, heads, d_model, d_mlp,
parameters and forward throughput (sequences per second at batch 256) for
length, reverse, hist, double_hist, sort and most_freq at max_len 5, 10, 20, 40;
writes bench/results.json and bench/results.md and prints the table.
"""
from __future__ import annotations

import argparse

EXAMPLES = """examples:
  raspc bench                                     everything (a minute or two)
  raspc bench --table                             print the last results again
  raspc bench --programs reverse sort --max-lens 5 10 --out-dir /tmp/bench
"""


def register(subparsers) -> None:
    from runtime.bench import add_arguments

    parser = subparsers.add_parser(
        "bench", help="benchmark compile time, model size and throughput",
        description=__doc__.split("\n\n")[1], epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from runtime.bench import run_from_args

    return run_from_args(args)
