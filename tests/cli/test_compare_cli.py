"""``raspc compare`` and ``raspc lens --program`` in process: a compiled model
against itself (known answers), a trained file, the HTML page (opened in headless
Chromium where it is installed), and a foreign model or one whose weights are not
numbers refused."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from runtime.io import load_model, save_model
from tests.support.cli import cli, HIST, REVERSE, write_program

QUICK = ["--inputs", "80", "--pairs", "20"]


@pytest.fixture()
def hist(tmp_path: Path) -> str:
    return write_program(tmp_path, "hist", HIST)


def test_a_compiled_model_compared_with_its_own_file(capsys, tmp_path, hist):
    compiled = tmp_path / "hist.safetensors"
    assert cli(capsys, "compile", hist, "-o", compiled)[0] == 0
    status, stdout, _ = cli(capsys, "compare", hist, compiled, "--json", *QUICK)
    assert status == 0
    record = json.loads(stdout)
    assert record["truth"] == "interpreter" and record["inputs"] == 80
    assert record["behaviour"]["agreement"] == 1.0 and record["behaviour"]["b_accuracy"] == 1.0
    hist_row = next(v for v in record["variables"] if v["name"] == "hist")
    assert hist_row["probe"][hist_row["writer"]] == 1.0 and hist_row["b_iia"] == hist_row["a_iia"] == 1.0
    assert all(abs(value - 1.0) < 1e-9 for value in record["cka"]["by_point"].values())


def test_compare_with_a_trained_model_as_a_table_and_a_page(capsys, tmp_path, hist):
    trained = tmp_path / "trained.safetensors"
    assert cli(capsys, "train", hist, "-o", trained, "--steps", "10", "--train-size", "60", "--val-size", "20",
               "--test-size", "20", "--no-progress")[0] == 0
    page = tmp_path / "compare.html"
    status, stdout, _ = cli(capsys, "compare", hist, trained, "--html", page, *QUICK)
    assert status == 0
    for heading in ("behaviour", "attention", "variables", "linear CKA"):
        assert heading in stdout
    text = page.read_text()
    assert text.startswith("<!DOCTYPE html>") and "<svg" in text
    assert "<script" not in text and "http://" not in text.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in text


@pytest.mark.skipif(shutil.which("chromium") is None, reason="headless Chromium is not installed")
def test_the_page_opens_in_headless_chromium_without_console_errors(capsys, tmp_path, hist):
    page = tmp_path / "compare.html"
    assert cli(capsys, "compare", hist, hist, "--html", page, *QUICK)[0] == 0
    result = subprocess.run(["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
                             "--v=0", "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    assert "linear CKA" in result.stdout
    assert "CONSOLE" not in result.stderr


def test_models_of_different_tasks_are_refused(capsys, tmp_path, hist):
    other = tmp_path / "reverse.rasp"
    other.write_text(REVERSE)
    compiled = tmp_path / "reverse.safetensors"
    assert cli(capsys, "compile", other, "-o", compiled)[0] == 0
    status, _, stderr = cli(capsys, "compare", hist, compiled, *QUICK)
    assert status == 2 and "compare models of one task" in stderr


def test_lens_reads_a_trained_model_through_probes(capsys, tmp_path, hist):
    trained = tmp_path / "trained.safetensors"
    assert cli(capsys, "train", hist, "-o", trained, "--steps", "10", "--train-size", "60", "--val-size", "20",
               "--test-size", "20", "--no-progress")[0] == 0
    status, stdout, _ = cli(capsys, "lens", trained, "--program", hist, "--input", "abca", "--json")
    assert status == 0
    report = json.loads(stdout)
    names = {s["name"] for s in report["points"][-1]["subspaces"]}
    assert any(name.startswith("hist (probe ") for name in names)
    assert any(name.startswith("tokens (probe 100.0% at embed)") for name in names)
    tokens = next(s for s in report["points"][0]["subspaces"] if s["name"].startswith("tokens"))
    assert tokens["values"] == ["a", "b", "c", "a"]


def test_a_model_whose_weights_are_not_numbers_is_refused_in_one_line(capsys, tmp_path, hist):
    compiled = tmp_path / "hist.safetensors"
    assert cli(capsys, "compile", hist, "-o", compiled)[0] == 0
    broken = load_model(str(compiled))
    broken.params["layers"][0]["w_in"][0, 0] = float("nan")
    diverged = tmp_path / "diverged.safetensors"
    save_model(broken, str(diverged))
    status, stdout, stderr = cli(capsys, "compare", hist, diverged, *QUICK)
    assert status == 2 and stdout == ""
    assert stderr.strip().count("\n") == 0 and "layers.0.w_in" in stderr and "NaN" in stderr
