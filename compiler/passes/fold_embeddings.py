"""``fold_embeddings``: a function of tokens alone (or of indices alone) costs nothing.

The embedding is a table with a row per token and a row per position, so any
value that depends on the token alone (or on the position alone) can be written
into it directly: no MLP, no layer. Every elementwise chain over tokens alone (or
indices alone) becomes one map of that leaf, marked as embedded; a chain that
merely renames the leaf (``tokens_str = tokens``) is the leaf itself.
"""
from __future__ import annotations

from compiler.analysis.valuesets import value_key
from compiler.passes.expansion import ELEMENTWISE, Expansion, as_node, constant, leaf, merge
from compiler.passes.graph import Graph
from compiler.passes.rewriting import rewrite
from rasp import ir


def _is_identity(fn, values) -> bool:
    try:
        return all(value_key(fn(v)) == value_key(v) for v in values)
    except Exception:
        return False


def fold_embeddings(graph: Graph) -> Graph:
    """Replace every elementwise function of tokens alone (or indices alone) by one
    map of that leaf, marked as written by the embedding."""
    sets = graph.sets
    full: dict[int, Expansion] = {}
    embedded = set(graph.embedded)
    keep = {o.id for o in graph.outputs}

    def visit(node, original):
        if isinstance(node, ir.Constant):
            full[node.id] = constant(node)
            embedded.add(node.id)
            return None
        if not isinstance(node, ELEMENTWISE):
            full[node.id] = leaf(node)
            return None
        expansion = merge(node, [full[c.id] for c in node.children])
        full[node.id] = expansion
        leaves = expansion.frontier
        if all(isinstance(s, ir.Tokens) for s in leaves) or all(isinstance(s, ir.Indices) for s in leaves):
            if len(leaves) == 1 and _is_identity(expansion.fn, sets[leaves[0].id].values) \
                    and node.encoding_hint in (None, ir.Encoding.CATEGORICAL) \
                    and original.id not in keep:
                return leaves[0]  # tokens = tokens_str and the like: no new directions
            if isinstance(node, ir.Map) and node.inner in leaves:
                embedded.add(node.id)
                return None
            folded = as_node(node, expansion)
            full[folded.id] = expansion
            embedded.add(folded.id)
            return folded
        return None

    outputs = rewrite(graph.outputs, visit)
    return graph.rewritten(outputs, embedded)
