"""The RASP language: parse, stage and evaluate programs of the original RASP.

    >>> import rasp
    >>> program = rasp.stage(rasp.parse('reverse = aggregate(select(indices, length - indices - 1, ==), tokens);'))
    >>> rasp.evaluate(program.names["reverse"], "abc")
    ['c', 'b', 'a']

``load_program(path)`` does both steps for a file (``load`` statements resolved beside
it); ``Program.examples`` holds the file's example statements such as ``reverse("abc");``.
"""
from __future__ import annotations

from rasp.interpreter import evaluate
from rasp.ir import Program
from rasp.parser import parse
from rasp.stage import load_program, stage

__all__ = ["parse", "stage", "load_program", "evaluate", "Program"]
