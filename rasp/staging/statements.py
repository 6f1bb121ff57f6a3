"""The statement walker: runs a file's statements (and the files it loads) and keeps
what the program declares and what each top-level statement displays.

Assigning an s-op or selector names it after the variable, as the original does.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from rasp import ast, ir
from rasp.builtins import RESERVED, Applied, Env, Function, describe_value, is_atom, type_name
from rasp.errors import RaspEvaluationError, RaspNameError, RaspTypeError
from rasp.parser import parse
from rasp.staging.expressions import ExitFile, ExpressionEvaluator, application_input
from rasp.staging.files import Recorder, find_file, read_source, read_table
from rasp.staging.limits import StageLimits
from rasp.staging.records import Display, StagedFile
from rasp.staging.text import TextDeclarations
from raspc.errors import RaspcError, SourceLocation

DEFAULT_EXAMPLE = "hello"


def _as_input(example: Any) -> tuple:
    return tuple(example)


class Stager(ExpressionEvaluator):
    """Evaluates one file's statements (and the files it loads) into a ``StagedFile``.

    The rules that decide results are the original interpreter's: see
    ``rasp.staging.expressions`` and ``SopBuilder.select``.
    """

    def __init__(self, search_path: tuple[str, ...] = (), base: Env | None = None,
                 display_names: dict[int, str] | None = None, limits: StageLimits = StageLimits()):
        self.search_path = tuple(search_path)
        self.base = base
        super().__init__(limits, display_names)
        self.examples: list[ir.Example] = []
        self.displays: list[Display] = []
        self.vocab: tuple | None = None
        self.max_len: int | None = None
        self.output: tuple[str, SourceLocation] | None = None
        self.hints: list[ast.EncodingDecl] = []
        self.text = TextDeclarations()  # @tokenizer and @tolerance
        self.loading: list[str] = []
        self.sequence_example: Any = DEFAULT_EXAMPLE
        self.selector_example: Any = DEFAULT_EXAMPLE
        self.show_sequence_examples = True
        self.show_selector_examples = True
        self.verbose = False

    # ------------------------------------------------------------ statements

    def run_module(self, module: ast.Module, env: Env, top: bool) -> None:
        try:
            for statement in module.statements:
                self.statement(statement, env, top, module.file)
        except ExitFile:
            pass

    def statement(self, node: ast.Statement, env: Env, top: bool, file: str) -> None:
        outer, self.location = self.location, node.loc
        try:
            self._statement(node, env, top, file)
        except RaspcError as error:
            raise error.with_location(node.loc)
        self.location = outer  # kept at the failing place when an exception leaves

    def _statement(self, node: ast.Statement, env: Env, top: bool, file: str) -> None:
        self.charge(1, node.loc)
        if isinstance(node, ast.ExprStatement):
            value = self.expr(node.expr, env)
            if top:
                self._display(node, value)
        elif isinstance(node, ast.Assign):
            for name, value in self.assign(node, env):
                if top:
                    self._show_named(name, value, node.loc, with_example=True)
        elif isinstance(node, ast.Def):
            function = Function(node.name, tuple(node.params), tuple(node.body), tuple(node.returns),
                                env, env.name)
            env.set(node.name, function, node.loc)
            if top:
                self._show_named(node.name, function, node.loc, with_example=False)
        elif isinstance(node, ast.For):
            self.for_loop(node, env, file)
        elif isinstance(node, ast.Load):
            shared = self.load(node, env, file)
            if top:
                last = {name: position for position, (name, _) in enumerate(shared)}
                for position, (name, value) in enumerate(shared):
                    if last[name] == position:
                        self._show_named(name, value, node.loc, with_example=False)
        elif isinstance(node, ast.Draw):
            self.draw(node, env, top)
        elif isinstance(node, ast.ReplCommand):
            self.repl_command(node, env, top)
        elif isinstance(node, ast.VocabDecl):
            values = self.expr(node.values, env)
            if isinstance(values, (str, list)):
                self.charge(len(values), node.loc)
            self.vocab = self._vocab(values, node.loc)
        elif isinstance(node, ast.MaxLenDecl):
            value = self.expr(node.value, env)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise RaspTypeError(f"@max_len needs a positive integer, got {describe_value(value, 40)}", node.loc)
            if value > self.limits.max_list:
                raise RaspEvaluationError(f"@max_len {value} is more than {self.limits.max_list} (the limit for "
                                          "sequence lengths)", node.loc)
            self.max_len = value
        elif isinstance(node, ast.OutputDecl):
            self.output = (node.name, node.loc)
        elif isinstance(node, ast.EncodingDecl):
            self.hints.append(node)
        elif isinstance(node, ast.TableDecl):
            path = find_file(node.path, file, self.search_path, node.loc, "@table")
            env.set(node.name, read_table(path, node.loc), node.loc)
        elif isinstance(node, (ast.TokenizerDecl, ast.ToleranceDecl)):
            self.text.declare(node, env, self.expr)
        else:  # pragma: no cover - the parser builds nothing else
            raise RaspTypeError(f"unknown statement {type(node).__name__}", node.loc)

    def assign(self, node: ast.Assign, env: Env) -> list[tuple[str, Any]]:
        values = [self.expr(v, env) for v in node.values]
        value: Any = values[0] if len(values) == 1 else values
        if len(node.targets) == 1:
            pairs = [(node.targets[0], value)]
        else:
            if not isinstance(value, list):
                raise RaspTypeError(f"expected {len(node.targets)} values, but got one "
                                    f"{type_name(value)}", node.loc)
            if len(value) != len(node.targets):
                raise RaspTypeError(f"expected {len(node.targets)} values, but got {len(value)}", node.loc)
            pairs = list(zip(node.targets, value))
        for name, item in pairs:
            env.set(name, item, node.loc)
            self.assign_name(item, name)
        return pairs

    def for_loop(self, node: ast.For, env: Env, file: str) -> None:
        items = self.iterable(self.expr(node.iterable, env), "a for loop", node.iterable.loc)
        for item in items:
            self.bind_targets(env, tuple(node.targets), item, node.loc)
            for statement in node.body:
                self.statement(statement, env, False, file)

    def repl_command(self, node: ast.ReplCommand, env: Env, top: bool) -> None:
        subset = node.subset or "both"
        if node.command == "exit":
            raise ExitFile()
        if node.command == "set":
            example = self.expr(node.argument, env)
            if not isinstance(example, (str, list)):
                raise RaspTypeError(f"an example must be a string or a list, got a {type_name(example)}",
                                    node.loc)
            if subset in ("both", "s-op"):
                self.sequence_example = example
            if subset in ("both", "selector"):
                self.selector_example = example
        elif node.command == "examples":
            on = node.argument == "on"
            if subset in ("both", "s-op"):
                self.show_sequence_examples = on
            if subset in ("both", "selector"):
                self.show_selector_examples = on
        elif node.command == "show" and top:
            self.displays.append(Display("show", "", subset, (self.sequence_example, self.selector_example),
                                         None, node.loc))
        elif node.command == "full_seq_display":
            self.verbose = node.argument == "on"

    def draw(self, node: ast.Draw, env: Env, top: bool) -> None:
        """``draw(sop[, input]);``: recorded, like an example, for the command to draw
        (on the running example when no input is given); the compiler ignores it."""
        target = self.no_applied(self.expr(node.sop, env), node.sop.loc)
        if not isinstance(target, ir.RaspExpr):
            raise RaspTypeError(f"draw expects an s-op or a selector, got a {type_name(target)}", node.loc)
        example = self.expr(node.input, env) if node.input is not None else self.sequence_example
        tokens = application_input(example, node.loc)
        if top:
            name = node.sop.id if isinstance(node.sop, ast.Name) else self.name_of(target)
            self.displays.append(Display("draw", f"draw({name})", name, target, tokens, node.loc, example,
                                         in_json=False))

    def load(self, node: ast.Load, env: Env, file: str) -> list[tuple[str, Any]]:
        """Run a loaded file in its own scope; its public names land in ``env`` too.

        Returns the (name, value) pairs it shared, in order, for the REPL's listing.
        """
        # ``load "x";`` as the original writes it; ``load "x.rasp";`` names the same file.
        file_name = node.name if node.name.endswith(".rasp") else node.name + ".rasp"
        path = find_file(file_name, file, self.search_path, node.loc, "load")
        if path in self.loading:
            raise RaspNameError(f"load cycle: {node.name!r} is already being loaded "
                                f"({' -> '.join(Path(p).name for p in self.loading)})", node.loc)
        module = parse(read_source(path, node.loc), path)
        receiver = Recorder(env)
        file_env = Env(self.base, name=node.name, stealing=receiver, reserved=RESERVED)
        self.loading.append(path)
        try:
            self.run_module(module, file_env, top=False)
        finally:
            self.loading.pop()
        return receiver.shared

    def _vocab(self, value: Any, location) -> tuple:
        if isinstance(value, str):
            items = tuple(value)
        elif isinstance(value, list) and all(is_atom(v) for v in value):
            items = tuple(value)
        else:
            raise RaspTypeError(f"@vocab needs a string or a list of atoms, got {describe_value(value, 40)}",
                                location)
        if not items:
            raise RaspTypeError("@vocab is empty", location)
        return tuple(dict.fromkeys(items))

    # ------------------------------------------------------------ displays

    def _add(self, display: Display) -> None:
        self.displays.append(replace(display, verbose=self.verbose) if self.verbose else display)

    def _show_named(self, name: str, value: Any, location, with_example: bool) -> None:
        kind = "sop" if isinstance(value, ir.SOp) else "selector" if isinstance(value, ir.Selector) else "value"
        shown = None
        example = self.sequence_example if kind == "sop" else self.selector_example
        if with_example and kind != "value":
            on = self.show_sequence_examples if kind == "sop" else self.show_selector_examples
            shown = _as_input(example) if on else None
        self._add(Display(kind, name, name, value, shown, location, example, in_json=False))

    def _display(self, node: ast.ExprStatement, value: Any) -> None:
        text = node.text.strip().rstrip(";").strip()
        name = node.expr.id if isinstance(node.expr, ast.Name) else "out"
        if isinstance(value, Applied) and not isinstance(node.expr, ast.Call):
            # a name holding a finished sequence (`x = f("ab"); x;`): shown as a value
            self._add(Display("value", text, name, value, None, node.loc, in_json=False))
        elif isinstance(value, Applied):
            self.examples.append(ir.Example(text, value.target, value.input, node.loc))
            self._add(Display("example", text, self.name_of(value.target), value.target,
                              value.input, node.loc))
        elif isinstance(value, ir.SOp):
            shown = _as_input(self.sequence_example) if self.show_sequence_examples else None
            self._add(Display("sop", text, name, value, shown, node.loc, self.sequence_example))
        elif isinstance(value, ir.Selector):
            shown = _as_input(self.selector_example) if self.show_selector_examples else None
            self._add(Display("selector", text, name, value, shown, node.loc, self.selector_example))
        else:
            self._add(Display("value", text, name, value, None, node.loc))

    # ------------------------------------------------------------ finishing

    def finish(self, env: Env, source_file: str) -> StagedFile:
        """The program the file built: its named s-ops and selectors (``out`` aside),
        its examples and declarations, with the encoding hints applied."""
        for hint in self.hints:
            value = env.lookup(hint.name, hint.loc)
            if not isinstance(value, ir.SOp):
                raise RaspTypeError(f"@{hint.encoding} applies to s-ops; {hint.name!r} is a {type_name(value)}",
                                    hint.loc)
            if not self.owned(value):
                raise RaspTypeError(f"@{hint.encoding} cannot change the built-in s-op {hint.name!r}", hint.loc)
            value.encoding_hint = ir.Encoding(hint.encoding)
        names: dict[str, ir.RaspExpr] = {}
        scope: Env | None = env
        chain = []
        while scope is not None:
            chain.append(scope)
            scope = scope.parent
        for scope in reversed(chain):
            for name, value in scope.vars.items():
                if name != "out" and isinstance(value, ir.RaspExpr):
                    names[name] = value
        output = None
        if self.output is not None:
            name, location = self.output
            declared = names.get(name)
            if isinstance(declared, ir.Selector):
                raise RaspTypeError(f"@output {name!r} is a selector; the output must be an s-op: aggregate it "
                                    f"(aggregate({name}, ...)) or count it (selector_width({name}))", location)
            if not isinstance(declared, ir.SOp):
                if name in env.vars:
                    raise RaspNameError(f"@output {name!r} holds {describe_value(env.vars[name], 40)}, not an s-op",
                                        location)
                raise RaspNameError(f"@output {name!r} is not defined in this file", location)
            output = name
        program = ir.Program(names=names, examples=list(self.examples), vocab=self.vocab,
                             max_len=self.max_len, output=output, source_file=source_file,
                             token_literals=list(self.token_literals))
        program = self.text.finish(program, env)
        return StagedFile(program, list(self.displays), self.display_names)
