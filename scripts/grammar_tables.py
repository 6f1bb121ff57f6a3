"""Write the lexicon tables of the grammaticality program, generated rather than typed.

    pip install -e '.[tables]'
    python scripts/grammar_tables.py

Two sources:

* ``scripts/grammar_words.txt``, hand-written: the closed classes (determiners,
  pronouns, auxiliaries, prepositions, conjunctions), first names, the person, number
  and gender of pronouns, names and gendered nouns, and the short lists of verbs by
  the arguments they take;
* lemminflect (MIT licence), for every other word: its readings as a noun (singular,
  plural), a verb (base, third singular, past, past participle, -ing form), an
  adjective and an adverb, from lemminflect's lemma and inflection tables. The verb
  lists of the hand-written file name lemmas; lemminflect gives their forms;
* the ``names`` package (MIT licence), which ships the 1990 United States census's
  lists of first names (by sex) and surnames (public domain): the first names and the
  commonest surnames that are no word lemminflect or the hand-written lists know
  become names (a first name only men or only women bear, of that gender).

The tables go under ``programs/nlp/grammaticality/``, tab-separated with a header
comment, each read by a two-column ``@table`` as a dict: ``words.tsv`` gives each word
of the vocabulary its class, and ``class_*.tsv`` what each class is (its kind, its
readings as a noun, a verb, a modifier, its person and number, its verb frame). Words
share a class when the tables say the same of them, so the program's own derivations
run over a few hundred classes rather than 64,000 words.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import names
from lemminflect import Lemmatizer, getAllLemmas, getInflection

ROOT = Path(__file__).resolve().parent.parent
WORDS = ROOT / "scripts" / "grammar_words.txt"
OUT = ROOT / "programs" / "nlp" / "grammaticality"
#: Penn Treebank verb tags as the letters the program reads.
VERB_LETTERS = {"VB": "b", "VBP": "b", "VBZ": "s", "VBD": "d", "VBN": "n", "VBG": "g"}
NOUN_LETTERS = {"NN": "s", "NNS": "p"}
ALL_FORMS = "bsdng"
#: Words lemminflect lists that the vocabulary keeps: lower-case letters, perhaps with
#: inner hyphens or apostrophes.
PLAIN_WORD = re.compile(r"[a-z]+(?:[-'][a-z]+)*")
#: Kinds whose words keep their open-class readings beside the kind.
OPEN_TOO = {"particle", "so", "very", "number-one", "quantifier", "there", "place", "adverb", "negative"}
#: The program's token for a word outside the vocabulary (its @tokenizer's "unknown"):
#: a class of its own, of kind "unknown".
UNKNOWN = "<unk>"
#: What a table says of a word it has nothing on.
NONE = "-"
#: The hand-written lists of verbs by their arguments. A verb may be in several; its
#: frame in the tables is the names of its lists, sorted and joined by spaces (no name
#: is part of another, so the program tests one by ``"name" in FRAME[c]``).
#: The census's surnames taken, commonest first (the rest are rare enough to leave out
#: and would each cost the model a row of its token table).
SURNAMES = 1000
ARGUMENT_KINDS = ("no-object", "needs-object", "no-double-object", "needs-place", "middle", "no-bare-infinitive",
                  "controls-subject", "controls-object", "takes-there", "conative")


@dataclass
class Lexicon:
    """Every word of the vocabulary and what the tables say of it."""

    kind: dict[str, str] = field(default_factory=dict)
    noun: dict[str, str] = field(default_factory=dict)
    verb: dict[str, str] = field(default_factory=dict)
    modifier: dict[str, str] = field(default_factory=dict)
    phi: dict[str, str] = field(default_factory=dict)
    frame: dict[str, str] = field(default_factory=dict)
    #: Open words the rules name (``easily``): the word itself, else NONE.
    named: dict[str, str] = field(default_factory=dict)

    @property
    def selected(self) -> dict[str, str]:
        """Which of the forms an auxiliary selects (b base, g -ing, n past participle)
        each word's verb readings hold."""
        return {word: "".join(letter for letter in "bgn" if letter in forms) or NONE
                for word, forms in self.verb.items()}


def read_word_lists(path: Path) -> dict[str, list[str]]:
    """``kind: words`` lines as {kind: words}, in file order."""
    lists: dict[str, list[str]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        head, sep, words = line.partition(": ")
        if not sep:
            raise SystemExit(f"{path}:{number}: expected 'kind: word word ...'")
        lists.setdefault(head, []).extend(words.split())
    return lists


def _tags(word: str, lemmas, letters: dict[str, str]) -> set[str]:
    """The letters of the tags whose inflection of one of ``lemmas`` is ``word``
    (``getInflection`` also gives regular forms, which lemminflect's tables leave out
    where they equal another tag's)."""
    return {letter for lemma in lemmas for tag, letter in letters.items() if word in getInflection(lemma, tag)}


def readings(word: str) -> tuple[str, str, str]:
    """(noun letters, verb letters, modifier letters) of an open-class word, NONE for none."""
    lemmas = getAllLemmas(word)
    noun = verb = ""
    if "NOUN" in lemmas:
        letters = _tags(word, lemmas["NOUN"], NOUN_LETTERS)
        noun = "".join(letter for letter in "sp" if letter in letters) or "sp"
    if "VERB" in lemmas:
        letters = _tags(word, lemmas["VERB"], VERB_LETTERS)
        verb = "".join(letter for letter in ALL_FORMS if letter in letters) or ALL_FORMS
    modifier = ("a" if "ADJ" in lemmas else "") + ("r" if "ADV" in lemmas else "")
    return noun or NONE, verb or NONE, modifier or NONE


def _census(file_name: str, limit: int | None = None) -> list[str]:
    """The names of one of the census lists the ``names`` package ships, lower-cased,
    commonest first."""
    lines = (Path(names.__file__).parent / file_name).read_text(encoding="ascii").splitlines()
    return [line.split()[0].lower() for line in lines[:limit] if line.strip()]


def census_names() -> dict[str, str]:
    """{name: its kind} for the census's first names and its commonest surnames."""
    female, male = set(_census("dist.female.first")), set(_census("dist.male.first"))
    kinds = {name: "name" for name in _census("dist.all.last", SURNAMES)}
    for name in female | male:
        kinds[name] = "name" if name in female and name in male else (
            "name-feminine" if name in female else "name-masculine")
    return {name: kind for name, kind in kinds.items() if PLAIN_WORD.fullmatch(name)}


def verb_forms(lemma: str) -> set[str]:
    return {form for tag in VERB_LETTERS for form in getInflection(lemma, tag)} | {lemma}


def build(lists: dict[str, list[str]]) -> Lexicon:
    lexicon = Lexicon()
    open_words = [w for w in Lemmatizer()._getLemmaDict() if PLAIN_WORD.fullmatch(w)]
    for word in open_words:
        lexicon.kind[word] = "open"
    for kind, words in lists.items():
        if kind.startswith("phi ") or kind in ARGUMENT_KINDS or kind in ("participle-too", "mass", "collective", "named"):
            continue
        for word in words:
            lexicon.kind[word] = kind
    for word, kind in census_names().items():
        lexicon.kind.setdefault(word, kind)
    for word, kind in lexicon.kind.items():
        if kind == "open" or kind in OPEN_TOO:
            lexicon.noun[word], lexicon.verb[word], lexicon.modifier[word] = readings(word)
        elif kind.startswith("name"):
            lexicon.noun[word], lexicon.verb[word], lexicon.modifier[word] = "s", NONE, NONE
        else:
            lexicon.noun[word] = lexicon.verb[word] = lexicon.modifier[word] = NONE
        lexicon.phi[word] = NONE
        lexicon.frame[word] = NONE
        lexicon.named[word] = NONE
    for word in lists.get("named", []):
        lexicon.named[word] = word
    for word, kind in lexicon.kind.items():
        if kind == "name-masculine":
            lexicon.phi[word] = "3sm"
        elif kind == "name-feminine":
            lexicon.phi[word] = "3sf"
        elif kind == "name":
            lexicon.phi[word] = "3s"
    for head, words in lists.items():
        if head.startswith("phi "):
            for word in words:
                lexicon.phi[word] = head.split()[1]
    for word in lists.get("participle-too", []):
        forms = lexicon.verb[word] if lexicon.verb.get(word, NONE) != NONE else ""
        lexicon.verb[word] = "".join(letter for letter in ALL_FORMS if letter in forms + "n")
    frames: dict[str, set[str]] = {}
    for kind in ARGUMENT_KINDS:
        for lemma in lists.get(kind, []):
            for form in verb_forms(lemma):
                if lexicon.kind.get(form) == "open" and lexicon.verb.get(form, NONE) != NONE:
                    frames.setdefault(form, set()).add(kind)
    for form, kinds in frames.items():
        lexicon.frame[form] = " ".join(sorted(kinds))
    for lemma in lists.get("mass", []):
        mark_mass(lexicon, lemma)
    for noun in lists.get("collective", []):
        if lexicon.kind.get(noun) == "open" and lexicon.noun.get(noun, NONE) == "s":
            lexicon.noun[noun] = "c"
    return lexicon


def mark_mass(lexicon: Lexicon, lemma: str) -> None:
    """A mass noun reads as "m" (singular, and no count determiner before it: *a
    furniture*, *many information*); its plural forms, where they are no verb too, as
    "q" (*equipments*)."""
    if lexicon.kind.get(lemma) == "open" and "s" in lexicon.noun.get(lemma, NONE):
        lexicon.noun[lemma] = lexicon.noun[lemma].replace("s", "m")
    for plural in set(getInflection(lemma, "NNS")) - {lemma}:
        if lexicon.kind.get(plural) == "open" and lexicon.verb.get(plural, NONE) == NONE:
            lexicon.noun[plural] = "q"


def word_class(lexicon: Lexicon, word: str) -> str:
    """The class a word shares with every word the tables say the same of: a word of
    the hand-written lists is a class of its own (the rules may name it), a name its
    kind, an open word its readings written out (``open s bdn - - -``)."""
    kind = lexicon.kind[word]
    if kind.startswith("name"):
        return kind
    if kind != "open":
        return word
    return " ".join([kind, lexicon.noun[word], lexicon.verb[word], lexicon.modifier[word], lexicon.phi[word],
                     lexicon.frame[word], lexicon.named[word]])


def write_table(name: str, column: str, table: dict[str, str], about: str, source: str) -> None:
    lines = [f"# grammaticality.rasp: {about}",
             f"# Written by scripts/grammar_tables.py from {source}; do not edit.",
             f"# key\t{column}"]
    lines += [f"{key}\t{value}" for key, value in sorted(table.items())]
    (OUT / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> int:
    lexicon = build(read_word_lists(WORDS))
    OUT.mkdir(parents=True, exist_ok=True)
    both = f"scripts/grammar_words.txt and lemminflect {version('lemminflect')} (MIT)"
    classes = {word: word_class(lexicon, word) for word in lexicon.kind}
    classes[UNKNOWN] = "unknown"
    for table in (lexicon.kind, lexicon.noun, lexicon.verb, lexicon.modifier, lexicon.phi, lexicon.frame,
                  lexicon.named):
        table[UNKNOWN] = NONE
    lexicon.kind[UNKNOWN] = "unknown"
    first = {}
    for word, key in classes.items():
        first.setdefault(key, word)
    write_table("words.tsv", "class", classes, "each word's class (the words the tables say the same of)", both)
    for name, column, about in (
            ("kind", "kind", "each class's kind: a closed class, a name, or open"),
            ("noun", "noun", "readings as a noun: s singular, p plural, m mass, q plural of a mass noun, "
                             "c collective (singular, with a verb of either number), - none"),
            ("verb", "verb", "readings as a verb: b base, s third singular, d past, n past participle, g -ing"),
            ("selected", "selected", "the verb forms an auxiliary selects that the class can be: "
                                     "b base, g -ing, n past participle (- none)"),
            ("modifier", "modifier", "readings as a modifier: a adjective, r adverb"),
            ("phi", "phi", "person, number and gender (3sm: he, 3sf: she, 3s: either)"),
            ("frame", "frame", "the verb's arguments, where the word lists say: their names, space-separated"),
            ("named", "named", "the open word itself where the rules name it, else -")):
        table = getattr(lexicon, name)
        write_table(f"class_{name}.tsv", column, {key: table[word] for key, word in first.items()}, about, both)
    print(f"{len(classes):,} words in {len(first):,} classes written to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
