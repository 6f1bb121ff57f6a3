"""Programs value-set inference refuses, and how it says so: in the program's own
terms (its names, the operation as written), at the place the source wrote it, with
the likely fix."""
from __future__ import annotations

from compiler.errors import CompileError
from rasp import ir
from raspc.errors import RaspcError


def user_label(node: ir.RaspExpr) -> str:
    """The name a program uses: ``tokens`` is the built-in ``tokens_str``."""
    return "tokens" if node.name == "tokens_str" else node.label


def source_text(node: ir.RaspExpr) -> str:
    """The node as the program wrote it: ``NAME = operation over its operands' names``."""
    description = getattr(node, "description", None)
    if description is not None:
        try:
            operation = description.format(*[user_label(child) for child in node.children])
        except (IndexError, KeyError):
            operation = None
        if operation is not None:
            return f"{node.name} = {operation}" if node.name else operation
    return node.label


def never_succeeds(node: ir.RaspExpr, failure: BaseException | None) -> CompileError:
    """An operation that fails on every value its operands can take has no values:
    the program fails on every input, so it is refused where it is written."""
    operands = ", ".join(user_label(child) for child in node.children)
    reason = f" ({failure.message if isinstance(failure, RaspcError) else failure})" if failure else ""
    return CompileError(
        f"'{source_text(node)}' fails for every value of {operands}{reason}, so the program fails on every "
        "input; check the operands' types (tokens are strings; tokens_int is their numeric view)",
        node.location)


def cannot_average(node: ir.Aggregate, values: tuple) -> CompileError:
    """A numerical aggregate over strings: named as the program names it, with the fix."""
    strings = [v for v in values if isinstance(v, str)]
    shown = ", ".join(repr(v) for v in strings[:4]) + (", ..." if len(strings) > 4 else "")
    operand = user_label(node.sop)
    hint = ("tokens are strings even when the vocabulary holds numbers: aggregate tokens_int, their numeric view"
            if operand == "tokens" else f"make {operand} a number (tokens_int is the numeric view of tokens)")
    name = f"{node.name}: " if node.name else ""
    return CompileError(f"{name}a numerical aggregate cannot average {operand}, whose values are strings "
                        f"({shown}); {hint}", node.location)
