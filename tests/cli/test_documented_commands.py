"""Every ``raspc`` command the documentation shows runs, and exits as documented.

The commands are read from the text itself (README.md's and programs/README.md's
code blocks, and the epilog of ``raspc --help`` and of each subcommand's ``--help``),
so that an example added there is tested without touching this file. Each runs in
process through ``cli.main.main`` from the repository's root, in the order written;
a file written with ``-o`` goes to a temporary folder instead, and later commands that
name it read it there. ``raspc bench`` and ``raspc fuzz`` take from a minute to hours
as documented, so their examples are parsed (every option checked) but not run.
"""
from __future__ import annotations

import re
import io
import shlex
import sys
from pathlib import Path

import pytest

from cli.main import build_parser, main

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = (ROOT / "README.md", ROOT / "programs" / "README.md")
#: Subcommands whose examples are parsed, not run (documented as minutes to hours long);
#: so is a command that reads a file one of them would have written.
PARSED_ONLY = ("bench", "fuzz", "train")
#: Placeholders the documents use for "any bundled program".
PLACEHOLDERS = {"programs/X.rasp": "programs/reverse.rasp"}
#: Options that name a file or folder a command writes: sent to a temporary folder, so
#: that the test never writes into the repository.
OUTPUT_OPTIONS = ("-o", "--out", "--png", "--transformer-lens", "--html", "--draw-dir")
#: A documented exit status other than 0, by command line (none so far).
DOCUMENTED_STATUS: dict[str, int] = {}


def _command(line: str) -> str | None:
    """The command on a line of an example (its description, after two spaces or a
    ``#``, dropped), or None when the line shows none."""
    line = line.strip()
    if line.startswith("$ "):
        line = line[2:]
    if not line.startswith("raspc "):
        return None
    return re.split(r"\s{2,}|\s#", line, maxsplit=1)[0].strip()


def _code_block_lines(text: str) -> list[str]:
    lines, inside = [], False
    for line in text.splitlines():
        if line.strip().startswith("```"):
            inside = not inside
        elif inside:
            lines.append(line)
    return lines


def _epilogs() -> list[tuple[str, str]]:
    parser = build_parser()
    found = [("raspc --help", parser.epilog or "")]
    subparsers = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    found += [(f"raspc {name} --help", sub.epilog or "") for name, sub in subparsers.choices.items()]
    return found


def documented_commands() -> list[tuple[str, str]]:
    """(where, command) for every example, in document order."""
    commands = []
    for path in DOCUMENTS:
        for line in _code_block_lines(path.read_text()):
            if (command := _command(line)) is not None:
                commands.append((path.relative_to(ROOT).as_posix(), command))
    for where, epilog in _epilogs():
        for line in epilog.splitlines():
            if (command := _command(line)) is not None:
                commands.append((where, command))
    return commands


def test_the_documents_show_commands_of_every_kind():
    shown = {shlex.split(command)[1] for _, command in documented_commands()}
    assert {"eval", "compile", "run", "verify", "lens", "bench", "fuzz"} <= shown


@pytest.mark.slow
def test_every_documented_command_exits_as_documented(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    written: dict[str, str] = {}  # a file name as documented -> where it was written
    unwritten: set[str] = set()  # files only a parsed command would have written
    failures = []
    for where, command in documented_commands():
        argv = [PLACEHOLDERS.get(word, word) for word in shlex.split(command)[1:]]
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        if "<" in argv:  # a shell redirection: the named file on standard input
            source = argv[argv.index("<") + 1]
            monkeypatch.setattr(sys, "stdin", io.StringIO((ROOT / source).read_text(encoding="utf-8")))
            argv = argv[:argv.index("<")]
        if ">" in argv:  # standard output into a file: captured here instead
            argv = argv[:argv.index(">")]
        for k, word in enumerate(argv):
            if k and argv[k - 1] in OUTPUT_OPTIONS:
                argv[k] = written.setdefault(word, str(tmp_path / Path(word).name))
            elif word in written:
                argv[k] = written[word]
        if argv[0] in PARSED_ONLY:
            unwritten |= {argv[k] for k in range(1, len(argv)) if argv[k - 1] in OUTPUT_OPTIONS}
        if argv[0] in PARSED_ONLY or unwritten & set(argv):
            build_parser(argv[:1]).parse_args(argv)
            continue
        status = main(argv)
        captured = capsys.readouterr()
        if status != DOCUMENTED_STATUS.get(command, 0):
            failures.append(f"{where}: `{command}` exited {status}: {captured.err.strip()[-300:]}")
    assert not failures, "\n".join(failures)
