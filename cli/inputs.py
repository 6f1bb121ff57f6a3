"""One input given on the command line (``--input``, ``--words`` or ``--text``), for
eval, run and lens (``cli.text`` cuts ``--text`` into tokens). Only the language's parsers: ``raspc eval`` imports this without the
compiler or JAX."""
from __future__ import annotations

import argparse

from rasp.inputs import parse_input, parse_words

TEXT_HELP = "raw text, cut into tokens by the program's @tokenizer (a model file keeps it)"


def add_input_options(parser: argparse.ArgumentParser, required: bool = False) -> None:
    """--input, --words or --text: one input given on the command line (one more,
    unless required)."""
    what = "the input" if required else "one more input"
    given = parser.add_mutually_exclusive_group(required=required)
    given.add_argument("--input", metavar="LIT",
                       help=f"{what}: abc (characters) or a list literal such as [3,1,2]")
    given.add_argument("--words", metavar='"w1 w2 ..."', help=f"{what}, one token per word")
    given.add_argument("--text", metavar='"raw text"', help=f"{what}: {TEXT_HELP}")


def extra_input(args: argparse.Namespace) -> tuple | None:
    """The --input or --words given, as tokens (None when neither was)."""
    if getattr(args, "input", None) is not None:
        return parse_input(args.input)
    if getattr(args, "words", None) is not None:
        return parse_words(args.words)
    return None
