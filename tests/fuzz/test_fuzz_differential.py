"""Differential testing: random well-typed programs, compiled, against the interpreter.

Every program from ``fuzz.generator`` is staged, compiled and run on every input up to
its max_len (or a seeded sample) through the dense pass, and some through the packed
pass users run; the reference interpreter gives the expected outputs. CI runs 2,000
small programs, each on at most 128 inputs, 20 of them through the packed pass too,
and two programs of each larger size (max_len up to 64, up to 20 tokens) through
both; ``RASPC_FUZZ=full`` runs 20,000 programs of the full short range and 500 of each
larger size, all through both passes (``make fuzz`` runs the same through ``raspc
fuzz``). A mismatch or crash is shrunk and saved into a temporary folder, never into
the source tree.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

from cli.main import main
from fuzz import check
from fuzz.differential import DifferentialReport, DifferentialRun, command_runs, run_differential
from fuzz.generator import FULL, LARGE, MEDIUM, SMALL, generate
from fuzz.inputs import QUICK, THOROUGH
from rasp import ir
from rasp.parser import parse
from rasp.stage import stage
from runtime.outputs import same_output

FULL_RUN = os.environ.get("RASPC_FUZZ") == "full"
PROGRAMS = 20_000 if FULL_RUN else 2_000
#: CI runs one program in this many through the packed pass (a jit compilation each).
PACKED_EVERY = 1 if FULL_RUN else 100
LARGER = 500 if FULL_RUN else 2
WORKERS = (os.cpu_count() or 2) if FULL_RUN else 2


def _staged(source: str) -> ir.Program:
    return stage(parse(source, "<test>"))


def _failures(report: DifferentialReport) -> str:
    return "\n\n".join(f"{f.status} in {f.failed_passes} on {f.input!r}: expected {f.expected!r}, got {f.got!r} "
                       f"{f.detail}\n{f.source}" for f in report.failures)


def test_same_output_compares_categorically_and_numerically():
    assert same_output(["a", True, 2], ["a", True, 2])
    assert same_output([0.5, 2], [0.50005, 2.0])
    assert not same_output([0.5], [0.5002])
    assert not same_output([True], [1])
    assert not same_output(["a"], ["b"])
    assert not same_output([1, 2], [1])


@pytest.mark.slow
def test_compiled_random_programs_agree_with_the_interpreter(tmp_path):
    """The differential test proper (2,000 programs in CI, 20,000 under make fuzz)."""
    run = DifferentialRun(PROGRAMS, seed=100_000 if FULL_RUN else 0, config=FULL if FULL_RUN else SMALL,
                          plan=THOROUGH if FULL_RUN else QUICK, packed_every=PACKED_EVERY, save_to=tmp_path)
    report = run_differential(run, workers=WORKERS)
    print(f"\ndifferential: {report.programs} programs, {report.inputs_checked} inputs, "
          f"{report.packed_checked} through the packed pass, {report.mismatches} mismatches "
          f"{report.mismatches_by_pass}, {report.crashes} crashes, {report.compile_errors} compile errors, "
          f"{report.invalid} invalid, {report.seconds:.1f}s; compile errors: {report.compile_error_reasons}")
    assert report.programs == PROGRAMS
    assert report.packed_checked == len(range(0, PROGRAMS, PACKED_EVERY))
    assert report.invalid == 0, "the generator wrote programs the interpreter rejects"
    # The fuzzer must keep exercising the compiler: few programs may be refused.
    assert report.compile_errors <= 0.1 * report.programs, report.compile_error_reasons
    assert report.mismatches == report.crashes == 0, _failures(report)


@pytest.mark.slow
@pytest.mark.parametrize("config", [MEDIUM, LARGE], ids=["medium", "large"])
def test_programs_of_the_larger_sizes_agree_through_both_passes(config, tmp_path):
    """max_len 9-15 over up to 12 tokens, and 16-64 over up to 20, on sampled inputs."""
    run = DifferentialRun(LARGER, seed=100_000 if FULL_RUN else 0, config=config,
                          plan=THOROUGH if FULL_RUN else QUICK, packed_every=1, save_to=tmp_path)
    report = run_differential(run, workers=WORKERS if FULL_RUN else 1)
    print(f"\ndifferential ({config.max_len}): {report.programs} programs, {report.inputs_checked} inputs, "
          f"{report.compile_errors} compile errors {report.compile_error_reasons}, {report.seconds:.1f}s")
    assert report.programs == report.packed_checked == LARGER
    assert report.invalid == 0, _failures(report)
    assert report.mismatches == report.crashes == 0, _failures(report)
    # A mean over many positions read as a category is a known limit of the compiler
    # (about 8% of LARGE's programs): refused, not wrong. Most programs must compile.
    assert report.compile_errors <= (0.2 * report.programs if FULL_RUN else report.programs - 1), \
        report.compile_error_reasons


def test_fuzz_command_prints_its_counts(capsys, tmp_path):
    status = main(["fuzz", "--programs", "4", "--sources", "30", "--seed", "5", "--packed-every", "2",
                   "--save", str(tmp_path), "--json"])
    report = json.loads(capsys.readouterr().out)
    differential, frontend = report["differential"], report["frontend"]
    assert differential["programs"] == 4 and differential["packed_checked"] == 2
    assert list(report["sizes"]) == ["small"]
    assert differential["ok"] + differential["mismatches"] + differential["crashes"] + \
        differential["compile_errors"] + differential["invalid"] == 4
    assert frontend["sources"] == 30
    assert status == (1 if differential["mismatches"] or differential["crashes"] or differential["invalid"] or
                      frontend["uncaught"] or frontend["timeouts"] or frontend["without_location"] else 0)


def test_fuzz_command_keeps_findings_in_a_temporary_folder(capsys, monkeypatch, tmp_path):
    """By default findings go into a new folder under the temporary directory; when
    there are none, the folder is removed again and none is printed."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    main(["fuzz", "--programs", "2", "--sources", "0", "--packed-every", "0", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert report["differential"]["mismatches"] == report["differential"]["crashes"] == 0
    assert report["findings_folder"] is None and list(tmp_path.iterdir()) == []


def test_the_command_adds_the_larger_sizes_with_full():
    runs = command_runs(200)
    assert list(runs) == ["small"] and runs["small"].config == SMALL and runs["small"].count == 200
    runs = command_runs(20_000, seed=7, full=True, packed_every=3, save_to=Path("findings"))
    assert list(runs) == ["full", "medium", "large"]
    assert [r.config for r in runs.values()] == [FULL, MEDIUM, LARGE]
    assert [r.count for r in runs.values()] == [20_000, 500, 500]
    assert all(r.seed == 7 and r.packed_every == 3 and r.save_to == Path("findings") for r in runs.values())
    assert list(command_runs(100, larger=2)) == ["small", "medium", "large"]


def test_a_crash_while_compiling_is_counted_shrunk_and_saved(monkeypatch, tmp_path):
    """A compiler that raises something other than a CompileError on one kind of
    program: the run goes on, and the finding is shrunk to a program that still has
    that kind of operation, and saved where the run says (and only there)."""
    real = check.compile_program

    def fragile(program):
        if any(isinstance(n, ir.SelectorWidth) for n in ir.ancestors(program.output_expr())):
            raise ZeroDivisionError("a planted fault")
        return real(program)

    monkeypatch.setattr(check, "compile_program", fragile)
    seeds = [s for s in range(60) if any(isinstance(n, ir.SelectorWidth) for n in
                                         ir.ancestors(_staged(generate(s, SMALL).source).output_expr()))][:1]
    report = run_differential(DifferentialRun(1, seed=seeds[0], config=SMALL, packed_every=0, save_to=tmp_path))
    assert report.programs == 1 and report.crashes == 1 and report.mismatches == 0
    failure = report.failures[0]
    assert failure.status == "crash" and failure.detail.startswith("ZeroDivisionError while compiling")
    assert "selector_width" in failure.source
    assert len(failure.source) <= len(generate(seeds[0], SMALL).source)
    assert Path(failure.saved).parent == tmp_path and len(list(tmp_path.iterdir())) == 1
    saved = Path(failure.saved).read_text()
    assert saved.startswith("# Found by the differential fuzzer: crash: ZeroDivisionError")
