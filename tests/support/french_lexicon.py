"""The translator's tables, read into typed records, and the French spelling rules that
work on single words (articles, elision, contraction, agreement).

The reference translator (tests/support/french.py) reads the same generated tables as
programs/nlp/translate_en_fr.rasp, so that the two can only differ in how they apply the
grammar, which is what the tests compare; the tables themselves are checked against
forms worked by hand in tests/programs/test_translation_reference.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

TABLES = Path(__file__).resolve().parents[2] / "programs" / "nlp" / "translate_en_fr"
VOWELS = "aeiouyàâäéèêëîïôöûùüœæ"
PERSONS = ("je", "tu", "il", "nous", "vous", "ils")


@dataclass(frozen=True)
class Reading:
    """One way to read an English word form: category (V verb, N noun, A adjective,
    I avoir idiom, P name, L place, D number, F grammar word), lemma or role, Penn tag."""
    category: str
    lemma: str
    tag: str


@dataclass(frozen=True)
class Verb:
    infinitive: str
    present: dict[str, str]
    future: dict[str, str]
    participle: dict[str, str]  # "ms", "mp", "fs", "fp"
    auxiliary: str


@dataclass(frozen=True)
class Noun:
    lemma: str
    gender: str
    plural: str
    feminine: str
    feminine_plural: str
    elides: bool
    person: bool
    mass: bool
    profession: bool
    relation: bool
    language: bool
    institution: bool

    def form(self, gender: str, plural: bool) -> str:
        """The noun for a referent of this gender (a person noun has a feminine) and number."""
        if gender == "f" and self.feminine:
            return self.feminine_plural if plural else self.feminine
        return self.plural if plural else self.lemma

    def gender_for(self, gender: str) -> str:
        return "f" if gender == "f" and self.feminine else self.gender


@dataclass(frozen=True)
class Adjective:
    forms: dict[str, str]  # "ms", "fs", "mp", "fp"
    before_vowel: str
    before_noun: bool
    invariable: bool

    def form(self, gender: str, plural: bool) -> str:
        return self.forms[gender + ("p" if plural else "s")]


@dataclass(frozen=True)
class Lexicon:
    readings: dict[str, tuple[Reading, ...]]
    bilingual: dict[str, tuple[str, str]]  # "N cat" -> ("chat", flag)
    verbs: dict[str, Verb]
    nouns: dict[str, Noun]
    adjectives: dict[str, Adjective]

    def french(self, category: str, lemma: str) -> tuple[str, str] | None:
        return self.bilingual.get(f"{category} {lemma}")


def _rows(name: str) -> list[list[str]]:
    lines = (TABLES / name).read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines if line and not line.startswith("#")]


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    """The five generated tables (scripts/translation_tables.py) as one Lexicon."""
    readings = {}
    for form, text in _rows("english_words.tsv"):
        readings[form] = tuple(Reading(*(part.split(" ", 1)[0], *part.split(" ", 1)[1].rsplit(" ", 1)))
                               if not part.startswith("F ") else Reading("F", part[2:], "")
                               for part in text.split(";"))
    bilingual = {row[0]: (row[1], row[2] if len(row) > 2 else "") for row in _rows("bilingual.tsv")}
    verbs = {}
    for row in _rows("french_verbs.tsv"):
        verbs[row[0]] = Verb(row[0], dict(zip(PERSONS, row[1:7])), dict(zip(PERSONS, row[7:13])),
                             dict(zip(("ms", "mp", "fs", "fp"), row[13:17])), row[17])
    nouns = {row[0]: Noun(row[0], row[1], row[2], row[3], row[4], row[5] == "1", row[6] == "1",
                          row[7] == "1", row[8] == "1",
                          row[9] == "1", row[10] == "1", row[11] == "1") for row in _rows("french_nouns.tsv")}
    adjectives = {row[0]: Adjective(dict(zip(("ms", "fs", "mp", "fp"), row[0:4])), row[4],
                                    row[5] == "1", row[6] == "1") for row in _rows("french_adjectives.tsv")}
    return Lexicon(readings, bilingual, verbs, nouns, adjectives)


def starts_with_vowel_sound(word: str, lexicon: Lexicon | None = None) -> bool:
    """Whether a French word takes an elided l', j', n', d', qu' before it: it starts with a
    vowel, or with an h that is not aspirated (the nouns table knows which are)."""
    lexicon = lexicon or load_lexicon()
    first = word[:1].lower()
    if first in VOWELS:
        return True
    if first != "h":
        return False
    noun = lexicon.nouns.get(word) or next((n for n in lexicon.nouns.values()
                                            if word in (n.plural, n.feminine, n.feminine_plural)), None)
    return noun.elides if noun else True


def elide(word: str, following: str) -> str:
    """je, le, la, ne, de, que, me, te, se before a vowel sound: j', l', n', d', qu' (joined later)."""
    if word in ("je", "le", "la", "ne", "de", "que", "me", "te", "se") and starts_with_vowel_sound(following):
        return word[:-1] + "'"
    return word


def contract(preposition: str, article: str) -> str | None:
    """à le -> au, à les -> aux, de le -> du, de les -> des; None where nothing contracts."""
    return {("à", "le"): "au", ("à", "les"): "aux", ("de", "le"): "du", ("de", "les"): "des"}.get(
        (preposition, article))


def join_french(words: list[str]) -> str:
    """French words into text: nothing after an apostrophe, a space before ! ? : ;,
    the first letter in capitals."""
    text = ""
    for word in words:
        if not word:
            continue
        if not text or text.endswith("'") or word in (".", ","):
            text += word
        else:
            text += " " + word
    return text[:1].upper() + text[1:]
