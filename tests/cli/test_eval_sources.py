"""``raspc eval -`` (the program on standard input), ``draw`` statements written as
SVG files, and ``raspc --version``."""
from __future__ import annotations

import io
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

import raspc
from cli.main import main


def test_eval_reads_the_program_from_standard_input(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO('flip = length - indices - 1;\nflip("abc");\n'))
    assert main(["eval", "-"]) == 0
    # length - indices - 1 on "abc", by hand: [2, 1, 0].
    assert "\t =  [2, 1, 0] (ints)" in capsys.readouterr().out.splitlines()


def test_draw_writes_an_svg_of_the_graph_with_its_values(tmp_path, capsys):
    program = tmp_path / "prog.rasp"
    program.write_text('nxt = indices + 1;\ndraw(nxt, "abc");\n')
    folder = tmp_path / "pictures"
    assert main(["eval", str(program), "--draw-dir", str(folder)]) == 0
    out = capsys.readouterr().out
    picture = folder / "nxt.svg"
    assert f"into {picture}" in out
    root = ElementTree.fromstring(picture.read_text())
    texts = [element.text for element in root.iter() if element.text]
    # indices + 1 on "abc", by hand: 1, 2, 3, under the name the program gave it.
    assert "nxt" in " ".join(texts)
    assert {"1", "2", "3"} <= {text.strip() for text in texts}


def test_draw_without_an_input_uses_the_running_example(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO('set example "xy"\nsame = tokens == "x";\ndraw(same);\n'))
    assert main(["eval", "-"]) == 0
    assert 'drew same("xy") into same.svg' in capsys.readouterr().out
    assert Path("same.svg").is_file()


def test_version(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"raspc {raspc.__version__}"
