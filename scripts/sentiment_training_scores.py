"""A model trained on the tweets (``raspc train ... --corpus TWEETS --text-column 3``)
scored on its held-out tweets against the compiled sentiment model, vaderSentiment
and the human ratings.

    PYTHONPATH=. python scripts/sentiment_training_scores.py TRAINED.safetensors COMPILED.safetensors [--json]

The held-out test tweets are the lines the trained model's file records
(``held_out_lines``, written by ``raspc train``), read from the corpus it was
trained on. Each tweet is cut by the tokenizer the model file records. The
compiled model answers one compound score at every position of a tweet; the
trained model answers one per position, and its tweet's answer is their mean.
Printed for the trained model, the compiled one, vaderSentiment (on the text the
tokenizer reads: HTML entities decoded) and a constant answer (the mean compound
of the training tweets, the best constant for squared error): the mean absolute
error against the compiled model's compound, the share within 0.05 and 0.25 of it,
the share of signs that agree with it (positive at >= 0.05), Pearson's r against
the compiled model, vaderSentiment and the humans, and the sign agreement with
the humans (issue 18's rule: positive at >= 0.05; ratings of exactly 0 left out).
"""
from __future__ import annotations

import argparse
import html
import json
import sys
from dataclasses import asdict, dataclass

import numpy as np
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from cli.text import model_encoder
from raspc.errors import InputError
from runtime.engine.forward import Runner
from runtime.io import load_model
from runtime.model import Model
from runtime.scores import pearson, sign_agreement

#: A compound score at or above this is positive (VADER's own rule).
POSITIVE = 0.05


@dataclass(frozen=True)
class Tweet:
    line: int
    rating: float
    text: str


@dataclass(frozen=True)
class Row:
    """One scorer's answers on the held-out tweets, measured."""

    scorer: str
    mean_abs_error_vs_compiled: float
    within_0_05_of_compiled: float
    within_0_25_of_compiled: float
    signs_vs_compiled: float
    r_vs_compiled: float
    r_vs_vader: float
    r_vs_humans: float
    signs_vs_humans: float


def read_tweets(path: str, text_column: int) -> dict[int, Tweet]:
    """Every line of the corpus by its number (from 1): id, mean rating, text."""
    tweets = {}
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle.read().splitlines(), start=1):
            columns = line.split("\t")
            tweets[number] = Tweet(number, float(columns[1]), columns[text_column - 1])
    return tweets


def sentence_scores(model: Model, tokens: list[tuple]) -> np.ndarray:
    """One compound score per tweet: the mean of the model's answers over its positions."""
    return np.asarray([float(np.mean(out)) for out in Runner(model).run(tokens)])


def measured(scorer: str, answers: np.ndarray, compiled: np.ndarray, vader: np.ndarray,
             humans: np.ndarray) -> Row:
    miss = np.abs(answers - compiled)
    constant = np.ptp(answers) == 0
    return Row(scorer, float(miss.mean()), float(np.mean(miss <= 0.05)), float(np.mean(miss <= 0.25)),
               float(np.mean((answers >= POSITIVE) == (compiled >= POSITIVE))),
               float("nan") if constant else pearson(answers, compiled),
               float("nan") if constant else pearson(answers, vader),
               float("nan") if constant else pearson(answers, humans),
               sign_agreement(answers, humans, POSITIVE).share)


def score(trained_path: str, compiled_path: str) -> dict:
    trained, compiled = load_model(trained_path), load_model(compiled_path)
    held = trained.stats.get("held_out_lines")
    corpus, column = trained.settings.get("corpus"), trained.settings.get("text_column")
    if not held or not corpus or not column:
        raise InputError(f"{trained_path} was not trained on a corpus of sentences (raspc train --text-column)")
    tweets = read_tweets(corpus, column)
    encoder = model_encoder(trained, trained_path)
    tested = [tweets[n] for n in held["test"]]
    held_out = set(held["test"]) | set(held["validation"])
    training = [t for n, t in tweets.items() if n not in held_out]

    def tokens(rows: list[Tweet]) -> list[tuple]:
        return [encoder.encode(t.text, trained.config.max_len).tokens for t in rows]

    test_tokens = tokens(tested)
    compiled_scores = sentence_scores(compiled, test_tokens)
    trained_scores = sentence_scores(trained, test_tokens)
    analyzer = SentimentIntensityAnalyzer()
    vader = np.asarray([analyzer.polarity_scores(html.unescape(t.text))["compound"] for t in tested])
    humans = np.asarray([t.rating for t in tested])
    constant = np.full(len(tested), float(sentence_scores(compiled, tokens(training)).mean()))
    rows = [measured(name, answers, compiled_scores, vader, humans)
            for name, answers in (("trained", trained_scores), ("compiled", compiled_scores),
                                  ("vaderSentiment", vader), ("constant (training mean)", constant))]
    return {"trained": trained_path, "compiled": compiled_path, "corpus": corpus, "test_tweets": len(tested),
            "training_tweets": len(training), "rows": [asdict(row) for row in rows]}


def markdown(result: dict) -> str:
    headers = ["", "MAE vs compiled", "within 0.05", "within 0.25", "signs vs compiled", "r vs compiled",
               "r vs vaderSentiment", "r vs humans", "signs vs humans"]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" + "---:|" * (len(headers) - 1)]
    for row in result["rows"]:
        cells = [row["scorer"], f"{row['mean_abs_error_vs_compiled']:.4f}",
                 f"{row['within_0_05_of_compiled']:.1%}", f"{row['within_0_25_of_compiled']:.1%}",
                 f"{row['signs_vs_compiled']:.1%}"]
        cells += ["" if np.isnan(row[k]) else f"{row[k]:.4f}" for k in ("r_vs_compiled", "r_vs_vader", "r_vs_humans")]
        cells.append(f"{row['signs_vs_humans']:.1%}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trained", help="the trained model file")
    parser.add_argument("compiled", help="the compiled sentiment model file")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    try:
        result = score(args.trained, args.compiled)
    except InputError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{result['test_tweets']} held-out tweets of {result['corpus']} "
          f"({result['training_tweets']} trained on)")
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
