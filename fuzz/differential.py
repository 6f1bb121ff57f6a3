"""Differential testing of the compiler: many random programs, each compiled and checked
against the reference interpreter (``fuzz.check``), with the findings shrunk and saved.

Program ``seed`` is ``fuzz.generator.generate(seed, config)``, so a run is the same
whatever the number of processes it is split among. Every program runs through the
dense pass; the packed pass (what users run) costs a jit compilation per model, about
a second, so a run may check it on every ``packed_every``-th seed only.
"""
from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from fuzz.check import Outcome, check_source
from fuzz.findings import save_finding
from fuzz.generator import CONFIGS, FULL, LARGE, MEDIUM, SMALL, FuzzConfig, generate
from fuzz.inputs import THOROUGH, InputPlan
from fuzz.parallel import Slice, in_processes, slices
from fuzz.runners import BOTH, DENSE, ModelPass
from fuzz.shrink import shrink

#: Candidates the shrinker may check per finding.
SHRINK_ATTEMPTS = 400


@dataclass(frozen=True)
class DifferentialRun:
    """What a run checks: ``count`` programs from seed ``seed`` on, drawn from
    ``config``, each on the inputs ``plan`` gives, through the dense pass and, on
    every ``packed_every``-th seed (0: none), the packed one. Findings are shrunk
    (``shrink_failures``) and saved into ``save_to`` when it is set."""

    count: int
    seed: int = 0
    config: FuzzConfig = SMALL
    plan: InputPlan = THOROUGH
    packed_every: int = 1
    shrink_failures: bool = True
    save_to: Path | None = None

    def passes(self, seed: int) -> tuple[ModelPass, ...]:
        return BOTH if self.packed_every and seed % self.packed_every == 0 else (DENSE,)


@dataclass(frozen=True)
class Finding:
    """A mismatch or crash (shrunk), or a program the generator should not have
    written (``invalid``). ``failed_passes``: the forward passes that were wrong or
    raised; ``saved``: where the program was written, if it was."""

    seed: int
    status: str
    detail: str
    source: str
    input: list
    expected: list | None
    got: list | None
    failed_passes: tuple[str, ...] = ()
    saved: str | None = None


@dataclass(frozen=True)
class CompileErrorExample:
    seed: int
    detail: str


@dataclass
class DifferentialReport:
    """Counts over many programs. ``packed_checked``: programs run through the packed
    pass too; ``mismatches_by_pass``: programs on which each pass was wrong."""

    programs: int = 0
    ok: int = 0
    mismatches: int = 0
    crashes: int = 0
    invalid: int = 0
    compile_errors: int = 0
    inputs_checked: int = 0
    packed_checked: int = 0
    seconds: float = 0.0
    mismatches_by_pass: dict[str, int] = field(default_factory=dict)
    compile_error_reasons: dict[str, int] = field(default_factory=dict)
    compile_error_examples: dict[str, CompileErrorExample] = field(default_factory=dict)
    failures: list[Finding] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """Whether the compiler or a pass gave a wrong answer or none, or the
        generator wrote a program it should not have."""
        return bool(self.mismatches or self.crashes or self.invalid)

    def add(self, other: "DifferentialReport") -> None:
        """Count ``other``'s programs in too (``seconds`` aside)."""
        for name in ("programs", "ok", "mismatches", "crashes", "invalid", "compile_errors", "inputs_checked",
                     "packed_checked"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for counts, more in ((self.mismatches_by_pass, other.mismatches_by_pass),
                             (self.compile_error_reasons, other.compile_error_reasons)):
            for key, n in more.items():
                counts[key] = counts.get(key, 0) + n
        for reason, example in other.compile_error_examples.items():
            self.compile_error_examples.setdefault(reason, example)
        self.failures += other.failures

    def to_json(self) -> dict:
        return asdict(self)


def command_runs(programs: int, seed: int = 0, full: bool = False, larger: int | None = None,
                 packed_every: int = 1, save_to: Path | None = None) -> dict[str, DifferentialRun]:
    """The runs of ``raspc fuzz``, by configuration name: ``programs`` programs of the
    small sizes (``FULL``'s with ``full``, else ``SMALL``'s), and ``larger`` programs
    of each of the larger sizes (``MEDIUM``, ``LARGE``; their inputs are sampled). By
    default ``larger`` is a fortieth of ``programs`` with ``full``, else none."""
    if larger is None:
        larger = programs // 40 if full else 0
    small = FULL if full else SMALL
    runs = {_name(small): DifferentialRun(programs, seed, small, THOROUGH, packed_every, save_to=save_to)}
    for config in (MEDIUM, LARGE):
        if larger:
            runs[_name(config)] = DifferentialRun(larger, seed, config, THOROUGH, packed_every, save_to=save_to)
    return runs


def _name(config: FuzzConfig) -> str:
    return next(name for name, known in CONFIGS.items() if known == config)


def compile_error_reason(message: str) -> str:
    """A compile error's message without the s-op names, to count alike ones together."""
    return re.sub(r"[A-Za-z_]+_\d+|v\d+|acc\d+|'[^']*'|\d+(\.\d+)?", "_", message)[:90]


def run_differential(run: DifferentialRun, workers: int = 1) -> DifferentialReport:
    """Generate ``run.count`` programs from seeds ``run.seed``, ``run.seed`` + 1, ...
    and check each. With ``workers`` > 1 the seeds are split among that many
    processes (``fuzz.parallel``); the counts are the same as in one process."""
    started = time.perf_counter()
    if workers > 1 and run.count > 1:
        report = DifferentialReport()
        jobs = [(run, part) for part in slices(run.seed, run.count, workers)]
        for part in in_processes(_run_slice, jobs, workers):
            report.add(part)
    else:
        report = _run_slice((run, Slice(run.seed, run.count)))
    report.seconds = time.perf_counter() - started
    return report


def _run_slice(job: tuple[DifferentialRun, Slice]) -> DifferentialReport:
    run, part = job
    report = DifferentialReport()
    for seed in range(part.start, part.start + part.count):
        source = generate(seed, run.config).source
        passes = run.passes(seed)
        outcome = check_source(source, seed, run.plan, passes)
        report.programs += 1
        report.inputs_checked += outcome.n_inputs
        report.packed_checked += len(passes) > 1
        if outcome.status == "ok":
            report.ok += 1
        elif outcome.status == "invalid":
            report.invalid += 1
            report.failures.append(Finding(seed, "invalid", outcome.detail, source, [], None, None))
        elif outcome.status == "compile_error":
            report.compile_errors += 1
            key = compile_error_reason(outcome.detail)
            report.compile_error_reasons[key] = report.compile_error_reasons.get(key, 0) + 1
            report.compile_error_examples.setdefault(key, CompileErrorExample(seed, outcome.detail))
        else:  # a mismatch, or a crash: a wrong answer or no answer, the compiler's or the engine's fault
            if outcome.status == "mismatch":
                report.mismatches += 1
                for name in outcome.failed_passes:
                    report.mismatches_by_pass[name] = report.mismatches_by_pass.get(name, 0) + 1
            else:
                report.crashes += 1
            report.failures.append(_finding(source, seed, outcome, run, passes))
    return report


def still_fails(outcome: Outcome, again: Outcome) -> bool:
    """Whether ``again`` shows the failure ``outcome`` showed: the same status through
    the same passes (and for a crash, the same exception where the same thing was done)."""
    if again.status != outcome.status or again.failed_passes != outcome.failed_passes:
        return False
    return outcome.status == "mismatch" or again.detail.split(":")[0] == outcome.detail.split(":")[0]


def _finding(source: str, seed: int, outcome: Outcome, run: DifferentialRun,
             passes: tuple[ModelPass, ...]) -> Finding:
    """A mismatch or crash, shrunk to the smallest program that still shows it (and
    saved, where the run says)."""
    def shows_it(candidate: str) -> bool:
        return still_fails(outcome, check_source(candidate, seed, run.plan, passes))

    small = shrink(source, shows_it, max_attempts=SHRINK_ATTEMPTS) if run.shrink_failures else source
    final = check_source(small, seed, run.plan, passes)
    saved = str(save_finding(small, final, run.save_to)) if run.save_to is not None else None
    return Finding(seed, final.status, final.detail, small, list(final.input or ()), final.expected, final.got,
                   final.failed_passes, saved)
