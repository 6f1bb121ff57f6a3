"""Compile a RASP program into the weights of a transformer.

    >>> from rasp import ir
    >>> from compiler import compile_expr
    >>> flip = ir.Select(keys=(ir.INDICES,), queries=(ir.LENGTH - ir.INDICES - 1,),
    ...                  predicate=ir.Compare("==", 0, 0))
    >>> model = compile_expr(ir.Aggregate(flip, ir.TOKENS).named("reverse"), ("a", "b"), 5)
    >>> model.config.n_layers
    2

The stages, each a pure function: lower (graph passes), schedule (a layer per
operation), layout (a slice of the residual per s-op), assemble (the constructions'
blocks placed into the global matrices).
"""
from __future__ import annotations

import time

from compiler.passes.lower import PASSES, lower
from rasp import ir
from compiler.errors import CompileError
from raspc.errors import RaspcError
from runtime.model import Model

__all__ = ["compile_program", "compile_expr", "PASSES"]


def _check_inputs(vocab, max_len) -> tuple:
    if vocab is None:
        raise CompileError("no vocabulary: declare one with 'vocab ...;' or pass --vocab")
    if max_len is None:
        raise CompileError("no maximum length: declare one with 'max_len N;' or pass --max-len")
    if not isinstance(max_len, int) or isinstance(max_len, bool) or max_len < 1:
        raise CompileError(f"max_len must be a positive integer, not {max_len!r}")
    unique = []
    for token in vocab:
        if not any(type(token) is type(t) and token == t for t in unique):
            unique.append(token)
    if not unique:
        raise CompileError("the vocabulary is empty")
    return tuple(unique)


def _compile(outputs: tuple[ir.SOp, ...], vocab, max_len, max_params: int,
             disabled_passes: tuple[str, ...], settings: dict) -> Model:
    from compiler.backend.assemble import assemble
    from compiler.backend.layout import plan_layout
    from compiler.backend.schedule import schedule

    started = time.perf_counter()
    vocab = _check_inputs(vocab, max_len)
    disabled = tuple(disabled_passes)
    if not isinstance(outputs[0], ir.SOp):
        raise CompileError(f"{outputs[0].label} is a selector; only an s-op can be a model's output")
    lowered = lower(outputs, vocab, max_len, disabled)
    placed = schedule(lowered.outputs, lowered.embedded)
    plan = plan_layout(lowered, placed, disabled)
    settings = {"vocab": list(vocab), "max_len": max_len, "max_params": max_params,
                "disabled_passes": list(disabled), **settings}
    model = assemble(lowered, placed, plan, max_params=max_params, disabled=disabled, settings=settings)
    model.stats["assumptions"] = hinted_assumptions(lowered)
    model.stats["compile_seconds"] = time.perf_counter() - started
    return model


def hinted_assumptions(lowered) -> list[str]:
    """Where a categorical hint overrides a mean: the model moves one value, so it
    agrees with the interpreter only on inputs where at most one key is selected."""
    from compiler.analysis.valuesets import selects_at_most_one

    found = []
    for node in ir.ancestors(lowered.outputs):
        if (isinstance(node, ir.Aggregate) and node.encoding_hint == ir.Encoding.CATEGORICAL
                and lowered.sets[node.sop.id].is_numeric and not selects_at_most_one(node.selector, lowered.sets)):
            found.append(f"{node.label} is hinted categorical: exact only on inputs where its selector "
                         f"selects at most one key per query")
    return found


def compile_expr(expr: ir.SOp, vocab, max_len, *, max_params: int = 50_000_000,
                 disabled_passes: tuple[str, ...] = ()) -> Model:
    """Compile one s-op (built directly with ``rasp.ir``) for inputs of length
    1..max_len over ``vocab``."""
    return _compile((expr,), vocab, max_len, max_params, disabled_passes, {"output": expr.label})


def compile_program(program: ir.Program, output: str | None = None, *, vocab=None, max_len=None,
                    max_params: int = 50_000_000, disabled_passes: tuple[str, ...] = ()) -> Model:
    """Compile a staged program's output s-op (``output`` overrides the declared one;
    ``vocab``/``max_len`` override the declarations)."""
    try:
        expr = program.output_expr(output)
    except RaspcError as error:
        raise CompileError(error.message) from None
    vocab = program.vocab if vocab is None else vocab
    max_len = program.max_len if max_len is None else max_len
    outputs: tuple[ir.SOp, ...] = (expr,)
    if "dead_code" in disabled_passes:
        outputs += tuple(sop for sop in program.names.values()
                         if isinstance(sop, ir.SOp) and sop is not expr)
    return _compile(outputs, vocab, max_len, max_params, disabled_passes,
                    {"output": output or program.output, "source": program.source_file})
