"""Who reads whom: the s-ops an operation reads from the residual, and the readers
of each node.

A selector is not in the residual: the head that uses it reads its keys and
queries. So the operands of an aggregate or a width are its selector's keys and
queries (and, for an aggregate, the averaged s-op); the scheduler places an
operation after them, and a pass that asks how an s-op is read (only averaged?)
asks the same question.
"""
from __future__ import annotations

from rasp import ir


def operands(node: ir.SOp) -> tuple[ir.SOp, ...]:
    """The s-ops an operation reads from the residual (a selector's keys and
    queries count as its reader's operands)."""
    found: list[ir.SOp] = []
    for child in node.children:
        if isinstance(child, ir.Select):
            found.extend(child.keys)
            found.extend(child.queries)
        elif isinstance(child, ir.SOp):
            found.append(child)
    return tuple(found)


def operand_readers(outputs: tuple[ir.SOp, ...]) -> dict[int, list[ir.SOp]]:
    """For every s-op id, the operations that read it from the residual."""
    found: dict[int, list[ir.SOp]] = {}
    for node in ir.ancestors(outputs):
        if isinstance(node, ir.SOp):
            for operand in operands(node):
                found.setdefault(operand.id, []).append(node)
    return found


def child_readers(outputs: tuple[ir.SOp, ...]) -> dict[int, list[ir.RaspExpr]]:
    """For every node id, the nodes that have it as a child (selectors included)."""
    found: dict[int, list[ir.RaspExpr]] = {}
    for node in ir.ancestors(outputs):
        for child in node.children:
            found.setdefault(child.id, []).append(node)
    return found
