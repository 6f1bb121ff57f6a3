"""``raspc eval``: run a file's example statements in the reference interpreter.

Each top-level statement prints what the original RASP REPL prints for it: an
s-op applied to an input (reverse("abc");) prints its values; a bare s-op or
selector, or an assignment of one, prints its name and its values on the running
example ("hello" unless `set example` changed it); an atom, list or dict prints its
value. With --json, each expression statement that evaluates an s-op or a selector
prints one JSON object instead (assignments print nothing).
"""
from __future__ import annotations

import argparse
import sys
from typing import TextIO

from cli.drawings import add_draw_option, write_drawing
from cli.inputs import add_input_options, extra_input
from cli.transcript import emit, format_atom
from rasp.stage import Display, load_file, stage_source

EXAMPLES = """examples:
  raspc eval programs/reverse.rasp                  every example statement, as the RASP REPL prints it
  raspc eval programs/reverse.rasp --input abcd     ... and one more input, on the declared output
  raspc eval programs/sort.rasp --input "[3,1,2]" --output sorted_tokens
  echo 'x = indices + 1; x("abc");' | raspc eval -   the program from standard input
  raspc eval programs/sort.rasp --draw-dir pics     draw(sop, "abc"); statements write pics/NAME.svg
  raspc eval programs/reverse.rasp --json           one JSON object per line:
      {"expr": "reverse(\\"abcd\\")", "name": "reverse", "input": ["a", ...], "output": ["d", ...]}
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "eval", help="run a file's examples in the reference interpreter",
        description=__doc__.split("\n\n")[1], epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", metavar="FILE.rasp", help="the RASP program (- reads it from standard input)")
    add_input_options(parser)
    add_draw_option(parser)
    parser.add_argument("--output", metavar="NAME",
                        help="the s-op to run the extra input on (default: the file's @output)")
    parser.add_argument("--json", action="store_true", help="one JSON object per result, one per line")
    parser.add_argument("--search-path", metavar="DIR", action="append", default=[],
                        help="another folder where `load` looks for files")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    if args.file == "-":
        staged = stage_source(sys.stdin.read(), "<stdin>", tuple(args.search_path))
    else:
        staged = load_file(args.file, tuple(args.search_path))
    for display in staged.displays:
        if display.kind == "draw":
            path = write_drawing(display, getattr(args, "draw_dir", None))
            print(f"drew {display.name}({format_atom(display.example)}) into {path}",
                  file=sys.stderr if args.json else out)
            continue
        emit(display, args.json, out)
    extra = extra_input(args)
    if extra is not None:
        name = args.output or staged.program.output
        target = staged.program.output_expr(name)
        shown = "".join(extra) if all(isinstance(t, str) and len(t) == 1 for t in extra) else list(extra)
        text = f"{name}({format_atom(shown)})"
        emit(Display("example", text, name, target, extra, None), args.json, out)
    return 0
