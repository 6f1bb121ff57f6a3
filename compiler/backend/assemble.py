"""Assembly: place every construction's block into the model's global matrices.

Constructions speak of named spaces; the layout gives each space its slice of the
residual. Here each head's bilinear score (a sum of query-space x key-space tables)
and its output map become ``w_q, w_k`` and ``w_v, w_o`` factored with the rank they
need (readable selection matrices where the rank is full, an SVD where it is not),
and every MLP block of a layer becomes one slice of that layer's hidden units.

The parameter count is checked before the model's dense matrices are allocated:
the embeddings from the layout alone, then the built blocks (each as compact as its
construction), so that a program whose weights would be huge fails with a message
naming the s-op responsible, and one that fits is never refused on a guess.

Between the steps travel named records: ``build_blocks`` gives ``BuiltBlocks``
(each layer's ``LayerBlocks`` and each operation's ``OpMargin``), ``place_layer`` a
``PlacedLayer`` (``HeadWeights`` made of ``Factors``, ``MLPWeights``, the labels),
and ``layer_params`` turns it into the layer's entry of the parameter pytree.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from compiler.constructions import attention, counting, mlp, tolerant
from compiler.constructions.blocks import FactoredQKTerm, HeadBlock, MLPBlock, Space
from compiler.backend.labels import head_source
from compiler.backend.layout import Plan, token_width
from compiler.passes.nodes import JointPredicate, WidthDecode, WidthScratch
from compiler.passes.pipeline import Lowered
from compiler.backend.schedule import ATTN, EMBED, MLP, Schedule
from compiler.analysis.valuesets import MAX_COMBINATIONS, possible_arguments, product_size, value_key
from rasp import ir
from compiler.errors import CompileError
from runtime.model import BOS as BOS_TOKEN
from runtime.model import CATEGORICAL, NUMERICAL, HeadLabel, Model, ModelConfig


@dataclass(frozen=True)
class LayerBlocks:
    """The blocks of one layer, before placement."""

    heads: list[HeadBlock]
    mlps: list[MLPBlock]


@dataclass(frozen=True)
class OpMargin:
    """The margin the construction of one operation guarantees, for ``raspc verify``
    (the model file keeps it as ``to_json``)."""

    op: str
    layer: int
    value: float
    reason: str
    parts: tuple[tuple[str, float], ...] = ()

    def to_json(self) -> dict:
        record = {"op": self.op, "layer": self.layer, "value": self.value, "reason": self.reason}
        return record | ({"parts": dict(self.parts)} if self.parts else {})


@dataclass(frozen=True)
class BuiltBlocks:
    """Every layer's blocks, and the margin of each operation's construction."""

    layers: list[LayerBlocks]
    margins: list[OpMargin]


# ---------------------------------------------------------------- size

def _fixed_params(lowered: Lowered, plan: Plan) -> int:
    """Embeddings and unembedding: known from the layout alone (the token table as
    wide as ``layout.token_width``)."""
    d = plan.layout.d_model
    return ((len(lowered.vocab) + 1) * token_width(lowered, plan) + (lowered.max_len + 1) * d
            + d * plan.spaces[lowered.outputs[0].id].width)


def check_embeddings(lowered: Lowered, plan: Plan, max_params: int) -> None:
    """Before any construction runs: the embeddings alone may be over the bound
    (a huge max_len or vocabulary)."""
    fixed = _fixed_params(lowered, plan)
    if fixed > max_params:
        widest = max(plan.layout.subspaces, key=lambda space: space.width)
        raise CompileError(
            f"the compiled model would have at least {fixed:,} parameters, over the bound of {max_params:,}, "
            f"in the embeddings alone ({len(lowered.vocab)} tokens, {lowered.max_len + 1} positions, residual "
            f"width {plan.layout.d_model}, of which {widest.width} hold {widest.name}). Shrink the vocabulary "
            f"or max_len, or raise --max-params")


@dataclass(frozen=True)
class _SizePart:
    """One block's share of the parameter count, for the refusal's message."""

    cost: int
    computes: str
    reads: str


def _hidden_units(built: LayerBlocks) -> int:
    """A layer's MLP width: its blocks side by side, plus the unit ``place_layer``
    adds for a constant output bias."""
    constant = any(np.any(block.b_out != 0) for block in built.mlps)
    return sum(block.hidden for block in built.mlps) + (1 if constant else 0)


def check_size(layers: list[LayerBlocks], lowered: Lowered, plan: Plan, max_params: int,
               placed: list[PlacedLayer] | None = None) -> int:
    """The dense parameter count of the model these blocks make, raising a one-line
    error naming the largest part when it is over ``max_params``. Before placement
    (``placed`` None) a lower bound: every head block its own head, one wide; after,
    each layer's heads as placed (shared, and as wide as their factors)."""
    d = plan.layout.d_model
    total = _fixed_params(lowered, plan)
    parts: list[_SizePart] = []
    for k, layer in enumerate(layers):
        heads, d_head = (len(layer.heads), 1) if placed is None else (len(placed[k].heads), placed[k].head_width)
        hidden = _hidden_units(layer)
        total += 2 * d * hidden + hidden + d + 4 * d * d_head * heads
        parts += [_SizePart(2 * d * block.hidden, block.output.name,
                            ", ".join(space.name for space in block.inputs))
                  for block in layer.mlps]
        parts += [_SizePart(4 * d * d_head, head.writes,
                            ", ".join(sorted({t.query.name for t in head.qk} | {t.key.name for t in head.qk})))
                  for head in layer.heads]
    if total > max_params:
        largest = max(parts, key=lambda part: (part.cost, part.computes, part.reads),
                      default=_SizePart(0, "", ""))
        raise CompileError(
            f"the compiled model would have {'at least ' if placed is None else ''}{total:,} parameters, over the "
            f"bound of {max_params:,}; the largest part ({largest.cost:,}) computes {largest.computes}, which reads "
            f"{largest.reads or 'nothing'} (residual width {d}). Shrink the vocabulary or max_len, split the map, "
            f"or raise --max-params")
    return total


# ---------------------------------------------------------------- building

def _select_for_construction(select: ir.Select) -> ir.Select:
    """The select the attention construction evaluates: a joint select is handed
    over as written (its predicate over the original slots), with joint spaces."""
    predicate = select.predicate
    return predicate.original if isinstance(predicate, JointPredicate) else select


def _restricted(fn, possible: list[tuple] | None):
    """``fn`` raising on argument tuples no position can produce, so that the MLP
    construction treats them as free."""
    if possible is None:
        return fn
    allowed = {tuple(value_key(a) for a in args) for args in possible}

    def restricted(*args):
        if tuple(value_key(a) for a in args) not in allowed:
            raise ValueError("no position produces these arguments")
        return fn(*args)

    return restricted


def _node_by_id(lowered: Lowered) -> dict[int, ir.RaspExpr]:
    return {n.id: n for n in ir.ancestors(lowered.outputs)}


def build_blocks(lowered: Lowered, schedule: Schedule, plan: Plan, narrow: bool = True) -> BuiltBlocks:
    """Call the constructions for every operation, layer by layer (``narrow``: wide
    equality tables of categorical aggregates as digits, ``attention.narrow_equality``)."""
    nodes = _node_by_id(lowered)
    layers = [LayerBlocks([], []) for _ in range(schedule.n_layers)]
    margins: list[OpMargin] = []
    clean = heads_read_later(lowered, schedule)
    for node_id in sorted(schedule.kind, key=lambda i: (schedule.layer[i], i)):
        kind = schedule.kind[node_id]
        if kind == EMBED:
            continue
        node, layer = nodes[node_id], schedule.layer[node_id]
        out = plan.spaces[node_id]
        if kind == MLP:
            inputs = tuple(plan.spaces[s.id] for s in node.children)
            label = node.label
            if isinstance(node, WidthDecode) and not node.inner.counts_length:
                block, margin = counting.width_decoder(inputs[0], out, lowered.max_len, label)
            elif needs_tolerance(node, lowered):
                bounds = [lowered.sets[s.id].bounds for s in node.children]
                block, margin = tolerant.tolerant_mlp(node.fn, inputs, bounds, out, label, node.tolerance.error,
                                                      node.tolerance.resolution)
            elif isinstance(node, ir.Map):
                block, margin = mlp.map_mlp(node.fn, inputs[0], out, label)
            else:
                fn = _restricted(node.fn, possible_arguments(node, lowered.max_len, lowered.sets))
                block, margin = mlp.sequence_map_mlp(fn, inputs, out, label)
            layers[layer].mlps.append(block)
        elif kind == ATTN:
            select = node.selector
            keys = tuple(plan.spaces[s.id] for s in select.keys)
            queries = tuple(plan.spaces[s.id] for s in select.queries)
            written = _select_for_construction(select)
            if isinstance(node, WidthScratch):
                ignored = Space(f"{out.name}_width", NUMERICAL, ())
                head, _, margin = counting.selector_width_blocks(written, keys, queries, ignored, out,
                                                                 lowered.max_len)
            else:
                head, margin = attention.aggregate_head(written, keys, queries, plan.spaces[node.sop.id],
                                                        out, node.default, lowered.max_len, narrow)
                if node_id in clean:
                    cleanup = attention.bos_cleanup(out, node.default)
                    if cleanup is not None:
                        layers[layer].mlps.append(cleanup)
            source = head_source(node, select, counts=isinstance(node, WidthScratch))
            layers[layer].heads.append(replace(head, source=source.text, place=source.place))
        else:
            raise CompileError(f"{node.label}: selector widths must be split before assembly")
        margins.append(OpMargin(node.label, layer, float(margin.value), margin.reason,
                                tuple((name, float(v)) for name, v in margin.parts)))
    for node_id, layer in plan.erase.items():
        layers[layer].mlps.append(eraser(plan.spaces[node_id]))
    return BuiltBlocks(layers, margins)


def needs_tolerance(node: ir.RaspExpr, lowered: Lowered) -> bool:
    """A map with a ``@tolerance`` that reads a number whose values are not listed,
    or operands with too many combinations to enumerate: built to its tolerance
    (``constructions.tolerant``); every other map is exact."""
    if node.tolerance is None:
        return False
    sets = [lowered.sets[s.id] for s in node.children]
    return not all(v.known for v in sets) or product_size([v.values for v in sets]) > MAX_COMBINATIONS


def heads_read_later(lowered: Lowered, schedule: Schedule) -> set[int]:
    """Aggregates whose output a later head reads as a key, a query or a source:
    their BOS entry (the default the head writes there) must be cleared. A query
    one-hot at BOS would meet the ``+T`` entries of an equality table written by
    its true entries (``attention.selection_terms``) and pull the BOS query off BOS."""
    found: set[int] = set()
    for node in ir.ancestors(lowered.outputs):
        if isinstance(node, (ir.Aggregate, WidthScratch)) and isinstance(node.selector, ir.Select):
            found.update(s.id for s in node.selector.keys)
            found.update(s.id for s in node.selector.queries)
            if isinstance(node, ir.Aggregate):
                found.add(node.sop.id)
    return {i for i in found if schedule.kind.get(i) == ATTN}


def eraser(space: Space) -> MLPBlock:
    """One ReLU that subtracts a width scratch (never negative: a softmax weight)
    from itself, so that a later scratch can use the direction."""
    return MLPBlock(inputs=(space,), w_in=(np.array([[1.0]]),), b_in=np.zeros(1),
                    w_out=np.array([[-1.0]]), b_out=np.zeros(1), output=space,
                    neuron_labels=(f"erase {space.name}",), label=f"erase {space.name}")


# --------------------------------------------------------------- placement

@dataclass(frozen=True)
class Factors:
    """A (d, d) table as ``left @ right.T``, each factor (d, rank): a head's query
    and key columns, or its value and output columns."""

    left: np.ndarray
    right: np.ndarray

    @property
    def rank(self) -> int:
        return int(self.left.shape[1])

    def same(self, other: "Factors") -> bool:
        return np.array_equal(self.left, other.left) and np.array_equal(self.right, other.right)


def factor(matrix: np.ndarray) -> Factors:
    """``left @ right.T == matrix`` with as few columns as its rank.

    Where the used rows (or columns) are already independent, the smaller side is a
    plain selection of residual directions, so the weights stay readable.
    """
    d_rows, d_cols = matrix.shape
    rows = np.flatnonzero(np.any(matrix != 0, axis=1))
    cols = np.flatnonzero(np.any(matrix != 0, axis=0))
    if rows.size == 0:
        return Factors(np.zeros((d_rows, 0)), np.zeros((d_cols, 0)))
    sub = matrix[np.ix_(rows, cols)]
    rank = int(np.linalg.matrix_rank(sub))
    if rank == min(rows.size, cols.size):
        if rows.size <= cols.size:
            left = np.zeros((d_rows, rows.size))
            left[rows, np.arange(rows.size)] = 1.0
            return Factors(left, matrix[rows, :].T.copy())
        right = np.zeros((d_cols, cols.size))
        right[cols, np.arange(cols.size)] = 1.0
        return Factors(matrix[:, cols].copy(), right)
    u, s, vt = np.linalg.svd(sub)
    scale = np.sqrt(s[:rank])
    left = np.zeros((d_rows, rank))
    right = np.zeros((d_cols, rank))
    left[rows] = u[:, :rank] * scale
    right[cols] = vt[:rank].T * scale
    return Factors(left, right)


def _with_kept(factored: Factors, kept: list[Factors]) -> Factors:
    """A head's factored table with the terms kept in their own factors beside it."""
    if not kept:
        return factored
    return Factors(np.concatenate([factored.left] + [term.left for term in kept], axis=1),
                   np.concatenate([factored.right] + [term.right for term in kept], axis=1))


@dataclass
class PlacedHead:
    """One head (or several sharing a pattern) in residual coordinates, before
    factoring."""

    qk: np.ndarray  # (d, d): query directions x key directions
    ov: np.ndarray  # (d, d): source directions x output directions
    labels: list[HeadBlock]
    #: Score terms kept in their own factors, each (d, rank) on both sides.
    qk_factors: list[Factors] = field(default_factory=list)

    def same_pattern(self, other: "PlacedHead") -> bool:
        return np.array_equal(self.qk, other.qk) and len(self.qk_factors) == len(other.qk_factors) and all(
            mine.same(theirs) for mine, theirs in zip(self.qk_factors, other.qk_factors))


def place_head(head: HeadBlock, plan: Plan) -> PlacedHead:
    d = plan.layout.d_model
    qk = np.zeros((d, d))
    ov = np.zeros((d, d))
    kept: list[Factors] = []
    for term in head.qk:
        if isinstance(term, FactoredQKTerm):
            left, right = np.zeros((d, term.left.shape[1])), np.zeros((d, term.right.shape[1]))
            left[plan.slice(term.query)] = term.left
            right[plan.slice(term.key)] = term.right
            kept.append(Factors(left, right))
        else:
            qk[plan.slice(term.query), plan.slice(term.key)] += term.matrix
    for term in head.ov:
        ov[plan.slice(term.source), plan.slice(head.output)] += plan.written(head.output, term.matrix)
    return PlacedHead(qk, ov, [head], kept)


def _rank(matrix: np.ndarray) -> int:
    """The rank of a mostly zero (d, d) table, from its nonzero rows and columns."""
    rows = np.flatnonzero(np.any(matrix != 0, axis=1))
    if rows.size == 0:
        return 0
    cols = np.flatnonzero(np.any(matrix != 0, axis=0))
    return int(np.linalg.matrix_rank(matrix[np.ix_(rows, cols)]))


def _head_width(qk_rank: int, head: PlacedHead, ov_rank: int) -> int:
    """What ``HeadWeights.width`` will be: the wider of its factored tables (the kept
    score terms beside the query-key table)."""
    return max(qk_rank + sum(term.rank for term in head.qk_factors), ov_rank)


def _merged(heads: list[PlacedHead], ranks: list[tuple[int, int]], limit: int | None
            ) -> tuple[list[PlacedHead], int]:
    """Heads of the same pattern merged in order, each into the first earlier head
    whose merged width stays within ``limit`` (None: no limit); with the widest
    head's width. ``ranks``: each head's query-key and value-output ranks."""
    merged: list[tuple[PlacedHead, int, int]] = []  # a head, its query-key rank, its value-output rank
    for head, (qk_rank, ov_rank) in zip(heads, ranks):
        for k, (twin, twin_qk, twin_ov) in enumerate(merged):
            if not twin.same_pattern(head):
                continue
            rank = _rank(twin.ov + head.ov)
            if limit is None or _head_width(twin_qk, twin, rank) <= limit:
                merged[k] = (PlacedHead(twin.qk, twin.ov + head.ov, twin.labels + head.labels, twin.qk_factors),
                             twin_qk, rank)
                break
        else:
            merged.append((PlacedHead(head.qk, head.ov.copy(), list(head.labels), head.qk_factors),
                           qk_rank, ov_rank))
    width = max([1] + [_head_width(qk, head, ov) for head, qk, ov in merged])
    return [head for head, _, _ in merged], width


def share_heads(heads: list[PlacedHead]) -> list[PlacedHead]:
    """Heads with the same attention pattern become one head writing every output,
    as far as that makes the layer smaller. Every head of a layer is as wide as its
    widest, so a merged head wider than the layer's other heads widens them all: the
    layer takes whichever costs fewer head dimensions (heads x width), every head of a
    pattern merged into one, or merged only up to the width of the layer's widest
    head alone; fewer heads where the two cost the same."""
    ranks = [(_rank(h.qk), _rank(h.ov)) for h in heads]
    alone = max([1] + [_head_width(qk, h, ov) for h, (qk, ov) in zip(heads, ranks)])
    options = [_merged(heads, ranks, None), _merged(heads, ranks, alone)]
    chosen, _ = min(options, key=lambda option: (len(option[0]) * option[1], len(option[0])))
    return chosen


@dataclass(frozen=True)
class HeadWeights:
    """One factored head: ``qk`` gives ``w_q`` (left) and ``w_k`` (right), ``ov``
    gives ``w_v`` (left) and ``w_o`` (right, transposed)."""

    qk: Factors
    ov: Factors

    @property
    def width(self) -> int:
        """The head dimension this head needs."""
        return max(self.qk.rank, self.ov.rank)


@dataclass(frozen=True)
class MLPWeights:
    """One layer's MLP in residual coordinates: ``relu(x @ w_in + b_in) @ w_out + b_out``."""

    w_in: np.ndarray  # (d, hidden)
    b_in: np.ndarray  # (hidden,)
    w_out: np.ndarray  # (hidden, d)
    b_out: np.ndarray  # (d,)

    def params(self) -> dict[str, np.ndarray]:
        """The layer's MLP entries of the model's parameter pytree (float32)."""
        return {"w_in": self.w_in.astype(np.float32), "b_in": self.b_in.astype(np.float32),
                "w_out": self.w_out.astype(np.float32), "b_out": self.b_out.astype(np.float32)}


@dataclass(frozen=True)
class PlacedLayer:
    """One layer placed in the residual: its heads factored, its MLP blocks side by
    side, and what each head and hidden unit implements (for the lens)."""

    heads: tuple[HeadWeights, ...]
    mlp: MLPWeights
    head_labels: tuple[HeadLabel, ...]
    neuron_labels: tuple[str, ...]

    @property
    def head_width(self) -> int:
        """The layer's head dimension: its widest head's (at least one)."""
        return max([1] + [head.width for head in self.heads])


def place_layer(built: LayerBlocks, plan: Plan, layer: int, share: bool) -> PlacedLayer:
    """One layer's parameters: heads placed (and merged when they share a pattern)
    and factored, MLP blocks side by side.

    BOS invariant: at the BOS position every space read by a later head as a key or
    a source holds zero (the constructions rely on it). MLP blocks switch
    themselves off there, aggregates read later get a cleanup block, and a block's
    constant output bias, if any, becomes a unit that is on everywhere but BOS.
    """
    d = plan.layout.d_model
    heads = [place_head(h, plan) for h in built.heads]
    if share:
        heads = share_heads(heads)
    weights = tuple(HeadWeights(_with_kept(factor(h.qk), h.qk_factors), factor(h.ov)) for h in heads)
    one, bos = plan.layout["one"].start, plan.layout["bos"].start
    hidden = sum(b.hidden for b in built.mlps)
    w_in, b_in = np.zeros((d, hidden)), np.zeros(hidden)
    w_out, b_out = np.zeros((hidden, d)), np.zeros(d)
    neuron_labels: list[str] = []
    start = 0
    for block in built.mlps:
        stop = start + block.hidden
        for space, matrix in zip(block.inputs, block.w_in):
            w_in[plan.slice(space), start:stop] += matrix
        b_in[start:stop] = block.b_in
        w_out[start:stop, plan.slice(block.output)] += plan.written(block.output, block.w_out)
        b_out[plan.slice(block.output)] += plan.written(block.output, block.b_out)
        neuron_labels.extend(block.neuron_labels)
        start = stop
    if np.any(b_out != 0):
        column = np.zeros((d, 1))
        column[one, 0], column[bos, 0] = 1.0, -2.0
        w_in = np.concatenate([w_in, column], axis=1)
        b_in = np.concatenate([b_in, np.zeros(1)])
        w_out = np.concatenate([w_out, b_out[None, :]], axis=0)
        neuron_labels.append("constant (off at BOS)")
        b_out = np.zeros(d)
    labels = tuple(
        HeadLabel(layer, k, " | ".join(b.label for b in h.labels), " | ".join(b.reads for b in h.labels),
                  " | ".join(b.writes for b in h.labels), " | ".join(b.source for b in h.labels if b.source),
                  " | ".join(b.place for b in h.labels if b.place))
        for k, h in enumerate(heads))
    return PlacedLayer(weights, MLPWeights(w_in, b_in, w_out, b_out), labels, tuple(neuron_labels))


def _stack(factors: list[Factors], d: int, d_head: int, transpose_second: bool
           ) -> tuple[np.ndarray, np.ndarray]:
    """The heads' factors as (heads, d, d_head) arrays, zero-padded to ``d_head``;
    the second (heads, d_head, d) when ``transpose_second`` (``w_o``)."""
    first = np.zeros((len(factors), d, d_head), np.float32)
    second = np.zeros((len(factors), d_head if transpose_second else d, d if transpose_second else d_head),
                      np.float32)
    for k, pair in enumerate(factors):
        r = pair.rank
        first[k, :, :r] = pair.left
        if transpose_second:
            second[k, :r, :] = pair.right.T
        else:
            second[k, :, :r] = pair.right
    return first, second


def layer_params(placed: PlacedLayer, d: int) -> dict[str, np.ndarray]:
    """One layer's entry of the parameter pytree, heads as wide as the layer needs."""
    w_q, w_k = _stack([head.qk for head in placed.heads], d, placed.head_width, transpose_second=False)
    w_v, w_o = _stack([head.ov for head in placed.heads], d, placed.head_width, transpose_second=True)
    return {"w_q": w_q, "w_k": w_k, "w_v": w_v, "w_o": w_o, **placed.mlp.params()}


def embeddings(lowered: Lowered, schedule: Schedule, plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    """Token rows: BOS first (``one`` and ``bos``), then each token with ``one``, its
    one-hot and every folded map of tokens (and the constants), as wide as the
    directions they write. Position rows: row 0 (BOS) empty, row p the index p - 1
    and every folded map of indices."""
    d = plan.layout.d_model
    vocab, max_len = lowered.vocab, lowered.max_len
    token_embed = np.zeros((len(vocab) + 1, d), np.float32)
    pos_embed = np.zeros((max_len + 1, d), np.float32)
    one, bos = plan.layout["one"].start, plan.layout["bos"].start
    token_embed[:, one] = 1.0
    token_embed[0, bos] = 1.0
    for node in ir.ancestors(lowered.outputs):
        if not isinstance(node, ir.SOp) or schedule.kind.get(node.id) != EMBED or node.id not in plan.spaces:
            continue
        space = plan.spaces[node.id]
        start = plan.layout[space.name].start
        grid = plan.subspace(space).code() if plan.subspace(space).grid_rows else None
        if isinstance(node, ir.Constant):
            rows, table, fn = range(1, len(vocab) + 1), token_embed, lambda _: node.value
            args = vocab
        else:
            leaf = node if isinstance(node, (ir.Tokens, ir.Indices)) else node.inner
            fn = (lambda x: x) if leaf is node else node.fn
            if isinstance(leaf, ir.Tokens):
                rows, table, args = range(1, len(vocab) + 1), token_embed, vocab
            else:
                rows, table, args = range(1, max_len + 1), pos_embed, tuple(range(max_len))
        for row, arg in zip(rows, args):
            try:
                value = fn(arg)
            except Exception:  # outside the function's domain: no input reaches it
                continue
            if grid is not None:
                table[row, plan.slice(space)] = grid[space.index_of(value)]
            elif space.encoding == CATEGORICAL:
                table[row, start + space.index_of(value)] = 1.0
            else:
                table[row, start] = float(value)
    # Only the directions the token rows write, which the layout puts first.
    return token_embed[:, :token_width(lowered, plan)].copy(), pos_embed


def unembedding(plan: Plan, output: Space) -> np.ndarray:
    """Each output value's column: its vector in the output's subspace (a one-hot's
    direction, or a grid's row and column)."""
    sub = plan.subspace(output)
    matrix = np.zeros((plan.layout.d_model, output.width), np.float32)
    if sub.grid_rows:
        matrix[sub.start:sub.stop] = sub.code().T
    else:
        matrix[np.arange(sub.start, sub.stop), np.arange(output.width)] = 1.0
    return matrix


def assemble(lowered: Lowered, schedule: Schedule, plan: Plan, *, max_params: int,
             disabled: tuple[str, ...] = (), settings: dict | None = None) -> Model:
    """The Model: blocks built, placed, factored and stacked. The parameter count is
    checked against ``max_params`` before anything of the model's full size is
    allocated: the embeddings before any construction runs, then the blocks (exact
    MLP widths, heads at least one wide), then the factored heads' width."""
    check_embeddings(lowered, plan, max_params)
    built = build_blocks(lowered, schedule, plan, narrow="narrow_equalities" not in disabled)
    check_size(built.layers, lowered, plan, max_params)
    d = plan.layout.d_model
    placed = [place_layer(b, plan, l, "share_heads" not in disabled) for l, b in enumerate(built.layers)]
    # Each layer's heads are as wide as its widest factor needs: a layer of one-rank
    # heads does not pay for another layer's wide comparison.
    check_size(built.layers, lowered, plan, max_params, placed)
    d_head = max((p.head_width for p in placed), default=1)
    token_embed, pos_embed = embeddings(lowered, schedule, plan)
    output = plan.spaces[lowered.outputs[0].id]
    params = {"token_embed": token_embed, "pos_embed": pos_embed, "layers": [layer_params(p, d) for p in placed],
              "unembed": unembedding(plan, output)}
    config = ModelConfig(vocab=(BOS_TOKEN,) + lowered.vocab, max_len=lowered.max_len, d_model=d,
                         d_head=d_head, n_layers=schedule.n_layers, output=output.name,
                         output_encoding=output.encoding,
                         output_values=output.values if output.encoding == CATEGORICAL else ())
    margins = [margin.to_json() for margin in built.margins]
    model = Model(config=config, params=params, layout=plan.layout,
                  head_labels=tuple(label for p in placed for label in p.head_labels),
                  neuron_labels=tuple(p.neuron_labels for p in placed),
                  settings=dict(settings or {}),
                  stats={"margins": margins,
                         "min_margin": min((m.value for m in built.margins), default=None)})
    if model.n_params > max_params:
        raise CompileError(f"the compiled model has {model.n_params:,} parameters, over the bound of "
                           f"{max_params:,}; shrink the vocabulary or max_len, or raise --max-params")
    model.stats["n_params"] = model.n_params
    return model
