"""``raspc compile``: compile a program's output s-op into a model file.

Prints the model's shape (layers, heads, residual width, MLP width, parameters)
and how long compiling took; with ``-o`` writes the model as one .safetensors
file that ``raspc run``, ``raspc lens`` and Python's ``runtime.io.load_model`` read.
"""
from __future__ import annotations

import argparse
import json

from cli.display import describe_output
from runtime.model import model_facts
from cli.programs import add_compile_options, add_program_options, compile_from_args, load_staged
from raspc.errors import InputError
from runtime.io import save_model

EXAMPLES = """examples:
  raspc compile programs/reverse.rasp -o reverse.safetensors
  raspc compile programs/sort.rasp --max-len 20 --vocab abcdef -o sort.safetensors
  raspc compile programs/hist.rasp --no-opt share_heads reuse_residual --json
      {"layers": 1, "heads": 1, "d_model": ..., "d_mlp": ..., "params": ..., "compile_seconds": ...}
  raspc compile programs/nlp/sentiment.rasp -o sentiment.safetensors   a language program (about 30 s)
"""


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
    if args.out is not None and not args.out.endswith(".safetensors"):
        raise InputError(f"the model file must end in .safetensors: {args.out}")
    staged = load_staged(args)
    compiled = compile_from_args(staged.program, args)
    if args.out is not None:
        save_model(compiled.model, args.out)
    facts = model_facts(compiled.model)
    if args.json:
        record = {**facts.to_json(), "output": compiled.model.output_name, "vocab": list(compiled.vocab),
                  "max_len": compiled.max_len, "file": args.out,
                  "tolerances": compiled.model.stats.get("tolerances", [])}
        print(json.dumps(record, ensure_ascii=False))
        return 0
    print(f"compiled {args.file}: {describe_output(compiled.model)}, "
          f"max_len {compiled.max_len}, vocabulary of {len(compiled.vocab)}")
    rows = [("layers", f"{facts.layers}"), ("heads", f"{facts.heads}"),
            ("residual width", f"{facts.d_model}"), ("MLP width", f"{facts.d_mlp}"),
            ("parameters", f"{facts.params:,}"),
            ("compile time", f"{facts.compile_seconds:.3f} s")]
    for name, value in rows:
        print(f"  {name:<15} {value}")
    for found in compiled.model.stats.get("tolerances", []):
        print(f"  tolerance       {found['op']}: declared {found['error']:g}; the fit's worst error "
              f"{found['fit']:.3g}, float32 rounding at most {found['rounding']:.2g} more"
              if found.get("fit") is not None else
              f"  tolerance       {found['op']}: declared {found['error']:g}, stated worst {found['worst']:.3g}")
    if args.out is not None:
        print(f"  wrote {args.out}")
    else:
        print("  (not saved: add -o MODEL.safetensors to write it)")
    return 0
