"""``raspc compile | run | verify | lens | bench``, in process through cli.main.main.

Expected outputs come from the reference interpreter or from plain Python written
here (reversing, sorting, counting), never from the compiled model itself.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from cli.commands import verify as verify_command
from cli.main import main
from tests.support.cli import cli

ROOT = Path(__file__).resolve().parents[2]

REVERSE = """\
@vocab "abc";
@max_len 4;
@output reverse;
flip = select(indices, length - indices - 1, ==);
reverse = aggregate(flip, tokens);
reverse("abc");
reverse("cab");
"""

HIST = """\
@vocab "ab";
@max_len 3;
@output hist;
hist = selector_width(select(tokens, tokens, ==));
hist("aab");
"""

UNDECLARED = """\
flip = select(indices, length - indices - 1, ==);
flip("xyz");
reverse = aggregate(flip, tokens);
reverse("xyz");
reverse("zzx");
"""


def write(tmp_path: Path, text: str, name: str = "prog.rasp") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)



def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# ------------------------------------------------------------------ help

@pytest.mark.parametrize("command", ["compile", "run", "verify", "lens", "bench"])
def test_help_shows_an_example(capsys, command):
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    assert "examples:" in text and f"raspc {command}" in text
    if command != "bench":
        assert "--json" in text


# ------------------------------------------------------------------ compile

def test_compile_writes_a_model_that_runs(tmp_path, capsys):
    source = write(tmp_path, REVERSE)
    model_path = str(tmp_path / "reverse.safetensors")
    status, out, err = cli(capsys, "compile", source, "-o", model_path)
    assert status == 0, err
    for word in ("layers", "heads", "residual width", "MLP width", "parameters", "compile time"):
        assert word in out
    status, out, err = cli(capsys, "run", model_path, "--input", "abca", "--json")
    assert status == 0, err
    [record] = json_lines(out)
    assert record["output"] == list(reversed("abca"))
    assert record["name"] == "reverse"


def test_compile_json_and_overrides(tmp_path, capsys):
    source = write(tmp_path, REVERSE)
    status, out, err = cli(capsys, "compile", source, "--json", "--vocab", "abcd", "--max-len", "6",
                           "--no-opt", "share_heads")
    assert status == 0, err
    record = json.loads(out)
    assert {"layers", "heads", "d_model", "d_mlp", "params", "compile_seconds"} <= set(record)
    assert record["vocab"] == ["a", "b", "c", "d"] and record["max_len"] == 6
    assert record["layers"] >= 1 and record["params"] > 0


def test_compile_refuses_a_model_over_max_params(tmp_path, capsys):
    status, out, err = cli(capsys, "compile", write(tmp_path, REVERSE), "--max-params", "10")
    assert status == 2
    assert err.startswith("error:") and "10" in err and "Traceback" not in err


def test_compile_to_a_missing_folder_is_one_line(tmp_path, capsys):
    status, _, err = cli(capsys, "compile", write(tmp_path, REVERSE), "-o",
                         str(tmp_path / "nowhere" / "m.safetensors"))
    assert status == 2 and len(err.strip().splitlines()) == 1 and "does not exist" in err


def test_compile_output_must_be_a_safetensors_file(tmp_path, capsys):
    status, _, err = cli(capsys, "compile", write(tmp_path, REVERSE), "-o", str(tmp_path / "m.bin"))
    assert status == 2 and ".safetensors" in err


def test_compile_unknown_pass_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["compile", write(tmp_path, REVERSE), "--no-opt", "no_such_pass"])
    assert exited.value.code == 2


# ------------------------------------------------------------------ run

def test_run_examples_match_the_interpreter(tmp_path, capsys):
    status, out, err = cli(capsys, "run", write(tmp_path, REVERSE), "--json", "--input", "bca")
    assert status == 0, err
    records = json_lines(out)
    assert [r["expr"] for r in records] == ['reverse("abc")', 'reverse("cab")', 'reverse("bca")']
    for record in records:
        assert record["output"] == record["reference"] == list(reversed(record["input"]))


def test_run_json_lines_agree_with_eval_json(tmp_path, capsys):
    source = write(tmp_path, REVERSE)
    _, run_out, _ = cli(capsys, "run", source, "--json")
    _, eval_out, _ = cli(capsys, "eval", source, "--json")
    run_records = json_lines(run_out)
    eval_records = [r for r in json_lines(eval_out) if r["expr"].startswith("reverse(")]
    assert [{k: r[k] for k in ("expr", "name", "input", "output")} for r in run_records] == eval_records


def test_run_text_output(tmp_path, capsys):
    status, out, _ = cli(capsys, "run", write(tmp_path, HIST))
    assert status == 0
    assert 'hist("aab") = [2, 2, 1]' in out and "MISMATCH" not in out


def test_run_without_declarations_gathers_the_vocabulary(tmp_path, capsys):
    """No @vocab, @max_len or @output: the examples' tokens and lengths are used, and a
    selector example shows the compiled head's pattern."""
    status, out, err = cli(capsys, "run", write(tmp_path, UNDECLARED), "--json")
    assert status == 0, err
    flip, first, second = json_lines(out)
    n = 3
    assert flip["output"] == [[j == n - 1 - i for j in range(n)] for i in range(n)]
    assert flip["output"] == flip["reference"]
    assert "compiled" in flip["note"]
    assert first["output"] == ["z", "y", "x"] and second["output"] == ["x", "z", "z"]


def test_run_selector_text_shows_a_matrix(tmp_path, capsys):
    status, out, _ = cli(capsys, "run", write(tmp_path, UNDECLARED))
    assert status == 0
    assert 'flip("xyz"):' in out and "x | . . 1" in out and "z | 1 . ." in out


def test_run_words_input(tmp_path, capsys):
    source = write(tmp_path, REVERSE.replace('@vocab "abc";', '@vocab ["the", "cat", "sat"];')
                   .replace('reverse("abc");\nreverse("cab");\n', ""))
    status, out, err = cli(capsys, "run", source, "--words", "the cat sat", "--json")
    assert status == 0, err
    assert json_lines(out)[0]["output"] == ["sat", "cat", "the"]


@pytest.mark.parametrize("argv, words", [
    (["--input", "abz"], ("'z'", "position 2", "vocabulary")),
    (["--input", "abcab"], ("5 tokens", "max_len 4")),
])
def test_run_bad_input_is_one_line_and_status_2(tmp_path, capsys, argv, words):
    status, out, err = cli(capsys, "run", write(tmp_path, REVERSE), *argv)
    assert status == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    for word in words:
        assert word in err


def test_run_example_outside_the_vocabulary_names_its_line(tmp_path, capsys):
    status, _, err = cli(capsys, "run", write(tmp_path, REVERSE), "--vocab", "ab")
    assert status == 2 and "prog.rasp:6" in err and "'c'" in err


def test_run_model_file_needs_an_input(tmp_path, capsys):
    model_path = str(tmp_path / "m.safetensors")
    assert cli(capsys, "compile", write(tmp_path, HIST), "-o", model_path)[0] == 0
    status, _, err = cli(capsys, "run", model_path)
    assert status == 2 and "--input" in err


def test_run_damaged_model_file(tmp_path, capsys):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{}")
    status, _, err = cli(capsys, "run", str(path), "--input", "ab")
    assert status == 2 and len(err.strip().splitlines()) == 1 and "bad.safetensors" in err


def test_run_missing_file(tmp_path, capsys):
    status, _, err = cli(capsys, "run", str(tmp_path / "none.rasp"))
    assert status == 2 and "none.rasp" in err


# ------------------------------------------------------------------ verify

def test_verify_exhaustive_passes(tmp_path, capsys):
    status, out, err = cli(capsys, "verify", write(tmp_path, HIST), "--json")
    assert status == 0, err
    record = json.loads(out)
    assert record["exhaustive"] is True
    assert record["checked"] == 2 + 4 + 8 and record["mismatched"] == 0 and record["ok"] is True
    assert record["min_margin"] > 0.5


def test_verify_of_a_model_file_says_it_reads_the_program(tmp_path, capsys):
    model_path = str(tmp_path / "reverse.safetensors")
    assert cli(capsys, "compile", write(tmp_path, REVERSE), "-o", model_path)[0] == 0
    status, _, err = cli(capsys, "verify", model_path)
    assert status == 2 and len(err.strip().splitlines()) == 1
    assert "is not a RASP program" in err and "model file" in err and "Traceback" not in err


def test_verify_text_report(tmp_path, capsys):
    status, out, _ = cli(capsys, "verify", write(tmp_path, REVERSE))
    assert status == 0
    assert "3 tokens" in out and "checked 120" in out and "smallest decision margin" in out and "OK" in out


def test_verify_sampled_is_seeded(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(verify_command, "EXHAUSTIVE_LIMIT", 10)
    source = write(tmp_path, REVERSE)
    runs = [json.loads(cli(capsys, "verify", source, "--samples", "25", "--seed", "3", "--per-value", "0",
                           "--json")[1])
            for _ in range(2)]
    assert runs[0]["exhaustive"] is False and runs[0]["checked"] == 25
    assert runs[0] == {**runs[1], "seconds": runs[0]["seconds"]}


def test_verify_reports_mismatches_and_fails(tmp_path, capsys, monkeypatch):
    """A model that computes the wrong thing must be caught: swap in a reference
    that disagrees with the program on some inputs."""
    def wrong(expr, tokens):
        return (["a"] * len(tokens) if tokens[0] == "b" else list(reversed(tokens))), None

    monkeypatch.setattr(verify_command, "_reference", wrong)
    status, out, _ = cli(capsys, "verify", write(tmp_path, REVERSE), "--max-len", "2")
    assert status == 1
    assert "MISMATCH on" in out and "FAILED" in out
    # inputs starting with b where reversing differs from all-a: "b", "ba", "bb", "bc"
    assert "4 differ" in out


MEAN = """\
@vocab [1, 2, 3];
@max_len 3;
@output mean;
mean = aggregate(select(indices, indices, <=), TOKENS);
"""


def test_verify_numerical_output(tmp_path, capsys):
    source = write(tmp_path, MEAN.replace("TOKENS", "tokens_int"))
    status, out, err = cli(capsys, "verify", source, "--json")
    assert status == 0, err
    record = json.loads(out)
    assert record["checked"] == 3 + 9 + 27 and record["ok"] and record["skipped"] == 0
    assert record["max_error"] is not None and record["max_error"] <= 1e-4


def test_verify_skips_inputs_the_interpreter_rejects(tmp_path, capsys):
    """Averaging the string tokens fails in the interpreter on every input longer
    than 1 (position 1 selects two keys): those are counted apart, not checked."""
    source = write(tmp_path, MEAN.replace("TOKENS", "tokens"))
    status, out, _ = cli(capsys, "verify", source)
    assert status == 0
    assert "checked 3:" in out and "not checked: 36 inputs" in out


# ------------------------------------------------------------------ lens

def test_lens_text_and_html(tmp_path, capsys):
    report = tmp_path / "out" / "lens.html"
    status, out, err = cli(capsys, "lens", write(tmp_path, REVERSE), "--input", "abc", "-o", str(report))
    assert status == 0, err
    assert "output: reverse = [c, b, a]" in out and "logit lens" in out
    page = report.read_text()
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "reverse" in page
    # self-contained: its one script is inline, nothing is fetched
    assert "<script src" not in page and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_lens_json_on_a_model_file(tmp_path, capsys):
    model_path = str(tmp_path / "m.safetensors")
    assert cli(capsys, "compile", write(tmp_path, HIST), "-o", model_path)[0] == 0
    status, out, err = cli(capsys, "lens", model_path, "--input", "bab", "--json")
    assert status == 0, err
    record = json.loads(out)
    counts = Counter("bab")
    assert record["output"] == [counts[t] for t in "bab"]
    assert record["points"][0]["point"] == "embed"
    assert record["heads"][0]["layer"] == 0


def test_lens_requires_an_input(tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["lens", write(tmp_path, REVERSE)])
    assert exited.value.code == 2


# ------------------------------------------------------------------ bench

def test_bench_small_run_and_table(tmp_path, capsys):
    status, out, err = cli(capsys, "bench", "--programs", "hist", "--max-lens", "3", "--repeats", "1",
                           "--batches", "8", "--samples", "20", "--no-vocab-sweep", "--no-plots",
                           "--task-rows", "training hist", "--out", str(tmp_path))
    assert status == 0, err
    data = json.loads((tmp_path / "results.json").read_text())
    [training] = data["task_rows"]
    assert training["name"] == "training hist" and training["sequences_per_second"] > 0
    assert "## Training throughput" in (tmp_path / "results.md").read_text()
    [row] = data["rows"]
    assert row["program"] == "hist" and row["max_len"] == 3 and row["error"] is None
    assert row["layers"] >= 1 and row["params"] > 0 and row["forward_seq_per_s"]["8"] > 0
    assert row["checked"] == 20 and row["matched"] == 20  # every input agrees with the interpreter
    assert "| hist | 3 |" in (tmp_path / "results.md").read_text()
    status, out, _ = cli(capsys, "bench", "--table", "--out", str(tmp_path))
    assert status == 0 and "| hist | 3 |" in out


def test_bench_table_without_results(tmp_path, capsys):
    status, _, err = cli(capsys, "bench", "--table", "--out", str(tmp_path))
    assert status == 2 and "raspc bench" in err
