"""``raspc compile``: compile a program's output s-op into a model file.

Prints the model's shape (layers, heads, residual width, MLP width, parameters)
and how long compiling took; with ``-o`` writes the model as one .safetensors
file that ``raspc run``, ``raspc lens`` and Python's ``runtime.io.load_model`` read.

The helpers here (the shared program options, loading a program, compiling with
the command-line overrides) serve the other commands that compile: run, verify,
lens.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import Any

from rasp import ir
from raspc.errors import InputError
from runtime.model import CATEGORICAL, Model
from cli.text import TEXT_HELP

EXAMPLES = """examples:
  raspc compile programs/reverse.rasp -o reverse.safetensors
  raspc compile programs/sort.rasp --max-len 20 --vocab abcdef -o sort.safetensors
  raspc compile programs/hist.rasp --no-opt share_heads reuse_residual --json
      {"layers": 1, "heads": 1, "d_model": ..., "d_mlp": ..., "params": ..., "compile_seconds": ...}
"""


# ------------------------------------------------------------------ shared options

def add_input_options(parser: argparse.ArgumentParser, required: bool = False) -> None:
    """--input, --words or --text: one input given on the command line (one more,
    unless required)."""
    what = "the input" if required else "one more input"
    given = parser.add_mutually_exclusive_group(required=required)
    given.add_argument("--input", metavar="LIT",
                       help=f"{what}: abc (characters) or a list literal such as [3,1,2]")
    given.add_argument("--words", metavar='"w1 w2 ..."', help=f"{what}, one token per word")
    given.add_argument("--text", metavar='"raw text"', help=f"{what}: {TEXT_HELP}")


def add_program_options(parser: argparse.ArgumentParser, output_help: str | None = None) -> None:
    """--vocab, --max-len, --output, --search-path: overrides of the file's declarations."""
    parser.add_argument("--vocab", metavar="V",
                        help="the input vocabulary: abc (its characters) or a list literal such as "
                             '[1,2,3] or ["the","cat"]; overrides the file\'s @vocab')
    parser.add_argument("--max-len", metavar="N", type=_positive_int,
                        help="the longest input the model accepts; overrides the file's @max_len")
    parser.add_argument("--output", metavar="NAME",
                        help=output_help or "the s-op the model computes; overrides the file's @output")
    parser.add_argument("--search-path", metavar="DIR", action="append", default=[],
                        help="another folder where `load` looks for files")


def add_compile_options(parser: argparse.ArgumentParser) -> None:
    """--max-params and --no-opt."""
    from compiler import PASSES

    parser.add_argument("--max-params", metavar="N", type=_positive_int, default=50_000_000,
                        help="refuse to build a model with more parameters than this (default 50,000,000)")
    parser.add_argument("--no-opt", metavar="NAME", nargs="+", action="extend", default=[],
                        choices=PASSES, help=f"switch off compiler passes: {', '.join(PASSES)}")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, not {value}")
    return value


def vocab_of(args: argparse.Namespace) -> tuple | None:
    from rasp.inputs import parse_vocab

    return parse_vocab(args.vocab) if getattr(args, "vocab", None) else None


def extra_input(args: argparse.Namespace) -> tuple | None:
    """The --input or --words given, as tokens (None when neither was)."""
    from rasp.inputs import parse_input, parse_words

    if getattr(args, "input", None) is not None:
        return parse_input(args.input)
    if getattr(args, "words", None) is not None:
        return parse_words(args.words)
    return None


def load_staged(args: argparse.Namespace):
    """The staged file (program plus its example statements)."""
    from rasp.stage import load_file

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
    from compiler import compile_program

    vocab = vocab_of(args)
    model = compile_program(program, getattr(args, "output", None), vocab=vocab,
                            max_len=getattr(args, "max_len", None),
                            max_params=getattr(args, "max_params", 50_000_000),
                            disabled_passes=tuple(getattr(args, "no_opt", ()) or ()))
    output = getattr(args, "output", None) or program.output or model.config.output
    return Compiled(model, output, tuple(model.config.vocab[1:]), model.config.max_len)


def model_facts(model: Model) -> dict[str, Any]:
    """The figures ``compile`` reports (also used by run, demo and bench)."""
    return {"layers": model.config.n_layers, "heads": model.n_heads, "d_model": model.config.d_model,
            "d_mlp": model.d_mlp, "params": model.n_params,
            "compile_seconds": float(model.stats.get("compile_seconds", 0.0))}


def describe_output(model: Model) -> str:
    config = model.config
    if config.output_encoding == CATEGORICAL:
        return f"{config.output} (categorical, {len(config.output_values)} values)"
    return f"{config.output} (numerical)"


# ------------------------------------------------------------------ the command

def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "compile", help="compile a program into a model file",
        description=__doc__.split("\n\n")[1], epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", metavar="FILE.rasp", help="the RASP program")
    parser.add_argument("-o", "--out", metavar="MODEL.safetensors",
                        help="where to write the model (without it, nothing is written)")
    add_program_options(parser)
    add_compile_options(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from runtime.io import save_model

    if args.out is not None and not args.out.endswith(".safetensors"):
        raise InputError(f"the model file must end in .safetensors: {args.out}")
    staged = load_staged(args)
    compiled = compile_from_args(staged.program, args)
    if args.out is not None:
        save_model(compiled.model, args.out)
    facts = model_facts(compiled.model)
    if args.json:
        record = {**facts, "output": compiled.model.config.output, "vocab": list(compiled.vocab),
                  "max_len": compiled.max_len, "file": args.out,
                  "tolerances": compiled.model.stats.get("tolerances", [])}
        print(json.dumps(record, ensure_ascii=False))
        return 0
    print(f"compiled {args.file}: {describe_output(compiled.model)}, "
          f"max_len {compiled.max_len}, vocabulary of {len(compiled.vocab)}")
    rows = [("layers", f"{facts['layers']}"), ("heads", f"{facts['heads']}"),
            ("residual width", f"{facts['d_model']}"), ("MLP width", f"{facts['d_mlp']}"),
            ("parameters", f"{facts['params']:,}"),
            ("compile time", f"{facts['compile_seconds']:.3f} s")]
    for name, value in rows:
        print(f"  {name:<15} {value}")
    for found in compiled.model.stats.get("tolerances", []):
        print(f"  tolerance       {found['op']}: declared {found['error']:g}, stated worst {found['worst']:.3g}")
    if args.out is not None:
        print(f"  wrote {args.out}")
    else:
        print("  (not saved: add -o MODEL.safetensors to write it)")
    return 0


__all__ = ["register", "run", "add_input_options", "add_program_options", "add_compile_options", "compile_from_args",
           "model_facts", "extra_input", "vocab_of", "load_staged", "Compiled", "describe_output"]
