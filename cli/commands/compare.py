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

from cli.programs import add_compile_options, add_program_options, positive_int
from cli.comparing import compare_command

EXAMPLES = """examples:
  raspc train programs/reverse.rasp -o reverse_trained.safetensors
  raspc compare programs/reverse.rasp reverse_trained.safetensors
  raspc compare programs/reverse.rasp reverse_trained.safetensors --html reverse_compare.html
  raspc train programs/sort.rasp -o sort_trained.safetensors --attention-loss 1
  raspc compare programs/sort.rasp sort_trained.safetensors --inputs 1000 --json
  raspc compare programs/nlp/sentiment.rasp sentiment_trained.safetensors --corpus tweets.tsv --text-column 3
      on tweets rather than words drawn over the vocabulary (programs/nlp/README.md)
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
    parser.add_argument("--corpus", metavar="DATA.tsv",
                        help="compare on sentences of this corpus (cut by the program's @tokenizer) instead of "
                             "inputs drawn over the vocabulary: --inputs of them, drawn by --seed")
    parser.add_argument("--text-column", metavar="K", type=positive_int, help="the corpus's text column (from 1)")
    parser.add_argument("--html", metavar="REPORT.html", help="also write the comparison as one HTML page")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    add_program_options(parser)
    add_compile_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, out=None) -> int:
    # JAX and scipy load when the command runs, so that every other command starts
    # without them.
    return compare_command(args, out)
