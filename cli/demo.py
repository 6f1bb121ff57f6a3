"""``make demo``: compile a few bundled programs, run them, and write a lens report.

Each program's example statements run on its compiled transformer next to the
reference interpreter; a table sums up what each program compiled to. Then each
language program of ``programs/nlp/`` reads a few sentences of raw text through its
``@tokenizer``, on the compiled model next to the interpreter. A lens report of
``reverse`` goes to ``demo_out/lens_reverse.html``.
"""
from __future__ import annotations

import importlib.util
import sys
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cli.display import shown_sequence
from runtime.model import ModelFacts, model_facts
from compiler import compile_program
from rasp.interpreter import evaluate
from rasp.stage import load_program
from raspc.errors import RaspcError
from runtime.engine.forward import Runner
from runtime.lens import inspect, write_html
from runtime.outputs import same_output

ROOT = Path(__file__).resolve().parents[1]
PROGRAMS = ("reverse", "sort", "hist", "most_freq")
LENS_PROGRAM, LENS_INPUT = "reverse", "abcd"
#: Each language program with the sentences the demo gives it, and the s-ops it shows
#: beside the output (kept by the compiler, read from the same forward pass).
LANGUAGE_PROGRAMS = (
    ("nlp/sentiment", ("Not bad at all!", "The ending was SO BAD!!", "I love this movie :)"), ()),
    ("nlp/grammaticality", ("The dogs are barking.", "The dogs is barking.", "Mary said that John hurt herself.",
                            "What did John wonder who would win?"), ("rule",)),
    ("nlp/translate_en_fr", ("She is not hungry.", "We are very tired.", "I'm at home.", "He is taller than her.",
                            "We're going to the park.", "She can't swim.", "He isn't drinking a beer.",
                            "You're alone, aren't you?"), ()),
)
OUT_DIR = Path("demo_out")


@dataclass
class Outcome:
    program: str
    facts: ModelFacts | None = None
    matched: int = 0
    examples: int = 0
    lines: tuple[str, ...] = ()
    note: str = ""


def run_program(name: str) -> Outcome:
    """Compile one bundled program and run its examples on the model and the interpreter."""
    path = ROOT / "programs" / f"{name}.rasp"
    if not path.exists():
        return Outcome(name, note=f"skipped: programs/{name}.rasp is not there")
    try:
        program = load_program(str(path))
        model = compile_program(program)
        examples = [e for e in program.examples if e.target is program.output_expr()]
        outputs = Runner(model).run([e.input for e in examples]) if examples else []
        lines, matched = [], 0
        for example, output in zip(examples, outputs):
            reference = evaluate(example.target, example.input)
            same = same_output(reference, output)
            matched += same
            lines.append(f"  {example.text} = {shown_sequence(output)}"
                         f"   interpreter: {shown_sequence(reference)}  {'ok' if same else 'DIFFERENT'}")
    except RaspcError as error:
        return Outcome(name, note=f"failed: {error.message}")
    return Outcome(name, model_facts(model), matched, len(examples), tuple(lines))


def run_language_program(name: str, sentences: tuple[str, ...], shown: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Lines showing each sentence's tokens and the compiled model's answer beside
    the interpreter's, and each ``shown`` s-op's value at the sentence's end."""
    path = ROOT / "programs" / f"{name}.rasp"
    if not path.exists():
        return (f"{name}: skipped: programs/{name}.rasp is not there",)
    try:
        program = load_program(str(path))
        started = time.perf_counter()
        model = compile_program(program, keep=shown)
        seconds = time.perf_counter() - started
        encoder = program.tokenizer.encoder(program.vocab)
        inputs = [encoder.encode(text, model.config.max_len).tokens for text in sentences]
        outputs, readings = Runner(model).run_and_read(inputs, shown)
    except RaspcError as error:
        return (f"{name}: failed: {error.message}",)
    facts = model_facts(model)
    lines = [f"{name}: {facts.layers} layers, {facts.params:,} parameters, compiled in {seconds:.0f} s"]
    output = program.output_expr()
    for text, tokens, answer, read in zip(sentences, inputs, outputs, readings):
        reference = evaluate(output, tokens)
        same = same_output(reference, answer, float(model.stats.get("output_tolerance") or 1e-4))
        beside = "".join(f", {sop} {read[sop][-1]}" for sop in shown)
        expected = "".join(f", {sop} {evaluate(program.names[sop], tokens)[-1]}" for sop in shown)
        lines.append(f"  {text!r} -> {shown_sequence(list(tokens))}: {program.output} "
                     f"{_answer(program, answer)}{beside}   interpreter: {_answer(program, reference)}{expected}  "
                     f"{'ok' if same and beside == expected else 'DIFFERENT'}" + _vader_beside(name, text))
    return tuple(lines)


def _answer(program, values) -> str:
    """A sentence's answer as the demo shows it: a translator's joined text, a number
    to three places, any other value as it is (the last position's)."""
    if program.tokenizer.joins:
        return repr(program.tokenizer.detokenized(values))
    last = values[-1]
    return f"{last:.3f}" if isinstance(last, float) else str(last)


def _vader_beside(name: str, text: str) -> str:
    """vaderSentiment's own compound beside the sentiment program's, where the
    package is installed (a test dependency)."""
    if name != "nlp/sentiment" or importlib.util.find_spec("vaderSentiment") is None:
        return ""
    return f"   vaderSentiment: {_vader_analyzer().polarity_scores(text)['compound']:.3f}"


@lru_cache(maxsize=1)
def _vader_analyzer():
    """One analyzer for the demo (each reads VADER's lexicon file anew)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def table(outcomes: list[Outcome]) -> list[str]:
    head = f"{'program':<11} {'layers':>6} {'heads':>5} {'d_model':>7} {'params':>9} {'compile s':>9}  examples"
    rows = [head, "-" * len(head)]
    for o in outcomes:
        if o.facts is None:
            rows.append(f"{o.program:<11} {o.note}")
            continue
        f = o.facts
        rows.append(f"{o.program:<11} {f.layers:>6} {f.heads:>5} {f.d_model:>7} {f.params:>9,} "
                    f"{f.compile_seconds:>9.3f}  {o.matched}/{o.examples} match")
    return rows


def write_lens(out_dir: Path) -> tuple[str, Path | None]:
    """The lens report of the bundled reverse program, and where it went; a note and
    no path when it cannot be made."""
    path = ROOT / "programs" / f"{LENS_PROGRAM}.rasp"
    if not path.exists():
        return f"no lens report: programs/{LENS_PROGRAM}.rasp is not there", None
    try:
        model = compile_program(load_program(str(path)))
        report = inspect(model, LENS_INPUT)
    except RaspcError as error:
        return f"no lens report: {error.message}", None
    target = out_dir / f"lens_{LENS_PROGRAM}.html"
    write_html(report, str(target), title=f"raspc lens: {LENS_PROGRAM}(\"{LENS_INPUT}\")")
    return f"wrote {target}: the residual stream of {LENS_PROGRAM}(\"{LENS_INPUT}\") layer by layer", target


#: What to try after the demo, each with what it shows.
NEXT_STEPS = (
    ("raspc eval programs/sort.rasp", "the examples in the reference interpreter, every s-op shown"),
    ("raspc compile programs/sort.rasp -o sort.safetensors", "the model's shape, saved as one file"),
    ("raspc run programs/sort.rasp --input dcab", "one more input on the compiled model"),
    ("raspc verify programs/sort.rasp --max-len 6", "compiled model vs interpreter, every input"),
    ("raspc lens programs/most_freq.rasp --input abbc", "what each layer computes"),
    ("python scripts/programs_table.py", "all bundled programs: shapes and the exactness check"),
)


def main(out=None, out_dir: Path = OUT_DIR) -> int:
    out = out or sys.stdout
    started = time.perf_counter()
    print("raspc demo: RASP programs compiled into transformer weights, run in JAX\n", file=out)
    outcomes = []
    for name in PROGRAMS:
        outcome = run_program(name)
        outcomes.append(outcome)
        print(f"{name}:" + (f" {outcome.note}" if outcome.note else ""), file=out)
        for line in outcome.lines:
            print(line, file=out)
    print("", file=out)
    for line in table(outcomes):
        print(line, file=out)
    print("", file=out)
    language = [line for name, sentences, shown in LANGUAGE_PROGRAMS
                for line in run_language_program(name, sentences, shown)]
    for line in language:
        print(line, file=out)
    if language:
        print("", file=out)
    note, report = write_lens(Path(out_dir))
    print(note, file=out)
    failed = any(o.matched < o.examples for o in outcomes) or any("DIFFERENT" in line for line in language)
    print(f"\ndone in {time.perf_counter() - started:.1f} s. Next "
          "(in the project's environment: source .venv/bin/activate):", file=out)
    if report is not None:
        print(f"  open {report} in a browser: attention patterns, MLP units, every subspace", file=out)
    print("  read programs/README.md: every bundled program, what it computes, its compiled shape", file=out)
    width = max(len(command) for command, _ in NEXT_STEPS)
    for command, what in NEXT_STEPS:
        print(f"  {command:<{width}}  {what}", file=out)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
