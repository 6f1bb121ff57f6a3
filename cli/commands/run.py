"""``raspc run``: run a program's example statements on its compiled model.

For a .rasp file, every example statement (``reverse("abc");``) runs on the
compiled model, next to the reference interpreter's answer; ``--input`` or
``--words`` run one more input on the output s-op. Each distinct s-op that an
example applies is compiled once. The vocabulary is the file's ``@vocab`` (or
``--vocab``), else every token that the examples and the extra input use; the
longest input likewise defaults to the longest of them.

A selector example shows the compiled attention head's pattern, thresholded to
booleans (the selector is compiled through its width, whose head attends to
exactly the selected keys plus BOS).

For a model file (``.safetensors``), the extra input runs on the model.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, replace
from typing import Any, Sequence

from cli.display import input_literal, json_atom, json_value, shown_atom, shown_sequence
from cli.inputs import add_input_options, extra_input
from cli.text import model_encoder, program_encoder, text_tokens
from cli.programs import add_compile_options, add_program_options, load_staged, vocab_of
from compiler import compile_expr
from rasp import ir
from rasp.interpreter import evaluate
from raspc.errors import InputError, RaspcError
from raspc.text import tokenizer_of
from runtime.engine.encoding import encode
from runtime.engine.forward import Runner
from runtime.engine.small import small_pass
from runtime.io import is_model_file, load_model
from runtime.model import Model
from runtime.outputs import same_output

EXAMPLES = """examples:
  raspc run programs/reverse.rasp                  every example, compiled model next to the interpreter
  raspc run programs/reverse.rasp --input abca     ... and one more input
  raspc run programs/sort.rasp --input "[3,1,2]" --vocab "[1,2,3]"
  raspc run reverse.safetensors --input abc        a compiled (or trained) model file
  raspc run sentiment.safetensors --text "Not bad at all!"   raw text, through the model's @tokenizer
  raspc run programs/reverse.rasp --json           one JSON object per line:
      {"expr": "reverse(\\"abcd\\")", "name": "reverse", "input": [...], "output": [...], "reference": [...]}
"""

#: A width head gives every selected key (and BOS) 1/(w+1) >= 1/(n+1) of its
#: attention, every other key next to nothing: half of the least share separates them.
_PATTERN_THRESHOLD = 0.5


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "run", help="run a program's examples (or an input) on the compiled model",
        description=__doc__.split("\n\n")[1], epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", metavar="FILE.rasp|MODEL.safetensors", help="a program or a model file")
    add_input_options(parser)
    add_program_options(parser, output_help="the s-op to run the extra input on (default: the file's @output)")
    add_compile_options(parser)
    parser.add_argument("--json", action="store_true", help="one JSON object per result, one per line")
    parser.set_defaults(handler=run)


# ------------------------------------------------------------------ vocabulary

def _token_key(token: Any) -> tuple:
    return (type(token).__name__, token)


def gather_vocab(inputs: Sequence[Sequence[Any]]) -> tuple:
    """Every token of the inputs, once each, in first-seen order (1, 1.0 and True kept apart)."""
    seen: dict[tuple, Any] = {}
    for tokens in inputs:
        for token in tokens:
            seen.setdefault(_token_key(token), token)
    return tuple(seen.values())


def outside_vocab(tokens: Sequence[Any], vocab: Sequence[Any]) -> Any | None:
    """The first token of ``tokens`` that ``vocab`` lacks (None when it has them all)."""
    known = {_token_key(token) for token in vocab}
    return next((token for token in tokens if _token_key(token) not in known), None)


def runnable_examples(examples: list, vocab: Sequence[Any], notes) -> list:
    """The example statements whose inputs ``vocab`` can encode. A ``--vocab`` that
    overrides the file's own is usually given with an ``--input`` of its own; the
    file's examples, written for its ``@vocab``, are then skipped with a note on
    ``notes`` rather than ending the command."""
    kept = []
    for display in examples:
        stray = outside_vocab(display.input, vocab)
        if stray is None:
            kept.append(display)
            continue
        where = f"{display.location.prefix()}: " if display.location else ""
        print(f"{where}note: skipped the example {display.text}: its token {shown_atom(stray)!r} "
              f"is not in --vocab", file=notes)
    return kept


# ------------------------------------------------------------------ compiled targets

@dataclass
class Target:
    """One compiled s-op (or a selector's width probe) with its runner."""

    model: Model
    runner: Runner
    probe: str | None = None  # for a selector: the name of the width probe


class Targets:
    """Compiles each distinct example target once per run."""

    def __init__(self, vocab: tuple, max_len: int, max_params: int, disabled: tuple[str, ...]):
        self.vocab, self.max_len = vocab, max_len
        self.max_params, self.disabled = max_params, disabled
        self._cache: dict[int, Target] = {}

    def get(self, expr: ir.RaspExpr) -> Target:
        if expr.id not in self._cache:
            self._cache[expr.id] = self._compile(expr)
        return self._cache[expr.id]

    def _compile(self, expr: ir.RaspExpr) -> Target:
        probe = None
        sop = expr
        if isinstance(expr, ir.Selector):
            probe = f"{expr.label}_pattern"
            sop = ir.SelectorWidth(expr, name=probe)
        model = compile_expr(sop, self.vocab, self.max_len, max_params=self.max_params,
                             disabled_passes=self.disabled)
        return Target(model, Runner(model), probe)


def selector_pattern(target: Target, tokens: tuple) -> list[list[bool]] | None:
    """The compiled width head's pattern over real positions, thresholded; None when
    no head of the model is the probe's."""
    heads = [h for h in target.model.head_labels
             if any(w.startswith(target.probe) for w in h.writes.split(" | "))]
    if not heads:
        return None
    head = heads[0]
    ids = encode(target.model.config, tokens)
    patterns = small_pass(target.model.params, ids[None], float(target.model.config.attn_scale)).patterns
    n = len(tokens)
    weights = patterns[head.layer][0, head.head, 1:n + 1, 1:n + 1]
    threshold = _PATTERN_THRESHOLD / (n + 1)
    return [[bool(w > threshold) for w in row] for row in weights]


# ------------------------------------------------------------------ results

@dataclass(frozen=True)
class Result:
    expr: str
    name: str
    input: tuple
    output: Any
    reference: Any
    note: str = ""
    joins: bool = False  # the output is text the program's @tokenizer joins
    text: str | None = None  # that text; None where the program refuses the input

    @property
    def matches(self) -> bool | None:
        if self.reference is None:
            return None
        return same_output(self.reference, self.output)

    def to_json(self) -> dict:
        record = {"expr": self.expr, "name": self.name, "input": [json_atom(t) for t in self.input],
                  "output": json_value(self.output)}
        if self.reference is not None:
            record["reference"] = json_value(self.reference)
        if self.note:
            record["note"] = self.note
        if self.joins:
            record["text"] = self.text
        return record


def _reference(expr: ir.RaspExpr, tokens: tuple, location) -> Any:
    try:
        return evaluate(expr, tokens)
    except RaspcError as error:
        raise error.with_location(location)


def run_example(targets: Targets, expr: ir.RaspExpr, text: str, name: str, tokens: tuple, location) -> Result:
    reference = _reference(expr, tokens, location)
    try:
        target = targets.get(expr)
        if target.probe is None:
            output = target.runner.run([tokens])[0]
            return Result(text, name, tokens, output, reference)
        pattern = selector_pattern(target, tokens)
    except RaspcError as error:
        raise error.with_location(location)
    if pattern is None:
        return Result(text, name, tokens, reference, reference,
                      note="the interpreter's selector (no compiled head computes it alone)")
    return Result(text, name, tokens, pattern, reference, note="compiled attention pattern, thresholded")


def print_result(result: Result, out) -> None:
    if result.output and isinstance(result.output[0], list):
        print(f"{result.expr}:" + (f"  ({result.note})" if result.note else ""), file=out)
        tokens = [shown_atom(t) for t in result.input]
        width = max(len(t) for t in tokens)
        print("    " + " " * (width + 3) + " ".join(t.rjust(1) for t in tokens), file=out)
        for token, row in zip(tokens, result.output):
            print(f"    {token.rjust(width)} | " + " ".join("1" if v else "." for v in row), file=out)
        if result.matches is False:
            print("    MISMATCH: the interpreter selects differently", file=out)
        return
    line = f"{result.expr} = {shown_sequence(result.output)}"
    if result.matches is False:
        line += f"    MISMATCH: the interpreter gives {shown_sequence(result.reference)}"
    elif result.matches:
        line += "    (= interpreter)"
    print(line, file=out)
    if result.joins:
        print(f"  = {result.text}" if result.text is not None else "  (the program declines this input)", file=out)


def joined(result: Result, tokenizer) -> Result:
    """``result`` with its output joined into text, where ``tokenizer`` says the
    program's output is text."""
    if tokenizer is None or not tokenizer.joins:
        return result
    return replace(result, joins=True, text=tokenizer.detokenized(result.output))


# ------------------------------------------------------------------ the command

def run(args: argparse.Namespace, out=None) -> int:
    out = out or sys.stdout
    if is_model_file(args.file):
        return _run_model_file(args, out)
    staged = load_staged(args)
    program = staged.program
    examples = [d for d in staged.displays if d.kind == "example"]
    extra = extra_input(args)
    if args.text is not None:
        extra = text_tokens(args, program_encoder(program, args.file), args.max_len or program.max_len)
    inputs = [d.input for d in examples] + ([extra] if extra is not None else [])
    if not inputs:
        raise InputError(f"{args.file} has no example statements; give one with --input or --words")
    vocab = vocab_of(args) or program.vocab or gather_vocab(inputs)
    max_len = args.max_len or program.max_len or max(len(tokens) for tokens in inputs)
    if extra is not None and vocab_of(args):
        examples = runnable_examples(examples, vocab, sys.stderr)
    targets = Targets(tuple(vocab), max_len, args.max_params, tuple(args.no_opt))
    results = []
    for display in examples:
        results.append(run_example(targets, display.value, display.text, display.name, display.input,
                                   display.location))
    if extra is not None:
        name = args.output or program.output
        expr = program.output_expr(name)
        name = name or expr.label
        result = run_example(targets, expr, f"{name}({input_literal(extra)})", name, extra, None)
        results.append(joined(result, program.tokenizer) if args.text is not None else result)
    for result in results:
        if args.json:
            print(json.dumps(result.to_json(), ensure_ascii=False), file=out)
        else:
            print_result(result, out)
    return 0


def _run_model_file(args: argparse.Namespace, out) -> int:
    model = load_model(args.file)
    tokens = extra_input(args)
    if args.text is not None:
        tokens = text_tokens(args, model_encoder(model, args.file), model.config.max_len)
    if tokens is None:
        raise InputError(f"{args.file} is a model file: give an input with --input, --words or --text")
    output = Runner(model).run([tokens])[0]
    name = model.output_name
    result = Result(f"{name}({input_literal(tokens)})", name, tokens, output, None)
    if args.text is not None:
        result = joined(result, tokenizer_of(model.settings))
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False), file=out)
    else:
        print_result(result, out)
    return 0
