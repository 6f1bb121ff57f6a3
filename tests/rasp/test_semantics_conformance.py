"""Conformance with the original RASP interpreter (tech-srl/RASP, MIT licence).

The inputs and the expected REPL transcripts are the original repository's own test
data, copied under ``tests/data/original_conformance`` (see its README). Each test
runs an input through ``raspc eval`` and compares the printed results with the
original's transcript, line by line, leaving out the lines about inputs the original
rejected (those inputs are not in the copies).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from rasp.interpreter import evaluate
from rasp.stage import load_file, load_program
from cli.main import main

DATA = Path(__file__).resolve().parents[1] / "data" / "original_conformance"
ORIGINAL = Path(__file__).resolve().parents[1] / "data" / "original"


def transcript_lines(text: str) -> list[str]:
    """The result lines of an original REPL transcript: prompts, headers and the
    messages about rejected inputs removed."""
    lines = []
    for line in text.splitlines():
        if line.startswith("# "):
            continue
        while line.startswith((">> ", ".. ")):
            line = line[3:]
        if line in (">>", "..") or not line.strip():
            continue
        if line.startswith(("RASP 0.", "running example is:", "\t\t!!ignoring input:")):
            continue
        if line.startswith("\t ") and not line.startswith("\t = "):
            continue  # the text of an error message
        lines.append(line)
    return lines


def eval_lines(capsys, path: Path, *flags) -> list[str]:
    status = main(["eval", str(path), *flags])
    out = capsys.readouterr().out
    assert status == 0
    return [line for line in out.splitlines() if line.strip()]


@pytest.mark.parametrize("name", ["paper_examples_run", "indexing", "simple_sequences", "set_reserved"])
def test_transcript_matches_the_original(capsys, name):
    expected = transcript_lines((DATA / f"{name}.tgt").read_text(encoding="utf-8"))
    assert eval_lines(capsys, DATA / f"{name}.rasp") == expected


def test_rover_stress_test_matches_the_original(capsys):
    expected = transcript_lines((DATA / "rover_run.tgt").read_text(encoding="utf-8"))
    got = [line for line in eval_lines(capsys, DATA / "rover_run.rasp") if line.startswith("\t = ")]
    assert got == expected


def test_rover_json_values(capsys):
    # the answers written beside each example in the original program
    answers = "TF?TTFFF?FTTFF?TFTFFTT"
    status = main(["eval", str(DATA / "rover_run.rasp"), "--json"])
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert status == 0 and len(records) == len(answers)
    for record, answer in zip(records, answers):
        assert record["output"] == [answer] * len(record["input"])


def test_stay_constant(capsys):
    # tests/in/stay_constant.txt: rebinding a name never changes what another name holds
    assert eval_lines(capsys, DATA / "stay_constant.rasp") == [
        "    value: a =  4", "    value: b =  4", "    value: a =  3",
        "    value: a =  3", "    value: b =  4",
        "     s-op: a", ' \t Example: a("hello") = [0, 1, 2, 3, 4] (ints)',
        "     s-op: b", ' \t Example: b("hello") = [0, 1, 2, 3, 4] (ints)',
        "     s-op: a", ' \t Example: a("hello") = [1, 2, 3, 4, 5] (ints)',
        "     s-op: a", ' \t Example: a("hello") = [1, 2, 3, 4, 5] (ints)',
        "     s-op: b", ' \t Example: b("hello") = [0, 1, 2, 3, 4] (ints)',
    ]


# ------------------------------------------------ the original's programs and test inputs

def test_original_eval_rasp():
    program = load_program(str(ORIGINAL / "eval.rasp"))
    (example,) = program.examples
    assert evaluate(example.target, example.input) == [4, 5, 6, 7, 8]


def test_original_multi_assigns():
    staged = load_file(str(ORIGINAL / "multi_assigns3.rasp"))
    values = {d.name: d.value for d in staged.displays if d.kind == "value"}
    # a=4; b=3; a=a+b; b=b+a; c,d=5,6; d=d+c; b=8
    assert values == {"a": 7, "b": 8, "c": 5, "d": 11}


def test_original_simple_assignments(capsys):
    lines = eval_lines(capsys, ORIGINAL / "simple_assignments.rasp")
    # .github/workflows/tests/tgt/simple_assignments.txt: a, b, then c on "hello"; the loop prints nothing
    assert lines == ["    value: a =  3", "    value: b =  5", "     s-op: c",
                     ' \t Example: c("hello") = [4, 5, 6, 7, 8] (ints)']


def test_original_exit_and_quit_stop_the_file(capsys):
    assert eval_lines(capsys, ORIGINAL / "exit_fun.rasp") == []
    assert eval_lines(capsys, ORIGINAL / "quit_fun.rasp") == []


def test_original_whitespace_okay(capsys):
    expected = transcript_lines((DATA / "whitespace_okay.tgt").read_text(encoding="utf-8"))
    assert eval_lines(capsys, ORIGINAL / "whitespace_okay.rasp") == [line for line in expected if line.strip()]


def test_original_long_addition():
    program = load_program(str(ORIGINAL / "long_addition.rasp"))
    longsum = program.names["longsum"]
    for a, b in [(123, 456), (999, 1), (58, 67), (5, 5)]:
        text = f"{a}+{b}"
        out = evaluate(longsum, tuple(text))
        digits = str(a + b).rjust(len(text), "0")[-len(text):]
        # the sum's digits are right-aligned with the input; other places hold whatever
        # the program computes there, so compare the last len(str(a+b)) positions
        width = len(str(a + b))
        assert "".join(str(v) for v in out[-width:]) == digits[-width:]


def test_original_paper_examples_older_version():
    # tests/data/original/paper_examples.rasp is the version before `round` was added:
    # its dyck2 on this input matches .github/workflows/tests/tgt/paper_examples.txt
    program = load_program(str(ORIGINAL / "paper_examples.rasp"))
    out = evaluate(program.names["dyck2_ptf"], tuple("{{({(){}()})}({}){}{}}{(({}(){}))}{}(){}({}(){()(){}}){)()}"))
    assert "".join(out) == "P" * 21 + "T" + "P" * 4 + "F" * 33
