"""Differential testing: random well-typed programs, compiled, against the interpreter.

Every program from ``fuzz.random_programs`` is staged, compiled and run on every
input up to its max_len (or a seeded sample); the reference interpreter gives the
expected outputs. CI runs 2,000 small programs, each on at most 128 inputs;
``RASPC_FUZZ=full`` runs 20,000 larger ones on up to 400 (``make fuzz`` runs the same
through ``raspc fuzz``). A mismatch or crash is shrunk and saved under tests/regressions/.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
import random
import re

import pytest

from rasp import ir
from raspc.errors import RaspcError
from rasp.interpreter import evaluate
from rasp.parser import parse
from fuzz.random_programs import FULL, SMALL, generate, shrink
from rasp.stage import stage
from cli.commands.fuzz import (QUICK, THOROUGH, InputPlan, Outcome, SharedRunner, check_source,
                                           inputs_for, run_differential, save_regression)
from runtime.outputs import same_output

FULL_RUN = os.environ.get("RASPC_FUZZ") == "full"
PROGRAMS = 20_000 if FULL_RUN else 2_000
WORKERS = (os.cpu_count() or 2) if FULL_RUN else 2


def _staged(source: str) -> ir.Program:
    return stage(parse(source, "<test>"))


def test_generation_is_deterministic_per_seed():
    assert generate(11).source == generate(11).source
    assert generate(11).source != generate(12).source


@pytest.mark.parametrize("config", [SMALL, FULL], ids=["small", "full"])
def test_generated_programs_stage_and_interpret_without_error(config):
    """The generator's promise, checked by the interpreter itself: no program it
    writes fails on any input (sampled for the larger ones)."""
    for seed in range(150):
        program = generate(seed, config)
        staged = _staged(program.source)
        assert staged.vocab == program.vocab and staged.max_len == program.max_len
        output = staged.output_expr()
        rng = random.Random(seed)
        for _ in range(30):
            tokens = tuple(rng.choice(program.vocab) for _ in range(rng.randint(1, program.max_len)))
            evaluate(output, tokens)  # raises RaspEvaluationError if the promise is broken


def test_generated_programs_cover_the_language():
    """Across a few hundred programs, every construct the generator promises appears."""
    text = "\n".join(generate(seed).source for seed in range(300))
    for construct in ("select(", "aggregate(", "selector_width(", "indicator(", "round(", "def ", "for c in",
                      " and ", " or ", "not ", " if ", " / ", " % ", "length", "tokens = tokens_int;",
                      "]["):
        assert construct in text, construct
    for op in ("==", "!=", "<", ">", "<=", ">="):
        assert re.search(rf"select\([^;]*, {re.escape(op)}\)", text), op
    assert re.search(r"\{[^{};]*: [^{};]*\}\[", text), "dict tables"
    assert re.search(r"return [^;]*, ", text), "functions with several returns"


def test_same_output_compares_categorically_and_numerically():
    assert same_output(["a", True, 2], ["a", True, 2])
    assert same_output([0.5, 2], [0.50005, 2.0])
    assert not same_output([0.5], [0.5002])
    assert not same_output([True], [1])
    assert not same_output(["a"], ["b"])
    assert not same_output([1, 2], [1])


def test_inputs_are_exhaustive_when_few_and_sampled_otherwise():
    assert len(inputs_for(("a", "b"), 3)) == 2 + 4 + 8
    many = inputs_for(("a", "b", "c", "d"), 8, seed=3)
    assert len(many) == 200 and many == inputs_for(("a", "b", "c", "d"), 8, seed=3)
    assert all(1 <= len(t) <= 8 for t in many)
    small = InputPlan(exhaustive=10, sampled=7)
    assert len(inputs_for(("a", "b"), 2, plan=small)) == 6
    assert len(inputs_for(("a", "b"), 3, plan=small)) == 7
    # CI's plan: every input up to length 5 over two tokens, up to length 4 over three
    assert len(inputs_for(("a", "b"), 5, plan=QUICK)) == 62
    assert len(inputs_for(("a", "b", "c"), 4, plan=QUICK)) == 120
    assert len(inputs_for(("a", "b", "c"), 5, plan=QUICK)) == QUICK.sampled


@pytest.mark.slow
def test_shared_runner_gives_what_runner_gives():
    """The padded, shared-jit path of the fuzzer against runtime.engine.forward.Runner itself."""
    from compiler import compile_program
    from runtime.engine.forward import Runner

    checked = 0
    for seed in range(12):
        program = _staged(generate(seed, SMALL).source)
        try:
            model = compile_program(program)
        except RaspcError:
            continue
        inputs = inputs_for(program.vocab, program.max_len, seed)[:60]
        for padded, plain in zip(SharedRunner(model).run(inputs), Runner(model).run(inputs)):
            assert same_output(plain, padded)
        checked += 1
    assert checked >= 8


def test_a_known_program_checks_out():
    source = ('@vocab {"a", "b", "c"}; @max_len 4; @output flip;\n'
              "flip = aggregate(select(indices, length - indices - 1, ==), tokens);\n")
    outcome = check_source(source)
    assert outcome.status == "ok" and outcome.n_inputs == 3 + 9 + 27 + 81


def test_shrink_keeps_the_failure_and_removes_the_rest():
    """A synthetic failure (the output reads a selector_width): the shrunk program
    still shows it, is smaller, and losing any one more statement loses it."""
    def has_width(source: str) -> bool:
        program = _staged(source)
        return any(isinstance(n, ir.SelectorWidth) for n in ir.ancestors(program.output_expr()))

    seed = next(s for s in range(200) if "selector_width" in generate(s).source and
                has_width(generate(s).source) and generate(s).source.count("\n") > 5)
    original = generate(seed).source
    small = shrink(original, has_width)
    assert has_width(small)
    assert len(small) < len(original)
    lines = [l for l in small.split("\n") if l.strip()]
    for k in range(1, len(lines)):
        fewer = "\n".join(lines[:k] + lines[k + 1:]) + "\n"
        try:
            assert not has_width(fewer)
        except RaspcError:
            pass


def test_saved_regressions_carry_what_they_showed(tmp_path):
    outcome = Outcome("mismatch", input=("a",), expected=["a"], got=["b"])
    path = save_regression("@vocab {\"a\"}; @max_len 1; @output x;\nx = tokens;\n", outcome, tmp_path)
    text = path.read_text()
    assert path.suffix == ".rasp" and "['a']" in text and "['b']" in text
    assert _staged(text).output == "x"


@pytest.mark.slow
def test_compiled_random_programs_agree_with_the_interpreter():
    """The differential test proper (2,000 programs in CI, 20,000 under make fuzz)."""
    report = run_differential(PROGRAMS, seed=0 if not FULL_RUN else 100_000, config=SMALL if not FULL_RUN else FULL,
                              save=True, workers=WORKERS, plan=QUICK if not FULL_RUN else THOROUGH)
    print(f"\ndifferential: {report.programs} programs, {report.inputs_checked} inputs, "
          f"{report.mismatches} mismatches, {report.crashes} crashes, {report.compile_errors} compile errors, "
          f"{report.invalid} invalid, {report.seconds:.1f}s; compile errors: {report.compile_error_reasons}")
    assert report.programs == PROGRAMS
    assert report.invalid == 0, "the generator wrote programs the interpreter rejects"
    # The fuzzer must keep exercising the compiler: few programs may be refused.
    assert report.compile_errors <= 0.1 * report.programs, report.compile_error_reasons
    assert report.mismatches == report.crashes == 0, "\n\n".join(
        f"{f['status']} on {f['input']!r}: expected {f['expected']!r}, got {f['got']!r} {f['detail']}\n{f['source']}"
        for f in report.failures)


def test_fuzz_command_prints_its_counts(capsys):
    from cli.main import main

    status = main(["fuzz", "--programs", "4", "--sources", "30", "--seed", "5", "--json"])
    report = json.loads(capsys.readouterr().out)
    differential, frontend = report["differential"], report["frontend"]
    assert differential["programs"] == 4
    assert differential["ok"] + differential["mismatches"] + differential["crashes"] + \
        differential["compile_errors"] + differential["invalid"] == 4
    assert frontend["sources"] == 30
    assert status == (1 if differential["mismatches"] or differential["crashes"] or differential["invalid"] or
                      frontend["uncaught"] or frontend["timeouts"] or frontend["without_location"] else 0)


def test_a_crash_while_compiling_is_counted_shrunk_and_saved(monkeypatch, tmp_path):
    """A compiler that raises something other than a CompileError on one kind of
    program: the run goes on, and the finding is shrunk to a program that still has
    that kind of operation, and saved."""
    import compiler

    real = compiler.compile_program

    def fragile(program):
        if any(isinstance(n, ir.SelectorWidth) for n in ir.ancestors(program.output_expr())):
            raise ZeroDivisionError("a planted fault")
        return real(program)

    monkeypatch.setattr(compiler, "compile_program", fragile)
    seeds = [s for s in range(60) if any(isinstance(n, ir.SelectorWidth) for n in
                                         ir.ancestors(_staged(generate(s, SMALL).source).output_expr()))][:1]
    report = run_differential(1, seed=seeds[0], config=SMALL, save=True, folder=tmp_path)
    assert report.programs == 1 and report.crashes == 1 and report.mismatches == 0
    failure = report.failures[0]
    assert failure["status"] == "crash" and failure["detail"].startswith("ZeroDivisionError while compiling")
    assert "selector_width" in failure["source"]
    assert len(failure["source"]) <= len(generate(seeds[0], SMALL).source)
    saved = (tmp_path / Path(failure["saved"]).name).read_text()
    assert saved.startswith("# Found by the differential fuzzer: crash: ZeroDivisionError")


def test_generator_keeps_floats_that_equal_integers_apart():
    """A mean times 0 is 0.0 where something is selected and 0 where nothing is: it
    may not index a list (found as an 'invalid' program, seed 104164 of the full run)."""
    from fuzz.random_programs import Abstract, _apply

    mean = Abstract("float", frozenset({0, 2.5, 5.0}))
    assert _apply(lambda x: x * 0, [mean]).kind == "float"
    assert _apply(lambda x: x * 0, [Abstract("int", frozenset({0, 2}))]).kind == "int"
