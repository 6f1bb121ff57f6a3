"""Heads are labelled with the selector as the program wrote it and its file:line,
not the compiler's rewriting of it over names it made up (``constant_NN``); the
rewritten form stays beside it, and model files without the new fields still load."""
from __future__ import annotations

import json

from cli.main import main
from runtime.model import HeadLabel

DEPTH = """\
@vocab "()";
@max_len 6;
@output depth;
@numerical mean_open;
prefix = select(indices, indices, <=);
opened = selector_width(select(tokens, "(", ==) and prefix);
mean_open = aggregate(prefix, indicator(tokens == "("));
depth = opened + mean_open;
"""


def _heads(record: dict) -> dict[str, dict]:
    return {h["writes"]: h for h in record["heads"]}


def test_heads_show_the_source_text_and_line_of_their_selector(tmp_path, capsys):
    path = tmp_path / "depth.rasp"
    path.write_text(DEPTH)
    model = tmp_path / "depth.safetensors"
    assert main(["compile", str(path), "-o", str(model)]) == 0
    capsys.readouterr()
    # Through the model file, so that the labels are what the file carries.
    assert main(["lens", str(model), "--input", "(()", "--json"]) == 0
    heads = _heads(json.loads(capsys.readouterr().out))
    width = next(h for name, h in heads.items() if name.startswith("opened"))
    # Lines 6 and 5 of the source above, as written there.
    assert width["selector"] == f'width of select(tokens, "(", ==) and prefix  ({path}:6)'
    assert "constant_" in width["compiled"]
    mean = heads["mean_open"]
    assert mean["selector"] == f"prefix = select(indices, indices, <=)  ({path}:5)"


def test_text_view_shows_the_source_text(tmp_path, capsys):
    path = tmp_path / "depth.rasp"
    path.write_text(DEPTH)
    assert main(["lens", str(path), "--input", "()"]) == 0
    text = capsys.readouterr().out
    assert f'width of select(tokens, "(", ==) and prefix  ({path}:6)' in text
    assert "constant_" not in text.split("attention heads")[1].split("direct attribution")[0]


def test_a_head_label_without_source_fields_still_loads_and_shows_its_selector():
    old = {"layer": 0, "head": 1, "selector": "tokens == constant_3", "reads": "tokens", "writes": "x"}
    label = HeadLabel.from_json(old)
    assert (label.source, label.place) == ("", "")
    assert label.shown == "tokens == constant_3"
    new = HeadLabel(0, 1, "tokens == constant_3", "tokens", "x", 'select(tokens, "a", ==)', "p.rasp:3")
    assert HeadLabel.from_json(json.loads(json.dumps(new.to_json()))) == new
    assert new.shown == 'select(tokens, "a", ==)  (p.rasp:3)'
