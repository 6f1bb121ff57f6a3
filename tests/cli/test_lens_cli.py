"""``raspc lens`` grows: the logit lens in full and the attribution in JSON, a
second input beside the first, the plots as PNG files."""
from __future__ import annotations

import json

import numpy as np
import pytest

from cli.main import main
from tests.support.cli import REVERSE, write_program


def _program(tmp_path) -> str:
    return write_program(tmp_path, "reverse", REVERSE)


def test_json_has_the_logit_lens_and_the_attribution(tmp_path, capsys):
    assert main(["lens", _program(tmp_path), "--input", "abc", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["output"] == ["c", "b", "a"]                      # reversed by hand
    lens = record["logit_lens"]
    assert lens["answer"] == ["c", "b", "a"] and lens["rank"][-1] == [1, 1, 1]
    assert len(lens["points"]) == len(record["points"])
    attribution = record["attribution"]
    totals = np.sum([c["contribution"] for c in attribution["components"]], axis=0)
    np.testing.assert_allclose(totals, attribution["logit"], atol=1e-4)


def test_text_names_the_components_and_compare_puts_two_inputs_on_the_page(tmp_path, capsys):
    page = tmp_path / "two.html"
    status = main(["lens", _program(tmp_path), "--input", "abc", "--compare", "cab", "-o", str(page),
                   "--png", str(tmp_path / "plots")])
    out = capsys.readouterr().out
    assert status == 0
    assert "direct attribution" in out and out.count("output: reverse = ") == 2
    assert "output: reverse = [b, a, c]" in out                        # "cab" reversed
    text = page.read_text()
    assert "<h3>input</h3>" in text and "<h3>compare</h3>" in text
    pngs = sorted(p.name for p in (tmp_path / "plots").iterdir())
    assert "logit_lens_rank_input.png" in pngs and "attribution_compare.png" in pngs


def test_a_compare_input_outside_the_vocabulary_is_one_line(tmp_path, capsys):
    assert main(["lens", _program(tmp_path), "--input", "abc", "--compare", "abz"]) == 2
    err = capsys.readouterr().err
    assert "'z'" in err and "Traceback" not in err


@pytest.mark.parametrize("command", ["patch", "export"])
def test_help_shows_an_example(capsys, command):
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    assert "examples:" in text and f"raspc {command}" in text and "--json" in text
