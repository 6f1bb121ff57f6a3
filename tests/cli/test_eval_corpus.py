"""``raspc eval-corpus``, ``run --text`` and ``lens --text`` on a small word
program: scores worked by hand, bad lines named, the same tokens everywhere."""
from __future__ import annotations

import json
import textwrap

import pytest

from cli.commands.eval_corpus import MIXED, Evaluation, score
from cli.corpus import CorpusLine
from cli.main import main
from runtime.scores import mcc, pearson

PROGRAM = textwrap.dedent("""
    @tokenizer {"strip_punctuation": True, "keep_short": 2, "caps": True, "marks": "!",
                "unknown": "<unk>"};
    @vocab ["good", "bad", "not", "<unk>", "!"];
    @max_len 6;
    @output score;
    WORTH = {"good": 2, "bad": -2, "not": 0, "<unk>": 0, "!": 0};
    worth = WORTH[tokens] * (2 if caps else 1);
    flipped = aggregate(select(indices, indices - 1, ==), tokens, "<unk>") == "not";
    signed = 0 - worth if flipped else worth;
    score = aggregate(select(indices, indices, ==) or not select(indices, indices, ==), signed);
    @numerical score;
    label = "positive" if score > 0 else "negative";
""")

#: line: text, a human score; the program's mean word worth, worked by hand.
CORPUS = [
    ("good movie", "1.5"),      # (2 + 0) / 2 = 1
    ("not good", "-1"),         # (0 - 2) / 2 = -1
    ("BAD bad!", "-3"),         # (-4 - 2 + 0) / 3 = -2
    ("not bad at all", "0.5"),  # (0 + 2 + 0 + 0) / 4 = 0.5
]
ANSWERS = [1.0, -1.0, -2.0, 0.5]


@pytest.fixture
def program(tmp_path):
    path = tmp_path / "words.rasp"
    path.write_text(PROGRAM)
    return path


def corpus(tmp_path, rows, name="data.tsv") -> str:
    path = tmp_path / name
    path.write_bytes(b"".join(row if isinstance(row, bytes) else row.encode() for row in rows))
    return str(path)


def test_numbers_are_scored_against_numbers(program, tmp_path, capsys):
    data = corpus(tmp_path, [f"{k}\t{label}\t{text}\n" for k, (text, label) in enumerate(CORPUS)])
    assert main(["eval-corpus", str(program), data, "--text-column", "3", "--label-column", "2", "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["output"] for r in records[:-1]] == pytest.approx(ANSWERS, abs=1e-4)
    summary = records[-1]["summary"]
    labels = [float(label) for _, label in CORPUS]
    assert summary["pearson_r"] == pytest.approx(pearson(ANSWERS, labels), abs=1e-4)
    assert summary["sign_agreement"] == 1.0 and summary["model_interpreter_differ"] == 0


def test_the_text_report_names_the_score_and_the_agreement(program, tmp_path, capsys):
    data = corpus(tmp_path, [f"{text}\t{label}\n" for text, label in CORPUS])
    assert main(["eval-corpus", str(program), data, "--text-column", "1", "--label-column", "2"]) == 0
    out = capsys.readouterr().out
    assert "Pearson r" in out and "model and interpreter differ on 0 sentences" in out


def test_categories_are_scored_with_accuracy_and_mcc(program, tmp_path, capsys):
    labels = ["positive", "negative", "negative", "negative"]  # the last one the program gets wrong
    data = corpus(tmp_path, [f"{text}\t{label}\n" for (text, _), label in zip(CORPUS, labels)])
    assert main(["eval-corpus", str(program), data, "--text-column", "1", "--label-column", "2",
                 "--output", "label", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.splitlines()[-1])["summary"]
    answers = ["positive", "negative", "negative", "positive"]
    assert summary["accuracy"] == 0.75 and summary["mcc"] == pytest.approx(mcc(answers, labels))


def test_bad_lines_are_named_and_long_sentences_reported_not_cut(program, tmp_path, capsys):
    rows = ["good movie\t1\n", "\n", "no label here\n", b"caf\xe9 bad\t1\n",
            "good good good good good good good\t1\n", "bad\t-1\n"]
    data = corpus(tmp_path, rows)
    status = main(["eval-corpus", str(program), data, "--text-column", "1", "--label-column", "2", "--json"])
    captured = capsys.readouterr()
    assert status == 2
    errors = captured.err.splitlines()
    assert f"{data}:2: error: the line is empty" in errors
    assert f"{data}:3: error: the line has 1 column, column 2 is needed" in errors
    assert any(e.startswith(f"{data}:4: error: byte 4 is not UTF-8") for e in errors)
    assert f"{data}:5: error: the text has 7 tokens, more than max_len 6" in errors
    records = [json.loads(line) for line in captured.out.splitlines()]
    assert [r["output"] for r in records[:-1]] == [pytest.approx(1.0, abs=1e-4), None, None, None, None,
                                                    pytest.approx(-2.0, abs=1e-4)]
    assert records[-1]["summary"]["not_covered"] == 1 and records[-1]["summary"]["malformed"] == 3


def test_run_and_lens_read_text_through_the_tokenizer(program, tmp_path, capsys):
    assert main(["run", str(program), "--text", "NOT GOOD!", "--json"]) == 0
    record = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert record["input"] == ["NOT", "GOOD", "!"]
    assert record["output"] == pytest.approx([-4 / 3] * 3, abs=1e-4)
    assert record["reference"] == pytest.approx([-4 / 3] * 3, abs=1e-12)
    model = tmp_path / "words.safetensors"
    assert main(["compile", str(program), "-o", str(model)]) == 0
    capsys.readouterr()
    assert main(["run", str(model), "--text", "NOT GOOD!", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["input"] == ["NOT", "GOOD", "!"]
    assert main(["lens", str(model), "--text", "not good", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert json.dumps(report).count('"good"') >= 1


def test_text_needs_a_tokenizer(tmp_path, capsys):
    path = tmp_path / "plain.rasp"
    path.write_text('@vocab "ab";\n@max_len 3;\n@output t;\nt = tokens;\n')
    assert main(["run", str(path), "--text", "ab"]) == 2
    assert "declares no @tokenizer" in capsys.readouterr().err


VERDICT = textwrap.dedent("""
    @tokenizer {"unknown": "<unk>"};
    @vocab ["good", "bad", "not", "<unk>"];
    @max_len 6;
    @output verdict;
    covered = not ("<unk>" in tokens);
    negative = ("bad" in tokens);
    verdict = 0 if covered and negative else 1;
    reason = "bad word" if negative else "-";
""")
#: text, label; the verdict worked by hand: 0 where a covered sentence holds "bad".
VERDICT_CORPUS = [("good good", "1"), ("bad", "0"), ("not bad", "1"), ("bad zzz", "0"), ("good", "0")]
VERDICTS = [1, 0, 0, 1, 1]


def test_a_zero_one_verdict_is_scored_as_categories_on_all_and_on_the_covered(tmp_path, capsys):
    path = tmp_path / "verdict.rasp"
    path.write_text(VERDICT)
    data = corpus(tmp_path, [f"{text}\t{label}\n" for text, label in VERDICT_CORPUS])
    assert main(["eval-corpus", str(path), data, "--text-column", "1", "--label-column", "2",
                 "--covered", "covered", "--show", "reason", "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["output"] for r in records[:-1]] == VERDICTS
    assert [r["covered"] for r in records[:-1]] == [True, True, True, False, True]
    assert [r["reason"] for r in records[:-1]] == ["-", "bad word", "bad word", "bad word", "-"]
    summary = records[-1]["summary"]
    labels = [int(label) for _, label in VERDICT_CORPUS]
    assert summary["accuracy"] == pytest.approx(2 / 5) and summary["mcc"] == pytest.approx(mcc(VERDICTS, labels))
    assert summary["by_value"]["reason"] == {"bad word": {"sentences": 3, "labels": {"0": 2, "1": 1}},
                                             "-": {"sentences": 2, "labels": {"0": 1, "1": 1}}}
    inside = [0, 1, 2, 4]
    assert summary["covered"]["sentences"] == 4
    assert summary["covered"]["mcc"] == pytest.approx(mcc([VERDICTS[k] for k in inside], [labels[k] for k in inside]))


def test_an_s_op_the_model_does_not_hold_is_named(tmp_path, capsys):
    path = tmp_path / "verdict.rasp"
    path.write_text(VERDICT)
    model = tmp_path / "verdict.safetensors"
    assert main(["compile", str(path), "-o", str(model)]) == 0
    data = corpus(tmp_path, ["good\t1\n"])
    capsys.readouterr()
    assert main(["eval-corpus", str(model), data, "--text-column", "1", "--show", "reason"]) == 2
    err = capsys.readouterr().err
    assert "no s-op named 'reason'" in err and "--keep reason" in err and "Traceback" not in err


def test_a_kept_s_op_is_read_from_a_model_file(tmp_path, capsys):
    path = tmp_path / "verdict.rasp"
    path.write_text(VERDICT)
    model = tmp_path / "verdict.safetensors"
    assert main(["compile", str(path), "-o", str(model), "--keep", "reason"]) == 0
    data = corpus(tmp_path, [f"{text}\t{label}\n" for text, label in VERDICT_CORPUS])
    capsys.readouterr()
    assert main(["eval-corpus", str(model), data, "--text-column", "1", "--show", "reason", "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()[:-1]]
    assert [r["reason"] for r in records] == ["-", "bad word", "bad word", "bad word", "-"]


def test_keeping_a_name_that_is_no_s_op_is_one_line_naming_it(tmp_path, capsys):
    path = tmp_path / "verdict.rasp"
    path.write_text(VERDICT)
    assert main(["compile", str(path), "-o", str(tmp_path / "v.safetensors"), "--keep", "nothing_here"]) == 2
    err = capsys.readouterr().err
    assert "cannot keep 'nothing_here'" in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "v.safetensors").exists()



def test_a_sentence_whose_answer_differs_across_positions_is_one_mixed_column_counted_wrong():
    lines = [CorpusLine(k + 1, f"line {k + 1}", label) for k, label in enumerate([1.0, 0.0, 1.0, 0.0])]
    answers = {1: 1, 2: [0, 1, 0], 3: [1, 1, 0], 4: 0}
    scored = score(Evaluation(lines, answers), threshold=0.05, worst=5, categorical=True)
    # by hand: right on lines 1 and 4; lines 2 and 3 mixed, so wrong
    assert scored.summary["accuracy"] == pytest.approx(0.5)
    assert scored.summary["mcc"] == pytest.approx(mcc([1, MIXED, MIXED, 0], [1, 0, 1, 0]))
    header, *rows = scored.table
    assert header.split()[-3:] == ["0", "1", MIXED] and len(rows) == 3
    # rows for the labels 0 and 1 only (no label is mixed): label 0 answered 0 once and
    # mixed once, label 1 answered 1 once and mixed once
    assert rows[0].split() == ["0", "1", "0", "1"] and rows[1].split() == ["1", "0", "1", "1"]
    assert "2 sentences" in rows[-1] and "counted wrong" in rows[-1]
