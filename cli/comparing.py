"""What ``raspc compare`` does once its arguments are parsed: fresh inputs, the
interpreter's evidence about them (outputs, s-op values, interchange
counterfactuals), the measures, and the report. Also the probes that
``raspc lens MODEL --program FILE.rasp`` reads a trained model with."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import numpy as np

from rasp import ir
from raspc.errors import InputError
from runtime.compare.comparison import (Evidence, Interchange, compare, encode_all, fit_all_probes,
                                        probe_targets, variables_of)
from runtime.compare.lens import FittedProbes, probed_report
from runtime.compare.render import format_text, write_html
from runtime.engine.dense import trace
from runtime.io import flatten_params, is_model_file, load_model
from runtime.lens import LensReport
from runtime.model import Model
from runtime.train.data import sample_inputs
from cli.corpus import corpus_sentences
from cli.task import Task, load_task
from cli.text import model_encoder


def _differing(values_a: list, values_b: list) -> bool:
    return any(type(x) is not type(y) or x != y for x, y in zip(values_a, values_b))


def interchange_pairs(task: Task, inputs: list[tuple], name: str, count: int, seed: int,
                      values: list | None = None) -> Interchange:
    """Up to ``count`` pairs of distinct inputs of one length whose values of s-op
    ``name`` differ, with the program's counterfactual output on each (pairs where
    it is undefined are dropped). ``values``: the s-op's values on each input,
    where the caller has them already (else the interpreter computes them)."""
    rng = np.random.default_rng(seed)
    known = {tokens: value for tokens, value in zip(inputs, values)} if values is not None else {}
    by_length: dict[int, list[tuple]] = {}
    for tokens in inputs:
        by_length.setdefault(len(tokens), []).append(tokens)
    groups = [g for g in by_length.values() if len(g) >= 2]
    bases, sources, expected = [], [], []
    attempts = 0
    while groups and len(bases) < count and attempts < 5 * count:
        attempts += 1
        group = groups[int(rng.integers(len(groups)))]
        i, j = rng.choice(len(group), size=2, replace=False)
        base, source = group[int(i)], group[int(j)]
        pair = [known[base], known[source]] if known else task.values([base, source], [name])[name]
        if not _differing(pair[0], pair[1]):
            continue
        output = task.counterfactual(base, source, name)
        if output is None:
            continue
        bases.append(base)
        sources.append(source)
        expected.append(output)
    return Interchange(name, tuple(bases), tuple(sources), tuple(expected))


def corpus_inputs(args: argparse.Namespace, task: Task) -> list[tuple] | None:
    """``--corpus FILE --text-column K``: up to ``--inputs`` distinct sentences of
    the corpus, cut by the program's tokenizer and drawn by ``--seed`` (None
    without --corpus)."""
    if args.corpus is None:
        if args.text_column is not None:
            raise InputError("--text-column names a column of the --corpus file; give --corpus")
        return None
    if args.text_column is None:
        raise InputError("--corpus needs --text-column: the column of the text (from 1)")
    lines = corpus_sentences(args.corpus, args.text_column, model_encoder(task.model, args.file),
                             task.model.config.max_len)
    distinct = list(dict.fromkeys(line.tokens for line in lines))
    order = np.random.default_rng(args.seed).permutation(len(distinct))[:args.inputs]
    return [distinct[int(k)] for k in order]


def gather_evidence(task: Task, a: Model, count: int, pairs: int, seed: int,
                    inputs: list[tuple] | None = None) -> Evidence:
    """Fresh inputs (or the given ones) and everything the interpreter says about them."""
    if count < 10 or (inputs is not None and len(inputs) < 10):
        raise InputError(f"--inputs {count}: compare needs at least 10 inputs" if count < 10 else
                         f"the corpus holds {len(inputs)} distinct sentences: compare needs at least 10")
    if inputs is None:
        vocab = a.config.vocab[1:]
        available = sum(len(vocab) ** n for n in range(1, a.config.max_len + 1))
        inputs = sample_inputs(vocab, a.config.max_len, (min(count, available),), seed)[0]
    truth = task.label(inputs, "interpreter")
    if not task.has_program:
        return Evidence(tuple(inputs), tuple(truth))
    names = [name for name in probe_targets(a)
             if name in task.sops and not isinstance(task.sops[name], ir.Constant)]
    values = task.values(inputs, names)
    variables = variables_of(a, values)
    changes = tuple(interchange_pairs(task, inputs, name, pairs, seed + k + 1, values[name])
                    for k, name in enumerate(names))
    return Evidence(tuple(inputs), tuple(truth), variables, changes)


def fitted_probes(task: Task, model: Model, count: int = 600, seed: int = 0) -> FittedProbes:
    """Probes for every s-op of the task's compiled layout, fitted on ``model``'s
    residual stream over ``count`` fresh inputs (what ``raspc lens --program``
    reads a trained model with)."""
    evidence = gather_evidence(task, task.model, count, 0, seed)
    ids = encode_all(model, evidence.inputs)
    traced = trace(model.params, ids, model.config)
    fitted = fit_all_probes(evidence.variables, traced, ids)
    probes = {name: found[0] for name, found in fitted.items()}
    scores = {name: found[1] for name, found in fitted.items()}
    return FittedProbes({v.name: v.encoding for v in evidence.variables},
                        {v.name: v.writer for v in evidence.variables}, probes, scores)


def probed_lens(args: argparse.Namespace, model: Model, tokens: tuple) -> LensReport:
    """``raspc lens MODEL --program FILE.rasp``: the lens report of ``model`` on
    ``tokens``, its variable grid read through probes for the program's s-ops."""
    return probed_report(model, fitted_probes(load_task(args, args.program), model, seed=0), tokens)


def non_finite_tensor(model: Model) -> str | None:
    """The name of the first weight tensor holding NaN or an infinity, or None."""
    return next((name for name, array in flatten_params(model.params).items()
                 if array.dtype.kind == "f" and not np.isfinite(array).all()), None)


def compare_command(args: argparse.Namespace, out=None) -> int:
    out = out or sys.stdout
    task = load_task(args)
    b = load_model(args.other) if is_model_file(args.other) else load_task(args, args.other).model
    for path, model in ((args.file, task.model), (args.other, b)):
        broken = non_finite_tensor(model)
        if broken is not None:
            raise InputError(f"{path}: weight {broken} holds NaN or infinite values (a training run that "
                             f"diverged?); compare needs a model whose weights are numbers")
    evidence = gather_evidence(task, task.model, args.inputs, args.pairs, args.seed, corpus_inputs(args, task))
    result = compare(task.model, b, evidence, seed=args.seed)
    if args.html:
        try:
            write_html(result, args.html, args.file, args.other)
        except OSError as failure:
            raise InputError(f"cannot write {args.html}: {failure.strerror or failure}") from None
    if args.json:
        record: dict[str, Any] = {"a": args.file, "b": args.other, "inputs": len(evidence.inputs),
                                  "truth": "interpreter" if task.has_program else "A", **result.to_json()}
        print(json.dumps(record), file=out)
        return 0
    print(format_text(result, args.file, args.other), file=out)
    if not task.has_program:
        print("\n(A's program is not at hand: A's own outputs stand for the truth, and no variable is probed)",
              file=out)
    if args.html:
        print(f"\nwrote {args.html}", file=out)
    return 0
