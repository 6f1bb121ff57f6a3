"""What the original RASP REPL prints for each statement, line for line.

``raspc eval`` prints a file's displays this way, and ``raspc repl`` each statement's
as it is entered: an s-op's name and its values on the running example, a selector's
matrix, an example's result, a value. The formats are the original interpreter's
(tech-srl/RASP), as its transcripts in tests/data/original_conformance show them.
"""
from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, TextIO

from cli.display import json_atom, json_value
from rasp import ir
from rasp.errors import RaspEvaluationError
from rasp.interpreter import evaluate, sequence_type
from rasp.stage import Applied, BuiltinFunction, Display, Function
from raspc.errors import RaspcError


def _evaluate(display: Display) -> Any:
    try:
        return evaluate(display.value, display.input)
    except RaspcError as error:
        raise error.with_location(display.location)
    except RecursionError:
        raise RaspEvaluationError("the program is too deep to evaluate", display.location) from None


def emit(display: Display, as_json: bool, out: TextIO) -> None:
    """Print one display: the REPL's text, or (``as_json``) one JSON object for an evaluated one."""
    if as_json and not display.in_json:
        return
    evaluated = display.kind in ("example", "sop", "selector") and display.input is not None
    result = None
    if evaluated:
        try:
            result = _evaluate(display)
        except RaspcError:
            if display.in_json:
                raise
            # An assignment's value shown on the running example: the original skips
            # examples that do not fit the running example; so does this listing.
            display = replace(display, input=None)
            evaluated = False
    if as_json:
        if evaluated:
            record = {"expr": display.text, "name": display.name,
                      "input": [json_atom(t) for t in display.input],
                      "output": json_value(result)}
            print(json.dumps(record, ensure_ascii=False), file=out)
        return
    for line in _repl_lines(display, result):
        print(line, file=out)


# ------------------------------------------------------------ the REPL's format

def _repl_lines(display: Display, result: Any) -> list[str]:
    kind = display.kind
    if kind == "example":
        if isinstance(display.value, ir.Selector):
            return ["\t = "] + _matrix_lines(display.input, result)
        if display.verbose:
            return _table_lines("\t = ", " ", display.input, result)
        return ["\t =  " + format_sequence(result)]
    if kind == "sop":
        lines = [f"     s-op: {display.name}"]
        if display.input is not None:
            example = format_atom(display.example if display.example is not None else _running(display.input))
            if display.verbose:
                lines.extend(_table_lines(" \t Example:", f" {display.name}({example}) =", display.input, result))
            else:
                lines.append(f" \t Example: {display.name}({example}) = {format_sequence(result)}")
        return lines
    if kind == "selector":
        lines = [f"     selector: {display.name}"]
        if display.input is not None:
            lines.append(" \t Example:")
            lines.extend(_matrix_lines(display.input, result))
        return lines
    if kind == "show":
        sequence_example, selector_example = display.value
        lines = []
        if display.name in ("both", "s-op"):
            lines.append(f"\ts-op example: {format_atom(sequence_example)}")
        if display.name in ("both", "selector"):
            lines.append(f"\tselector example: {format_atom(selector_example)}")
        return lines
    return [_value_line(display.name, display.value)]


def _running(tokens: tuple) -> Any:
    """The running example as it was written: a string stays a string."""
    if all(isinstance(t, str) and len(t) == 1 for t in tokens):
        return "".join(tokens)
    return list(tokens)


def _value_line(name: str, value: Any) -> str:
    if isinstance(value, Applied):  # `x = f("abc");` holds a finished sequence
        result = evaluate(value.target, value.input)
        if isinstance(value.target, ir.Selector):
            return f"    value: {name} =  {result}"
        return f"    value: {name} =  {format_sequence(result)}"
    if isinstance(value, (Function, BuiltinFunction)):
        return f"     {value}"
    if isinstance(value, list):
        return f"     list: {name} = {_python_text(value)}"
    if isinstance(value, dict):
        return f"     dict: {name} = {_python_text(value)}"
    return f"    value: {name} =  {format_atom(value)}"


def _python_text(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_python_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_python_text(k)}: {_python_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, ir.RaspExpr):
        return value.label
    if isinstance(value, (Function, BuiltinFunction, Applied)):
        return str(value) if not isinstance(value, Applied) else value.target.label
    return repr(value)


def format_atom(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return _python_text(value)
    return str(value)


def _small(value: Any) -> str:
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, float):
        return str(round(value, 3))
    return str(value)


def format_sequence(values: list) -> str:
    """A sequence as the original prints it: ``[c, b, a] (strings)``, ``[5]*5 (ints)``."""
    kind = sequence_type(values)
    if len(values) > 1 and len(set(values)) == 1:
        body = f"[{_small(values[0])}]*{len(values)}"
    else:
        body = "[" + ", ".join(_small(v) for v in values) + "]"
    return f"{body} ({kind}s)"


def _table_lines(head: str, short_prefix: str, tokens: tuple, values: list) -> list[str]:
    """``full seq display on``: input and output aligned in columns (the REPL's table)."""
    if len(set(values)) == 1:
        return [f"{head}{short_prefix} {format_sequence(values)} [skipped full display: identical values]"]
    marked_input = _mark_minority(list(tokens))
    shown_input = [str(v) for v in marked_input]
    shown_output = [str(v) for v in _mark_minority(values)]
    width = max(len(v) for v in shown_input + shown_output)

    def row(cells):
        return " ".join(cell.rjust(width) for cell in cells)

    return [head,
            f" \t\tinput:   {row(shown_input)} \t ({sequence_type(marked_input)}s)",
            f" \t\toutput:  {row(shown_output)} \t ({sequence_type(values)}s)"]


def _mark_minority(values: list) -> list:
    """Booleans show only the rarer of T and F, as the original's table does."""
    if not values or not isinstance(values[0], bool):
        return values
    trues, falses = values.count(True), values.count(False)
    true_mark = "T" if trues <= falses else ""
    false_mark = "F" if falses <= trues else ""
    return [true_mark if v else false_mark for v in values]


def _matrix_lines(tokens: tuple, matrix: list[list[bool]]) -> list[str]:
    lines = [" \t\t\t     " + " ".join(str(t) for t in tokens)]
    for token, row in zip(tokens, matrix):
        lines.append(f" \t\t\t {token} | " + " ".join("1" if chosen else " " for chosen in row))
    return lines
