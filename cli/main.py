"""The ``raspc`` command line: one subcommand per module in ``cli.commands``.

Each subcommand module defines ``register(subparsers)``, which adds its parser and
sets ``handler`` to a function of the parsed arguments returning an exit status.
Only the chosen subcommand's module is imported (``raspc eval`` runs the
interpreter without importing the compiler's JAX runtime); without one, every
module is, so that ``raspc --help`` lists them all. That is the one import made
inside a function, by design: each command module imports what it needs at its top.
JAX's persistent compilation cache is configured first (``raspc.cache``), before
anything imports JAX. Every user mistake arrives here as a ``RaspcError`` and is printed once, as one short
block, with exit status 2 and no traceback.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Sequence

from raspc import __version__
from raspc.cache import configure_jax
from raspc.errors import RaspcError

# (subcommand, module) in the order ``raspc --help`` lists them.
SUBCOMMANDS = (
    ("eval", "cli.commands.eval"),
    ("repl", "cli.commands.repl"),
    ("compile", "cli.commands.compile"),
    ("run", "cli.commands.run"),
    ("verify", "cli.commands.verify"),
    ("lens", "cli.commands.lens"),
    ("patch", "cli.commands.patch"),
    ("export", "cli.commands.export"),
    ("eval-corpus", "cli.commands.eval_corpus"),
    ("bench", "cli.commands.bench"),
    ("fuzz", "cli.commands.fuzz"),
    ("train", "cli.commands.train"),
    ("compare", "cli.commands.compare"),
)

EPILOG = """examples:
  raspc eval programs/reverse.rasp              run the file's examples in the reference interpreter
  raspc repl                                    the interactive RASP prompt (>>)
  raspc compile programs/reverse.rasp -o reverse.safetensors
  raspc run programs/reverse.rasp --input abc   run the compiled model on one more input
  raspc verify programs/sort.rasp --max-len 5   compiled model vs interpreter on every input
"""


class _ArgumentParser(argparse.ArgumentParser):
    """argparse, but usage errors exit with status 2 in one line (its default too)."""

    def error(self, message: str) -> None:  # pragma: no cover - argparse plumbing
        self.exit(2, f"{self.prog}: error: {message}\n")


def chosen_subcommands(argv: Sequence[str]) -> tuple[str, ...]:
    """The subcommands whose modules a command line needs: the one it names first
    (a subcommand is the first argument: ``raspc`` itself takes only --help and --version), or
    every one when it names none (``raspc --help``, a typo that argparse answers
    with the list)."""
    names = tuple(name for name, _module in SUBCOMMANDS)
    if argv and argv[0] in names:
        return (argv[0],)
    return names


def build_parser(subcommands: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser with ``subcommands`` registered (None: all of them), in the order
    of SUBCOMMANDS."""
    parser = _ArgumentParser(
        prog="raspc",
        description="Compile RASP programs into transformer weights, run them, and look inside.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"raspc {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_ArgumentParser)
    for name, module_name in SUBCOMMANDS:
        if subcommands is None or name in subcommands:
            importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    configure_jax()
    parser = build_parser(chosen_subcommands(argv))
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
        print("error: the program nests too deeply (a function that calls itself without end, or a chain of "
              "thousands of operations?)", file=sys.stderr)
        return 2
    except Exception as failure:  # a bug of ours, not the user's: say so, briefly
        if os.environ.get("RASPC_DEBUG"):
            raise
        print(f"internal error: {type(failure).__name__}: {failure} "
              "(set RASPC_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
