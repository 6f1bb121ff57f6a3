"""The shrinker (``fuzz.shrink``): it keeps the failure and removes what does not carry it."""
from __future__ import annotations

from rasp import ir
from rasp.parser import parse
from rasp.stage import stage
from raspc.errors import RaspcError
from fuzz.generator import generate
from fuzz.shrink import shrink


def _staged(source: str) -> ir.Program:
    return stage(parse(source, "<test>"))


def _has_width(source: str) -> bool:
    return any(isinstance(n, ir.SelectorWidth) for n in ir.ancestors(_staged(source).output_expr()))


def test_shrink_keeps_the_failure_and_removes_the_rest():
    """A synthetic failure (the output reads a selector_width): the shrunk program
    still shows it, is smaller, and losing any one more statement loses it."""
    seed = next(s for s in range(200) if "selector_width" in generate(s).source and
                _has_width(generate(s).source) and generate(s).source.count("\n") > 5)
    original = generate(seed).source
    small = shrink(original, _has_width)
    assert _has_width(small)
    assert len(small) < len(original)
    lines = [l for l in small.split("\n") if l.strip()]
    for k in range(1, len(lines)):
        fewer = "\n".join(lines[:k] + lines[k + 1:]) + "\n"
        try:
            assert not _has_width(fewer)
        except RaspcError:
            pass


def test_shrink_reaches_the_program_worked_out_by_hand():
    """The failure: the output is computed with a ``-``. Everything else goes: the
    unused statement; the alias ``y = x`` (inlined, so the output becomes ``x``); the
    ``+ 1`` (the group is replaced by its operand); max_len down to 1; the tokens
    but one (each candidate drops the first that is left, so ``"c"`` stays)."""
    source = ('@vocab {"a", "b", "c"}; @max_len 6; @output y;\n'
              "unused = indices * 2;\n"
              "x = ((indices - 1) + 1);\n"
              "y = x;\n")

    def uses_minus(candidate: str) -> bool:
        return "-" in candidate and _staged(candidate).output is not None

    assert shrink(source, uses_minus) == '@vocab {"c"}; @max_len 1; @output x;\nx = (indices - 1);\n'


def test_a_candidate_that_raises_counts_as_not_failing():
    source = "@vocab {1, 2}; @max_len 2; @output y;\ny = indices + 1;\n"

    def fragile(candidate: str) -> bool:
        if candidate != source:
            raise ValueError("this candidate breaks the check")
        return True

    assert shrink(source, fragile) == source


def test_shrink_stops_after_max_attempts():
    calls = []

    def never(candidate: str) -> bool:
        calls.append(candidate)
        return False

    assert shrink(generate(3).source, never, max_attempts=7) == generate(3).source
    assert len(calls) == 7
