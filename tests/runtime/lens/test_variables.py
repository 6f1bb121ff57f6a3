"""The lens, part one: decoded subspaces equal the interpreter's values; logit lens, heads,
units and the HTML report, for compiled, hand-built and trained-style models."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from compiler import compile_program
from tests.support.hand_models import identity_model, random_model
from rasp import ir
from rasp.errors import RaspEvaluationError
from raspc.errors import InputError
from rasp.interpreter import evaluate
from rasp.stage import load_program
from runtime.engine.batching import encode
from runtime.engine.dense import trace
from runtime.lens import (analyze, decode_subspace, inspect, logit_lens, render_html, report_json,
                          format_text, write_html)
from runtime.model import CATEGORICAL, NUMERICAL, Layout, Subspace

PROGRAMS = {
    "sort": """\
@vocab "abcd";
@max_len 6;
@output sorted_tokens;
smaller = selector_width(select(tokens, tokens, <));
equal_before = selector_width(select(tokens, tokens, ==) and select(indices, indices, <));
target_position = smaller + equal_before;
sorted_tokens = aggregate(select(target_position, indices, ==), tokens);
""",
    "frac": """\
@vocab "ab";
@max_len 5;
@output frac;
is_a = tokens == "a";
frac = aggregate(select(indices, indices, <=), indicator(is_a));
shifted = aggregate(select(indices, indices - 1, ==), tokens, "-");
""",
    "hist_of_hist": """\
@vocab "abc";
@max_len 6;
@output double;
hist = selector_width(select(tokens, tokens, ==));
double = hist * 2 + 1;
""",
}


def _program(tmp_path, name):
    path = tmp_path / f"{name}.rasp"
    path.write_text(PROGRAMS[name])
    return load_program(str(path))


def _inputs(vocab, max_len, count, seed):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        n = int(rng.integers(1, max_len + 1))
        out.append(tuple(vocab[int(k)] for k in rng.integers(0, len(vocab), size=n)))
    return out


@pytest.mark.parametrize("disabled", [(), ("fuse_maps", "dead_code", "fold_embeddings")])
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_each_sop_reads_as_the_interpreter_after_its_writer(tmp_path, name, disabled):
    """Without the optimisations, every named s-op of the program has its own subspace."""
    program = _program(tmp_path, name)
    model = compile_program(program, disabled_passes=disabled)
    named = {n: node for n, node in program.names.items()
             if isinstance(node, ir.SOp) and n in model.layout}
    assert named, "the program's s-ops should appear in the layout"
    checked = 0
    for tokens in _inputs(program.vocab, program.max_len, 12, seed=len(name)):
        report = inspect(model, tokens)
        for sop_name, node in named.items():
            subspace = model.layout[sop_name]
            reading = report.reading(sop_name, subspace.writer)
            assert reading.live
            try:
                expected = evaluate(node, tokens)
            except RaspEvaluationError:  # e.g. the prelude's tokens_int on letters
                continue
            if subspace.encoding == CATEGORICAL:
                assert list(reading.values) == expected, (sop_name, tokens)
                assert min(reading.confidence) > 0.5
            else:
                assert np.allclose(reading.values, np.asarray(expected, float), atol=1e-4), (sop_name, tokens)
            checked += 1
        assert list(report.final_output) == evaluate(program.output_expr(), tokens) or \
            np.allclose(report.final_output, evaluate(program.output_expr(), tokens), atol=1e-4)
    assert checked >= 12


def test_subspaces_are_not_live_before_their_writer(tmp_path):
    program = _program(tmp_path, "sort")
    model = compile_program(program)
    report = inspect(model, "dcab")
    sorted_space = model.layout["sorted_tokens"]
    assert sorted_space.writer != "embed"
    assert not report.reading("sorted_tokens", "embed").live
    assert report.reading("tokens", "embed").live
    assert list(report.reading("tokens", "embed").values) == list("dcab")


def test_logit_lens_reads_the_output_only_once_written(tmp_path):
    program = _program(tmp_path, "sort")
    model = compile_program(program)
    report = inspect(model, "cab")
    writer = model.layout["sorted_tokens"].writer
    order = [p.point for p in report.points]
    assert list(report.point(writer).output) == sorted("cab")
    assert list(report.final_output) == sorted("cab")
    for point in order[:order.index(writer)]:
        assert all(m <= 1e-9 for m in report.point(point).margin)  # nothing leads yet


def test_heads_are_labelled_with_their_selectors(tmp_path):
    program = _program(tmp_path, "sort")
    model = compile_program(program)
    report = inspect(model, "bca")
    assert len(report.heads) == model.n_heads
    assert any("target_position" in h.selector and "indices" in h.selector for h in report.heads)
    for head in report.heads:
        assert head.pattern.shape == (4, 4)
        assert np.allclose(head.pattern.sum(axis=1), 1.0, atol=1e-5)
    # the move head: query i attends to the key whose target position is i (worked by hand:
    # "bca" sorts as a (pos 2), b (pos 0), c (pos 1); keys are shifted by BOS)
    move = next(h for h in report.heads if "target_position" in h.selector)
    assert [int(np.argmax(row)) for row in move.pattern[1:]] == [3, 1, 2]


def test_units_carry_their_labels(tmp_path):
    model = compile_program(_program(tmp_path, "hist_of_hist"))
    report = inspect(model, "aab")
    flat = [u for layer in report.units for u in layer]
    assert len(flat) == sum(len(labels) for labels in model.neuron_labels)
    assert [u.label for u in flat] == [label for labels in model.neuron_labels for label in labels]
    assert all(u.activations.shape == (3,) and np.all(u.activations >= 0) for u in flat)


def test_identity_model_by_hand():
    model = identity_model()
    report = inspect(model, ("c", "a", "b"))
    assert report.reading("tokens", "embed").values == ("c", "a", "b")
    assert report.reading("tokens", "embed").confidence == (1.0, 1.0, 1.0)
    assert report.reading("one", "L0.mlp").values == (1.0, 1.0, 1.0)
    for point in report.points:
        assert point.output == ("c", "a", "b")


def test_decode_subspace_by_hand():
    subspace = Subspace("x", 1, 4, CATEGORICAL, ("p", "q", "r"))
    rows = np.array([[9.0, 0.0, 1.0, 0.0], [9.0, 0.2, 0.1, 0.9]])
    values, confidence = decode_subspace(subspace, rows)
    assert values == ("q", "r")
    assert confidence == pytest.approx((1.0, 0.7))
    numerical = Subspace("y", 0, 1, NUMERICAL, ())
    assert decode_subspace(numerical, rows) == ((9.0, 9.0), (None, None))


def test_logit_lens_by_hand():
    model = identity_model(vocab=("a", "b"))
    residual = np.array([[1, 0, 0], [1, 0.2, 0.9], [1, 0.6, 0.5]], float)
    logits, output, margin = logit_lens(model, residual)
    assert output == ("b", "a")
    assert margin == pytest.approx((0.7, 0.1))


def test_trained_style_model_without_layout(tmp_path):
    model = random_model(seed=3, kind="trained")
    model = replace(model, layout=Layout(model.config.d_model, ()))
    report = inspect(model, ("x", 1))
    assert all(not p.subspaces for p in report.points)
    assert len(report.points) == 1 + 2 * model.config.n_layers
    assert len(report.heads) == model.n_heads
    assert len(report.final_output) == 2
    page = render_html(report)
    assert "no residual layout" in page and "<svg" in page
    data = report_json(report)
    assert data["model"]["kind"] == "trained" and len(data["points"]) == len(report.points)
    write_html(report, str(tmp_path / "sub" / "trained.html"))
    assert (tmp_path / "sub" / "trained.html").read_text() == page


def test_text_and_json_views(tmp_path):
    model = compile_program(_program(tmp_path, "frac"))
    report = inspect(model, "aba")
    text = format_text(report)
    assert "frac" in text and "logit lens" in text and "attention heads" in text
    data = report_json(report)
    assert data["input"] == ["a", "b", "a"]
    assert np.allclose(data["output"], [1.0, 0.5, 2 / 3], atol=1e-4)  # running fraction of a's


def test_lens_rejects_bad_input():
    with pytest.raises(InputError):
        inspect(identity_model(), ("a", "z"))
    with pytest.raises(InputError):
        inspect(identity_model(max_len=2), "abc")


def test_html_escapes_labels():
    model = identity_model()
    model.head_labels = (replace(model.head_labels[0], selector="<script>alert(1)</script>"),)
    page = render_html(inspect(model, "ab"))
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_analyze_uses_the_given_trace():
    model = identity_model()
    ids = encode(model.config, ("b", "c"))
    report = analyze(model, trace(model.params, ids, model.config), ("b", "c"))
    assert report.final_output == ("b", "c")
