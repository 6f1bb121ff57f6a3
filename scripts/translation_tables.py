"""Write the lexicon tables of the English to French translator, generated rather than typed.

    pip install -e '.[tables]'
    python scripts/translation_tables.py

The only hand-written input is ``scripts/translation_words.txt``: which English word
translates to which French word, French genders, and the French forms no rule gives.
Everything else is generated:

* English inflections (``eats``, ``ate``, ``eaten``, ``eating``; ``children``; ``taller``)
  by lemminflect (MIT licence);
* French conjugations (present, future, past participle in its four forms, and the
  auxiliary, avoir or être, of the passé composé) by verbecc (LGPL-3.0 licence), used
  only here, as a program: the tables it helped write are data;
* French noun plurals and adjective feminines and plurals by the regular rules
  (``-eau`` + x, ``-al`` to ``-aux``, ``-eux`` to ``-euse``, ``-if`` to ``-ive``, ...),
  with the exceptions the word list names;
* whether a French word elides what comes before it (``l'``, ``j'``, ``d'``): it starts
  with a vowel, or with an h the list does not mark aspirated.

The tables, under ``programs/nlp/translate_en_fr/``, are tab-separated with a header
comment; their first column is a unique key, so a two-column ``@table`` reads them as a
dict of the first two columns.
"""
from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import lemminflect
from verbecc import CompleteConjugator, LangCodeISO639_1

ROOT = Path(__file__).resolve().parent.parent
WORDS = ROOT / "scripts" / "translation_words.txt"
OUT = ROOT / "programs" / "nlp" / "translate_en_fr"
VOWELS = "aeiouyàâäéèêëîïôöûùüœæ"
PERSONS = ("je", "tu", "il", "nous", "vous", "ils")
COLUMNS = {"verbs": 2, "nouns": 3, "adjectives": 2, "avoir": 2, "names": 3, "places": 2}
FRENCH_TENSES = {"present": "présent", "future": "futur-simple"}

# The words the grammar itself names, with their role (programs/nlp/README.md, "the grammar").
FUNCTION_WORDS = {
    "i": "pronoun 1s", "you": "pronoun 2", "he": "pronoun 3sm", "she": "pronoun 3sf",
    "it": "pronoun 3sn", "we": "pronoun 1p", "they": "pronoun 3p",
    "me": "object 1s", "him": "object 3sm", "her": "possessive-or-object 3sf", "us": "object 1p",
    "them": "object 3p",
    "i'm": "pronoun+be 1s", "you're": "pronoun+be 2", "he's": "pronoun+be 3sm",
    "she's": "pronoun+be 3sf", "it's": "pronoun+be 3sn", "we're": "pronoun+be 1p",
    "they're": "pronoun+be 3p",
    "i'll": "pronoun+will 1s", "you'll": "pronoun+will 2", "he'll": "pronoun+will 3sm",
    "she'll": "pronoun+will 3sf", "we'll": "pronoun+will 1p", "they'll": "pronoun+will 3p",
    "am": "be 1s", "are": "be 2/p", "is": "be 3s", "was": "unsupported", "were": "unsupported",
    "isn't": "be+not 3s", "aren't": "be+not 2/p",
    "do": "do", "little": "adverb un peu (a little)", "bit": "adverb un peu (a bit)",
    "yet": "negation pas encore (not ... yet)", "ok": "aller bien", "well": "aller bien",
    "fine": "aller bien", "does": "do 3s", "did": "do past", "don't": "do+not", "doesn't": "do+not 3s",
    "didn't": "do+not past",
    "can": "modal pouvoir", "can't": "modal+not pouvoir", "cannot": "modal+not pouvoir",
    "must": "modal devoir", "mustn't": "modal+not devoir",
    "want": "modal vouloir", "wants": "modal vouloir 3s",
    "will": "will", "won't": "will+not",
    "not": "negation pas", "never": "negation jamais", "anymore": "negation plus",
    "nothing": "negation rien", "anything": "negation rien (after not)",
    "going": "going", "to": "to",
    "a": "article indefinite", "an": "article indefinite", "the": "article definite",
    "my": "possessive 1s", "your": "possessive 2", "his": "possessive 3sm", "its": "possessive 3sn",
    "our": "possessive 1p", "their": "possessive 3p",
    "this": "demonstrative near s", "that": "demonstrative far s",
    "these": "demonstrative near p", "those": "demonstrative far p",
    "very": "adverb très", "so": "adverb tellement", "too": "adverb trop", "really": "adverb vraiment",
    "all": "all", "than": "than", "and": "and",
    "always": "adverb toujours", "often": "adverb souvent", "still": "adverb encore",
    "already": "adverb déjà", "also": "adverb aussi", "quite": "adverb assez",
    "rather": "adverb plutôt", "almost": "adverb presque", "being": "being",
    "incredibly": "adverb incroyablement", "totally": "adverb totalement",
    "entirely": "adverb entièrement", "extremely": "adverb extrêmement", "truly": "adverb vraiment",
    "fairly": "adverb assez", "slightly": "adverb légèrement", "pretty": "adverb plutôt",
    "now": "time maintenant", "today": "time aujourd'hui", "tomorrow": "time demain",
    "tonight": "time ce soir", "right": "time en ce moment (right now)",
    "again": "time encore", "together": "time ensemble",
    "in": "preposition dans", "at": "preposition à", "on": "preposition sur",
    "under": "preposition sous", "behind": "preposition derrière", "near": "preposition près de",
    "of": "preposition de", "with": "preposition avec", "for": "preposition pour",
    "years": "years", "year": "years", "old": "old",
    ".": "mark", "!": "mark", "?": "mark", ",": "mark",
}
NUMBERS = {
    "one": "un", "two": "deux", "three": "trois", "four": "quatre", "five": "cinq", "six": "six",
    "seven": "sept", "eight": "huit", "nine": "neuf", "ten": "dix", "eleven": "onze",
    "twelve": "douze", "thirteen": "treize", "fourteen": "quatorze", "fifteen": "quinze",
    "sixteen": "seize", "seventeen": "dix-sept", "eighteen": "dix-huit", "nineteen": "dix-neuf",
    "twenty": "vingt", "thirty": "trente", "forty": "quarante", "fifty": "cinquante",
}


@dataclass
class Entry:
    """One line of the word list: its columns and its key=value (or bare) flags."""
    columns: list[str]
    flags: dict[str, str] = field(default_factory=dict)


def read_word_list(path: Path = WORDS) -> dict[str, list[Entry]]:
    """The sections of the hand-written word list, each a list of entries."""
    sections: dict[str, list[Entry]] = {}
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("["):
            name = line.strip("[]")
            current = sections.setdefault(name, [])
            continue
        cells = line.split("\t")
        width = COLUMNS[name]
        columns = cells[:width]
        flags = {}
        for cell in cells[width:]:
            key, _, value = cell.partition("=")
            flags[key] = value if value else "1"
        current.append(Entry(columns, flags))
    return sections


def elides(word: str, aspirated: bool = False) -> bool:
    """Whether le/la/de/je/ne/que lose their vowel before this French word."""
    first = word[:1].lower()
    return first in VOWELS or (first == "h" and not aspirated)


def noun_plural(word: str) -> str:
    """The regular French plural (cheval -> chevaux, gâteau -> gâteaux, bras -> bras)."""
    if word.endswith(("s", "x", "z")):
        return word
    if word.endswith(("eau", "au", "eu")) and word not in ("pneu", "bleu"):
        return word + "x"
    if word.endswith("al") and word not in ("bal", "festival", "carnaval", "récital"):
        return word[:-2] + "aux"
    if word.endswith("ail") and word == "travail":
        return "travaux"
    return word + "s"


def adjective_feminine(word: str) -> str:
    """The regular French feminine (heureux -> heureuse, actif -> active, cruel -> cruelle)."""
    rules = (("eux", "euse"), ("if", "ive"), ("el", "elle"), ("eil", "eille"), ("ien", "ienne"),
             ("en", "enne"), ("on", "onne"), ("er", "ère"), ("et", "ète"), ("c", "que"))
    if word.endswith("e"):
        return word
    for ending, feminine in rules:
        if word.endswith(ending):
            return word[: -len(ending)] + feminine
    return word + "e"


def adjective_plural(word: str) -> str:
    """The regular French masculine plural of an adjective (normal -> normaux, gros -> gros)."""
    if word.endswith(("s", "x")):
        return word
    if word.endswith("eau"):
        return word + "x"
    if word.endswith("al") and word not in ("final", "banal", "natal"):
        return word[:-2] + "aux"
    return word + "s"


def conjugate(conjugator: CompleteConjugator, infinitive: str) -> dict[str, str]:
    """A French verb's forms for the grammar: present and future for the six persons,
    past participle in four forms, auxiliary, all from verbecc."""
    data = json.loads(conjugator.conjugate(infinitive).to_json())
    moods = data["moods"]
    forms = {"infinitive": infinitive}
    for name, tense in FRENCH_TENSES.items():
        by_pronoun = {row["pr"]: row["c"][0] for row in moods["indicatif"][tense]}
        for person in PERSONS:
            written = by_pronoun[person]
            forms[f"{name} {person}"] = written.split("'", 1)[1] if "'" in written.split(" ")[0] \
                else written.split(" ", 1)[1]
    participles = {f"{row.get('g', 'm')}{row.get('n', 's')}": row["c"][0]
                   for row in moods["participe"]["participe-passé"]}
    for number in ("ms", "mp", "fs", "fp"):  # été has one form only
        forms[f"participle {number}"] = participles.get(number, participles["ms"])
    compound = {row["pr"]: row["c"][0] for row in moods["indicatif"]["passé-composé"]}
    forms["auxiliary"] = "être" if compound["il"].startswith("il est ") else "avoir"
    return forms


def english_forms(lemma: str, upos: str, irregular_plural: str | None = None) -> dict[str, str]:
    """An English lemma's inflected forms by Penn tag, from lemminflect; a multi-word
    verb ("listen to") inflects its first word, a multi-word noun its last."""
    words = lemma.split(" ")
    head = words[0] if upos == "VERB" else words[-1]
    # getAllInflections leaves out a form equal to another (VBN "invited" = VBD), so each
    # tag is asked for on its own.
    tags = ("VB", "VBP", "VBZ", "VBD", "VBN", "VBG") if upos == "VERB" else ("NN", "NNS")
    found = {tag: lemminflect.getInflection(head, tag=tag) for tag in tags}
    found = {tag: spellings for tag, spellings in found.items() if spellings}
    forms = {}
    for tag, spellings in found.items():
        spelled = spellings[-1] if tag == "VBD" and len(spellings) > 1 and head == "lie" else spellings[0]
        forms[tag] = " ".join([spelled] + words[1:]) if upos == "VERB" else " ".join(words[:-1] + [spelled])
    if upos == "NOUN":
        forms["NN"] = lemma
        if irregular_plural:
            forms["NNS"] = irregular_plural
    if upos == "ADJ":
        forms = {"JJ": lemma}
        # Only a comparative lemminflect's dictionary knows: its rules would also make
        # "carefuler" and "americaner".
        comparative = lemminflect.getAllInflections(lemma, upos="ADJ").get("JJR")
        if comparative and comparative[0] == lemma + "er" and lemma.endswith("e"):
            comparative = None  # blueer, freeer, trueer: misspelt in its dictionary
        if comparative and " " not in lemma:
            forms["JJR"] = comparative[0]
    return forms


def header(what: str, columns: list[str]) -> str:
    return (f"# {what}\n# Written by scripts/translation_tables.py from scripts/translation_words.txt "
            f"with lemminflect {version('lemminflect')} (MIT) and verbecc {version('verbecc')} "
            f"(LGPL-3.0); do not edit.\n# " + "\t".join(columns) + "\n")


def write(name: str, what: str, columns: list[str], rows: list[list[str]]) -> None:
    keys = [row[0] for row in rows]
    assert len(keys) == len(set(keys)), f"{name}: duplicate keys"
    with open(OUT / name, "w", encoding="utf-8") as f:
        f.write(header(what, columns))
        for row in rows:
            f.write("\t".join(row) + "\n")


def main() -> int:
    logging.disable(logging.CRITICAL)  # verbecc logs its model loading
    sections = read_word_list()
    OUT.mkdir(parents=True, exist_ok=True)
    conjugator = CompleteConjugator(LangCodeISO639_1.fr)

    readings: dict[str, list[str]] = {}
    bilingual: list[list[str]] = []

    def read_as(form: str, reading: str) -> None:
        readings.setdefault(form, [])
        if reading not in readings[form]:
            readings[form].append(reading)

    verb_rows = []
    seen_verbs = set()
    for entry in sections["verbs"]:
        english, french = entry.columns[:2]
        for tag, form in english_forms(english, "VERB").items():
            read_as(form.split(" ")[0], f"V {english} {tag}")
        bilingual.append([f"V {english}", french, next(iter(entry.flags), "")])
        if french not in seen_verbs:
            seen_verbs.add(french)
            forms = conjugate(conjugator, french)
            verb_rows.append(list(forms.values()))
    for needed in ("être", "avoir", "aller", "pouvoir", "vouloir", "devoir"):
        if needed not in seen_verbs:
            seen_verbs.add(needed)
            verb_rows.append(list(conjugate(conjugator, needed).values()))
    verb_columns = list(conjugate(conjugator, "manger").keys())

    noun_rows, seen_nouns = [], set()
    for entry in sections["nouns"]:
        english, french, gender = entry.columns[:3]
        for tag, form in english_forms(english, "NOUN", entry.flags.get("enpl")).items():
            if tag == "NNS" and "language" in entry.flags:
                continue  # French, English: no plural (frenches)
            read_as(form, f"N {english} {tag}")
        bilingual.append([f"N {english}", french, ""])
        if french in seen_nouns:
            continue
        seen_nouns.add(french)
        feminine = entry.flags.get("fem", "")
        plural = entry.flags.get("pl", noun_plural(french))
        noun_rows.append([french, gender, plural, feminine, noun_plural(feminine) if feminine else "",
                          str(int(elides(french, "aspirated" in entry.flags))),
                          "1" if "person" in entry.flags else "0", "1" if "mass" in entry.flags else "0",
                          "1" if "profession" in entry.flags else "0",
                          "1" if "relation" in entry.flags else "0",
                          "1" if "language" in entry.flags else "0",
                          "1" if "institution" in entry.flags else "0"])

    adjective_rows, seen_adjectives = [], set()
    for entry in sections["adjectives"]:
        english, french = entry.columns[:2]
        for tag, form in english_forms(english, "ADJ").items():
            read_as(form, f"A {english} {tag}")
        bilingual.append([f"A {english}", french, "of" if "of" in entry.flags else ""])
        if french in seen_adjectives:
            continue
        seen_adjectives.add(french)
        if "inv" in entry.flags:
            forms = [french] * 4
        else:
            feminine = entry.flags.get("fem", adjective_feminine(french))
            forms = [french, feminine, entry.flags.get("pl", adjective_plural(french)),
                     entry.flags.get("fpl", feminine + "s")]
        adjective_rows.append(forms + [entry.flags.get("vowel", french),
                                       "1" if "before" in entry.flags else "0",
                                       "1" if "inv" in entry.flags else "0",
                                       str(int(elides(french)))])

    for entry in sections["avoir"]:
        english, french = entry.columns[:2]
        read_as(english, f"I {english} JJ")
        bilingual.append([f"I {english}", french, ""])
    for entry in sections["names"]:
        english, french, gender = entry.columns[:3]
        read_as(english, f"P {english} NNP")
        read_as(f"{english}'s", f"P {english} POS")  # Tom's cousin = le cousin de Tom
        bilingual.append([f"P {english}", french, gender + (" city" if "city" in entry.flags else "")])
    for entry in sections["places"]:
        english, french = entry.columns[:2]
        read_as(english, f"L {english} RB")
        bilingual.append([f"L {english}", french, ""])
    for english, french in NUMBERS.items():
        read_as(english, f"D {english} CD")
        bilingual.append([f"D {english}", french, ""])
    for word, role in FUNCTION_WORDS.items():
        read_as(word, f"F {role}")

    for form in [f for f in readings if "'" in f]:  # text may be typed with ’ (U+2019)
        readings[form.replace("'", "\u2019")] = readings[form]
    write("english_words.tsv", "English word forms: form, readings (category lemma tag; ';' between "
          "readings). Categories: V verb, N noun, A adjective, I avoir idiom, P name, L place, "
          "D number, F word of the grammar. A form with an apostrophe is also written with ’.",
          ["form", "readings"],
          [[form, ";".join(r)] for form, r in sorted(readings.items())])
    write("bilingual.tsv", "English lemma (category lemma) to French lemma, with a flag (generic: a "
          "verb whose bare object is generic; indirect: a verb whose French object takes à; of: an "
          "adjective taking of + noun phrase) or a name's gender.",
          ["english", "french", "flag"], bilingual)
    write("french_verbs.tsv", "French verbs: infinitive, present and future for je tu il nous vous "
          "ils, past participle (ms mp fs fp), auxiliary.", verb_columns,
          verb_rows)
    write("french_nouns.tsv", "French nouns: lemma, gender, plural, feminine and feminine plural "
          "(person nouns), elides (starts with a vowel sound), person, mass (takes du/de la), "
          "profession (no article after a subject pronoun and be), relation (no article in the plural "
          "after be), language (le français; en français), "
          "institution (in the hospital = à l'hôpital).",
          ["lemma", "gender", "plural", "feminine", "feminine plural", "elides", "person", "mass",
           "profession", "relation", "language", "institution"],
          noun_rows)
    write("french_adjectives.tsv", "French adjectives: masculine singular, feminine singular, "
          "masculine plural, feminine plural, masculine singular before a vowel, placed before "
          "the noun, invariable phrase, elides.", ["ms", "fs", "mp", "fp", "ms before a vowel",
                                                   "before", "invariable", "elides"], adjective_rows)
    print(f"{len(verb_rows)} French verbs, {len(noun_rows)} nouns, {len(adjective_rows)} adjectives, "
          f"{len(readings)} English forms -> {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
