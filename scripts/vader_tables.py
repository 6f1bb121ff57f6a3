"""Write the tables programs/nlp/sentiment.rasp reads, from the vaderSentiment package.

    python scripts/vader_tables.py

* ``programs/nlp/vader_lexicon.tsv``: VADER's valence lexicon (``vader_lexicon.txt``:
  word and mean rating), the entries a lower-cased word can reach (VADER looks words
  up lower-cased, so its 14 entries with capitals, such as ``:D``, never match),
  less the six that read as numbers (``143``), which a table would hold as numbers;
* ``programs/nlp/vader_rules.tsv``: the words VADER's rules name (``NEGATE``,
  ``BOOSTER_DICT``, the words of ``SPECIAL_CASES`` and of the "no", "never so",
  "without doubt", "least" and "but" rules), each with the role sentiment.rasp
  gives it.

vaderSentiment is MIT-licensed (C.J. Hutto, 2016); LICENSE-vaderSentiment.txt beside
the tables carries its licence.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from vaderSentiment import vaderSentiment as vader

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "programs" / "nlp"
NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
SOURCE = ("# From the vaderSentiment package (version 3.3.2, C.J. Hutto, MIT licence, "
          "LICENSE-vaderSentiment.txt; github.com/cjhutto/vaderSentiment).\n")


def roles() -> dict[str, str]:
    """Each word VADER's rules name, with its role (the last assignment wins)."""
    found: dict[str, str] = {}
    for word, value in vader.BOOSTER_DICT.items():
        if " " not in word:  # two-word boosters are matched as pairs of words
            found[word] = "up" if value > 0 else "down"
    for word in vader.NEGATE:
        found[word] = "neg"
    for word in ("no", "never", "without", "nor", "or", "so", "this", "very", "at", "least", "but",
                 "doubt", "kind", "of", "sort", "just", "enough"):
        found[word] = word
    for phrase in vader.SPECIAL_CASES:
        for word in phrase.split():
            found.setdefault(word, word)
    return found


def main() -> int:
    analyzer = vader.SentimentIntensityAnalyzer()
    # A key that reads as a number (``143``) would be a number in a @table, never a
    # token: the six such entries are left out.
    lexicon = {w: v for w, v in analyzer.lexicon.items() if w == w.lower() and not NUMBER.fullmatch(w)}
    with open(OUT / "vader_lexicon.tsv", "w", encoding="utf-8") as f:
        f.write(SOURCE + "# word\tmean valence (-4 to 4)\n")
        for word, value in lexicon.items():
            f.write(f"{word}\t{value}\n")
    with open(OUT / "vader_rules.tsv", "w", encoding="utf-8") as f:
        f.write(SOURCE + "# word\trole in sentiment.rasp\n")
        for word, role in roles().items():
            f.write(f"{word}\t{role}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
