"""programs/nlp/sentiment.rasp against the vaderSentiment package (an independent
reference): the interpreter on sentences that exercise each of VADER's rules and
on a sample of the study's tweets, and the compiled model beside both."""
from __future__ import annotations

import html
import random
from pathlib import Path

import numpy as np
import pytest

from runtime.scores import pearson
from compiler import compile_program
from rasp.interpreter import evaluate
from rasp.stage import load_program
from runtime.engine.forward import Runner

vader = pytest.importorskip("vaderSentiment.vaderSentiment")

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = ROOT / "programs" / "nlp" / "sentiment.rasp"
TWEETS = next((folder / "shared" / "data" / "sentiment" / "tweets_GroundTruth.txt" for folder in ROOT.parents
               if (folder / "shared" / "data" / "sentiment").is_dir()), None)

#: One sentence per rule: the lexicon, boosters, dampeners, capitals, marks, negation
#: one, two and three words back, "no", "never so", "without doubt", "least", "but",
#: "kind of", the idioms, emoticons, entities, contractions, unknown words.
RULES = [
    "VADER is smart, handsome, and funny.",
    "VADER is smart, handsome, and funny!!!",
    "VADER is very smart, handsome, and funny.",
    "VADER is VERY SMART, handsome, and FUNNY.",
    "VADER is not smart, handsome, nor funny.",
    "The book was only kind of good.",
    "The plot was good, but the characters are uncompelling and the dialog is not great.",
    "Today SUX!",
    "Today only kinda sux! But I'll get by, lol",
    "Make sure you :) or :D today!",
    "Not bad at all",
    "Sentiment analysis has never been good.",
    "Sentiment analysis has never been this good!",
    "With VADER, sentiment analysis is the shit!",
    "On the other hand, VADER is quite bad ass",
    "Without a doubt, excellent idea.",
    "Roger Dodger is at least compelling as a variation on the theme.",
    "Roger Dodger is one of the least compelling variations on this theme.",
    "It isn't a horrible book, it is the bomb???",
    "no good reason, yeah right",
    "I would not say it was very good at all",
    "it is a kiss of death for the team",
    "We were 17 deep last night &amp; the love was so strong &lt;3",
    "he slightly likes it, she REALLY HATES it ?!",
]


@pytest.fixture(scope="module")
def program():
    return load_program(str(PROGRAM))


def interpreted(program, text: str) -> float:
    encoder = program.tokenizer.encoder(program.vocab)
    return evaluate(program.names["compound"], encoder.encode(text, program.max_len).tokens)[0]


def reference(text: str) -> float:
    """vaderSentiment on the text the tokenizer reads (HTML entities decoded)."""
    return vader.SentimentIntensityAnalyzer().polarity_scores(html.unescape(text))["compound"]


@pytest.mark.parametrize("text", RULES)
def test_each_rule_scores_as_vader_does(program, text):
    assert interpreted(program, text) == pytest.approx(reference(text), abs=1e-4)


def _tweets(count: int, seed: int) -> list[tuple[float, str]]:
    if TWEETS is None:
        pytest.skip("the VADER tweets are not on this machine")
    rows = [line.split("\t") for line in TWEETS.read_text(encoding="utf-8").splitlines()]
    return [(float(rating), text) for _, rating, text in random.Random(seed).sample(rows, count)]


def test_tweets_score_as_vader_does(program):
    tweets = _tweets(300, seed=0)
    ours = [interpreted(program, text) for _, text in tweets]
    theirs = [reference(text) for _, text in tweets]
    assert pearson(ours, theirs) > 0.99
    assert np.mean(np.abs(np.asarray(ours) - np.asarray(theirs)) <= 0.05) >= 0.97


def test_the_compiled_model_agrees_with_the_interpreter_and_with_vader(program):
    model = compile_program(program)
    tolerance = model.stats["output_tolerance"]
    tweets = _tweets(120, seed=1)
    encoder = program.tokenizer.encoder(program.vocab)
    tokens = [encoder.encode(text, model.config.max_len).tokens for _, text in tweets]
    outputs = Runner(model).run(tokens)
    for sentence, out in zip(tokens, outputs):
        expected = evaluate(program.names["compound"], sentence)
        assert max(abs(a - b) for a, b in zip(expected, out)) <= tolerance
    theirs = [reference(text) for _, text in tweets]
    assert pearson([out[0] for out in outputs], theirs) > 0.99
    assert model.params["token_embed"].shape[1] < 200  # the vocabulary costs what its lookups write
