"""Scoring translations against a corpus of French references, the way the Tatoeba
sentences are reported: coverage (the share of sentences translated at all) and, on what
is covered, exact match against any reference after normalising case, spaces and the
space French puts before ! ? : ; (so that "Je suis prêt !" and "je suis prêt!" match).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

_SPACES = re.compile(r"\s+")
_BEFORE_MARK = re.compile(r"\s+([!?:;])")


def normalise_french(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u00a0", " ").replace("\u202f", " ")
    text = _SPACES.sub(" ", text.strip().lower())
    return _BEFORE_MARK.sub(r"\1", text)


@dataclass(frozen=True)
class CorpusLine:
    english: str
    references: tuple[str, ...]


@dataclass(frozen=True)
class CorpusScore:
    sentences: int
    covered: int
    exact: int
    misses: tuple[tuple[str, str, tuple[str, ...]], ...]  # covered but matching no reference

    @property
    def coverage(self) -> float:
        return self.covered / self.sentences if self.sentences else 0.0

    @property
    def exact_match(self) -> float:
        return self.exact / self.covered if self.covered else 0.0


def read_corpus(path: Path) -> list[CorpusLine]:
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = line.split("\t")
        if len(cells) >= 2:
            lines.append(CorpusLine(cells[0], tuple(cells[1:])))
    return lines


def score(corpus: list[CorpusLine], translate: Callable[[str], str | None]) -> CorpusScore:
    covered = exact = 0
    misses = []
    for line in corpus:
        french = translate(line.english)
        if french is None:
            continue
        covered += 1
        if normalise_french(french) in {normalise_french(r) for r in line.references}:
            exact += 1
        else:
            misses.append((line.english, french, line.references))
    return CorpusScore(len(corpus), covered, exact, tuple(misses))


UNTRANSLATABLE = "[untranslatable]"


def join_chunks(chunks: list[str]) -> str | None:
    """A compiled translator's output positions joined into a French sentence: its chunks
    (a position may give several words or none) with French spacing (none after an elided
    word such as j', none before . and ,; a space before ! and ?), the first letter in
    capitals. None where the model refused the sentence (a chunk says UNTRANSLATABLE)."""
    if UNTRANSLATABLE in chunks:
        return None
    text = ""
    for chunk in chunks:
        if not chunk:
            continue
        if text and not text.endswith("'") and chunk not in (".", ","):
            text += " "
        text += chunk
    return text[:1].upper() + text[1:]
