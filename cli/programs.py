"""Loading a program and compiling it with the command-line overrides.

The options that ``raspc compile``, ``run``, ``verify`` and ``lens`` share
(``--vocab``, ``--max-len``, ``--output``, ``--search-path``, ``--max-params``,
``--no-opt``), and what they mean: ``load_staged`` reads the file,
``compile_from_args`` compiles its output s-op with the overrides.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import TextIO

from compiler import PASSES, compile_program
from rasp import ir
from rasp.inputs import parse_vocab
from rasp.stage import StagedFile, load_file
from runtime.model import Model

#: The default of --max-params.
MAX_PARAMS = 50_000_000


def positive_int(text: str) -> int:
    """An argparse type: a positive integer, or a usage error naming the text."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, not {value}")
    return value


def add_program_options(parser: argparse.ArgumentParser, output_help: str | None = None) -> None:
    """--vocab, --max-len, --output, --search-path: overrides of the file's declarations."""
    parser.add_argument("--vocab", metavar="V",
                        help="the input vocabulary: abc (its characters) or a list literal such as "
                             '[1,2,3] or ["the","cat"]; overrides the file\'s @vocab')
    parser.add_argument("--max-len", metavar="N", type=positive_int,
                        help="the longest input the model accepts; overrides the file's @max_len")
    parser.add_argument("--output", metavar="NAME",
                        help=output_help or "the s-op the model computes; overrides the file's @output")
    parser.add_argument("--search-path", metavar="DIR", action="append", default=[],
                        help="another folder where `load` looks for files")


def add_compile_options(parser: argparse.ArgumentParser) -> None:
    """--max-params, --no-opt and --keep."""
    parser.add_argument("--max-params", metavar="N", type=positive_int, default=MAX_PARAMS,
                        help=f"refuse to build a model with more parameters than this (default {MAX_PARAMS:,})")
    parser.add_argument("--no-opt", metavar="NAME", nargs="+", action="extend", default=[],
                        choices=PASSES, help=f"switch off compiler passes: {', '.join(PASSES)}")
    parser.add_argument("--keep", metavar="NAME", action="append", default=[],
                        help="compute this s-op too and keep it readable in the final residual (repeatable)")


def vocab_of(args: argparse.Namespace) -> tuple | None:
    """The --vocab given, parsed (None when it was not)."""
    return parse_vocab(args.vocab) if getattr(args, "vocab", None) else None


def load_staged(args: argparse.Namespace) -> StagedFile:
    """The staged file (program plus its example statements)."""
    return load_file(args.file, tuple(getattr(args, "search_path", ()) or ()))


@dataclass(frozen=True)
class Compiled:
    """A compiled model and what it was compiled from."""

    model: Model
    output: str
    vocab: tuple
    max_len: int


def compile_from_args(program: ir.Program, args: argparse.Namespace) -> Compiled:
    """The program's output (or --output) compiled with the command-line overrides."""
    vocab = vocab_of(args)
    model = compile_program(program, getattr(args, "output", None), vocab=vocab,
                            max_len=getattr(args, "max_len", None),
                            max_params=getattr(args, "max_params", MAX_PARAMS),
                            disabled_passes=tuple(getattr(args, "no_opt", ()) or ()),
                            keep=tuple(getattr(args, "keep", ()) or ()))
    output = getattr(args, "output", None) or program.output or model.output_name
    warn_unreachable_literals(program, tuple(model.config.vocab[1:]))
    return Compiled(model, output, tuple(model.config.vocab[1:]), model.config.max_len)


def warn_unreachable_literals(program: ir.Program, vocab: tuple, err: TextIO | None = None) -> None:
    """A warning on stderr for each literal compared with the tokens that no token of
    the vocabulary equals: ``tokens == "z"`` over "abc" is the constant False."""
    err = err or sys.stderr
    for found in program.unreachable_literals(vocab):
        place = f"{found.location.prefix()}: " if found.location is not None else ""
        print(f"{place}warning: the tokens are compared with {found.value!r}, which is not in the vocabulary "
              f"({', '.join(repr(v) for v in vocab[:8])}{', ...' if len(vocab) > 8 else ''}): "
              "the comparison is the same at every position", file=err)
