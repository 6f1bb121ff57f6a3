"""``raspc train --corpus FILE --text-column K``: a corpus of sentences cut by
the program's @tokenizer and labelled by the program; the held-out lines are
recorded, the trained model reads --text, and bad lines are named."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest

from cli.text import model_encoder
from runtime.engine.forward import Runner
from runtime.io import load_model
from scripts.held_out_corpus import held_out_text
from tests.support.cli import cli

PROGRAM = textwrap.dedent("""
    @tokenizer {"strip_punctuation": True, "keep_short": 2, "caps": True, "marks": "!",
                "unknown": "<unk>"};
    @vocab ["good", "bad", "not", "<unk>", "!"];
    @max_len 6;
    @output score;
    WORTH = {"good": 2, "bad": -2, "not": 0, "<unk>": 0, "!": 0};
    worth = WORTH[tokens] * (2 if caps else 1);
    score = aggregate(select(indices, indices, ==) or not select(indices, indices, ==), worth);
    @numerical score;
""")

#: Sentences of the corpus (column 2). Words outside the vocabulary are <unk>, so
#: lines 1, 2 and 10 (good <unk>) are one input, and so are 11 and 24 (<unk> bad):
#: 24 lines hold 21 distinct inputs.
SENTENCES = ["good film", "good movie", "bad", "not good", "GOOD!", "bad bad", "not bad", "good good good",
             "bad day!", "good day", "so bad", "BAD", "good", "not not", "film", "good bad", "bad good",
             "good!!", "bad!", "not good at all", "GOOD good", "bad BAD", "really good", "very bad"]
SMALL = ["--val-size", "3", "--test-size", "5", "--steps", "4", "--batch-size", "4", "--no-progress"]


@pytest.fixture()
def files(tmp_path: Path) -> tuple[Path, Path]:
    program = tmp_path / "words.rasp"
    program.write_text(PROGRAM)
    corpus = tmp_path / "sentences.tsv"
    corpus.write_text("".join(f"{k}\t{text}\n" for k, text in enumerate(SENTENCES, start=1)))
    return program, corpus


def test_sentences_are_cut_by_the_tokenizer_and_labelled_by_the_program(capsys, tmp_path, files):
    program, corpus = files
    out = tmp_path / "trained.safetensors"
    status, stdout, _ = cli(capsys, "train", program, "-o", out, "--corpus", corpus, "--text-column", "2",
                            "--json", *SMALL)
    assert status == 0
    record = json.loads(stdout)
    assert record["data_sizes"] == {"train": 13, "validation": 3, "test": 5}
    assert record["labels"] == {"train": "model", "held_out": "interpreter"} and record["text_column"] == 2
    assert record["test_mean_abs_error"] >= 0 and record["tolerance"] > 0
    held = load_model(str(out)).stats["held_out_lines"]
    assert not set(held["validation"]) & set(held["test"])
    for same in ({1, 2, 10}, {11, 24}):   # the lines of one input go together
        assert all(same <= set(lines) or not same & set(lines) for lines in held.values())
        assert sum(bool(same & set(lines)) for lines in held.values()) <= 1
    distinct = {frozenset(same) for same in ({1, 2, 10}, {11, 24})}
    held_inputs = {next((g for g in distinct if n in g), frozenset([n])) for n in held["validation"] + held["test"]}
    assert len(held_inputs) == 8
    status, stdout, _ = cli(capsys, "run", out, "--text", "not BAD!")   # the tokenizer travels with the model
    assert status == 0 and "score" in stdout


def test_the_text_report_gives_the_mean_absolute_error(capsys, tmp_path, files):
    program, corpus = files
    status, stdout, _ = cli(capsys, "train", program, "-o", tmp_path / "t.safetensors", "--corpus", corpus,
                            "--text-column", "2", *SMALL)
    assert status == 0 and "mean absolute error per position" in stdout


@pytest.mark.parametrize("lines, flags, message", [
    (None, ["--text-column", "2"], "give --corpus"),
    (SENTENCES[:20], ["--corpus-words"], "give one of them"),
    (SENTENCES[:10] + ["good good good good good good good"], [], "sentences.tsv:11: the text has 7 tokens"),
    (SENTENCES[:10] + [""], [], "sentences.tsv:11:"),
])
def test_bad_corpora_are_named_by_line(capsys, tmp_path, files, lines, flags, message):
    program, corpus = files
    corpus_flags = []
    if lines is not None:
        corpus.write_text("".join(f"{k}\t{text}\n" for k, text in enumerate(lines, start=1)))
        corpus_flags = ["--corpus", corpus, "--text-column", "2"]
    status, _, stderr = cli(capsys, "train", program, "-o", tmp_path / "t.safetensors", *corpus_flags, *flags,
                            *SMALL)
    assert status == 2 and message in stderr and "Traceback" not in stderr
    assert not (tmp_path / "t.safetensors").exists()


def test_compare_runs_on_the_corpus_sentences(capsys, tmp_path, files):
    program, corpus = files
    trained = tmp_path / "trained.safetensors"
    assert cli(capsys, "train", program, "-o", trained, "--corpus", corpus, "--text-column", "2", *SMALL)[0] == 0
    status, stdout, _ = cli(capsys, "compare", program, trained, "--corpus", corpus, "--text-column", "2",
                            "--inputs", "100", "--pairs", "3", "--json")
    assert status == 0
    record = json.loads(stdout)
    assert record["inputs"] == 21                      # every distinct sentence of the corpus, no more
    assert record["behaviour"]["a_accuracy"] == 1.0    # the compiled model computes the program
    status, _, stderr = cli(capsys, "compare", program, trained, "--corpus", corpus)
    assert status == 2 and "--text-column" in stderr


def test_eval_corpus_reads_a_trained_model_once_per_sentence(capsys, tmp_path, files):
    """The program answers once per sentence; the trained model, a little differently
    at every position: its sentence's answer is their mean."""
    program, corpus = files
    trained = tmp_path / "trained.safetensors"
    assert cli(capsys, "train", program, "-o", trained, "--corpus", corpus, "--text-column", "2", *SMALL)[0] == 0
    status, stdout, _ = cli(capsys, "eval-corpus", trained, corpus, "--text-column", "2", "--label-column", "1",
                            "--json")
    assert status == 1      # the trained model and the interpreter differ, as eval-corpus says by its status
    records = [json.loads(line) for line in stdout.splitlines()]
    model = load_model(str(trained))
    encoder = model_encoder(model, str(trained))
    per_position = Runner(model).run([encoder.encode(text, 6).tokens for text in SENTENCES])
    assert [r["output"] for r in records[:-1]] == pytest.approx([float(np.mean(out)) for out in per_position],
                                                                abs=1e-5)
    assert isinstance(records[-1]["summary"]["pearson_r"], float)


def test_the_held_out_corpus_script_writes_the_test_lines_as_they_are(capsys, tmp_path, files):
    program, corpus = files
    out = tmp_path / "trained.safetensors"
    status, _, _ = cli(capsys, "train", program, "-o", out, "--corpus", corpus, "--text-column", "2", *SMALL)
    assert status == 0
    test_lines = sorted(load_model(str(out)).stats["held_out_lines"]["test"])
    expected = "".join(f"{n}\t{SENTENCES[n - 1]}\n" for n in test_lines)
    assert held_out_text(str(out)) == expected
