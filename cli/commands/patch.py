"""``raspc patch``: activation patching between a clean and a corrupt input.

Runs the corrupt input again with one component copied from the clean run, for
every component and every position (and all positions at once): each sublayer's
output, each head's output and, on a compiled model, each s-op's subspace. Prints,
per component and position, the share of the clean-versus-corrupt logit difference
that the copy restores, and marks where an answer changes. All patches of one kind
run as one batched forward pass. The two inputs must have the same length.
"""
from __future__ import annotations

import argparse
import json
import sys

from cli.programs import add_compile_options, add_program_options
from cli.reports import add_page_options, model_from_args, write_outputs
from rasp.inputs import parse_input, parse_words
from runtime.lens.html import Page
from runtime.lens.patching import patch, patch_json
from runtime.lens.study import study
from runtime.lens.text import format_patching

EXAMPLES = """examples:
  raspc patch programs/reverse.rasp --clean abcd --corrupt abdd
  raspc patch programs/sort.rasp --clean cabca --corrupt cabcb -o sort_patch.html
  raspc patch programs/hist.rasp --clean aabc --corrupt abbc --json
"""

KINDS = ("sublayer", "head", "subspace")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "patch", help="activation patching: which components carry the difference between two inputs",
        description=__doc__.split("\n\n")[1], epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", metavar="FILE.rasp|MODEL.safetensors", help="a program or a model file")
    parser.add_argument("--clean", metavar="LIT", required=True,
                        help="the input whose activations are copied: abc (characters) or a list literal")
    parser.add_argument("--corrupt", metavar="LIT", required=True,
                        help="the input that runs again with them (same length as --clean)")
    parser.add_argument("--words", action="store_true", help="read --clean and --corrupt as words")
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS), metavar="KIND",
                        help=f"which components to patch: {', '.join(KINDS)} (default: all)")
    add_page_options(parser)
    add_program_options(parser)
    add_compile_options(parser)
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, out=None) -> int:
    out = out or sys.stdout
    parse = parse_words if args.words else parse_input
    clean, corrupt = parse(args.clean), parse(args.corrupt)
    model = model_from_args(args)
    report = patch(model, clean, corrupt, tuple(dict.fromkeys(args.kinds)))
    if args.out or args.png:
        page = Page((study(model, clean), study(model, corrupt)), ("clean", "corrupt"), report)
        write_outputs(page, args, sys.stderr if args.json else out)
    if args.json:
        print(json.dumps(patch_json(report), ensure_ascii=False), file=out)
        return 0
    print(format_patching(report), file=out)
    if args.out:
        print(f"\nwrote {args.out}", file=out)
    return 0
