"""``raspc eval-corpus``: score a compiled program on a corpus of sentences.

Reads one sentence per line of a tab-separated file (``--text-column``, counting
from 1), cuts each into tokens with the program's ``@tokenizer``, runs the
compiled model on all of them in jitted batches and the reference interpreter
beside it, and prints the score that fits the output and the labels
(``--label-column``): Pearson's r, sign agreement and a calibration table for
numbers; accuracy, MCC and the confusion matrix for categories. Then the worst
errors with their text, and how many sentences the model and the interpreter
answer differently (numbers within the output's declared tolerance, at least
1e-4), which should be none. A sentence's answer is the output at every position
when it holds one value there (a sentence-level s-op), else the whole sequence (but
the mean of a numerical one where the program's answer is one value and the
model's positions differ, as a trained model's do); a
program whose ``@tokenizer`` joins its output (``"join": "french"``) answers the
joined text, or null where it declines the sentence.

``--show NAME`` adds the value of another s-op (read from the model's residual after
its last layer) to each line's answer: the rule a grammar program says fired.
``--covered NAME`` names a boolean s-op that says whether the program covers a
sentence (every word in its lexicon): the report then gives the coverage and the
score on the covered sentences beside the score over all of them.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cli.programs import add_compile_options, add_program_options, compile_from_args, load_staged
from cli.corpus import CorpusLine, problem_text, read_corpus, tokenized
from runtime.scores import accuracy, calibration, confusion, mcc, pearson, sign_agreement
from cli.text import model_encoder, program_encoder
from rasp.interpreter import evaluate
from rasp.stage import load_file
from runtime.io import is_model_file, load_model
from raspc.errors import InputError, RaspcError
from runtime.engine.forward import Runner
from runtime.model import CATEGORICAL, NUMERICAL, Model
from runtime.outputs import TOLERANCE, same_output, same_value

EXAMPLES = """examples:
  raspc eval-corpus sentiment.safetensors programs/nlp/tweets_sample.tsv --text-column 3 --label-column 2 --threshold 0.05
  raspc eval-corpus sentiment.safetensors programs/nlp/tweets_sample.tsv --text-column 3 --json > answers.jsonl
      one JSON object per line: {"line": 1, "text": "...", "output": 0.8316}, then {"summary": {...}}
  raspc eval-corpus programs/nlp/grammaticality.rasp programs/nlp/cola_sample.tsv --text-column 4 --label-column 2 --covered covered --show rule
      MCC over all sentences and over the covered ones; each sentence's rule, and the sentences by rule
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "eval-corpus", help="score a compiled program on a TSV corpus of sentences",
        description=__doc__.split("\n\n")[1], epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", metavar="FILE.rasp|MODEL.safetensors", help="a program with a @tokenizer, "
                        "or a model file compiled from one")
    parser.add_argument("data", metavar="DATA.tsv", help="the corpus: one sentence per line, tab-separated")
    parser.add_argument("--text-column", type=int, required=True, metavar="K", help="the text's column (from 1)")
    parser.add_argument("--label-column", type=int, metavar="J", help="the label's column (from 1)")
    parser.add_argument("--threshold", type=float, default=0.0, metavar="T",
                        help="a numerical answer at or above T counts as positive (default 0)")
    parser.add_argument("--worst", type=int, default=5, metavar="N", help="how many worst errors to show")
    parser.add_argument("--show", action="append", default=[], metavar="NAME",
                        help="also give this s-op's value for each sentence (repeatable)")
    parser.add_argument("--covered", metavar="NAME",
                        help="a boolean s-op that says whether the program covers a sentence: report the "
                             "coverage and the score on the covered sentences too")
    add_program_options(parser)
    add_compile_options(parser)
    parser.add_argument("--json", action="store_true",
                        help="one JSON object per input line, then a summary object")
    parser.set_defaults(handler=run)


# ------------------------------------------------------------------ the run

@dataclass
class Evaluation:
    """A corpus run through the model and the interpreter."""

    lines: list[CorpusLine]
    answers: dict[int, Any] = field(default_factory=dict)     # line number -> sentence answer
    references: dict[int, Any] = field(default_factory=dict)  # line number -> interpreter's answer
    differing: list[int] = field(default_factory=list)
    shown: dict[int, dict[str, Any]] = field(default_factory=dict)  # line number -> s-op -> its value
    model_seconds: float = 0.0
    reference_seconds: float = 0.0
    reference_note: str = ""


def sentence_answer(values: list) -> Any:
    """The value at every position when there is one (a float as a float), else the
    list."""
    if values and all(same_value(values[0], v) for v in values[1:]):
        return values[0]
    return list(values)


def output_tolerance(model: Model) -> float:
    """How far a numerical answer may be from the interpreter's: the declared
    tolerance of the output map, at least ``TOLERANCE``."""
    return max(TOLERANCE, float(model.stats.get("output_tolerance") or 0.0))


def _program_and_model(args: argparse.Namespace):
    """(model, program or None, encoder); a model file's program is the source it
    records, where that file is still there."""
    if is_model_file(args.file):
        model = load_model(args.file)
        source = model.settings.get("source")
        program = load_file(source).program if source and Path(source).is_file() else None
        return model, program, model_encoder(model, args.file)
    program = load_staged(args).program
    encoder = program_encoder(program, args.file)
    args.keep = list(dict.fromkeys(args.keep + shown_names(args)))
    return compile_from_args(program, args).model, program, encoder


def shown_names(args: argparse.Namespace) -> list[str]:
    """The s-ops read besides the output: --show's, then --covered's, each once."""
    return list(dict.fromkeys(args.show + ([args.covered] if args.covered else [])))


def check_names(model: Model, names: list[str]) -> None:
    """Refuse, before anything runs, an s-op name the model does not hold."""
    for name in names:
        if name not in model.layout:
            held = sorted(model.layout.names())
            raise InputError(f"the model has no s-op named {name!r} (compile with --keep {name}; it has "
                             f"{len(held)}: {', '.join(held[:12])}{', ...' if len(held) > 12 else ''})")
        subspace = model.layout[name]
        if any(other.name != name and other.start < subspace.stop and subspace.start < other.stop
               for other in model.layout.subspaces):
            raise InputError(f"the s-op {name!r} shares its directions with one computed later, so the final "
                             f"residual does not hold it: compile with --keep {name}")


def evaluate_corpus(model: Model, program, encoder, lines: list[CorpusLine],
                    shown: list[str] = ()) -> Evaluation:
    """Tokens for every line, the model's answers (one batched run) and the
    interpreter's beside them; the ``shown`` s-ops' values as the model holds them."""
    lines = tokenized(lines, encoder, model.config.max_len)
    found = Evaluation(lines)
    covered = [line for line in lines if line.tokens is not None]
    runner = Runner(model)
    started = time.perf_counter()
    if shown and covered:
        outputs, readings = runner.run_and_read([line.tokens for line in covered], shown)
        found.shown = {line.number: {name: sentence_answer(values[name]) for name in shown}
                       for line, values in zip(covered, readings)}
    else:
        outputs = runner.run([line.tokens for line in covered]) if covered else []
    found.model_seconds = time.perf_counter() - started
    answer = encoder.tokenizer.detokenized if encoder.tokenizer.joins else sentence_answer
    found.answers = {line.number: answer(out) for line, out in zip(covered, outputs)}
    if program is None:
        found.reference_note = "no program beside the model file: the interpreter did not run"
        return found
    expr = program.output_expr(model.config.output)
    tolerance = output_tolerance(model)
    numerical = model.config.output_encoding == NUMERICAL and not encoder.tokenizer.joins
    started = time.perf_counter()
    for line, out in zip(covered, outputs):
        try:
            expected = evaluate(expr, line.tokens)
        except RaspcError as error:
            found.differing.append(line.number)
            found.references[line.number] = f"error: {error.message}"
            continue
        found.references[line.number] = answer(expected)
        if numerical and isinstance(found.answers[line.number], list) \
                and not isinstance(found.references[line.number], list):
            # The program answers once per sentence and the model (a trained one) at
            # every position a little differently: the sentence's answer is their mean.
            found.answers[line.number] = float(np.mean(out))
        if not same_output(expected, out, tolerance):
            found.differing.append(line.number)
    found.reference_seconds = time.perf_counter() - started
    return found


# ------------------------------------------------------------------ scoring

def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class Scored:
    """What the command reports about the answers against the labels."""

    kind: str  # "numbers", "categories" or "none"
    summary: dict
    worst: list[tuple[CorpusLine, Any]]
    table: list[str]


def score(found: Evaluation, threshold: float, worst: int, categorical: bool = False,
          only: set[int] | None = None) -> Scored:
    """The answers against the labels: as numbers, or as categories where the output
    is categorical (a 0/1 verdict is scored by accuracy and MCC, not Pearson's r);
    ``only``: the line numbers to score (all by default)."""
    pairs = [(line, found.answers[line.number]) for line in found.lines
             if line.number in found.answers and line.label is not None and (only is None or line.number in only)]
    if not pairs:
        return Scored("none", {}, [], [])
    answers = [a for _, a in pairs]
    labels = [line.label for line, _ in pairs]
    if not categorical and all(_is_number(a) for a in answers) and all(_is_number(x) for x in labels):
        return _score_numbers(pairs, answers, labels, threshold, worst)
    answers_text = [a if not isinstance(a, list) else MIXED for a in answers]
    labels_text = [label if isinstance(label, str) else _category(label) for label in labels]
    return _score_categories(pairs, answers_text, labels_text, worst)


#: The confusion matrix's column for a sentence whose answer differs across its
#: positions (a trained model's can), counted wrong whatever the label.
MIXED = "mixed"


def _category(label: float) -> Any:
    return int(label) if float(label).is_integer() else label


def _score_numbers(pairs, answers, labels, threshold: float, worst: int) -> Scored:
    r = pearson(answers, labels)
    signs = sign_agreement(answers, labels, threshold)
    a, y = np.asarray(answers, np.float64), np.asarray(labels, np.float64)
    za = (a - a.mean()) / (a.std() or 1.0)
    zy = (y - y.mean()) / (y.std() or 1.0)
    order = np.argsort(-np.abs(za - zy))[:worst]
    table = [f"  {'answers from':>12} {'to':>9} {'count':>6} {'mean answer':>12} {'mean label':>11}"]
    table += [f"  {band.low:12.4g} {band.high:9.4g} {band.count:6d} {band.mean_answer:12.4g} {band.mean_label:11.4g}"
              for band in calibration(answers, labels)]
    summary = {"pearson_r": r, "sign_agreement": signs.share, "signs_counted": signs.counted,
               "labels_zero_left_out": signs.left_out, "threshold": threshold, "scored": len(pairs)}
    return Scored("numbers", summary, [pairs[int(k)] for k in order], table)


def _score_categories(pairs, answers, labels, worst: int) -> Scored:
    classes, matrix = confusion(answers, labels)
    width = max(len(str(c)) for c in classes + ["label"]) + 1
    table = ["  " + "label \\ answer".ljust(width + 4) + " ".join(str(c).rjust(width) for c in classes)]
    seen = set(labels)  # a row for each label that occurs: never one for "mixed", an answer only
    table += ["  " + str(c).ljust(width + 4) + " ".join(str(n).rjust(width) for n in row)
              for c, row in zip(classes, matrix) if c in seen]
    mixed = answers.count(MIXED)
    if mixed:
        table.append(f"  ({MIXED}: the answer differs across the sentence's positions, on {mixed:,} "
                     f"sentence{'s' if mixed != 1 else ''}; counted wrong)")
    wrong = [(line, answer) for (line, _), answer, label in zip(pairs, answers, labels) if answer != label]
    summary = {"accuracy": accuracy(answers, labels), "mcc": mcc(answers, labels), "scored": len(pairs)}
    return Scored("categories", summary, wrong[:worst], table)


# ------------------------------------------------------------------ the command

def run(args: argparse.Namespace, out=None) -> int:
    out = out or sys.stdout
    try:
        data = Path(args.data).read_bytes()
    except OSError as failure:
        raise InputError(f"cannot read {args.data}: {failure.strerror or failure}") from None
    lines = read_corpus(data, args.data, args.text_column, args.label_column)
    model, program, encoder = _program_and_model(args)
    shown = shown_names(args)
    check_names(model, shown)
    found = evaluate_corpus(model, program, encoder, lines, shown)
    categorical = model.config.output_encoding == CATEGORICAL
    scored = score(found, args.threshold, args.worst, categorical)
    for line in found.lines:
        if line.problem is not None:
            print(problem_text(args.data, line), file=sys.stderr)
    summary = _summary(args, model, found, scored)
    if found.shown:
        summary["by_value"] = by_value(found, args.show)
    if args.covered:
        inside = {number for number, values in found.shown.items() if values[args.covered] is True}
        summary["covered"] = {"s-op": args.covered, "sentences": len(inside),
                              **score(found, args.threshold, args.worst, categorical, inside).summary}
    if args.json:
        for line in found.lines:
            record = {"line": line.number, "text": line.text, "output": found.answers.get(line.number),
                      **found.shown.get(line.number, {})}
            if line.problem is not None:
                record["error"] = line.problem
            print(json.dumps(record, ensure_ascii=False), file=out)
        print(json.dumps({"summary": summary}, ensure_ascii=False), file=out)
    else:
        _report(args, found, scored, summary, out)
    if any(line.malformed for line in found.lines):
        return 2
    return 1 if found.differing else 0


def by_value(found: Evaluation, names: list[str]) -> dict:
    """For each shown s-op, each sentence-level value it takes: how many sentences, and
    how many of them carry each label (a grammar's rule: how often it fires, and how
    often rightly)."""
    labels = {line.number: line.label for line in found.lines}
    table: dict = {}
    for name in names:
        rows: dict = {}
        for number, values in found.shown.items():
            value = values[name]
            key = json.dumps(value) if isinstance(value, list) else str(value)
            row = rows.setdefault(key, {"sentences": 0, "labels": {}})
            row["sentences"] += 1
            label = labels.get(number)
            if label is not None:
                label = str(_category(label)) if _is_number(label) else str(label)
                row["labels"][label] = row["labels"].get(label, 0) + 1
        table[name] = dict(sorted(rows.items(), key=lambda item: -item[1]["sentences"]))
    return table


def _summary(args, model: Model, found: Evaluation, scored: Scored) -> dict:
    covered = len(found.answers)
    uncovered = [line for line in found.lines if line.problem is not None and not line.malformed]
    return {"file": args.file, "data": args.data, "output": model.config.output, "lines": len(found.lines),
            "scored_lines": covered, "malformed": sum(line.malformed for line in found.lines),
            "not_covered": len(uncovered), "model_interpreter_differ": len(found.differing)
            if found.references else None, "differing_lines": found.differing[:20],
            "model_sentences_per_second": covered / found.model_seconds if found.model_seconds else None,
            "interpreter_sentences_per_second":
                covered / found.reference_seconds if found.reference_seconds else None,
            "tolerance": output_tolerance(model), **scored.summary}


def _report(args, found: Evaluation, scored: Scored, summary: dict, out) -> None:
    print(f"eval-corpus {args.file} on {args.data}: output {summary['output']}, {summary['lines']:,} lines, "
          f"{summary['scored_lines']:,} run", file=out)
    if summary["malformed"] or summary["not_covered"]:
        print(f"  not run: {summary['malformed']:,} malformed lines, {summary['not_covered']:,} the program "
              f"does not cover (each named above)", file=out)
    if scored.kind == "numbers":
        print(f"  Pearson r {summary['pearson_r']:.4f}; signs agree on {summary['sign_agreement']:.1%} of "
              f"{summary['signs_counted']:,} (answer >= {summary['threshold']:g} is positive; "
              f"{summary['labels_zero_left_out']:,} labels of 0 left out)", file=out)
        print("  calibration:", file=out)
    elif scored.kind == "categories":
        print(f"  accuracy {summary['accuracy']:.4f}, MCC {summary['mcc']:.4f}", file=out)
        covered = summary.get("covered")
        if covered:
            print(f"  covered ({covered['s-op']} is True): {covered['sentences']:,} sentences"
                  + (f", accuracy {covered['accuracy']:.4f}, MCC {covered['mcc']:.4f}" if "mcc" in covered else ""),
                  file=out)
        print("  confusion matrix:", file=out)
    for row in scored.table:
        print(row, file=out)
    for name, rows in summary.get("by_value", {}).items():
        print(f"  sentences by {name} (with their labels):", file=out)
        for value, row in rows.items():
            labels = ", ".join(f"{label}: {count:,}" for label, count in sorted(row["labels"].items()))
            print(f"    {value:<24} {row['sentences']:7,}" + (f"   ({labels})" if labels else ""), file=out)
    if scored.worst:
        print("  worst errors:", file=out)
        for line, answer in scored.worst:
            shown = f"{answer:.4f}" if isinstance(answer, float) else str(answer)
            extra = "".join(f", {name} {value}" for name, value in found.shown.get(line.number, {}).items())
            print(f"    line {line.number}: answer {shown}{extra}, label {line.label}: {line.text[:100]}", file=out)
    if found.references:
        print(f"  model and interpreter differ on {len(found.differing):,} sentences "
              f"(numbers within {summary['tolerance']:g})", file=out)
        for number in found.differing[:5]:
            print(f"    line {number}: model {found.answers.get(number)}, interpreter "
                  f"{found.references.get(number)}", file=out)
    else:
        print(f"  {found.reference_note}", file=out)
    rate = summary["model_sentences_per_second"]
    if rate:
        print(f"  model: {rate:,.0f} sentences/s (batched, including the first compilation)"
              + (f"; interpreter: {summary['interpreter_sentences_per_second']:,.0f} sentences/s"
                 if summary["interpreter_sentences_per_second"] else ""), file=out)
