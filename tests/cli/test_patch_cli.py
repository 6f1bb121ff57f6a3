"""``raspc patch``: text, JSON and the page; inputs of different lengths refused."""
from __future__ import annotations

import json

from cli.main import main
from runtime.io import save_model
from tests.runtime.lens.bundled import dense_model

SORT = """\
@vocab "abcd";
@max_len 5;
@output sorted_tokens;
smaller = selector_width(select(tokens, tokens, <));
not_larger = selector_width(select(tokens, tokens, <=));
earlier_copies = selector_width(select(tokens, tokens, ==) and select(indices, indices, <));
first_copy = earlier_copies == 0;
sorted_tokens = aggregate(select(smaller, indices, <=) and select(not_larger, indices, >)
                          and select(first_copy, True, ==), tokens);
"""


def _program(tmp_path) -> str:
    path = tmp_path / "sort.rasp"
    path.write_text(SORT)
    return str(path)


def test_json_reports_every_kind(tmp_path, capsys):
    assert main(["patch", _program(tmp_path), "--clean", "dcab", "--corrupt", "dcad", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["clean_output"] == sorted("dcab") and record["corrupt_output"] == sorted("dcad")
    kinds = {grid["kind"]: grid for grid in record["grids"]}
    assert set(kinds) == {"sublayer", "head", "subspace"}
    sublayers = kinds["sublayer"]
    assert sublayers["columns"] == ["BOS", "0:d", "1:c", "2:a", "3:b", "all"]
    embed = [row["name"] for row in sublayers["rows"]].index("embed")
    # copying every token embedding from the clean run gives the clean answer
    assert sublayers["outputs"][embed][-1] == sorted("dcab")
    assert sublayers["changed"][embed][-1] == sum(a != b for a, b in zip(sorted("dcab"), sorted("dcad")))
    subspaces = [row["name"] for row in kinds["subspace"]["rows"]]
    assert "smaller" in subspaces and "sorted_tokens" in subspaces


def test_text_and_page(tmp_path, capsys):
    page = tmp_path / "out" / "patch.html"
    status = main(["patch", _program(tmp_path), "--clean", "dcab", "--corrupt", "dcad", "--kinds", "sublayer",
                   "-o", str(page)])
    out = capsys.readouterr().out
    assert status == 0
    assert "clean:   [d, c, a, b] -> [a, b, c, d]" in out and "patching each sublayer" in out
    assert "patching each head" not in out
    text = page.read_text()
    assert 'id="patching"' in text and "<h3>clean</h3>" in text and "<h3>corrupt</h3>" in text


def test_inputs_of_different_lengths_are_refused(tmp_path, capsys):
    assert main(["patch", _program(tmp_path), "--clean", "dcab", "--corrupt", "dca"]) == 2
    err = capsys.readouterr().err
    assert "same length" in err and err.count("\n") == 1


def test_lens_and_patch_on_a_model_file_without_a_layout(tmp_path, capsys):
    """A dense model with random weights (what a trained model is to the lens):
    everything but the variables."""
    path = str(tmp_path / "dense.safetensors")
    save_model(dense_model(seed=3), path)
    page = tmp_path / "dense.html"
    assert main(["patch", path, "--clean", "[1, 2.5]", "--corrupt", "[2.5, 1]", "-o", str(page)]) == 0
    out = capsys.readouterr().out
    assert "patching each sublayer" in out and "patching each head" in out and "subspace" not in out
    assert "no residual layout" in page.read_text()
    assert main(["lens", path, "--input", "[\"x\", 1]", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert all(not point["subspaces"] for point in record["points"])
    assert len(record["attribution"]["components"]) == 2 + 5 + 2    # embeddings, 2 + 3 heads, 2 MLPs
