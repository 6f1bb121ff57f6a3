"""One input given on the command line (``--input`` or ``--words``), for eval, run
and lens. Only the language's parsers: ``raspc eval`` imports this without the
compiler or JAX."""
from __future__ import annotations

import argparse

from rasp.inputs import parse_input, parse_words


def add_input_options(parser: argparse.ArgumentParser, required: bool = False) -> None:
    """--input or --words: one input given on the command line (one more, unless required)."""
    what = "the input" if required else "one more input"
    given = parser.add_mutually_exclusive_group(required=required)
    given.add_argument("--input", metavar="LIT",
                       help=f"{what}: abc (characters) or a list literal such as [3,1,2]")
    given.add_argument("--words", metavar='"w1 w2 ..."', help=f"{what}, one token per word")


def extra_input(args: argparse.Namespace) -> tuple | None:
    """The --input or --words given, as tokens (None when neither was)."""
    if getattr(args, "input", None) is not None:
        return parse_input(args.input)
    if getattr(args, "words", None) is not None:
        return parse_words(args.words)
    return None
