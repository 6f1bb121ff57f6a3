"""``draw(sop, "abc");``: the computation graph of an s-op with its values on one input.

The original RASP REPL draws the computation through graphviz. raspc writes the same
picture with no external program: every s-op and selector the drawn s-op depends on
is a box placed in the row of its depth in the graph (inputs at the top), showing its
name, the operation that computes it and its value at every position (a selector as
its query-by-key matrix, selected cells filled). ``to_svg`` draws it as one
self-contained SVG; ``to_dot`` gives the same graph as Graphviz DOT text for anyone
who has graphviz.

    >>> from rasp import ir
    >>> picture = drawing(ir.Map(fn=lambda x: x + 1, inner=ir.INDICES, name="next"), ("a", "b"))
    >>> [node.label for node in picture.nodes]
    ['indices', 'next']
    >>> picture.nodes[1].values
    ('1', '2')
"""
from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any, Sequence

from rasp import ir
from rasp.interpreter import Evaluation

CELL = 24
TITLE_HEIGHT = 34
ROW_GAP = 46
BOX_GAP = 24
MARGIN = 12


@dataclass(frozen=True)
class DrawnNode:
    """One s-op or selector: ``values`` for an s-op, ``matrix`` ([query][key]) for a selector."""

    id: int
    label: str
    operation: str
    depth: int
    values: tuple[str, ...] = ()
    matrix: tuple[tuple[bool, ...], ...] = ()

    @property
    def is_selector(self) -> bool:
        return bool(self.matrix)


@dataclass(frozen=True)
class Drawing:
    """The nodes in creation order, and the edges from each operand to its reader."""

    tokens: tuple[Any, ...]
    nodes: tuple[DrawnNode, ...]
    edges: tuple[tuple[int, int], ...]


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def _operation(node: ir.RaspExpr) -> str:
    if isinstance(node, ir.Select):
        return f"select: {node.describe()}"
    if isinstance(node, ir.Aggregate):
        return f"aggregate({node.selector.label}, {node.sop.label})"
    if isinstance(node, ir.SelectorWidth):
        return f"selector_width({node.selector.label})"
    if isinstance(node, ir.Map):
        return node.description.format(node.inner.label)
    if isinstance(node, ir.SequenceMap):
        return node.description.format(*(s.label for s in node.inputs))
    if isinstance(node, ir.Constant):
        return f"constant {_shown(node.value)}"
    return "input"


def drawing(root: ir.RaspExpr, tokens: Sequence[Any]) -> Drawing:
    """Evaluate ``root`` and everything it reads on ``tokens``, and place each node in
    the row of its depth (the longest path from an input)."""
    evaluation = Evaluation(tokens)
    depth: dict[int, int] = {}
    nodes, edges = [], []
    for node in ir.ancestors(root):
        depth[node.id] = 1 + max((depth[c.id] for c in node.children), default=-1)
        edges += [(child.id, node.id) for child in node.children]
        value = evaluation(node)
        if isinstance(node, ir.Selector):
            nodes.append(DrawnNode(node.id, node.label, _operation(node), depth[node.id],
                                   matrix=tuple(tuple(bool(c) for c in row) for row in value)))
        else:
            nodes.append(DrawnNode(node.id, node.label, _operation(node), depth[node.id],
                                   values=tuple(_shown(v) for v in value)))
    return Drawing(tuple(tokens), tuple(nodes), tuple(dict.fromkeys(edges)))


# ------------------------------------------------------------------ DOT

def to_dot(picture: Drawing) -> str:
    """Graphviz DOT text of the drawing: each node a record with its values."""
    lines = ["digraph rasp {", "  rankdir=TB;", '  node [shape=box, fontname="monospace"];']
    for node in picture.nodes:
        if node.is_selector:
            rows = ["".join("#" if c else "." for c in row) for row in node.matrix]
            body = "\\l".join(rows) + "\\l"
        else:
            body = " ".join(node.values)
        label = f"{node.label}\\n{node.operation}\\n{body}".replace('"', '\\"')
        lines.append(f'  n{node.id} [label="{label}"];')
    lines += [f"  n{a} -> n{b};" for a, b in picture.edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ SVG

@dataclass(frozen=True)
class _Box:
    node: DrawnNode
    x: float
    y: float
    width: float
    height: float


def _size(node: DrawnNode, n: int) -> tuple[float, float]:
    text_width = 7.2 * max(len(node.label), len(node.operation)) + 16
    body_rows = n if node.is_selector else 1
    return max(text_width, CELL * n + 16), TITLE_HEIGHT + CELL * body_rows + 8


def _layout(picture: Drawing) -> tuple[list[_Box], float, float]:
    n = len(picture.tokens)
    rows: dict[int, list[DrawnNode]] = {}
    for node in picture.nodes:
        rows.setdefault(node.depth, []).append(node)
    boxes, y, width = [], float(MARGIN), 0.0
    for depth in sorted(rows):
        sizes = [_size(node, n) for node in rows[depth]]
        x = float(MARGIN)
        for node, (w, h) in zip(rows[depth], sizes):
            boxes.append(_Box(node, x, y, w, h))
            x += w + BOX_GAP
        width = max(width, x - BOX_GAP + MARGIN)
        y += max(h for _, h in sizes) + ROW_GAP
    return boxes, width, y - ROW_GAP + MARGIN


def _box_svg(box: _Box) -> list[str]:
    node = box.node
    fill = "#fde8c8" if node.is_selector else ("#e4e4e4" if node.operation == "input" else "#dff0e0")
    parts = [f'<g class="node" data-name="{escape(node.label)}">',
             f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.width:.1f}" height="{box.height:.1f}" '
             f'rx="4" fill="{fill}" stroke="#555"/>',
             f'<text x="{box.x + 8:.1f}" y="{box.y + 14:.1f}" font-weight="bold">{escape(node.label)}</text>',
             f'<text x="{box.x + 8:.1f}" y="{box.y + 28:.1f}" fill="#444">{escape(node.operation)}</text>']
    top = box.y + TITLE_HEIGHT
    left = box.x + 8
    if node.is_selector:
        for q, row in enumerate(node.matrix):
            for k, chosen in enumerate(row):
                parts.append(f'<rect x="{left + k * CELL:.1f}" y="{top + q * CELL:.1f}" width="{CELL}" '
                             f'height="{CELL}" fill="{"#b05fc0" if chosen else "#fff"}" stroke="#999"/>')
    else:
        for k, value in enumerate(node.values):
            parts.append(f'<rect x="{left + k * CELL:.1f}" y="{top:.1f}" width="{CELL}" height="{CELL}" '
                         f'fill="#fff" stroke="#999"/>')
            parts.append(f'<text x="{left + k * CELL + CELL / 2:.1f}" y="{top + 16:.1f}" '
                         f'text-anchor="middle">{escape(value[:3])}</text>')
    parts.append("</g>")
    return parts


def to_svg(picture: Drawing) -> str:
    """One self-contained SVG: rows of boxes by depth, an arrow from each operand to
    each node that reads it."""
    boxes, width, height = _layout(picture)
    where = {box.node.id: box for box in boxes}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
             f'font-family="monospace" font-size="12">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
             'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>']
    for source, target in picture.edges:
        a, b = where[source], where[target]
        x1, y1 = a.x + a.width / 2, a.y + a.height
        x2, y2 = b.x + b.width / 2, b.y
        bend = (y2 - y1) / 2
        parts.append(f'<path d="M{x1:.1f},{y1:.1f} C{x1:.1f},{y1 + bend:.1f} {x2:.1f},{y2 - bend:.1f} '
                     f'{x2:.1f},{y2:.1f}" fill="none" stroke="#555" marker-end="url(#arrow)"/>')
    for box in boxes:
        parts += _box_svg(box)
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
