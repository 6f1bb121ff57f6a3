"""``raspc export --transformer-lens``: the folder, from a model file or a program."""
from __future__ import annotations

import json

from cli.main import main

HIST = """\
@vocab "ab";
@max_len 3;
@output hist;
hist = selector_width(select(tokens, tokens, ==));
"""


def test_export_a_model_file(tmp_path, capsys):
    program = tmp_path / "hist.rasp"
    program.write_text(HIST)
    model = str(tmp_path / "hist.safetensors")
    assert main(["compile", str(program), "-o", model]) == 0
    capsys.readouterr()
    out_dir = tmp_path / "tl"
    assert main(["export", model, "--transformer-lens", str(out_dir), "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert sorted(p.name for p in out_dir.iterdir()) == ["config.json", "model.safetensors", "raspc.json"]
    config = json.loads((out_dir / "config.json").read_text())
    assert record["n_heads"] == config["n_heads"] and config["n_ctx"] == 4 and config["d_vocab"] == 3


def test_export_a_program_in_text(tmp_path, capsys):
    program = tmp_path / "hist.rasp"
    program.write_text(HIST)
    assert main(["export", str(program), "--transformer-lens", str(tmp_path / "tl")]) == 0
    out = capsys.readouterr().out
    assert "model.safetensors" in out and "W_Q scaled" in out


def test_a_folder_that_cannot_be_written_is_one_line(tmp_path, capsys):
    program = tmp_path / "hist.rasp"
    program.write_text(HIST)
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["export", str(program), "--transformer-lens", str(blocker / "sub")]) == 2
    assert "cannot write" in capsys.readouterr().err
