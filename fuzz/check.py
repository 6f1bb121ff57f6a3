"""Checking one program: stage it, interpret it, compile it, run the model through each
forward pass, and compare every output with the interpreter's.

The outcome names the passes that disagree: a program on which only the packed pass
is wrong points at the engine (``runtime.engine.packed``), one on which both are
wrong at the compiler.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from compiler import compile_program
from compiler.errors import CompileError
from fuzz.inputs import THOROUGH, InputPlan, inputs_for
from fuzz.runners import BOTH, ModelPass
from rasp.interpreter import evaluate
from rasp.parser import parse
from rasp.stage import stage
from raspc.errors import RaspcError
from runtime.outputs import same_output

#: The statuses of an ``Outcome``, in the order reports list them.
STATUSES = ("ok", "mismatch", "crash", "compile_error", "invalid")


@dataclass(frozen=True)
class PassMismatch:
    """The first input on which one forward pass disagrees with the interpreter."""

    pass_name: str
    input: tuple
    expected: list
    got: list


@dataclass(frozen=True)
class Outcome:
    """What happened to one program: ``ok``, ``mismatch`` (``mismatches`` says which
    passes, on which input), ``invalid`` (the interpreter or staging rejects it: not
    the compiler's business), ``compile_error`` (a CompileError: a limitation,
    reported, not a wrong answer) or ``crash`` (compiling or running raised anything
    else: ``detail`` names it, and ``failed_passes`` the pass that raised).
    ``passes``: the passes the program was run through."""

    status: str
    detail: str = ""
    mismatches: tuple[PassMismatch, ...] = ()
    failed_passes: tuple[str, ...] = ()
    n_inputs: int = 0
    passes: tuple[str, ...] = ()

    @property
    def input(self) -> tuple | None:
        return self.mismatches[0].input if self.mismatches else None

    @property
    def expected(self) -> list | None:
        return self.mismatches[0].expected if self.mismatches else None

    @property
    def got(self) -> list | None:
        return self.mismatches[0].got if self.mismatches else None


def first_mismatch(pass_name: str, inputs: Sequence[tuple], expected: Sequence[list],
                   got: Sequence[list]) -> PassMismatch | None:
    """The first input whose output (``got``) is not the interpreter's (``expected``)."""
    for tokens, want, have in zip(inputs, expected, got):
        if not same_output(want, have):
            return PassMismatch(pass_name, tuple(tokens), want, have)
    return None


def check_source(source: str, seed: int = 0, plan: InputPlan = THOROUGH,
                 passes: Sequence[ModelPass] = BOTH) -> Outcome:
    """Stage, interpret, compile and run one program on its inputs (``plan``, drawn
    with ``seed``) through each of ``passes``; compare."""
    names = tuple(p.name for p in passes)
    try:
        program = stage(parse(source, "<fuzz>"))
        output = program.output_expr()
        inputs = inputs_for(program.vocab, program.max_len, seed, plan)
        expected = [evaluate(output, tokens) for tokens in inputs]
    except RaspcError as error:
        return Outcome("invalid", error.message, passes=names)
    try:
        model = compile_program(program)
    except CompileError as error:
        return Outcome("compile_error", error.message, passes=names)
    except Exception as failure:  # noqa: BLE001 - a crash is a finding, not the end of the run
        return Outcome("crash", f"{type(failure).__name__} while compiling: {failure}"[:300], passes=names)
    mismatches = []
    for model_pass in passes:
        try:
            got = model_pass.runner(model).run(inputs)
            if len(got) != len(inputs):
                raise ValueError(f"{len(got)} outputs for {len(inputs)} inputs")
        except Exception as failure:  # noqa: BLE001
            return Outcome("crash", f"{type(failure).__name__} while running the {model_pass.name} pass: "
                                    f"{failure}"[:300], failed_passes=(model_pass.name,), passes=names)
        found = first_mismatch(model_pass.name, inputs, expected, got)
        if found is not None:
            mismatches.append(found)
    if mismatches:
        return Outcome("mismatch", mismatches=tuple(mismatches),
                       failed_passes=tuple(m.pass_name for m in mismatches), n_inputs=len(inputs), passes=names)
    return Outcome("ok", n_inputs=len(inputs), passes=names)
