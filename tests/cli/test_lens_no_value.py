"""``raspc lens`` leaves blank what it cannot read: a value no direction leads is
null in JSON and '.' in the text table, and an s-op not yet written has no value
(its empty directions' argmax, the first label, is a placeholder, not a reading)."""
from __future__ import annotations

import json
import re

from cli.main import main

HIST = """\
@vocab "abcd";
@max_len 6;
@output hist;
hist = selector_width(select(tokens, tokens, ==));
"""

DEPTH = """\
@vocab "()";
@max_len 6;
@output depth;
prefix = select(indices, indices, <=);
depth = selector_width(select(tokens, "(", ==) and prefix) - selector_width(select(tokens, ")", ==) and prefix);
"""


def _write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / f"{name}.rasp"
    path.write_text(text)
    return str(path)


def _lens_json(capsys, *args: str) -> dict:
    assert main(["lens", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_gives_null_where_no_output_value_leads(tmp_path, capsys):
    record = _lens_json(capsys, _write(tmp_path, "hist", HIST), "--input", "abca")
    # Counted by hand: a twice, b and c once.
    assert record["output"] == [2, 1, 1, 2]
    points = [p["point"] for p in record["points"]]
    assert points == ["embed", "L0.attn", "L0.mlp"]
    # hist is written by the MLP: before it, nothing leads, so nothing is read.
    assert [p["logit_lens"] for p in record["points"]] == [[None] * 4, [None] * 4, [2, 1, 1, 2]]
    assert record["logit_lens"]["top"] == [[None] * 4, [None] * 4, [2, 1, 1, 2]]


def test_a_numerical_output_is_null_before_it_is_written_and_a_real_zero_stays_zero(tmp_path, capsys):
    record = _lens_json(capsys, _write(tmp_path, "depth", DEPTH), "--input", "()(")
    # Depth after each prefix, by hand: "(" 1, "()" 0, "()(" 1.
    assert [round(v, 3) for v in record["output"]] == [1, 0, 1]
    lens = [p["logit_lens"] for p in record["points"]]
    assert all(row == [None, None, None] for row in lens[:-1])
    assert [round(v, 3) for v in lens[-1]] == [1, 0, 1]
    top = record["logit_lens"]["top"]
    assert all(row == [None, None, None] for row in top[:-1])


def test_subspaces_have_no_values_before_their_writer(tmp_path, capsys):
    record = _lens_json(capsys, _write(tmp_path, "hist", HIST), "--input", "abca")
    for point in record["points"][:2]:
        hist = next(s for s in point["subspaces"] if s["name"] == "hist")
        assert not hist["live"]
        assert hist["values"] == [None] * 4 and hist["confidence"] == [None] * 4
    hist = next(s for s in record["points"][2]["subspaces"] if s["name"] == "hist")
    assert hist["values"] == [2, 1, 1, 2]


def test_text_marks_undecided_cells_and_the_page_leaves_unwritten_cells_blank(tmp_path, capsys):
    page = tmp_path / "hist.html"
    assert main(["lens", _write(tmp_path, "hist", HIST), "--input", "abca", "-o", str(page)]) == 0
    text = capsys.readouterr().out
    assert re.search(r"^\s+embed\s+\[\., \., \., \.\]$", text, re.M)
    html = page.read_text()
    row = re.search(r'<tr data-filter="hist"><td><code>hist</code></td>(.*?)</tr>', html, re.S).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    # encoding, writer, then embed, L0.attn (both before the MLP writes hist), L0.mlp
    assert cells[2:] == ["", "", "[2, 1, 1, 2]"]
