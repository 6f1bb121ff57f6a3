"""What the commands that draw a page share (``raspc lens``, ``raspc patch``,
``raspc export``): the model from a program or a model file, and the page's outputs."""
from __future__ import annotations

import argparse

from cli.programs import compile_from_args, load_staged
from raspc.errors import InputError
from runtime.io import is_model_file, load_model
from runtime.lens.html import page_heatmaps, write_page
from runtime.lens.png import write_pngs


def add_page_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--out", metavar="REPORT.html", help="write an HTML report here")
    parser.add_argument("--png", metavar="DIR", help="write the report's plots as PNG files into DIR")


def model_from_args(args: argparse.Namespace):
    """The model file given, or the program given compiled with the options."""
    if is_model_file(args.file):
        return load_model(args.file)
    return compile_from_args(load_staged(args).program, args).model


def write_outputs(page, args: argparse.Namespace, out) -> None:
    """The page (``-o``) and its plots (``--png``), each where asked."""
    if args.out:
        try:
            write_page(page, args.out)
        except OSError as failure:
            raise InputError(f"cannot write {args.out}: {failure.strerror or failure}") from None
    if args.png:
        try:
            paths = write_pngs(page_heatmaps(page), args.png)
        except OSError as failure:
            raise InputError(f"cannot write into {args.png}: {failure.strerror or failure}") from None
        print(f"wrote {len(paths)} PNG files into {args.png}", file=out)
