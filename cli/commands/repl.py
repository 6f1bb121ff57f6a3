"""``raspc repl``: the original RASP's interactive prompt.

Statements are read one at a time at the prompt ">>" (".." while a statement is
not finished) and printed as the original REPL prints them: a definition with its
value on the running example, an example's result, a value. ``set example``,
``show example``, ``examples on|off``, ``load``, ``draw`` (written as NAME.svg) and
``exit`` work as in the original. A mistake is reported, and the session goes on
with what was defined before it.
"""
from __future__ import annotations

import argparse
import sys
from typing import TextIO

from cli.drawings import add_draw_option, write_drawing
from cli.transcript import emit, format_atom
from rasp.errors import RaspSyntaxError
from rasp.parser import parse
from rasp.stage import Console, ExitFile
from raspc import __version__
from raspc.errors import RaspcError

SOURCE_NAME = "<stdin>"

EXAMPLES = """examples:
  raspc repl                                  then, at the prompt:
      >> flip = length - indices - 1;
           s-op: flip
           Example: flip("hello") = [4, 3, 2, 1, 0] (ints)
      >> set example "abc"
      >> draw(flip);                           writes flip.svg
      >> exit
  raspc repl < programs/reverse.rasp          a session from a file, as a transcript
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "repl", help="the interactive RASP prompt, as in the original interpreter",
        description=__doc__.split("\n\n")[1], epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--search-path", metavar="DIR", action="append", default=[],
                        help="another folder where `load` looks for files")
    add_draw_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    Session(Console(tuple(args.search_path)), getattr(args, "draw_dir", None), stdin, out).loop()
    return 0


def incomplete(error: RaspSyntaxError, text: str) -> bool:
    """Whether a parse failed only because the text stops early: the error is past
    the last character written (``indices +``, ``def f(x) {``, a missing ``;``)."""
    lines = text.rstrip().splitlines()
    if error.location is None or not lines:
        return True
    return error.location.line > len(lines) or (
        error.location.line == len(lines) and error.location.column > len(lines[-1].rstrip()))


class Session:
    """One REPL session: the console's state, the lines read so far, the output."""

    def __init__(self, console: Console, draw_dir: str | None, stdin: TextIO, out: TextIO):
        self.console = console
        self.draw_dir = draw_dir
        self.stdin = stdin
        self.out = out
        self.interactive = stdin.isatty() and out.isatty()
        self.lines_read = 0

    def read_line(self, prompt: str) -> str:
        """One line with its newline; "" at the end of the input."""
        if self.interactive:
            try:
                return input(prompt) + "\n"
            except EOFError:
                return ""
        self.out.write(prompt)
        self.out.flush()
        return self.stdin.readline()

    def loop(self) -> None:
        print(f"RASP (raspc {__version__})", file=self.out)
        print(f"running example is: {self.console.sequence_example}", file=self.out)
        chunk: list[str] = []
        first_line = 1
        while True:
            try:
                line = self.read_line(">> " if not chunk else ".. ")
            except KeyboardInterrupt:
                print(file=self.out)
                chunk = []
                continue
            if not line:
                print(file=self.out)
                return
            if not chunk:
                first_line = self.lines_read + 1
            self.lines_read += 1
            chunk.append(line if line.endswith("\n") else line + "\n")
            try:
                if not self.run_chunk("".join(chunk), first_line):
                    continue  # the statement goes on: read another line
            except ExitFile:
                print(file=self.out)
                return
            except RaspcError as error:
                self.report(error)
            except RecursionError:
                self.report(RaspcError("the statement nests too deeply"))
            chunk = []

    def run_chunk(self, text: str, first_line: int) -> bool:
        """Parse and run ``text`` (which starts at line ``first_line`` of the session);
        False when it is not a whole statement yet."""
        placed = "\n" * (first_line - 1) + text  # so that errors name the session's line numbers
        try:
            module = parse(placed, SOURCE_NAME)
        except RaspSyntaxError as error:
            if incomplete(error, placed) or not text.strip():
                return False
            raise
        if not module.statements:
            return False
        for display in self.console.run(module):
            if display.kind == "draw":
                path = write_drawing(display, self.draw_dir)
                print(f"drew {display.name}({format_atom(display.example)}) into {path}", file=self.out)
            else:
                emit(display, False, self.out)
        return True

    def report(self, error: RaspcError) -> None:
        """As the original: the input is ignored, and why."""
        print("\t\t!!ignoring input:", file=self.out)
        for line in error.format().splitlines():
            print(f"\t {line}", file=self.out)
