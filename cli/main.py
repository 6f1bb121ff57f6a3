"""The ``raspc`` command line: one subcommand per module in ``cli.commands``.

Each subcommand module defines ``register(subparsers)``, which adds its parser and
sets ``handler`` to a function of the parsed arguments returning an exit status.
Every user mistake arrives here as a ``RaspcError`` and is printed once, as one short
block, with exit status 2 and no traceback.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from raspc.errors import RaspcError

# (subcommand, module) in the order ``raspc --help`` lists them.
SUBCOMMANDS = (
    ("eval", "cli.commands.eval"),
    ("compile", "cli.commands.compile"),
    ("run", "cli.commands.run"),
    ("verify", "cli.commands.verify"),
    ("lens", "cli.commands.lens"),
    ("eval-corpus", "cli.commands.eval_corpus"),
    ("bench", "cli.commands.bench"),
    ("fuzz", "cli.commands.fuzz"),
)

EPILOG = """examples:
  raspc eval programs/reverse.rasp              run the file's examples in the reference interpreter
  raspc compile programs/reverse.rasp -o reverse.safetensors
  raspc run programs/reverse.rasp --input abc   run the compiled model on one more input
  raspc verify programs/sort.rasp --max-len 5   compiled model vs interpreter on every input
"""


class _ArgumentParser(argparse.ArgumentParser):
    """argparse, but usage errors exit with status 2 in one line (its default too)."""

    def error(self, message: str) -> None:  # pragma: no cover - argparse plumbing
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _ArgumentParser(
        prog="raspc",
        description="Compile RASP programs into transformer weights, run them, and look inside.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_ArgumentParser)
    for _name, module_name in SUBCOMMANDS:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except RaspcError as error:
        print(error.format(), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except RecursionError:
        print("error: the program nests too deeply to stage", file=sys.stderr)
        return 2
    except Exception as failure:  # a bug of ours, not the user's: say so, briefly
        if os.environ.get("RASPC_DEBUG"):
            raise
        print(f"internal error: {type(failure).__name__}: {failure} "
              "(set RASPC_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
