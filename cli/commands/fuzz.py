"""``raspc fuzz``: differential testing of the compiler, and fuzzing of the front end.

The work is done in the ``fuzz`` package: random well-typed programs
(``fuzz.generator``) are compiled and every output of the dense and the packed
forward pass is compared with the reference interpreter's (``fuzz.differential``);
random and damaged source text is fed to the parser and staging (``fuzz.frontend``).
This module reads the options and prints the counts.

Findings (shrunk programs) are saved into a new folder under the system's temporary
directory unless ``--save DIR`` names another, or ``--save-regressions`` asks for
``tests/regressions/``; the folder is printed, and removed again when nothing was
found.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from fuzz.differential import DifferentialReport, command_runs, run_differential
from fuzz.findings import REGRESSIONS, findings_folder
from fuzz.frontend import FrontendReport, run_frontend
from raspc.errors import RaspcError


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "fuzz", help="differential-test the compiler and fuzz the front end",
        description="Compile random well-typed programs and compare every output of the dense and the packed "
                    "forward pass with the reference interpreter; feed random and mutated source text to the "
                    "parser and staging.",
        epilog="example:\n  raspc fuzz --programs 200 --sources 2000 --seed 1 --json\n"
               "what `make fuzz` runs:\n"
               "  raspc fuzz --programs 20000 --sources 100000 --full --seed 100000 --workers 2 "
               "--save-regressions",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--programs", type=int, default=200, help="random programs to compile and check")
    parser.add_argument("--sources", type=int, default=1000, help="random source texts for the front end")
    parser.add_argument("--seed", type=int, default=0, help="first seed (runs are reproducible)")
    parser.add_argument("--full", action="store_true",
                        help="draw programs from the full short range (max_len up to 8, vocabularies up to 4) "
                             "instead of the small one, and add the larger sizes (see --larger)")
    parser.add_argument("--larger", type=int, default=None, metavar="N",
                        help="programs of each larger size (max_len 9-15 over up to 12 tokens; max_len 16-64 "
                             "over up to 20 tokens), checked on sampled inputs (default: a fortieth of "
                             "--programs with --full, else none)")
    parser.add_argument("--packed-every", type=int, default=1, metavar="K",
                        help="run every K-th program through the packed pass as well as the dense one "
                             "(default 1: every program; the packed pass compiles once per model; 0: never)")
    saving = parser.add_mutually_exclusive_group()
    saving.add_argument("--save", type=Path, metavar="DIR",
                        help="save each shrunk mismatch or crash into DIR (default: a new temporary folder)")
    saving.add_argument("--save-regressions", action="store_true",
                        help=f"save them under {REGRESSIONS}, where the regression tests run them")
    parser.add_argument("--workers", type=int, default=1,
                        help="processes for each part (the results do not depend on it)")
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")
    parser.set_defaults(handler=_handle)


def _handle(args) -> int:
    if args.programs < 0 or args.sources < 0 or (args.larger or 0) < 0:
        raise RaspcError("--programs, --sources and --larger must not be negative")
    if args.packed_every < 0:
        raise RaspcError("--packed-every must not be negative")
    if args.workers < 1:
        raise RaspcError("--workers must be at least 1")
    temporary = args.save is None and not args.save_regressions
    folder = REGRESSIONS if args.save_regressions else args.save if args.save is not None else findings_folder()
    runs = command_runs(args.programs, args.seed, args.full, args.larger, args.packed_every, folder)
    reports = {name: run_differential(run, workers=args.workers) for name, run in runs.items()}
    frontend = run_frontend(args.sources, args.seed, workers=args.workers)
    saved = any(f.saved for report in reports.values() for f in report.failures)
    if temporary and not saved:
        folder.rmdir()
    if args.json:
        print(json.dumps({"differential": _total(reports).to_json(),
                          "sizes": {name: report.to_json() for name, report in reports.items()},
                          "frontend": frontend.to_json(), "findings_folder": str(folder) if saved else None},
                         indent=2, default=repr))
    else:
        for name, report in reports.items():
            _print_differential(name, report)
        _print_frontend(frontend)
        if saved:
            where = "a temporary folder" if temporary else "as asked"
            print(f"findings saved in {folder} ({where})")
    return 1 if any(report.failed for report in reports.values()) or frontend.failed else 0


def _total(reports: dict[str, DifferentialReport]) -> DifferentialReport:
    total = DifferentialReport()
    for report in reports.values():
        total.add(report)
        total.seconds += report.seconds
    return total


def _print_differential(name: str, d: DifferentialReport) -> None:
    wrong = ", ".join(f"{n} in the {p} pass" for p, n in sorted(d.mismatches_by_pass.items()))
    print(f"differential ({name}): {d.programs} programs in {d.seconds:.1f}s: {d.ok} agree on "
          f"{d.inputs_checked} inputs ({d.packed_checked} programs through the packed pass too), "
          f"{d.mismatches} mismatches{f' ({wrong})' if wrong else ''}, {d.crashes} crashes, "
          f"{d.compile_errors} compile errors, {d.invalid} rejected by the interpreter")
    for reason, n in sorted(d.compile_error_reasons.items(), key=lambda kv: -kv[1]):
        print(f"  compile error x{n} (first: seed {d.compile_error_examples[reason].seed}): {reason}")
    for failure in d.failures:
        passes = f" in the {' and '.join(failure.failed_passes)} pass" if failure.failed_passes else ""
        shown = (f"on {failure.input!r}: expected {failure.expected!r}, got {failure.got!r}"
                 if failure.status == "mismatch" else failure.detail)
        print(f"  {failure.status}{passes} (seed {failure.seed}) {shown}\n    " +
              failure.source.strip().replace("\n", "\n    "))


def _print_frontend(f: FrontendReport) -> None:
    print(f"front end: {f.sources} sources in {f.seconds:.1f}s: {f.accepted} accepted, {f.rejected} "
          f"rejected with a location, {f.uncaught} uncaught exceptions, {f.without_location} errors "
          f"without a location, {f.timeouts} timeouts")
    for example in f.examples[:5]:
        print(f"  {example.verdict} (source {example.number}): {example.detail}")
