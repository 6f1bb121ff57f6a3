"""Interchange interventions on a compiled model's own subspaces, where the compiler
computes an s-op again inside other operations (a map of it folded into the
embedding, or fused into a reader's MLP): patched together with the subspaces that
hold a function of it alone, the model gives the program's counterfactual on every
pair; where a reader computes it from its operands beside other values, compare
says the s-op is fused instead of reporting an IIA."""
from __future__ import annotations

import itertools

import pytest

from compiler import compile_program
from rasp.interpreter import evaluate, evaluate_replaced
from rasp.stage import load_program
from runtime.compare.comparison import (Evidence, Interchange, compare, encode_all, own_patches, variables_of)
from runtime.compare.interventions import Patch, interchange_accuracy, residual_points, subspace_basis
from runtime.compare.render import format_text

# ``b`` is a function of ``a`` alone, and both of the tokens alone: the compiler
# writes both into the embedding table, ``b`` from the tokens, not from ``a``.
SOURCE = """\
@vocab "abc";
@max_len 4;
@output result;
a = tokens == "a";
b = 1 if a else 2;
prev = aggregate(select(indices, indices - 1, ==), a, False);
result = b + (10 if prev else 0);
"""


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    path = tmp_path_factory.mktemp("reach") / "reach.rasp"
    path.write_text(SOURCE)
    return load_program(str(path))


def _model(program, *disabled):
    return compile_program(program, disabled_passes=disabled)


def _program_result(tokens, a_values=None):
    """The program, written out in Python: result at each position, with ``a``
    optionally replaced."""
    a = [t == "a" for t in tokens] if a_values is None else list(a_values)
    b = [1 if x else 2 for x in a]
    prev = [False] + a[:-1]
    return [y + (10 if p else 0) for y, p in zip(b, prev)]


def _pairs(program):
    """Every pair of distinct inputs of length 3 over "abc" whose ``a`` differ, with
    the interpreter's counterfactual (checked against the Python above)."""
    a = program.names["a"]
    bases, sources, expected = [], [], []
    for base, source in itertools.permutations(itertools.product("abc", repeat=3), 2):
        source_a = evaluate(a, source)
        if source_a == evaluate(a, base):
            continue
        want = evaluate_replaced(program.names["result"], base, {a: source_a})
        assert want == _program_result(base, source_a)
        bases.append(base)
        sources.append(source)
        expected.append(want)
    return Interchange("a", tuple(bases), tuple(sources), tuple(expected))


def test_the_worked_pair_needs_the_folded_copy_patched_too(program):
    model = _model(program)
    names = {n.name: n for n in model.source_names}
    assert names["a"].copies == ("b",) and names["a"].fused_in == ()
    # base "ab": a = [T, F], b = [1, 2], prev = [F, T], result = [1, 12]. With a from
    # "ba" (a = [F, T]): b = [2, 1], prev = [F, F], result = [2, 1]. Patching a's
    # subspace alone changes prev but leaves the embedding's b: [1, 2].
    assert _program_result(("a", "b")) == [1, 12] and _program_result(("a", "b"), [False, True]) == [2, 1]
    base, source = encode_all(model, [("a", "b")]), encode_all(model, [("b", "a")])
    points = residual_points(model.config.n_layers)
    own = model.layout["a"]
    alone = [Patch(points.index(own.writer), subspace_basis(model.config.d_model, range(own.start, own.stop)))]
    assert interchange_accuracy(model, base, source, alone, [[1, 2]], 0.0) == 1.0
    assert interchange_accuracy(model, base, source, alone, [[2, 1]], 0.0) == 0.0
    # no patch at all: the base's own output, [1, 12]
    assert interchange_accuracy(model, base, source, [], [[1, 12]], 0.0) == 1.0
    assert interchange_accuracy(model, base, source, [], [[2, 1]], 0.0) == 0.0
    (variable,) = variables_of(model, {"a": ([True],)})
    assert [c.name for c in variable.copies] == ["b"]
    assert interchange_accuracy(model, base, source, own_patches(model, points, variable), [[2, 1]], 0.0) == 1.0


def test_patched_with_its_copies_every_pair_gives_the_counterfactual(program):
    model = _model(program)
    change = _pairs(program)
    (variable,) = variables_of(model, {"a": tuple([False] * 3 for _ in change.bases)})
    points = residual_points(model.config.n_layers)
    accuracy = interchange_accuracy(model, encode_all(model, change.bases), encode_all(model, change.sources),
                                    own_patches(model, points, variable), change.expected, 0.0)
    assert accuracy == 1.0


def test_an_s_op_fused_into_a_reader_beside_other_values_is_reported_fused(program):
    # Without folding, ``result``'s MLP computes b, hence a, from the tokens beside
    # prev: a's subspace reaches prev alone, and no subspace holds b.
    model = _model(program, "fold_embeddings")
    names = {n.name: n for n in model.source_names}
    assert names["a"].copies == () and names["a"].fused_in == (model.layout["result"].writer,)
    change = _pairs(program)
    inputs = tuple(change.bases[:10]) + tuple(change.sources[:10])
    truth = tuple(evaluate(program.names["result"], t) for t in inputs)
    values = {"a": tuple(evaluate(program.names["a"], t) for t in inputs)}
    evidence = Evidence(inputs, truth, variables_of(model, values), (change,))
    result = compare(model, model, evidence)
    (report,) = result.variables
    assert report.a_iia is None and report.a_fused_in == (model.layout["result"].writer,)
    assert report.to_json()["a_fused_in"] == [model.layout["result"].writer]
    text = format_text(result, "A", "B")
    assert "fused" in text and f"a: computed again in {model.layout['result'].writer}" in text


def test_without_fusing_nothing_is_computed_twice(program):
    model = _model(program, "fold_embeddings", "fuse_maps")
    assert all(not n.copies and not n.fused_in for n in model.source_names)
    change = _pairs(program)
    (variable,) = variables_of(model, {"a": tuple([False] * 3 for _ in change.bases)})
    assert variable.copies == () and variable.fused_in == ()
    points = residual_points(model.config.n_layers)
    accuracy = interchange_accuracy(model, encode_all(model, change.bases), encode_all(model, change.sources),
                                    own_patches(model, points, variable), change.expected, 0.0)
    assert accuracy == 1.0


# ``share > 0`` is answered by a count of the selected "a"s (count_means), which
# ``result``'s MLP reads beside ``share`` itself (for ``share < 1``) and the tokens.
MEAN_SOURCE = """\
@vocab "abc";
@max_len 5;
@output result;
share = aggregate(select(tokens, "c", !=), indicator(tokens == "a"), 0);
differ = share > 0 and share < 1;
result = (1 if differ else 0) + (5 if tokens == "b" else 0);
"""


def test_a_mean_whose_sign_is_read_from_a_count_is_fused_into_its_reader(tmp_path):
    path = tmp_path / "mean.rasp"
    path.write_text(MEAN_SOURCE)
    program = load_program(str(path))
    model = compile_program(program)
    names = {n.name: n for n in model.source_names}
    assert names["share"].subspace == "share" and names["share"].fused_in == (model.layout["result"].writer,)
    # base "ab": share = 1/2 everywhere, differ True, result = [1, 6]. With share from
    # "bb" (0): differ False, result = [0, 5]. Patching share's subspace alone leaves
    # the count of "a"s that answers share > 0: differ stays True, result [1, 6].
    share, result = program.names["share"], program.names["result"]
    assert evaluate(result, ("a", "b")) == [1, 6]
    assert evaluate_replaced(result, ("a", "b"), {share: evaluate(share, ("b", "b"))}) == [0, 5]
    base, source = encode_all(model, [("a", "b")]), encode_all(model, [("b", "b")])
    points = residual_points(model.config.n_layers)
    own = model.layout["share"]
    alone = [Patch(points.index(own.writer), subspace_basis(model.config.d_model, range(own.start, own.stop)))]
    assert interchange_accuracy(model, base, source, alone, [[1, 6]], 0.0) == 1.0
    (variable,) = variables_of(model, {"share": ([0.5, 0.5],)})
    assert variable.fused_in == (model.layout["result"].writer,)
