"""Every s-op the source names appears in the variable lens: read from its subspace
where it has one (with the interpreter's values), or marked as computed inside the
sublayer that absorbed it; subspaces the compiler named are shown under the source
expression they come from. Model files without these records still load."""
from __future__ import annotations

import dataclasses
import json

import numpy as np

from compiler import compile_program
from rasp.interpreter import evaluate
from rasp.stage import load_program
from runtime.export import read_transformer_lens, write_transformer_lens
from runtime.io import describe, load_model, save_model
from runtime.lens.variables import format_text, inspect, report_json
from runtime.model import CATEGORICAL, SourceName

# dyck1 (programs/dyck1.rasp) with a literal in a selector: the compiler fuses
# below_zero, level and went_below into other operations and makes constants of
# the literals.
SOURCE = """\
@vocab "()";
@max_len 6;
@output labels;
prefix = select(indices, indices, <=);
step = {"(": 1, ")": -1}[tokens];
mean_step = aggregate(prefix, step);
below_zero = indicator(mean_step < 0);
level = mean_step == 0;
went_below = aggregate(prefix, below_zero) > 0;
opened = selector_width(select(tokens, "(", ==) and prefix);
labels = "F" if went_below else ("T" if level else ("P" if opened > 0 else "?"));
"""
NAMED = ("step", "mean_step", "below_zero", "level", "went_below", "opened", "labels")


def _compiled(tmp_path):
    path = tmp_path / "labels.rasp"
    path.write_text(SOURCE)
    program = load_program(str(path))
    return program, compile_program(program), str(path)


def test_every_named_sop_is_read_or_marked_computed_inside_a_sublayer(tmp_path):
    program, model, _ = _compiled(tmp_path)
    tokens = ("(", "(", ")", ")", ")")
    report = inspect(model, tokens)
    points = [p.point for p in report.points]
    by_name = {n.name: n for n in report.names if not n.internal}
    assert set(NAMED) <= set(by_name)
    absorbed = 0
    for name in NAMED:
        found = by_name[name]
        expected = evaluate(program.names[name], tokens)
        if found.subspace:
            subspace = model.layout[found.subspace]
            reading = report.reading(found.subspace, subspace.writer)
            if subspace.encoding == CATEGORICAL:
                assert list(reading.values) == expected, name
            else:
                assert np.allclose(reading.values, np.asarray(expected, float), atol=1e-4), name
        else:
            assert found.computed_in in points, name
            absorbed += 1
    assert absorbed >= 1, "this program should have a fused s-op"
    # below_zero (line 7) is the test mean_step < 0, which the first layer's MLP
    # computes; went_below's "> 0" is decided where labels is.
    assert by_name["below_zero"].computed_in == "L0.mlp"
    assert by_name["went_below"].computed_in == model.layout[model.config.output].writer


def test_the_text_view_names_every_sop_and_shows_constants_by_their_source(tmp_path):
    _, model, path = _compiled(tmp_path)
    text = format_text(inspect(model, ("(", ")")))
    residual = text.split("logit lens")[0]
    for name in NAMED:
        assert f"  {name} " in residual, name
    for line in residual.splitlines():
        if "computed inside" in line:
            assert "no subspace" in line
    # The literal "(" of line 10 is a compiler-made constant: shown as the literal in its selector.
    assert '"(" in select(tokens, "(", ==)' in residual
    assert not any(line.strip().startswith("constant_") for line in residual.splitlines()
                   if '"("' in line)
    record = report_json(inspect(model, ("(", ")")))
    opened = next(v for v in record["variables"] if v["name"] == "opened")
    assert opened["place"] == f"{path}:10" and opened["source"].startswith("opened = selector_width(")


def test_source_names_survive_the_model_file_and_older_files_load_without_them(tmp_path):
    _, model, _ = _compiled(tmp_path)
    saved = tmp_path / "labels.safetensors"
    save_model(model, str(saved))
    assert load_model(str(saved)).source_names == model.source_names
    older = dataclasses.replace(model, source_names=())
    assert "source_names" not in describe(older)
    save_model(older, str(saved))
    loaded = load_model(str(saved))
    assert loaded.source_names == ()
    report = inspect(loaded, ("(",))
    assert report.absorbed == () and report.shown_name("step") == "step"
    minimal = SourceName.from_json(json.loads(json.dumps({"name": "x"})))
    assert minimal == SourceName("x", "", "", "", "", False)


def test_the_transformer_lens_export_keeps_the_source_names(tmp_path):
    _, model, _ = _compiled(tmp_path)
    write_transformer_lens(model, str(tmp_path / "out"))
    back = read_transformer_lens(str(tmp_path / "out"))
    assert back.source_names == model.source_names and back.head_labels == model.head_labels


def test_a_second_name_for_an_sop_is_shown_on_its_row(tmp_path):
    path = tmp_path / "alias.rasp"
    path.write_text('@vocab "ab";\n@max_len 4;\n@output w;\ny = tokens;\nz = y == "a";\n'
                    'w = aggregate(select(z, True, ==), y);\n')
    model = compile_program(load_program(str(path)))
    report = inspect(model, ("a", "b"))
    y = next(n for n in report.names if n.name == "y")
    assert y.subspace, "y is the tokens, which the embedding writes"
    row = next(line for line in format_text(report).splitlines() if "y)" in line)
    assert row.split()[-2:] == ["[a,", "b]"]       # the input itself
