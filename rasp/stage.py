"""Staging: run the meta level of a RASP file and keep the s-op graph it builds.

A RASP program is two programs in one. Atoms, lists, dicts, functions, loops and
comprehensions are ordinary values computed once, while the file is read; s-ops and
selectors are *descriptions* of computations over an input that is not known yet.
Staging evaluates the first kind and records the second as ``rasp.ir`` nodes, exactly
as the original interpreter builds its "unfinished" sequences. What is left is a
``Program``: the named s-ops and selectors, the example statements, and raspc's
declarations::

    >>> from rasp.parser import parse
    >>> program = stage(parse('flip = indices + 1;\\nflip("abc");'))
    >>> program.examples[0].input
    ('a', 'b', 'c')

Meanings follow the original interpreter (tech-srl/RASP) rule for rule, because
programs written for it must give the same results here: see
``rasp.staging.expressions`` for the details that matter (argument order of
``select``, how atoms broadcast, how ``and`` and ``or`` treat s-ops and selectors)
and ``rasp.staging.statements`` for how names are given.

This module holds the entry points and the prelude; the work is done in
``rasp.staging`` (limits, records, builders, expressions, files, statements). The
bounds below are the ones each staging runs under: they are read when a file is
staged, so a caller (a test) may lower them here.

Every user mistake is a ``RaspcError`` that names its place.
"""
from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

from rasp import ast, ir
from rasp.builtins import BASE_RESERVED, RESERVED, Env, Function, base_env
from rasp.builtins import Applied, BuiltinFunction  # noqa: F401 - re-exported (cli.commands.eval reads them here)
from rasp.errors import RaspEvaluationError, RaspNameError
from rasp.parser import parse
from rasp.staging.limits import (MAX_CALL_DEPTH, MAX_INT_BITS, MAX_LIST, MAX_NESTING, MAX_NODES,  # noqa: F401
                                 MAX_WORK, NODE_WORK, StageLimits)
from rasp.staging.limits import range_size as _range_size  # noqa: F401 - re-exported
from rasp.staging.records import Display, StagedFile  # noqa: F401 - re-exported
from rasp.staging.expressions import ExitFile
from rasp.staging.statements import Stager
from raspc.errors import SourceLocation

__all__ = ["stage", "stage_file", "stage_source", "Console", "ExitFile", "load_file", "load_program", "StagedFile", "Display", "StageLimits",
           "PRELUDE_PATH"]

PRELUDE_PATH = Path(__file__).with_name("prelude.rasp")


def current_limits() -> StageLimits:
    """The bounds as this module's names hold them now."""
    return StageLimits(max_call_depth=MAX_CALL_DEPTH, max_work=MAX_WORK, max_nodes=MAX_NODES,
                       node_work=NODE_WORK, max_list=MAX_LIST, max_int_bits=MAX_INT_BITS,
                       max_nesting=MAX_NESTING)


@lru_cache(maxsize=1)
def _prelude() -> tuple[Env, dict[int, str]]:
    """The staged prelude, once per process: its nodes are shared and never renamed."""
    base = base_env()
    module = parse(PRELUDE_PATH.read_text(encoding="utf-8"), str(PRELUDE_PATH))
    stager = Stager(base=base, limits=current_limits())
    prelude_env = Env(base, name="RASP_support/rasplib", reserved=BASE_RESERVED)
    stager.run_module(module, prelude_env, top=False)
    base.vars.update({k: v for k, v in prelude_env.vars.items() if k != "out"})
    for value in base.vars.values():
        if isinstance(value, Function):
            value.closure = base
    return base, stager.display_names


def stage_file(module: ast.Module, search_path: tuple[str, ...] = ()) -> StagedFile:
    """Stage a parsed file and keep what each top-level statement displays."""
    base, prelude_names = _prelude()
    stager = Stager(search_path=search_path, base=base, display_names=prelude_names, limits=current_limits())
    env = Env(base, name="console", reserved=RESERVED)
    previous_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous_limit, 8000))
    try:
        stager.run_module(module, env, top=True)
    except RecursionError:
        raise RaspEvaluationError(
            "the program nests too deeply to stage (a function that calls itself without end?)",
            stager.location or SourceLocation(module.file, 1, 1)) from None
    except MemoryError:
        raise RaspEvaluationError("staging ran out of memory (a list or a loop too large?)",
                                  stager.location or SourceLocation(module.file, 1, 1)) from None
    finally:
        sys.setrecursionlimit(previous_limit)
    return stager.finish(env, module.file)


def stage_source(source: str, file: str = "<stdin>", search_path: tuple[str, ...] = ()) -> StagedFile:
    """Parse and stage source text that comes from no file (``raspc eval -``)."""
    return stage_file(parse(source, file), search_path)


class Console:
    """Staging one statement at a time, the state kept between them: the REPL's session.

    ``run`` stages a parsed chunk and returns what its statements display; an error
    leaves what earlier statements defined in place."""

    def __init__(self, search_path: tuple[str, ...] = ()):
        base, prelude_names = _prelude()
        self.stager = Stager(search_path=search_path, base=base, display_names=prelude_names,
                             limits=current_limits())
        self.env = Env(base, name="console", reserved=RESERVED)

    def run(self, module: ast.Module) -> list[Display]:
        """The displays of ``module``'s statements; raises ExitFile at ``exit``."""
        shown = len(self.stager.displays)
        previous_limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(previous_limit, 8000))
        try:
            for statement in module.statements:
                self.stager.statement(statement, self.env, True, module.file)
        except RecursionError:
            raise RaspEvaluationError("the statement nests too deeply to stage", self.stager.location) from None
        finally:
            sys.setrecursionlimit(previous_limit)
            self.stager.location = None
        return self.stager.displays[shown:]

    @property
    def sequence_example(self):
        """The running example for s-ops (``set example``)."""
        return self.stager.sequence_example


def stage(module: ast.Module, search_path: tuple[str, ...] = ()) -> ir.Program:
    """Stage a parsed file (the prelude first) into a ``Program``."""
    return stage_file(module, search_path).program


def load_file(path: str, search_path: tuple[str, ...] = ()) -> StagedFile:
    """Read, parse and stage a file; ``load`` looks beside it first, then ``search_path``."""
    try:
        source = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RaspNameError(f"no such file: {path}") from None
    except UnicodeDecodeError:
        raise RaspNameError(f"{path} is not a RASP program: it is not UTF-8 text"
                            + (" (a model file; this command reads the .rasp file it was compiled from)"
                               if path.endswith(".safetensors") else "")) from None
    except OSError as failure:
        raise RaspNameError(f"cannot read {path}: {failure}") from None
    return stage_file(parse(source, path), search_path)


def load_program(path: str) -> ir.Program:
    """Parse and stage the file at ``path`` (see ``stage``)."""
    return load_file(path).program
