"""``raspc lens``: look inside a compiled (or trained) model on one input.

Prints every s-op of the residual stream decoded at the point after the layer
that writes it, the logit lens (the output read after every layer), where each
attention head looks, labelled by the selector it implements, and the components
that wrote most of each answer's logit. ``-o`` writes the whole picture as one
self-contained HTML page: every subspace at every point, the logit lens as
heatmaps (rank, probability, KL divergence), the attribution table, attention
heatmaps, MLP unit activations; ``--compare`` puts a second input beside the
first, and ``--png DIR`` writes the page's plots as PNG files.

The helpers here (a model from a program or a model file, the page's outputs)
serve ``raspc patch`` too.
"""
from __future__ import annotations

import argparse
import json
import sys

from raspc.errors import InputError
from cli.commands.compile import (add_compile_options, add_input_options, add_program_options,
                                  compile_from_args, extra_input, load_staged)

EXAMPLES = """examples:
  raspc lens programs/reverse.rasp --input abcd
  raspc lens programs/sort.rasp --input cabca -o sort_lens.html
  raspc lens programs/sort.rasp --input cabca --compare cabcb -o two.html --png plots/
  raspc lens reverse.safetensors --input abc --json
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
    add_page_options(parser)
    add_program_options(parser)
    add_compile_options(parser)
    parser.add_argument("--json", action="store_true", help="print the whole report as one JSON object")
    parser.set_defaults(handler=run)


def add_page_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--out", metavar="REPORT.html", help="write an HTML report here")
    parser.add_argument("--png", metavar="DIR", help="write the report's plots as PNG files into DIR")


def model_from_args(args: argparse.Namespace):
    """The model file given, or the program given compiled with the options."""
    from runtime.io import is_model_file, load_model

    if is_model_file(args.file):
        return load_model(args.file)
    return compile_from_args(load_staged(args).program, args).model


def write_outputs(page, args: argparse.Namespace, out) -> None:
    """The page (``-o``) and its plots (``--png``), each where asked."""
    from runtime.lens.html import page_heatmaps, write_page

    if args.out:
        try:
            write_page(page, args.out)
        except OSError as failure:
            raise InputError(f"cannot write {args.out}: {failure.strerror or failure}") from None
    if args.png:
        from runtime.lens.png import write_pngs

        try:
            paths = write_pngs(page_heatmaps(page), args.png)
        except OSError as failure:
            raise InputError(f"cannot write into {args.png}: {failure.strerror or failure}") from None
        print(f"wrote {len(paths)} PNG files into {args.png}", file=out)


def _study_json(reading) -> dict:
    from runtime.lens.attribution import attribution_json
    from runtime.lens.logit_lens import logit_lens_json
    from runtime.lens.variables import report_json

    return {**report_json(reading.report), "logit_lens": logit_lens_json(reading.logit_lens),
            "attribution": attribution_json(reading.attribution)}


def run(args: argparse.Namespace, out=None) -> int:
    from rasp.inputs import parse_input, parse_words
    from runtime.lens.html import Page
    from runtime.lens.study import study
    from runtime.lens.text import format_attribution
    from runtime.lens.variables import format_text

    out = out or sys.stdout
    tokens = extra_input(args)
    if tokens is None:  # pragma: no cover - argparse requires one
        raise InputError("give an input with --input or --words")
    model = model_from_args(args)
    readings = [study(model, tokens)]
    if args.compare is not None:
        second = parse_words(args.compare) if args.words is not None else parse_input(args.compare)
        readings.append(study(model, second))
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
