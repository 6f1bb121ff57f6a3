"""``raspc eval``: the REPL's printout, ``--json``, extra inputs and errors."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli.main import main

ROOT = Path(__file__).resolve().parents[2]

REVERSE = """\
reverse = aggregate(select(indices, length - indices - 1, ==), tokens);
@output reverse;
reverse("abc");
"""


def write(tmp_path: Path, text: str, name: str = "prog.rasp") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def run_eval(capsys, *argv):
    status = main(["eval", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def json_lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_example_printed_as_the_repl_does(tmp_path, capsys):
    status, out, err = run_eval(capsys, write(tmp_path, REVERSE))
    assert status == 0 and err == ""
    assert "\t =  [c, b, a] (strings)" in out.splitlines()


def test_json_example_record(tmp_path, capsys):
    status, out, _ = run_eval(capsys, write(tmp_path, REVERSE), "--json")
    assert status == 0
    assert json_lines(out) == [{"expr": 'reverse("abc")', "name": "reverse",
                                "input": ["a", "b", "c"], "output": ["c", "b", "a"]}]


def test_json_selector_is_a_query_by_key_matrix(tmp_path, capsys):
    path = write(tmp_path, "select(indices, indices, <)([5, 6, 7]);\n")
    status, out, _ = run_eval(capsys, path, "--json")
    (record,) = json_lines(out)
    assert record["input"] == [5, 6, 7]
    assert record["output"] == [[k < q for k in range(3)] for q in range(3)]


def test_selector_text_matrix(tmp_path, capsys):
    path = write(tmp_path, 'select(indices, indices, ==)("ab");\n')
    status, out, _ = run_eval(capsys, path)
    assert out.splitlines() == ["\t = ", " \t\t\t     a b", " \t\t\t a | 1  ", " \t\t\t b |   1"]


def test_bare_sop_uses_running_example(tmp_path, capsys):
    path = write(tmp_path, "indices + 1;\nset example [4, 7]\nlength;\n")
    status, out, _ = run_eval(capsys, path)
    assert out.splitlines() == [
        "     s-op: out",
        ' \t Example: out("hello") = [1, 2, 3, 4, 5] (ints)',
        "     s-op: length",
        " \t Example: length([4, 7]) = [2]*2 (ints)",
    ]
    status, out, _ = run_eval(capsys, path, "--json")
    assert [r["input"] for r in json_lines(out)] == [list("hello"), [4, 7]]


def test_values_and_formats(tmp_path, capsys):
    source = 'x = 3;\n"u";\nl = [1, 2];\nf = indices / 4;\nf("abc");\n(tokens == "a")("ab");\n'
    status, out, _ = run_eval(capsys, write(tmp_path, source))
    lines = out.splitlines()
    assert "    value: x =  3" in lines
    assert '    value: out =  "u"' in lines
    assert "     list: l = [1, 2]" in lines
    assert "     s-op: f" in lines
    assert "\t =  [0.0, 0.25, 0.5] (floats)" in lines
    assert "\t =  [T, F] (bools)" in lines


def test_floats_print_rounded_to_three_digits(tmp_path, capsys):
    status, out, _ = run_eval(capsys, write(tmp_path, "(indices / 3)(\"abc\");\n"))
    assert "\t =  [0.0, 0.333, 0.667] (floats)" in out.splitlines()
    status, out, _ = run_eval(capsys, write(tmp_path, "(indices / 3)(\"abc\");\n"), "--json")
    assert json_lines(out)[0]["output"] == pytest.approx([0.0, 1 / 3, 2 / 3], abs=1e-12)


def test_extra_input_on_declared_output(tmp_path, capsys):
    status, out, _ = run_eval(capsys, write(tmp_path, REVERSE), "--input", "xyz", "--json")
    records = json_lines(out)
    assert records[-1]["input"] == ["x", "y", "z"] and records[-1]["output"] == ["z", "y", "x"]


def test_extra_input_list_and_words_and_output_flag(tmp_path, capsys):
    source = "double = tokens_int * 2;\nupper = tokens + \"!\";\n"
    path = write(tmp_path, source)
    status, out, _ = run_eval(capsys, path, "--input", "[3,1,2]", "--output", "double", "--json")
    assert json_lines(out)[-1]["output"] == [6, 2, 4]
    status, out, _ = run_eval(capsys, path, "--words", "the cat", "--output", "upper", "--json")
    assert json_lines(out)[-1]["output"] == ["the!", "cat!"]


def test_extra_input_without_an_output_is_an_error(tmp_path, capsys):
    status, _, err = run_eval(capsys, write(tmp_path, "f = indices;\n"), "--input", "abc")
    assert status == 2 and "output" in err


def test_failing_example_is_an_error_with_its_place(tmp_path, capsys):
    source = 'f = aggregate(full_s, tokens);\nf("ab");\nf("cd");\n'
    status, out, err = run_eval(capsys, write(tmp_path, source))
    assert status == 2
    assert err.splitlines()[0].startswith(f"{tmp_path / 'prog.rasp'}:2:1: error:")
    assert "Traceback" not in err


def test_staging_error_is_reported_once(tmp_path, capsys):
    status, out, err = run_eval(capsys, write(tmp_path, "f = indices + nothing;\n"))
    assert status == 2 and out == ""
    assert ":1:15: error: undefined name 'nothing'" in err


def test_missing_file(tmp_path, capsys):
    status, _, err = run_eval(capsys, str(tmp_path / "nope.rasp"))
    assert status == 2 and "no such file" in err


def test_bad_input_literal(tmp_path, capsys):
    status, _, err = run_eval(capsys, write(tmp_path, REVERSE), "--input", "[1, 2")
    assert status == 2 and "']'" in err


def test_help_shows_an_example(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["eval", "--help"])
    assert exited.value.code == 0
    assert "raspc eval programs/reverse.rasp" in capsys.readouterr().out


def test_load_listing_and_function_display(tmp_path, capsys):
    write(tmp_path, "shifted = indices + 1;\n_hidden = 2;\ndef twice(x) { return x * 2; }\n", "lib.rasp")
    status, out, _ = run_eval(capsys, write(tmp_path, 'load "lib";\n'))
    assert out.splitlines() == ["     s-op: shifted", "     lib function: twice(x)"]


def test_examples_off_hides_running_example(tmp_path, capsys):
    status, out, _ = run_eval(capsys, write(tmp_path, "examples off\nindices;\n"))
    assert out.splitlines() == ["     s-op: indices"]
    status, out, _ = run_eval(capsys, write(tmp_path, "examples off\nindices;\n"), "--json")
    assert out == ""


def test_subprocess_bad_file_exits_2_without_traceback(tmp_path):
    raspc = ROOT / ".venv" / "bin" / "raspc"
    if not raspc.exists():
        pytest.skip("the raspc console script is not installed in .venv")
    path = write(tmp_path, "f = aggregate(indices, tokens);\n")
    done = subprocess.run([str(raspc), "eval", path], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "RASPC_DEBUG": ""})
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert ":1:5: error:" in done.stderr


def test_full_seq_display_prints_a_table(tmp_path, capsys):
    source = 'full seq display on\n(indices + 1)("abc");\n(indices * 0)("abc");\n'
    status, out, _ = run_eval(capsys, write(tmp_path, source))
    assert out.splitlines() == [
        "\t = ",
        " \t\tinput:   a b c \t (strings)",
        " \t\toutput:  1 2 3 \t (ints)",
        "\t =   [0]*3 (ints) [skipped full display: identical values]",
    ]


def test_show_example(tmp_path, capsys):
    status, out, _ = run_eval(capsys, write(tmp_path, 'set s-op example "ab"\nshow example\n'))
    assert out.splitlines() == ['\ts-op example: "ab"', '\tselector example: "hello"']


def test_selector_examples_off_keeps_sop_examples(tmp_path, capsys):
    source = "selector examples off\nselect(indices, indices, ==);\nindices;\n"
    status, out, _ = run_eval(capsys, write(tmp_path, source))
    assert out.splitlines() == ["     selector: out", "     s-op: indices",
                                ' \t Example: indices("hello") = [0, 1, 2, 3, 4] (ints)']


def test_function_result_and_long_names(tmp_path, capsys):
    source = ("def plus(s, n) { return s + n; }\nplus(indices, 2)(\"ab\");\n"
              "(indices + indices + indices + indices + 1)(\"ab\");\n")
    status, out, _ = run_eval(capsys, write(tmp_path, source), "--json")
    first, second = json_lines(out)
    assert first["name"] == "plus(indices , 2)" and first["output"] == [2, 3]
    # the original shortens names longer than 30 characters to "s-op": here
    # "( ( indices + indices ) + indices )" (35 characters) along the way
    assert second["name"] == "( ( s-op + indices ) + 1 )" and second["output"] == [1, 5]


def test_a_name_holding_a_finished_sequence_prints_as_a_value(tmp_path, capsys):
    source = 'r = indices + 1;\nx = r("abc");\nx;\n'
    status, out, _ = run_eval(capsys, write(tmp_path, source))
    assert out.splitlines()[-2:] == ["    value: x =  [1, 2, 3] (ints)"] * 2
    status, out, _ = run_eval(capsys, write(tmp_path, source), "--json")
    assert out == ""
