"""What a training or comparison command works on: a program's output as a task.

``load_task`` opens the command's FILE: a .rasp file is staged and compiled (the
compiled model fixes the shape, vocabulary and positions, and the interpreter
gives the truth), a model file is loaded (its own outputs are the truth, unless
its settings name a program source that still exists). A ``Task`` then labels
inputs (by the interpreter or by the model), gives the values of the program's
s-ops on inputs, and the counterfactual outputs of interchange interventions:
everything ``runtime.train`` and ``runtime.compare`` need from the language,
handed to them as plain values.
"""
from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from typing import Any, Sequence

from rasp import ir
from rasp.errors import RaspEvaluationError
from rasp.inputs import parse_input, parse_words
from rasp.interpreter import Evaluation, evaluate, evaluate_replaced
from raspc.errors import InputError
from runtime.engine.forward import Runner
from runtime.io import is_model_file, load_model
from runtime.model import Model
from cli.programs import compile_from_args, load_staged


@dataclass(frozen=True)
class Task:
    """A model to follow and, where known, the program it computes.

    ``model`` is the compiled model (or the model file given); ``output`` the
    program's output s-op and ``sops`` its s-ops by label, both None/empty when
    only a model file is known."""

    source: str
    model: Model
    output: ir.SOp | None
    sops: dict[str, ir.SOp]

    @property
    def has_program(self) -> bool:
        return self.output is not None

    def label(self, inputs: Sequence[tuple], by: str = "interpreter") -> list[list[Any]]:
        """The output on each input, by the interpreter (when there is a program)
        or by the model."""
        if by == "interpreter" and self.has_program:
            return [evaluate(self.output, tokens) for tokens in inputs]
        return Runner(self.model).run(list(inputs))

    def values(self, inputs: Sequence[tuple], names: Sequence[str]) -> dict[str, list[list[Any]]]:
        """The interpreter's value of each named s-op on each input."""
        evaluations = [Evaluation(tokens) for tokens in inputs]
        return {name: [e(self.sops[name]) for e in evaluations] for name in names}

    def counterfactual(self, base: tuple, source: tuple, name: str) -> list[Any] | None:
        """The output on ``base`` with s-op ``name`` holding its values on ``source``
        (inputs of one length); None where that output is undefined (an average of
        non-numbers, a value the program cannot give)."""
        sop = self.sops[name]
        try:
            return evaluate_replaced(self.output, base, {sop: evaluate(sop, source)})
        except (RaspEvaluationError, TypeError, ValueError):
            return None


def program_sops(output: ir.SOp) -> dict[str, ir.SOp]:
    """Every s-op the output depends on, by label (the names a compiled layout uses)."""
    return {node.label: node for node in ir.ancestors(output) if isinstance(node, ir.SOp)}


def load_task(args: argparse.Namespace, path: str | None = None) -> Task:
    """The task named by ``path`` (default ``args.file``) with the command line's
    program options (--vocab, --max-len, --output, --no-opt ...)."""
    path = path or args.file
    if is_model_file(path):
        model = load_model(path)
        source = model.settings.get("source")
        if model.config.kind == "compiled" and isinstance(source, str) and os.path.isfile(source):
            staged = load_staged(argparse.Namespace(file=source, search_path=getattr(args, "search_path", [])))
            output = staged.program.output_expr(model.config.output)
            return Task(path, model, output, program_sops(output))
        return Task(path, model, None, {})
    staged = load_staged(argparse.Namespace(**{**vars(args), "file": path}))
    compiled = compile_from_args(staged.program, args)
    output = staged.program.output_expr(getattr(args, "output", None))
    return Task(path, compiled.model, output, program_sops(output))


def read_corpus(path: str, words: bool = False) -> list[tuple[tuple, list]]:
    """(input, output) pairs from a TSV file: one pair a line, the input, a tab,
    the output, each written as ``raspc run --input`` takes it (``abc`` or a list
    literal; with ``words``, the input as whitespace-separated words). Blank lines
    and lines starting with # are skipped."""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError as failure:
        raise InputError(f"cannot read the corpus {path}: {failure.strerror or failure}") from None
    pairs = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 2:
            raise InputError(f"{path}:{number}: expected an input, a tab and an output, "
                             f"found {len(fields)} field(s)")
        try:
            tokens = parse_words(fields[0]) if words else parse_input(fields[0])
            output = list(parse_input(fields[1]))
        except InputError as error:
            raise InputError(f"{path}:{number}: {error.message}") from None
        if len(output) != len(tokens):
            raise InputError(f"{path}:{number}: the output has {len(output)} values for "
                             f"{len(tokens)} input tokens")
        pairs.append((tokens, output))
    if not pairs:
        raise InputError(f"the corpus {path} holds no pairs")
    return pairs
