"""Fuzzing the front end: random and damaged source text must end, within a time bound,
in a program or in a ``RaspcError`` that names a line and a column; anything else is
counted and kept as an example.

Source ``k`` of a run is drawn from its own seeded generator (``frontend_source``),
so a run split among processes fuzzes exactly the sources one process would.
"""
from __future__ import annotations

import random
import signal
import time
from dataclasses import asdict, dataclass, field

from fuzz.generator import SMALL, generate
from fuzz.mutate import mutate_source, random_source
from fuzz.parallel import Slice, in_processes, slices
from rasp.parser import parse
from rasp.stage import stage
from raspc.errors import RaspcError

#: How long one source may take in parse + stage before it counts as a hang.
FRONTEND_SECONDS = 5.0


class _Timeout(Exception):
    pass


def _alarm(signum, frame):  # pragma: no cover - only on a hang
    raise _Timeout()


@dataclass(frozen=True)
class Verdict:
    """How parse + stage ended on one source: ``accepted``, ``rejected`` (a RaspcError
    with a line and column), ``no_location`` (a RaspcError without one), ``timeout`` or
    ``uncaught``; ``detail`` says more for the last three."""

    verdict: str
    detail: str = ""

    @property
    def clean(self) -> bool:
        return self.verdict in ("accepted", "rejected")


def front_end(source: str, seconds: float = 2.0) -> Verdict:
    """Parse and stage ``source`` under a time bound."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        stage(parse(source, "<fuzz>"))
        return Verdict("accepted")
    except _Timeout:
        return Verdict("timeout")
    except RaspcError as error:
        location = error.location
        if location is None or not (location.line >= 1 and location.column >= 1):
            return Verdict("no_location", error.message)
        return Verdict("rejected")
    except Exception as failure:  # noqa: BLE001 - exactly what this fuzzer looks for
        return Verdict("uncaught", f"{type(failure).__name__}: {failure}")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def frontend_source(seed: int, k: int) -> str:
    """The ``k``-th source of the run with this seed: a mutated random program, or
    (every fifth) text assembled from the language's fragments."""
    rng = random.Random(f"frontend {seed} {k}")
    if k % 5 == 4:
        return random_source(rng)
    return mutate_source(generate(rng.randrange(10 ** 6), SMALL).source, rng)


@dataclass(frozen=True)
class FrontendExample:
    """The first source of each kind of failure."""

    kind: str
    verdict: str
    detail: str
    source: str
    number: int


@dataclass
class FrontendReport:
    sources: int = 0
    accepted: int = 0
    rejected: int = 0
    uncaught: int = 0
    without_location: int = 0
    timeouts: int = 0
    seconds: float = 0.0
    kinds: dict[str, int] = field(default_factory=dict)
    examples: list[FrontendExample] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.uncaught or self.timeouts or self.without_location)

    def add(self, other: "FrontendReport") -> None:
        """Count ``other``'s sources in too (``seconds`` aside)."""
        for name in ("sources", "accepted", "rejected", "uncaught", "without_location", "timeouts"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for kind, n in other.kinds.items():
            if kind not in self.kinds:
                self.examples += [e for e in other.examples if e.kind == kind][:1]
            self.kinds[kind] = self.kinds.get(kind, 0) + n

    def to_json(self) -> dict:
        return asdict(self)


def run_frontend(count: int, seed: int = 0, workers: int = 1, start: int = 0) -> FrontendReport:
    """Fuzz the front end with ``count`` sources (numbers ``start``, ``start`` + 1, ...)."""
    started = time.perf_counter()
    if workers > 1 and count > 1:
        report = FrontendReport()
        jobs = [(seed, part) for part in slices(start, count, workers)]
        for part in in_processes(_run_slice, jobs, workers):
            report.add(part)
    else:
        report = _run_slice((seed, Slice(start, count)))
    report.seconds = time.perf_counter() - started
    return report


def _run_slice(job: tuple[int, Slice]) -> FrontendReport:
    seed, part = job
    report = FrontendReport()
    for k in range(part.start, part.start + part.count):
        source = frontend_source(seed, k)
        found = front_end(source, FRONTEND_SECONDS)
        report.sources += 1
        if found.verdict == "accepted":
            report.accepted += 1
        elif found.verdict == "rejected":
            report.rejected += 1
        else:
            if found.verdict == "timeout":
                report.timeouts += 1
            elif found.verdict == "no_location":
                report.without_location += 1
            else:
                report.uncaught += 1
            shown = found.detail.split(":")[0] if found.verdict == "uncaught" else found.detail[:60]
            kind = f"{found.verdict}: {shown}"
            if kind not in report.kinds:
                report.examples.append(FrontendExample(kind, found.verdict, found.detail[:200], source[:500], k))
            report.kinds[kind] = report.kinds.get(kind, 0) + 1
    return report
