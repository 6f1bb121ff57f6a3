"""``raspc lens``: look inside a compiled (or trained) model on one input.

Prints every s-op of the residual stream decoded at the point after the layer
that writes it, the logit lens (the output read after every layer), where each
attention head looks, labelled by the selector it implements, and the components
that wrote most of each answer's logit. ``-o`` writes the whole picture as one
self-contained HTML page: every subspace at every point, the logit lens as
heatmaps (rank, probability, KL divergence), the attribution table, attention
heatmaps, MLP unit activations; ``--compare`` puts a second input beside the
first, and ``--png DIR`` writes the page's plots as PNG files."""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace

from cli.comparing import probed_lens
from cli.inputs import add_input_options, extra_input
from cli.text import model_encoder, text_tokens
from cli.programs import add_compile_options, add_program_options
from cli.reports import add_page_options, model_from_args, write_outputs
from rasp.inputs import parse_input, parse_words
from raspc.errors import InputError
from runtime.lens.attribution import attribution_json
from runtime.lens.html import Page
from runtime.lens.logit_lens import logit_lens_json
from runtime.lens.study import Study, study
from runtime.lens.text import format_attribution
from runtime.lens.variables import format_text, report_json

EXAMPLES = """examples:
  raspc lens programs/reverse.rasp --input abcd
  raspc lens programs/sort.rasp --input cabca -o sort_lens.html
  raspc lens programs/sort.rasp --input cabca --compare cabcb -o two.html --png plots/
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
    parser.add_argument("--compare", metavar="LIT",
                        help="a second input shown beside the first (words when --words gave the first)")
    parser.add_argument("--program", metavar="FILE.rasp",
                        help="read a trained model's residual as this program's s-ops, through linear probes "
                             "fitted on fresh inputs (their held-out accuracy beside each value)")
    add_page_options(parser)
    add_program_options(parser)
    add_compile_options(parser)
    parser.add_argument("--json", action="store_true", help="print the whole report as one JSON object")
    parser.set_defaults(handler=run)


def _study_json(reading) -> dict:
    return {**report_json(reading.report), "logit_lens": logit_lens_json(reading.logit_lens),
            "attribution": attribution_json(reading.attribution)}


def _study(args: argparse.Namespace, model, tokens) -> Study:
    """The model read on ``tokens``; with ``--program``, its variable grid read through
    probes fitted for the program's s-ops (a trained model has no layout of its own)."""
    reading = study(model, tokens)
    if args.program:
        return replace(reading, report=probed_lens(args, model, tuple(tokens)))
    return reading


def run(args: argparse.Namespace, out=None) -> int:
    out = out or sys.stdout
    model = model_from_args(args)
    tokens = extra_input(args)
    encoder = model_encoder(model, args.file) if args.text is not None else None
    if encoder is not None:
        tokens = text_tokens(args, encoder, model.config.max_len)
    if tokens is None:  # pragma: no cover - argparse requires one
        raise InputError("give an input with --input, --words or --text")
    readings = [_study(args, model, tokens)]
    if args.compare is not None:
        if encoder is not None:
            second = encoder.encode(args.compare, model.config.max_len).tokens
        else:
            second = parse_words(args.compare) if args.words is not None else parse_input(args.compare)
        readings.append(_study(args, model, second))
    names = ("input",) if len(readings) == 1 else ("input", "compare")
    page = Page(tuple(readings), names)
    if args.json:
        write_outputs(page, args, sys.stderr)
        data = _study_json(readings[0])
        if len(readings) > 1:
            data["compare"] = _study_json(readings[1])
        print(json.dumps(data, ensure_ascii=False), file=out)
        return 0
    for k, reading in enumerate(readings):
        if k:
            print("\n" + "=" * 60 + "\n", file=out)
        print(format_text(reading.report), file=out)
        print("", file=out)
        print(format_attribution(reading.attribution), file=out)
    write_outputs(page, args, out)
    if args.out:
        print(f"\nwrote {args.out}", file=out)
    return 0
