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
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from compiler.constructions.blocks import FactoredQKTerm, HeadBlock, MLPBlock, Space
from compiler.backend.layout import Plan
from compiler.analysis.operands import operands
from compiler.passes.nodes import JointPredicate, WidthDecode, WidthScratch
from compiler.passes.pipeline import Lowered
from compiler.backend.schedule import ATTN, EMBED, MLP, Schedule
from compiler.analysis.valuesets import possible_arguments, value_key
from rasp import ir
from compiler.errors import CompileError
from runtime.model import BOS as BOS_TOKEN
from runtime.model import CATEGORICAL, NUMERICAL, HeadLabel, Model, ModelConfig


@dataclass(frozen=True)
class Built:
    """The blocks of one layer, before placement."""

    heads: list[HeadBlock]
    mlps: list[MLPBlock]


# ---------------------------------------------------------------- size

def _fixed_params(lowered: Lowered, plan: Plan) -> int:
    """Embeddings and unembedding: known from the layout alone."""
    d = plan.layout.d_model
    return (len(lowered.vocab) + 1 + lowered.max_len + 1) * d + d * plan.spaces[lowered.outputs[0].id].width


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


def _hidden_units(built: Built) -> int:
    """A layer's MLP width: its blocks side by side, plus the unit ``place_layer``
    adds for a constant output bias."""
    constant = any(np.any(block.b_out != 0) for block in built.mlps)
    return sum(block.hidden for block in built.mlps) + (1 if constant else 0)


def check_size(built: list[Built], heads_per_layer: list[int], head_widths: list[int] | None,
               lowered: Lowered, plan: Plan, max_params: int) -> int:
    """The dense parameter count of the model these blocks make, with each layer's
    head width (None before the heads are factored: one, a lower bound), raising a
    one-line error naming the largest part when it is over ``max_params``."""
    d = plan.layout.d_model
    total = _fixed_params(lowered, plan)
    parts: list[tuple[int, str, str]] = []
    widths = head_widths or [1] * len(built)
    for layer, heads, d_head in zip(built, heads_per_layer, widths):
        hidden = _hidden_units(layer)
        total += 2 * d * hidden + hidden + d + 4 * d * d_head * heads
        parts += [(2 * d * block.hidden, block.output.name, ", ".join(space.name for space in block.inputs))
                  for block in layer.mlps]
        parts += [(4 * d * d_head, head.writes, ", ".join(sorted({t.query.name for t in head.qk}
                                                                 | {t.key.name for t in head.qk})))
                  for head in layer.heads]
    if total > max_params:
        cost, name, reads = max(parts, default=(0, "", ""))
        raise CompileError(
            f"the compiled model would have {'at least ' if head_widths is None else ''}{total:,} parameters, over the "
            f"bound of {max_params:,}; the largest part ({cost:,}) computes {name}, which reads "
            f"{reads or 'nothing'} (residual width {d}). Shrink the vocabulary or max_len, split the map, "
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


def build_blocks(lowered: Lowered, schedule: Schedule, plan: Plan, narrow: bool = True
                 ) -> tuple[list[Built], list[dict]]:
    """Call the constructions for every operation, layer by layer (``narrow``: wide
    equality tables of categorical aggregates as digits, ``attention.narrow_equality``)."""
    from compiler.constructions import attention, counting, mlp

    nodes = _node_by_id(lowered)
    layers = [Built([], []) for _ in range(schedule.n_layers)]
    margins: list[dict] = []
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
            layers[layer].heads.append(head)
        else:
            raise CompileError(f"{node.label}: selector widths must be split before assembly")
        margins.append({"op": node.label, "layer": layer, "value": float(margin.value),
                        "reason": margin.reason})
    for node_id, layer in plan.erase.items():
        layers[layer].mlps.append(eraser(plan.spaces[node_id]))
    return layers, margins


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

def factor(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``left @ right.T == matrix`` with as few columns as its rank.

    Where the used rows (or columns) are already independent, the smaller side is a
    plain selection of residual directions, so the weights stay readable.
    """
    d_rows, d_cols = matrix.shape
    rows = np.flatnonzero(np.any(matrix != 0, axis=1))
    cols = np.flatnonzero(np.any(matrix != 0, axis=0))
    if rows.size == 0:
        return np.zeros((d_rows, 0)), np.zeros((d_cols, 0))
    sub = matrix[np.ix_(rows, cols)]
    rank = int(np.linalg.matrix_rank(sub))
    if rank == min(rows.size, cols.size):
        if rows.size <= cols.size:
            left = np.zeros((d_rows, rows.size))
            left[rows, np.arange(rows.size)] = 1.0
            return left, matrix[rows, :].T.copy()
        right = np.zeros((d_cols, cols.size))
        right[cols, np.arange(cols.size)] = 1.0
        return matrix[:, cols].copy(), right
    u, s, vt = np.linalg.svd(sub)
    scale = np.sqrt(s[:rank])
    left = np.zeros((d_rows, rank))
    right = np.zeros((d_cols, rank))
    left[rows] = u[:, :rank] * scale
    right[cols] = vt[:rank].T * scale
    return left, right


def _with_kept(factored: tuple[np.ndarray, np.ndarray], kept: list[tuple[np.ndarray, np.ndarray]]
               ) -> tuple[np.ndarray, np.ndarray]:
    """A head's factored table with the terms kept in their own factors beside it."""
    if not kept:
        return factored
    return (np.concatenate([factored[0]] + [left for left, _ in kept], axis=1),
            np.concatenate([factored[1]] + [right for _, right in kept], axis=1))


@dataclass
class PlacedHead:
    qk: np.ndarray  # (d, d): query directions x key directions
    ov: np.ndarray  # (d, d): source directions x output directions
    labels: list[HeadBlock]
    #: Score terms kept in their own factors, each (d, rank) on both sides.
    qk_factors: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)

    def same_pattern(self, other: "PlacedHead") -> bool:
        return np.array_equal(self.qk, other.qk) and len(self.qk_factors) == len(other.qk_factors) and all(
            np.array_equal(a, c) and np.array_equal(b, e)
            for (a, b), (c, e) in zip(self.qk_factors, other.qk_factors))


def place_head(head: HeadBlock, plan: Plan) -> PlacedHead:
    d = plan.layout.d_model
    qk = np.zeros((d, d))
    ov = np.zeros((d, d))
    kept: list[tuple[np.ndarray, np.ndarray]] = []
    for term in head.qk:
        if isinstance(term, FactoredQKTerm):
            left, right = np.zeros((d, term.left.shape[1])), np.zeros((d, term.right.shape[1]))
            left[plan.slice(term.query)] = term.left
            right[plan.slice(term.key)] = term.right
            kept.append((left, right))
        else:
            qk[plan.slice(term.query), plan.slice(term.key)] += term.matrix
    for term in head.ov:
        ov[plan.slice(term.source), plan.slice(head.output)] += term.matrix
    return PlacedHead(qk, ov, [head], kept)


def share_heads(heads: list[PlacedHead]) -> list[PlacedHead]:
    """Heads with the same attention pattern become one head writing every output."""
    merged: list[PlacedHead] = []
    for head in heads:
        twin = next((m for m in merged if m.same_pattern(head)), None)
        if twin is None:
            merged.append(PlacedHead(head.qk, head.ov.copy(), list(head.labels), head.qk_factors))
        else:
            twin.ov += head.ov
            twin.labels.extend(head.labels)
    return merged


def place_layer(built: Built, plan: Plan, layer: int, share: bool):
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
    factors = [(_with_kept(factor(h.qk), h.qk_factors), factor(h.ov)) for h in heads]
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
        w_out[start:stop, plan.slice(block.output)] += block.w_out
        b_out[plan.slice(block.output)] += block.b_out
        neuron_labels.extend(block.neuron_labels)
        start = stop
    extra_in, extra_out, extra_b = [], [], []
    if np.any(b_out != 0):
        column = np.zeros(d)
        column[one], column[bos] = 1.0, -2.0
        extra_in.append(column), extra_b.append(0.0), extra_out.append(b_out.copy())
        neuron_labels.append("constant (off at BOS)")
        b_out = np.zeros(d)
    if extra_in:
        w_in = np.concatenate([w_in, np.array(extra_in).T], axis=1)
        b_in = np.concatenate([b_in, np.array(extra_b)])
        w_out = np.concatenate([w_out, np.array(extra_out)], axis=0)
    labels = tuple(
        HeadLabel(layer, k, " | ".join(b.label for b in h.labels), " | ".join(b.reads for b in h.labels),
                  " | ".join(b.writes for b in h.labels))
        for k, h in enumerate(heads))
    mlp_params = {"w_in": w_in, "b_in": b_in, "w_out": w_out, "b_out": b_out}
    return factors, mlp_params, labels, tuple(neuron_labels)


def _stack(factors: list[tuple[np.ndarray, np.ndarray]], d: int, d_head: int, transpose_second: bool):
    first = np.zeros((len(factors), d, d_head), np.float32)
    second = np.zeros((len(factors), d_head if transpose_second else d, d if transpose_second else d_head),
                      np.float32)
    for k, (left, right) in enumerate(factors):
        r = left.shape[1]
        first[k, :, :r] = left
        if transpose_second:
            second[k, :r, :] = right.T
        else:
            second[k, :, :r] = right
    return first, second


def embeddings(lowered: Lowered, schedule: Schedule, plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    """Token rows: BOS first (``one`` and ``bos``), then each token with ``one``, its
    one-hot and every folded map of tokens (and the constants). Position rows: row 0
    (BOS) empty, row p the index p - 1 and every folded map of indices."""
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
            if space.encoding == CATEGORICAL:
                table[row, start + space.index_of(value)] = 1.0
            else:
                table[row, start] = float(value)
    return token_embed, pos_embed


def unembedding(plan: Plan, output: Space) -> np.ndarray:
    d = plan.layout.d_model
    sub = plan.layout[output.name]
    matrix = np.zeros((d, output.width), np.float32)
    matrix[np.arange(sub.start, sub.stop), np.arange(output.width)] = 1.0
    return matrix


def assemble(lowered: Lowered, schedule: Schedule, plan: Plan, *, max_params: int,
             disabled: tuple[str, ...] = (), settings: dict | None = None) -> Model:
    """The Model: blocks built, placed, factored and stacked. The parameter count is
    checked against ``max_params`` before anything of the model's full size is
    allocated: the embeddings before any construction runs, then the blocks (exact
    MLP widths, heads at least one wide), then the factored heads' width."""
    check_embeddings(lowered, plan, max_params)
    built, margins = build_blocks(lowered, schedule, plan, narrow="narrow_equalities" not in disabled)
    check_size(built, [len(b.heads) for b in built], None, lowered, plan, max_params)
    d = plan.layout.d_model
    placed = [place_layer(b, plan, l, "share_heads" not in disabled) for l, b in enumerate(built)]
    # Each layer's heads are as wide as its widest factor needs: a layer of one-rank
    # heads does not pay for another layer's wide comparison.
    head_widths = [max([1] + [max(qk[0].shape[1], ov[0].shape[1]) for qk, ov in p[0]]) for p in placed]
    check_size(built, [len(p[0]) for p in placed], head_widths, lowered, plan, max_params)
    d_head = max(head_widths, default=1)
    layers = []
    for (factors, mlp_params, _, _), width in zip(placed, head_widths):
        w_q, w_k = _stack([qk for qk, _ in factors], d, width, transpose_second=False)
        w_v, w_o = _stack([ov for _, ov in factors], d, width, transpose_second=True)
        layers.append({"w_q": w_q, "w_k": w_k, "w_v": w_v, "w_o": w_o,
                       **{k: v.astype(np.float32) for k, v in mlp_params.items()}})
    token_embed, pos_embed = embeddings(lowered, schedule, plan)
    output = plan.spaces[lowered.outputs[0].id]
    params = {"token_embed": token_embed, "pos_embed": pos_embed, "layers": layers,
              "unembed": unembedding(plan, output)}
    config = ModelConfig(vocab=(BOS_TOKEN,) + lowered.vocab, max_len=lowered.max_len, d_model=d,
                         d_head=d_head, n_layers=schedule.n_layers, output=output.name,
                         output_encoding=output.encoding,
                         output_values=output.values if output.encoding == CATEGORICAL else ())
    model = Model(config=config, params=params, layout=plan.layout,
                  head_labels=tuple(label for p in placed for label in p[2]),
                  neuron_labels=tuple(p[3] for p in placed),
                  settings=dict(settings or {}),
                  stats={"margins": margins,
                         "min_margin": min((m["value"] for m in margins), default=None)})
    if model.n_params > max_params:
        raise CompileError(f"the compiled model has {model.n_params:,} parameters, over the bound of "
                           f"{max_params:,}; shrink the vocabulary or max_len, or raise --max-params")
    model.stats["n_params"] = model.n_params
    return model
