"""``raspc export``: write a model for another tool to read.

``--transformer-lens OUT`` writes the folder OUT: ``model.safetensors`` under
TransformerLens's classic parameter names and shapes, ``config.json`` (the
arguments of its config: no normalisation, ReLU, bidirectional attention) and
``raspc.json`` (the vocabulary, BOS = token 0 at position 0, the output's values,
the layout and labels). Layers are padded to one head count, head width and MLP
width with zeros, which changes no output.
"""
from __future__ import annotations

import argparse
import json
import sys

from raspc.errors import InputError
from cli.programs import add_compile_options, add_program_options
from cli.reports import model_from_args
from runtime.export import CONFIG, RASPC, WEIGHTS, write_transformer_lens

EXAMPLES = """examples:
  raspc export reverse.safetensors --transformer-lens reverse_tl
  raspc export programs/sort.rasp --transformer-lens sort_tl --json
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "export", help="write a model in TransformerLens's format",
        description=__doc__.split("\n\n")[1], epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", metavar="MODEL.safetensors|FILE.rasp", help="a model file or a program")
    parser.add_argument("--transformer-lens", metavar="OUT", required=True,
                        help="the folder to write (created if missing)")
    add_program_options(parser)
    add_compile_options(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, out=None) -> int:
    out = out or sys.stdout
    model = model_from_args(args)
    folder = args.transformer_lens
    try:
        export = write_transformer_lens(model, folder)
    except OSError as failure:
        raise InputError(f"cannot write {folder}: {failure.strerror or failure}") from None
    config, described = export.config, export.raspc
    record = {"folder": folder, "files": [WEIGHTS, CONFIG, RASPC], "n_layers": config["n_layers"],
              "n_heads": config["n_heads"], "d_head": config["d_head"], "d_mlp": config["d_mlp"],
              "heads_per_layer": described["heads_per_layer"], "d_mlp_per_layer": described["d_mlp_per_layer"],
              "query_scale": described["query_scale"]}
    if args.json:
        print(json.dumps(record), file=out)
        return 0
    print(f"wrote {folder}/: {WEIGHTS}, {CONFIG}, {RASPC}", file=out)
    print(f"  {config['n_layers']} layers of {config['n_heads']} heads x {config['d_head']} dimensions and "
          f"{config['d_mlp']} MLP units (padded from heads {described['heads_per_layer']}, "
          f"MLP widths {described['d_mlp_per_layer']})", file=out)
    print(f"  W_Q scaled by {described['query_scale']:.6g} for TransformerLens's 1/sqrt(d_head); "
          "token 0 is BOS, at position 0 of every input", file=out)
    return 0
