"""Coverage, exact match and chrF of the reference English to French translator on a corpus.

    PYTHONPATH=. python scripts/translation_coverage.py [DATA.tsv] [--misses N] [--uncovered N]

DATA.tsv (default ../shared/data/translation/tatoeba_be_dev.tsv): an English sentence,
then its French references, tab-separated. Prints the share of sentences the reference
translator (tests/support/french.py) covers; on those, the share that equal some
reference after normalising case, spaces and French punctuation spacing; and chrF over
all sentences (sacrebleu; a sentence left untranslated counts as empty) beside a
word-for-word baseline that puts each word's French from the same tables in the English
order.
"""
from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import sacrebleu

from tests.support.french import translate
from tests.support.french_corpus import read_corpus, score
from tests.support.french_lexicon import join_french, load_lexicon
from tests.support.french_phrases import tokenize

# ../shared beside the repository, as programs/nlp/README.md names it
DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "translation" / "tatoeba_be_dev.tsv"
# The baseline's words of the grammar, one French word (or two) for each.
GRAMMAR_WORDS = {
    "i": "je", "you": "tu", "he": "il", "she": "elle", "it": "il", "we": "nous", "they": "ils",
    "i'm": "je suis", "you're": "tu es", "he's": "il est", "she's": "elle est", "it's": "c'est",
    "we're": "nous sommes", "they're": "ils sont", "am": "suis", "is": "est", "are": "sont",
    "isn't": "n'est pas", "aren't": "ne sont pas", "not": "pas", "never": "jamais",
    "don't": "ne pas", "doesn't": "ne pas", "didn't": "ne pas", "can't": "ne peux pas",
    "won't": "ne pas", "can": "peux", "must": "dois", "want": "veux", "wants": "veut",
    "a": "un", "an": "un", "the": "le", "my": "mon", "your": "ton", "his": "son", "her": "sa",
    "our": "notre", "their": "leur", "this": "ce", "that": "ce", "these": "ces", "those": "ces",
    "very": "très", "so": "si", "too": "trop", "really": "vraiment", "in": "dans", "at": "à",
    "on": "sur", "with": "avec", "for": "pour", "of": "de", "to": "à", "and": "et",
    "me": "moi", "him": "lui", "us": "nous", "them": "eux", "now": "maintenant",
    "here": "ici", "all": "tous", "going": "allant", "than": "que",
}


def word_for_word(sentence: str) -> str:
    """Each English word's French from the tables (a lemma, an infinitive), in English order."""
    lexicon = load_lexicon()
    tokens, mark = tokenize(sentence)
    words = []
    for token in tokens:
        if token in GRAMMAR_WORDS:
            words.append(GRAMMAR_WORDS[token])
            continue
        for reading in lexicon.readings.get(token, ()):
            found = lexicon.french(reading.category, reading.lemma)
            if found:
                words.append(found[0])
                break
        else:
            words.append(token)
    return join_french(words + ([mark] if mark == "." else [" " + mark]))


def chrf(hypotheses: list[str], references: list[tuple[str, ...]]) -> float:
    """Corpus chrF; sacrebleu wants as many reference streams as the most references a
    sentence has, so shorter lists repeat their first reference (chrF keeps the best)."""
    width = max(len(r) for r in references)
    streams = [[r[i] if i < len(r) else r[0] for r in references] for i in range(width)]
    return sacrebleu.corpus_chrf(hypotheses, streams).score


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--misses", type=int, default=0,
                        help="print this many covered sentences that match no reference")
    parser.add_argument("--uncovered", type=int, default=0,
                        help="print this many sentences left uncovered (seeded sample)")
    options = parser.parse_args(argv)
    corpus = read_corpus(options.data)
    result = score(corpus, translate)
    print(f"{options.data.name}: {result.sentences} sentences, covered {result.covered} "
          f"({100 * result.coverage:.1f}%), exact match on covered {result.exact} "
          f"({100 * result.exact_match:.1f}%)")
    references = [line.references for line in corpus]
    ours = chrf([translate(line.english) or "" for line in corpus], references)
    baseline = chrf([word_for_word(line.english) for line in corpus], references)
    print(f"chrF over all sentences: reference translator {ours:.1f}, word-for-word baseline {baseline:.1f}")
    covered = [line for line in corpus if translate(line.english) is not None]
    covered_references = [line.references for line in covered]
    ours_covered = chrf([translate(line.english) for line in covered], covered_references)
    baseline_covered = chrf([word_for_word(line.english) for line in covered], covered_references)
    print(f"chrF over the covered sentences: reference translator {ours_covered:.1f}, "
          f"word-for-word baseline {baseline_covered:.1f}")
    for english, french, refs in result.misses[: options.misses]:
        print(f"  {english}  ->  {french}   | {' | '.join(refs)}")
    if options.uncovered:
        left = [line.english for line in corpus if translate(line.english) is None]
        for english in random.Random(0).sample(left, min(options.uncovered, len(left))):
            print(f"  not covered: {english}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
