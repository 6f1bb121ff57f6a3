"""Front-end fuzzing: whatever text arrives, parse + stage end, within a time bound,
in a program or in a RaspcError that names a line and a column; never in another
exception.

Sources are real random programs damaged by byte flips, token deletions, insertions,
duplications and swaps, random unicode, deep nesting, huge literals and long lines
(``fuzz.mutate.mutate_source``), plus text made of the language's fragments
and of arbitrary characters. Hypothesis runs derandomized, so CI sees the same cases
every time; ``RASPC_FUZZ=full`` raises the counts to 100,000 sources in all.
"""
from __future__ import annotations

import os
import resource

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from fuzz.frontend import front_end, frontend_source, run_frontend
from fuzz.generator import SMALL, generate
from fuzz.mutate import mutate_source, random_source

FULL_RUN = os.environ.get("RASPC_FUZZ") == "full"
MUTATED = 30_000 if FULL_RUN else 1_000
TEXT = 20_000 if FULL_RUN else 1_000
FRAGMENTS = 20_000 if FULL_RUN else 500
LOOP = 30_000 if FULL_RUN else 500
SECONDS_PER_CASE = 5.0

def _settings(count: int):
    return settings(max_examples=count, derandomize=True, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))


def _assert_clean(source: str) -> None:
    found = front_end(source, SECONDS_PER_CASE)
    assert found.clean, f"{found.verdict}: {found.detail}\nsource: {source[:400]!r}"


@pytest.mark.slow
@given(seed=st.integers(0, 10 ** 9), damage=st.randoms(use_true_random=False))
@_settings(MUTATED)
def test_fuzz_mutated_programs(seed, damage):
    _assert_clean(mutate_source(generate(seed, SMALL).source, damage))


@given(text=st.text(max_size=300))
@_settings(TEXT)
def test_fuzz_random_unicode_text(text):
    _assert_clean(text)


@given(rng=st.randoms(use_true_random=False))
@_settings(FRAGMENTS)
def test_fuzz_fragments_of_the_language(rng):
    _assert_clean(random_source(rng))


@pytest.mark.slow
def test_fuzz_loop_counts_no_uncaught_exceptions():
    """The same fuzzer as ``raspc fuzz``: every source accepted or rejected with a place."""
    report = run_frontend(LOOP, seed=1)
    print(f"\nfront end: {report.sources} sources, {report.accepted} accepted, {report.rejected} rejected, "
          f"{report.uncaught} uncaught, {report.timeouts} timeouts, {report.seconds:.1f}s; {report.kinds}")
    assert not report.kinds, report.examples
    assert report.uncaught == report.timeouts == report.without_location == 0
    assert report.sources == report.accepted + report.rejected + report.uncaught + report.timeouts + \
        report.without_location


@pytest.mark.parametrize("source", [
    "x = " + "(" * 5000 + "1" + ")" * 5000 + ";",
    "x = " + "not " * 5000 + "True;",
    "x = " + "-" * 20000 + "1;",
    "x = [" + ", ".join(["1"] * 20_000) + "];",
    "x = indices + " + "9" * 100_000 + ";",
    'x = "' + "a" * 1_000_000 + '";',
    "x = " + " + ".join(["indices"] * 5000) + ";",
    "def f(a) { return f(a); }\nx = f(1);",
    "x = range(1000000000);",
    "x = [i for i in range(100000)];\ny = [a + b for a in x for b in x];",
], ids=["parens", "nots", "minus", "long-list", "huge-int", "huge-string", "long-sum", "recursion",
        "big-range", "big-comprehension"])
def test_fuzz_extremes_end_cleanly_in_bounded_memory(source):
    """Each ends within the time bound, and the process's peak memory grows by less
    than 1.5 GB (ru_maxrss only ever grows, so the growth bounds this case's peak)."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    _assert_clean(source)
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 1_500_000


@pytest.mark.parametrize("source", [
    "x = range(99999999999999999999);",
    "x = len(range(0 - 99999999999999999999, 99999999999999999999));",
    "x = [0] * 99999999999999999999;",
    'x = "ab" * 99999999999999999999;',
    "x = 2 ^ 9000;\nfor i in range(30) { x = x * x; }",
    "x = (0 - 8) ^ 0.5;",
    "@max_len 99999999999999999999;",
    "x = [1];\nfor i in range(40) { x = [x, x]; }\ny = x + indices;",
    "x = [1];\nfor i in range(100000) { x = [x]; }\ny = x == x + [];",
])
def test_fuzz_huge_values_are_rejected_with_a_place(source):
    """Once uncaught OverflowErrors (range beyond 2**63) and kin: now positioned errors."""
    found = front_end(source, SECONDS_PER_CASE)
    assert found.verdict == "rejected", found.detail


@pytest.mark.slow
def test_fuzz_frontend_split_among_processes_is_the_same_run():
    """Each source has its own seed, so ``raspc fuzz --workers`` fuzzes exactly the
    sources one process would."""
    assert frontend_source(2, 7) == frontend_source(2, 7) != frontend_source(3, 7)
    serial, split = run_frontend(24, seed=2), run_frontend(24, seed=2, workers=2)
    assert (serial.sources, serial.accepted, serial.rejected) == (split.sources, split.accepted, split.rejected)
    assert serial.sources == 24
