"""Benchmark rows for the language programs (for ``make bench`` to call).

* ``large_vocabulary_row``: a generated lexicon of 10,000 words (one numerical
  lexicon, two categorical word classes, a negation rule) compiled: compile
  seconds, parameters, the token table's shape;
* ``sentiment_rows``: programs/nlp/sentiment.rasp (VADER) on the VADER study's
  tweets: the compiled model against ``vaderSentiment`` on the same text
  (Pearson r, share within 0.05), against the human ratings (Pearson r, sign
  agreement), and both scorers' tweets per second in the same run, the model's
  timed after its first (compiling) pass, on token lists and from raw text (the
  tokenizer's time added).

    python -m benchmark.text_rows            # prints both rows as JSON
"""
from __future__ import annotations

import html
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from runtime.scores import pearson, sign_agreement
from compiler import compile_program
from rasp.parser import parse
from rasp.stage import load_program, stage
from runtime.engine.forward import Runner

ROOT = Path(__file__).resolve().parent.parent
SENTIMENT = ROOT / "programs" / "nlp" / "sentiment.rasp"
#: The shared data folder beside the checkout (``../shared/data``), or beside the folder of worktrees.
TWEETS = next((folder / "shared" / "data" / "sentiment" / "tweets_GroundTruth.txt" for folder in ROOT.parents
               if (folder / "shared" / "data" / "sentiment").is_dir()),
              ROOT.parent / "shared" / "data" / "sentiment" / "tweets_GroundTruth.txt")

LEXICON_SOURCE = """
@table valence_of = "valence.tsv";
@table kind_of = "kind.tsv";
@table loud_of = "loud.tsv";
@vocab [w for w in kind_of];
@max_len 16;
@output total;
valence = valence_of[tokens];
@numerical valence;
kind = kind_of[tokens];
loud = loud_of[tokens] == "yes";
before = aggregate(select(indices, indices - 1, ==), kind, "other");
signed = valence * (0 - 1 if before == "neg" else 1) * (2 if loud else 1);
@numerical signed;
total = aggregate(select(indices, indices, ==), signed);
"""
#: The word classes of the generated lexicon.
WORD_CLASSES = ("neg", "boost", "other", "but")


def lexicon_program(folder: Path, words: int = 10_000, seed: int = 0):
    """A seeded random lexicon of ``words`` words written into ``folder`` (one
    numerical lexicon, two categorical word classes) and the program that reads it
    only through lookups, with a negation rule one word back: (program, words)."""
    rng = random.Random(seed)
    names = [f"w{i}" for i in range(words)]
    (folder / "valence.tsv").write_text(
        "".join(f"{w}\t{rng.randint(-40, 40) / 10 if rng.random() < 0.5 else 0}\n" for w in names))
    (folder / "kind.tsv").write_text("".join(f"{w}\t{rng.choice(WORD_CLASSES)}\n" for w in names))
    (folder / "loud.tsv").write_text("".join(f"{w}\t{rng.choice(['yes', 'no'])}\n" for w in names))
    return stage(parse(LEXICON_SOURCE, str(folder / "lexicon.rasp")), (str(folder),)), names


def large_vocabulary_row(words: int = 10_000, seed: int = 0) -> dict:
    """Stage and compile the generated lexicon program over ``words`` words."""
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        program, _ = lexicon_program(Path(folder), words, seed)
        model = compile_program(program)
        seconds = time.perf_counter() - started
    return {"row": "lexicon, 10,000 words", "words": words, "stage_and_compile_seconds": seconds,
            "params": model.n_params, "token_table": list(model.params["token_embed"].shape),
            "layers": model.config.n_layers, "d_model": model.config.d_model}


def _tweets(path: Path) -> list[tuple[float, str]]:
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(float(rating), text) for _, rating, text in rows]


def sentiment_rows(model, program, tweets: list[tuple[float, str]]) -> dict:
    """The compiled sentiment model against vaderSentiment and the human ratings."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    encoder = program.tokenizer.encoder(program.vocab)
    texts = [html.unescape(text) for _, text in tweets]  # the text the tokenizer reads
    started = time.perf_counter()
    tokens = [encoder.encode(text, model.config.max_len).tokens for _, text in tweets]
    tokenizer_seconds = time.perf_counter() - started
    runner = Runner(model)
    runner.run(tokens)  # the first pass compiles
    started = time.perf_counter()
    answers = [out[0] for out in runner.run(tokens)]
    model_seconds = time.perf_counter() - started
    analyzer = SentimentIntensityAnalyzer()
    started = time.perf_counter()
    vader = [analyzer.polarity_scores(text)["compound"] for text in texts]
    vader_seconds = time.perf_counter() - started
    humans = [rating for rating, _ in tweets]
    a, v = np.asarray(answers), np.asarray(vader)
    model_signs, vader_signs = sign_agreement(answers, humans, 0.05), sign_agreement(vader, humans, 0.05)
    return {"row": "VADER tweets", "tweets": len(tweets),
            "r_vs_vader": pearson(answers, vader), "within_0_05_of_vader": float(np.mean(np.abs(a - v) <= 0.05)),
            "r_vs_humans": pearson(answers, humans), "signs_vs_humans": model_signs.share,
            "vader_r_vs_humans": pearson(vader, humans), "vader_signs_vs_humans": vader_signs.share,
            "model_tweets_per_second": len(tweets) / model_seconds,
            "tokenizer_and_model_tweets_per_second": len(tweets) / (tokenizer_seconds + model_seconds),
            "vader_tweets_per_second": len(tweets) / vader_seconds,
            "speedup": vader_seconds / model_seconds}


def vader_row() -> dict:
    """programs/nlp/sentiment.rasp compiled, then scored on the study's tweets."""
    if not TWEETS.is_file():
        return {"row": "VADER tweets", "error": f"no {TWEETS} (the shared data folder beside the checkout)"}
    program = load_program(str(SENTIMENT))
    model = compile_program(program)
    return {**sentiment_rows(model, program, _tweets(TWEETS)),
            "compile_seconds": model.stats["compile_seconds"], "params": model.n_params,
            "layers": model.config.n_layers, "d_model": model.config.d_model}


def main(argv: list[str] | None = None) -> int:
    print(json.dumps(large_vocabulary_row()))
    print(json.dumps(vader_row()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
