"""The benchmark's own logic: comparisons with tracr's figures, targets, accuracy
counting, input drawing, tables, files, the capped worker and the command line.

Expected values are worked by hand here (ratios, differences, which target a
made-up row meets) or come from the reference interpreter; no timing is asserted.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rasp.errors import RaspNameError
from raspc.errors import InputError
from benchmark import measure as bench_measure
from benchmark.main import Plan, build_parser, plan_from_args, run_benchmark
from benchmark.plots import write_plots
from benchmark.measure import Config, Row, count_matches, random_inputs, sweep_vocab
from benchmark.report import Results, comparison_table, from_json, main_table, read, report, to_json, \
    vocab_table, write
from benchmark.tracr import TRACR_FIGURES, Comparison, TracrFigure, compare, targets
from benchmark.worker import CappedWorker

ROOT = Path(__file__).resolve().parents[2]

FIGURE = TracrFigure("reverse", "reverse", 20, layers=4, d_model=100, d_mlp=50, params=10_000,
                     compile_seconds=2.0, accuracy=0.5)


def good_row(**changes) -> Row:
    """A row that meets every target against FIGURE; ``changes`` spoil it."""
    row = Row("reverse", 20, vocab_size=4, layers=2, heads=2, d_model=40, d_mlp=20, params=4_000,
              compile_seconds=0.01, checked=1000, matched=1000, skipped=0, interpreter_seq_per_s=1_000.0,
              forward_seq_per_s={"1": 500.0, "1024": 200_000.0}, stage="done")
    for name, value in changes.items():
        setattr(row, name, value)
    return row


# ------------------------------------------------------------------ tracr comparison

def test_ratio_and_layer_difference_against_tracr():
    comparison = Comparison(FIGURE, good_row(params=2_500, layers=5))
    assert comparison.params_ratio == pytest.approx(0.25)  # 2,500 / 10,000
    assert comparison.layers_difference == 1               # 5 - 4


def test_a_row_that_meets_every_target():
    met = targets(good_row(), FIGURE)
    assert met.all_met()


@pytest.mark.parametrize("changes, spoiled", [
    ({"layers": 5}, "layers"),                               # deeper than tracr's 4
    ({"params": 5_001}, "params"),                           # over half of 10,000
    ({"matched": 999}, "accuracy"),                          # one input wrong
    ({"compile_seconds": 0.5}, "compile"),                   # the target is strictly under 0.5 s
    ({"forward_seq_per_s": {"1024": 99_000.0}}, "speedup"),  # 99x the interpreter's 1,000/s
])
def test_each_target_fails_on_its_own(changes, spoiled):
    met = targets(good_row(**changes), FIGURE)
    assert getattr(met, spoiled) is False
    assert all(getattr(met, other) is True for other in ("layers", "params", "accuracy", "compile", "speedup")
               if other != spoiled)


def test_boundaries_are_inclusive_where_the_target_says_at_most():
    met = targets(good_row(params=5_000, layers=4, forward_seq_per_s={"1024": 100_000.0}), FIGURE)
    assert met.params and met.layers and met.speedup


def test_compile_target_depends_on_max_len():
    assert targets(good_row(max_len=64, compile_seconds=4.9), None).compile is True
    assert targets(good_row(max_len=64, compile_seconds=5.0), None).compile is False
    assert targets(good_row(max_len=40, compile_seconds=0.1), None).compile is None  # no target stated at 40
    assert targets(good_row(), None).layers is None  # no tracr figure, no layer target


def test_a_failed_row_cannot_be_judged():
    met = targets(Row("reverse", 20, error="does not compile"), FIGURE)
    assert (met.layers, met.params, met.accuracy, met.compile, met.speedup) == (None,) * 5
    assert not met.all_met()


def test_compare_pairs_rows_with_figures_by_program_and_max_len():
    rows = [Row("sort", 10, layers=2, params=100), Row("hist", 5)]
    comparisons = compare(rows)
    assert [(c.figure.program, c.figure.max_len) for c in comparisons] == [("hist", 20), ("sort", 10), ("sort", 20)]
    assert comparisons[0].row is None and comparisons[2].row is None
    assert comparisons[1].row is rows[0]


def test_tracr_figures_cover_the_comparison_set():
    assert {f.program for f in TRACR_FIGURES} == {"length", "reverse", "hist", "sort", "most_freq", "dyck1", "dyck2"}
    assert all((ROOT / "programs" / f"{f.program}.rasp").exists() for f in TRACR_FIGURES)


# ------------------------------------------------------------------ accuracy and inputs

def test_count_matches_exact_for_categories_tolerant_for_numbers():
    expected = [["a", "b"], [1.0, 2.0], [1.0], None, [3]]
    got = [["a", "b"], [1.00005, 1.99996], [1.001], ["x"], [4]]
    # matches: the categories, the numbers within 1e-4; not: 1.001 (off by 1e-3), 4 for 3; skipped: None
    assert count_matches(got, expected) == (4, 2, 1)


def test_count_matches_a_category_must_be_equal_not_close():
    assert count_matches([["b"], ["a", "a"]], [["a"], ["a"]]) == (2, 0, 0)


def test_sweep_vocab_keeps_the_kind_and_the_order():
    assert sweep_vocab((0, 1, 2), 4) == (0, 1, 2, 3)
    strings = sweep_vocab(("a", "b"), 100)
    assert len(set(strings)) == 100 and strings[0] == "t00" and strings[99] == "t99"
    assert sorted(strings) == list(strings)  # string order is the numeric order


def test_random_inputs_lengths_tokens_and_seed():
    drawn = random_inputs(("a", "b", "c"), 6, 300, seed=3)
    assert len(drawn) == 300
    assert {len(tokens) for tokens in drawn} == set(range(1, 7))
    assert {t for tokens in drawn for t in tokens} == {"a", "b", "c"}
    assert random_inputs(("a", "b", "c"), 6, 300, seed=3) == drawn
    assert random_inputs(("a", "b", "c"), 6, 300, seed=4) != drawn


def test_rate_from_the_fastest_call_and_the_mean():
    """Calls of 0.1, 0.05 and 0.1 s on a batch of 10 (a made-up clock): the timing stops
    once 0.2 s are spent; the fastest call gives 10 / 0.05, all of them 30 / 0.25."""
    ticks = iter([0.0, 0.1, 1.0, 1.05, 2.0, 2.1])

    class Done:
        def block_until_ready(self):
            return self

    class Batch:
        shape = (10, 4)

    rate = bench_measure.sequences_per_second(lambda ids: Done(), Batch(), clock=lambda: next(ticks))
    assert rate.best == pytest.approx(200.0) and rate.mean == pytest.approx(120.0)


def test_interpreter_passes_and_forward_windows_in_turn():
    """Made-up passes of 0.5, 0.3 and 0.4 CPU seconds and windows of rising rates:
    pass, window, pass, window, pass, window; the fastest pass (with its own
    wall-clock time) and the fastest window's best call count, the mean is the
    windows' means averaged. A first pass over the budget runs alone, and the
    windows go on without passes."""
    order: list[str] = []
    passes = iter([(0.3, 0.31), (0.4, 0.41)])
    windows = iter([bench_measure.Rate(10.0, 8.0), bench_measure.Rate(30.0, 20.0), bench_measure.Rate(20.0, 11.0)])

    def interpreter_pass():
        order.append("pass")
        return next(passes)

    def forward_window():
        order.append("window")
        return next(windows)

    fastest, rate = bench_measure.alternate_timings(interpreter_pass, forward_window, (0.5, 0.52))
    assert order == ["window", "pass", "window", "pass", "window"]
    assert fastest == (0.3, 0.31) and rate.best == 30.0 and rate.mean == pytest.approx(13.0)

    slow = bench_measure.INTERPRETER_BUDGET_SECONDS + 1.0
    fastest, rate = bench_measure.alternate_timings(lambda: pytest.fail("a second pass ran"),
                                                    lambda: bench_measure.Rate(5.0, 4.0), (slow, slow))
    assert fastest == (slow, slow) and rate.best == 5.0


def test_measure_a_small_configuration(monkeypatch):
    """hist at max_len 4, in process: every random input right by the interpreter."""
    monkeypatch.setattr(bench_measure, "MIN_TIMING_SECONDS", 0.0)
    row = Row("hist", 4)

    def emit(**fields):
        for name, value in fields.items():
            setattr(row, name, value)

    bench_measure.measure(Config("hist", 4, repeats=2, samples=40, batches=(1, 16)), emit)
    assert row.stage == "done"
    assert (row.checked, row.matched, row.skipped) == (40, 40, 0)
    assert len(row.compile_runs) == 2 and row.compile_seconds > 0
    assert set(row.forward_seq_per_s) == {"1", "16"} and row.interpreter_seq_per_s > 0
    assert row.forward_pass == "packed" and row.dense_forward_seq_per_s > 0


def test_measure_names_a_missing_program():
    with pytest.raises(RaspNameError, match="no program 'nope'"):
        bench_measure.measure(Config("nope", 4), lambda **fields: None)


# ------------------------------------------------------------------ tables and files

def test_main_table_cells_and_failures():
    rows = [good_row(params=1_234_567, dense_forward_seq_per_s=50_000.0),
            Row("sort", 64, error="values too close together", stage="compile"),
            Row("dyck2", 40, params=10, timed_out=True, stage="verify")]
    text = main_table(rows, (1, 1024))
    assert ("| reverse | 20 | 4 | 2 | 2 | 40 | 20 | 1,234,567 | 0.010 | 100.0% | 1,000 | 500 | 200,000 | 50,000 "
            "| 200x | ok |" in text)
    assert "| sort | 64 |" in text and "- sort, max_len 64: fails: values too close together" in text
    assert "timed out (verify)" in text


def test_comparison_table_row():
    text = comparison_table([Comparison(FIGURE, good_row(params=2_500, layers=5))])
    assert "| reverse | 20 | 5 / 4 | 40 / 100 | 20 / 50 | 2,500 / 10,000 | 0.250 | +1 |" in text
    assert "| NO | yes | yes | yes | yes |" in text  # only the layer target missed
    text = comparison_table([Comparison(FIGURE, None)])
    assert "not run" in text


def test_vocab_table_row():
    row = Row("hist", 10, vocab_size=100, layers=1, d_model=114, d_mlp=11, params=62_711, compile_seconds=0.3,
              compile_runs=[0.3, 0.3, 0.4], stage="done")
    assert "| hist | 10 | 100 | 1 | 114 | 11 | 62,711 | 0.300 | 3 | ok |" in vocab_table([row])


def test_results_round_trip_through_json(tmp_path):
    plan = Plan(("reverse",), (20,), ("hist",), (10,), (10,))
    environment = {"date": "2026-01-01T00:00:00Z", "backend": "cpu", "devices": ["cpu:0"], "cpus": 2,
                   "cpu": "x", "python": "3", "jax": "0", "numpy": "2", "raspc": "0.1.0", "commit": None}
    results = Results(plan.settings() | {"timeout_seconds": 5.0}, environment, [good_row()],
                      [Row("hist", 10, vocab_size=10, params=5, stage="done")], wall_seconds=1.5)
    write(results, tmp_path)
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["rows"][0]["accuracy"] == 1.0 and data["rows"][0]["speedup_at_1024"] == pytest.approx(200.0)
    assert data["tracr"]["figures"][0]["program"] == "length"
    again = read(tmp_path)
    assert again.rows == results.rows and again.vocab_rows == results.vocab_rows
    assert report(again) == (tmp_path / "results.md").read_text()
    assert from_json(to_json(results)).settings == results.settings


def test_plots_are_png_files(tmp_path):
    rows = [Row("hist", n, params=10 * n, compile_seconds=0.01 * n) for n in (5, 10)] + [Row("sort", 5, error="x")]
    vocab_rows = [Row("hist", 10, vocab_size=v, params=v, compile_seconds=0.1) for v in (10, 100)]
    paths = write_plots(rows, vocab_rows, tmp_path)
    assert [p.name for p in paths] == ["max_len.png", "vocab_size.png"]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in paths)


# ------------------------------------------------------------------ the capped worker

def _emit_then_sleep(task, emit):
    emit(stage="slow", params=task)
    time.sleep(60)


def _start_then_sleep(task, emit):
    emit(stage="slow")
    time.sleep(60)


def _refuse(task, emit):
    raise InputError(f"cannot measure {task}")


def _emit_and_finish(task, emit):
    emit(params=task * 2)


def test_worker_caps_a_slow_task_and_keeps_what_it_emitted():
    seen = {}
    with CappedWorker(_emit_then_sleep) as worker:
        outcome = worker.run(7, cap_seconds=1.5, on_fields=seen.update)
    assert outcome.status == "timed_out"
    assert seen == {"stage": "slow", "params": 7}


def test_worker_reports_errors_and_goes_on():
    seen = {}
    with CappedWorker(_refuse) as worker:
        first = worker.run("a", cap_seconds=30.0, on_fields=seen.update)
        second = worker.run("b", cap_seconds=30.0, on_fields=seen.update)
    assert (first.status, first.message) == ("error", "cannot measure a")
    assert (second.status, second.message) == ("error", "cannot measure b")


def test_run_benchmark_records_timeouts_and_finishes(tmp_path):
    """The run goes on past a configuration that overruns its cap, and writes its files."""
    plan = Plan(("hist", "sort"), (3,), (), (), (), timeout_seconds=1.5)
    out = tmp_path / "log.txt"
    with out.open("w") as stream:
        results = run_benchmark(plan, tmp_path, out=stream, plots=False, target=_start_then_sleep,
                                prepare_worker=None)
    assert [r.timed_out for r in results.rows] == [True, True]
    assert "timed out during slow" in out.read_text()
    assert "timed out (slow)" in (tmp_path / "results.md").read_text()


def test_worker_passes_fields_through():
    seen = {}
    with CappedWorker(_emit_and_finish) as worker:
        outcome = worker.run(21, cap_seconds=30.0, on_fields=seen.update)
    assert outcome.status == "done" and seen == {"params": 42}


# ------------------------------------------------------------------ command line

def test_quick_plan_and_explicit_options():
    quick = plan_from_args(build_parser().parse_args(["--quick"]))
    assert quick.programs == ("length", "reverse", "hist", "sort") and quick.max_lens == (5, 10)
    chosen = plan_from_args(build_parser().parse_args(
        ["--quick", "--programs", "dyck1", "--max-lens", "64", "--no-vocab-sweep", "--batches", "8"]))
    assert chosen.programs == ("dyck1",) and chosen.max_lens == (64,) and chosen.vocab_configs() == []
    assert chosen.configs()[0].batches == (8,)


@pytest.mark.parametrize("argv, message", [
    (["--programs", "nope"], "no program 'nope'"),
    (["--max-lens", "0"], "--max-lens must be at least 1"),
    (["--timeout", "0"], "--timeout must be positive"),
])
def test_bad_options_are_one_line_errors(argv, message):
    with pytest.raises(InputError, match=message):
        plan_from_args(build_parser().parse_args(argv))


def test_module_exits_2_with_one_line():
    done = subprocess.run([sys.executable, "-m", "benchmark.main", "--programs", "nope", "--out-dir", "/nonexistent"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "no program 'nope'" in done.stderr and "Traceback" not in done.stderr
