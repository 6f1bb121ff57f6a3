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

import sys
import time
from dataclasses import dataclass

from compiler.analysis.valuesets import selects_at_most_one
from compiler.backend.assemble import assemble
from compiler.backend.labels import source_names
from compiler.backend.layout import plan_layout
from compiler.backend.schedule import schedule
from compiler.errors import CompileError
from compiler.passes.pipeline import PASSES, Lowered, lower
from rasp import ir
from rasp.builtins import RESERVED
from raspc.errors import RaspcError, SourceLocation
from runtime.model import Model

__all__ = ["compile_program", "compile_expr", "PASSES", "CompileSettings"]


@dataclass(frozen=True)
class CompileSettings:
    """What one model is compiled for and how: the single record of these choices.
    Lowering takes the vocabulary and max_len from it, the assembly its bounds and
    switches, and the model file keeps it (``as_model_settings``).

    ``program`` says the output came from a staged program, whose source file
    the model file records (an expression built in Python has none);
    ``tokenizer`` is its ``@tokenizer`` as JSON (``raspc.text``), so that a model
    file cuts text as its source did."""

    vocab: tuple
    max_len: int
    max_params: int
    disabled_passes: tuple[str, ...]
    output: str | None
    source: str | None = None  # the program's source file
    program: bool = False
    tokenizer: dict | None = None

    @classmethod
    def checked(cls, vocab, max_len, max_params: int, disabled_passes, output: str | None,
                source: str | None = None, program: bool = False, tokenizer: dict | None = None
                ) -> CompileSettings:
        """The settings, once the declarations are known to be usable (CompileError
        otherwise); the vocabulary without repeats."""
        return cls(_checked_vocab(vocab, max_len), max_len, max_params, tuple(disabled_passes), output,
                   source, program, tokenizer)

    def as_model_settings(self) -> dict:
        """The JSON record ``Model.settings`` keeps of how the model was compiled."""
        record = {"vocab": list(self.vocab), "max_len": self.max_len, "max_params": self.max_params,
                  "disabled_passes": list(self.disabled_passes), "output": self.output}
        if self.program:
            record["source"] = self.source
        if self.tokenizer is not None:
            record["tokenizer"] = self.tokenizer
        return record


def _checked_vocab(vocab, max_len) -> tuple:
    """The vocabulary without repeats (type-exactly), once both declarations are
    known to be usable."""
    if vocab is None:
        raise CompileError("no vocabulary: declare one with '@vocab ...;' or pass --vocab")
    if max_len is None:
        raise CompileError("no maximum length: declare one with '@max_len N;' or pass --max-len")
    if not isinstance(max_len, int) or isinstance(max_len, bool) or max_len < 1:
        raise CompileError(f"max_len must be a positive integer, not {max_len!r}")
    unique = list({(type(token), token): token for token in vocab}.values())
    if not unique:
        raise CompileError("the vocabulary is empty")
    return tuple(unique)


#: The recursion depth compiling may use: a chain of a few hundred maps
#: (``x + 1 + 1 ...``) is fused into one function whose calls nest that deep.
COMPILE_RECURSION_LIMIT = 20_000


def _compile(outputs: tuple[ir.SOp, ...], settings: CompileSettings,
             aliases: tuple[tuple[str, ir.SOp], ...] = ()) -> Model:
    """``_compile_graph`` with room for deep chains; deeper still is a located error."""
    previous_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous_limit, COMPILE_RECURSION_LIMIT))
    try:
        return _compile_graph(outputs, settings, aliases)
    except RecursionError:
        raise CompileError(f"{outputs[0].label} nests too deeply to compile (a chain of thousands of operations?)",
                           outputs[0].location) from None
    finally:
        sys.setrecursionlimit(previous_limit)


def _compile_graph(outputs: tuple[ir.SOp, ...], settings: CompileSettings,
                   aliases: tuple[tuple[str, ir.SOp], ...] = ()) -> Model:
    started = time.perf_counter()
    if not isinstance(outputs[0], ir.SOp):
        raise CompileError(f"{outputs[0].label} is a selector; only an s-op can be a model's output")
    disabled = settings.disabled_passes
    lowered = lower(outputs, settings.vocab, settings.max_len, disabled)
    placed = schedule(lowered.outputs, lowered.embedded)
    plan = plan_layout(lowered, placed, disabled)
    model = assemble(lowered, placed, plan, max_params=settings.max_params, disabled=disabled,
                     settings=settings.as_model_settings())
    model.source_names = source_names(outputs, lowered.outputs, placed, plan, settings.source, aliases)
    model.stats["assumptions"] = hinted_assumptions(lowered)
    model.stats["tolerances"] = declared_tolerances(lowered, model)
    output = lowered.outputs[0]
    if output.tolerance is not None:
        model.stats["output_tolerance"] = output.tolerance.error
    model.stats["compile_seconds"] = time.perf_counter() - started
    return model


def hinted_assumptions(lowered: Lowered) -> list[str]:
    """Where a categorical hint overrides a mean: the model moves one value, so it
    agrees with the interpreter only on inputs where at most one key is selected."""
    found = []
    for node in ir.ancestors(lowered.outputs):
        if (isinstance(node, ir.Aggregate) and node.encoding_hint == ir.Encoding.CATEGORICAL
                and lowered.sets[node.sop.id].is_numeric and not selects_at_most_one(node.selector, lowered.sets)):
            found.append(f"{node.label} is hinted categorical: exact only on inputs where its selector "
                         f"selects at most one key per query")
    return found


def declared_tolerances(lowered: Lowered, model: Model) -> list[dict]:
    """Each map built to a ``@tolerance``: its declared error and resolution, and
    the worst error its construction states (``raspc compile`` reports them)."""
    margins = {m["op"]: m for m in model.stats.get("margins", [])}
    found = []
    for node in ir.ancestors(lowered.outputs):
        if node.tolerance is not None and node.label in margins:
            found.append({"op": node.label, "error": node.tolerance.error,
                          "resolution": node.tolerance.resolution, "worst": margins[node.label]["value"],
                          "fit": margins[node.label].get("parts", {}).get("fit"),
                          "rounding": margins[node.label].get("parts", {}).get("float32 rounding"),
                          "reason": margins[node.label]["reason"]})
    return found


def compile_expr(expr: ir.SOp, vocab, max_len, *, max_params: int = 50_000_000,
                 disabled_passes: tuple[str, ...] = ()) -> Model:
    """Compile one s-op (built directly with ``rasp.ir``) for inputs of length
    1..max_len over ``vocab``."""
    return _compile((expr,), CompileSettings.checked(vocab, max_len, max_params, disabled_passes, expr.label))


def compile_program(program: ir.Program, output: str | None = None, *, vocab=None, max_len=None,
                    max_params: int = 50_000_000, disabled_passes: tuple[str, ...] = (),
                    keep: tuple[str, ...] = ()) -> Model:
    """Compile a staged program's output s-op (``output`` overrides the declared one;
    ``vocab``/``max_len`` override the declarations). The s-ops named in ``keep`` are
    computed too and hold their own directions to the last layer, so that a reader of
    the final residual finds them (a grammar's rule that fired, beside its verdict)."""
    where = SourceLocation(program.source_file, 1, 1)
    try:
        expr = program.output_expr(output)
    except RaspcError as error:
        raise CompileError(error.message, error.location or where) from None
    unknown = [name for name in keep if not isinstance(program.names.get(name), ir.SOp)]
    if unknown:
        raise CompileError(f"cannot keep {unknown[0]!r}: it is not an s-op defined in {program.source_file}", where)
    kept = tuple(program.output_expr(name) for name in keep)
    outputs: tuple[ir.SOp, ...] = (expr,) + tuple(sop for sop in kept if sop is not expr)
    if "dead_code" in disabled_passes:
        # Every s-op the program names, but not the built-in views and the prelude's names:
        # tokens_int over a vocabulary of letters fails on every input, and no program
        # that leaves it unread should be refused for it.
        outputs += tuple(sop for name, sop in program.names.items()
                         if isinstance(sop, ir.SOp) and sop is not expr and name not in RESERVED)
    settings = CompileSettings.checked(program.vocab if vocab is None else vocab,
                                       program.max_len if max_len is None else max_len, max_params,
                                       disabled_passes, output or program.output, program.source_file,
                                       program=True,
                                       tokenizer=program.tokenizer.to_json() if program.tokenizer else None)
    # The program's names for s-ops that carry another (``y = tokens;``), for the lens.
    aliases = tuple((name, sop) for name, sop in program.names.items()
                    if isinstance(sop, ir.SOp) and name not in RESERVED and sop.name != name)
    return _compile(outputs, settings, aliases)
