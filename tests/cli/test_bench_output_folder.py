"""Where ``raspc bench`` writes: ``--out DIR``, else ./bench under the current
directory (never the repository's folder by default); ``make bench`` names the
repository's bench/ itself, and the README does not point at results a fresh clone
lacks (bench/ is ignored by git)."""
from __future__ import annotations

import json
import re
from pathlib import Path

from cli.main import main

ROOT = Path(__file__).resolve().parents[2]

SMALL_RUN = ("--programs", "hist", "--max-lens", "3", "--repeats", "1", "--batches", "8", "--samples", "10",
             "--no-vocab-sweep", "--no-plots", "--task-rows")


def test_bench_without_out_writes_under_the_current_directory(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    status = main(["bench", *SMALL_RUN])
    assert status == 0, capsys.readouterr().err
    rows = json.loads((tmp_path / "bench" / "results.json").read_text())["rows"]
    assert [(row["program"], row["max_len"]) for row in rows] == [("hist", 3)]
    assert (tmp_path / "bench" / "results.md").exists()


def test_bench_table_reads_the_current_directory_by_default(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["bench", "--table"]) == 2
    assert str(tmp_path / "bench" / "results.json") in capsys.readouterr().err


def test_bench_out_names_the_folder(tmp_path, capsys):
    folder = tmp_path / "elsewhere"
    assert main(["bench", "--table", "--out", str(folder)]) == 2
    assert str(folder / "results.json") in capsys.readouterr().err


def test_make_bench_passes_the_repository_bench_folder():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\nbench:", 1)[1].split("\n\n", 1)[0]
    assert re.search(r"--out \$\(CURDIR\)/bench\b", recipe), recipe


def test_the_readme_does_not_link_results_a_fresh_clone_lacks():
    readme = (ROOT / "README.md").read_text()
    assert not re.search(r"\]\((\./)?bench/", readme)
    for paragraph in readme.split("\n\n"):
        if "bench/results.md" in paragraph:
            assert "make bench" in paragraph and ("clone" in paragraph or "ignore" in paragraph), paragraph
