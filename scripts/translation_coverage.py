"""Coverage and exact match of the reference English to French translator on a corpus.

    PYTHONPATH=. python scripts/translation_coverage.py [DATA.tsv] [--misses N] [--uncovered N]

DATA.tsv (default ../shared/data/translation/tatoeba_be_dev.tsv): an English sentence,
then its French references, tab-separated. Prints the share of sentences the reference
translator (tests/support/french.py) covers and, on those, the share that equal some
reference after normalising case, spaces and French punctuation spacing.
"""
from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

from tests.support.french import translate
from tests.support.french_corpus import read_corpus, score

DEFAULT = Path(__file__).resolve().parents[1].parent.parent / "shared" / "data" / "translation" / "tatoeba_be_dev.tsv"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--misses", type=int, default=0, help="print this many covered sentences that match no reference")
    parser.add_argument("--uncovered", type=int, default=0, help="print this many sentences left uncovered (seeded sample)")
    options = parser.parse_args(argv)
    corpus = read_corpus(options.data)
    result = score(corpus, translate)
    print(f"{options.data.name}: {result.sentences} sentences, covered {result.covered} "
          f"({100 * result.coverage:.1f}%), exact match on covered {result.exact} "
          f"({100 * result.exact_match:.1f}%)")
    for english, french, references in result.misses[: options.misses]:
        print(f"  {english}  ->  {french}   | {' | '.join(references)}")
    if options.uncovered:
        left = [line.english for line in corpus if translate(line.english) is None]
        for english in random.Random(0).sample(left, min(options.uncovered, len(left))):
            print(f"  not covered: {english}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
