"""``raspc lens``: look inside a compiled (or trained) model on one input.

Prints every s-op of the residual stream decoded at the point after the layer
that writes it, the logit lens (the output read after every layer), and where
each attention head looks, labelled by the selector it implements. ``-o`` writes
the whole picture as one self-contained HTML page: every subspace at every
point, attention heatmaps, MLP unit activations.
"""
from __future__ import annotations

import argparse
import json
import sys

from raspc.errors import InputError
from cli.commands.compile import (add_compile_options, add_input_options, add_program_options,
                                              compile_from_args, extra_input, load_staged)
from cli.text import model_encoder, program_encoder, text_tokens

EXAMPLES = """examples:
  raspc lens programs/reverse.rasp --input abcd
  raspc lens programs/sort.rasp --input cabca -o sort_lens.html
  raspc lens reverse.safetensors --input abc --json
  raspc lens sentiment.safetensors --text "Not bad at all!" -o tweet.html   raw text, words on the axes
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "lens", help="decode a model's residual stream, heads and units on one input",
        description=__doc__.split("\n\n")[1], epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", metavar="FILE.rasp|MODEL.safetensors", help="a program or a model file")
    add_input_options(parser, required=True)
    parser.add_argument("-o", "--out", metavar="REPORT.html", help="write an HTML report here")
    add_program_options(parser)
    add_compile_options(parser)
    parser.add_argument("--json", action="store_true", help="print the whole report as one JSON object")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, out=None) -> int:
    from runtime.io import is_model_file, load_model
    from runtime.lens import format_text, inspect, report_json, write_html

    out = out or sys.stdout
    tokens = extra_input(args)
    if is_model_file(args.file):
        model = load_model(args.file)
        encoder = model_encoder(model, args.file) if getattr(args, "text", None) is not None else None
    else:
        program = load_staged(args).program
        encoder = program_encoder(program, args.file) if getattr(args, "text", None) is not None else None
        model = compile_from_args(program, args).model
    if encoder is not None:
        tokens = text_tokens(args, encoder, model.config.max_len)
    if tokens is None:  # pragma: no cover - argparse requires one
        raise InputError("give an input with --input, --words or --text")
    report = inspect(model, tokens)
    if args.out:
        try:
            write_html(report, args.out)
        except OSError as failure:
            raise InputError(f"cannot write {args.out}: {failure.strerror or failure}") from None
    if args.json:
        print(json.dumps(report_json(report), ensure_ascii=False), file=out)
        return 0
    print(format_text(report), file=out)
    if args.out:
        print(f"\nwrote {args.out}", file=out)
    return 0
