"""Running ``raspc`` in process from a test: the exit status and what it printed."""
from __future__ import annotations

from cli.main import main


def cli(capsys, *argv) -> tuple[int, str, str]:
    """``raspc ARGV...`` through ``cli.main.main`` (paths may be ``Path``s):
    (exit status, standard output, standard error)."""
    status = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


#: Two small programs the command tests compile: each token's count, and the reversal.
HIST = """\
@vocab "abc";
@max_len 4;
@output hist;
hist = selector_width(select(tokens, tokens, ==));
hist("aab");
"""

REVERSE = """\
@vocab "abc";
@max_len 4;
@output reverse;
flip = select(indices, length - indices - 1, ==);
reverse = aggregate(flip, tokens);
"""


def write_program(folder, name: str, source: str) -> str:
    """``source`` written as ``folder/name.rasp``; its path."""
    path = folder / f"{name}.rasp"
    path.write_text(source)
    return str(path)
