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
        comparative = lemminflect.getInflection(lemma, "JJR")
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
    write_program_tables()
    print(f"{len(verb_rows)} French verbs, {len(noun_rows)} nouns, {len(adjective_rows)} adjectives, "
          f"{len(readings)} English forms -> {OUT}")
    return 0


# ------------------------------------------------------------------ the program's flat tables
# programs/nlp/translate_en_fr.rasp reads flat key -> value tables (an @table is a dict of two
# columns). They are derived from the lexicon tables above, so `--program` rewrites them
# without lemminflect or verbecc.
PROGRAM_PERSONS = {"1s": "je", "2": "tu", "3sm": "il", "3sf": "elle", "3sn": "it", "1p": "nous",
                   "3p": "ils"}
PROGRAM_SUBJECTS = {"je": "je", "tu": "tu", "il": "il", "elle": "elle", "it": "il", "nous": "nous",
                    "ils": "ils"}
PROGRAM_BE = {"1s": "am", "3s": "is", "2/p": "are"}
PROGRAM_BETTER = "mieux"  # I'm better = je vais mieux
VERB_ADVERBS = ("always", "often", "still", "already", "also")
PROGRAM_MARKS = (".", "!", "?")
# A determiner before a singular noun after be (he is my friend = c'est mon ami), in the four
# columns of the French tables: before a masculine consonant, a feminine consonant, a
# masculine vowel, a feminine vowel (ma amie = mon amie, ce ami = cet ami).
PROGRAM_DETERMINERS = {"my": ["mon", "ma", "mon", "mon"], "your": ["ton", "ta", "ton", "ton"],
                       "his": ["son", "sa", "son", "son"], "her": ["son", "sa", "son", "son"],
                       "its": ["son", "sa", "son", "son"], "our": ["notre"] * 4, "their": ["leur"] * 4,
                       "this": ["ce", "cette", "cet", "cette"], "that": ["ce", "cette", "cet", "cette"]}
# The stressed pronouns (moi, toi, lui ...) after than and of: I'm taller than you = je suis
# plus grand que toi, proud of him = fier de lui. The subject pronouns' stressed forms take a
# table of their own (their chunk is otherwise the subject's); the object pronouns are words
# of their own.
PROGRAM_STRESSED = {"i": "moi", "you": "toi", "he": "lui", "she": "elle", "we": "nous", "they": "eux",
                    "me": "moi", "him": "lui", "her": "elle", "us": "nous", "them": "eux"}
# Nouns of places one is at or in (at the park, in the kitchen), beside the establishments
# the nouns table marks (at the hospital = à l'hôpital).
PROGRAM_PLACE_NOUNS = ("park", "beach", "kitchen", "garden", "office", "room", "bedroom", "bathroom",
                       "house", "car", "bed", "classroom", "shop", "store", "city", "village", "castle",
                       "country", "forest", "lake", "river", "garage", "street", "building", "apartment")


def read_table(name: str) -> list[list[str]]:
    with open(OUT / name, encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip() and not line.startswith("#")]


def write_program_tables() -> None:
    """Flat tables for translate_en_fr.rasp: each English form's role in the sentence and
    its French forms, the present of être, avoir and aller, and the French words that elide."""
    readings = {row[0]: [r.split(" ") for r in row[1].split(";")] for row in read_table("english_words.tsv")}
    bilingual_rows = read_table("bilingual.tsv")
    bilingual = {row[0]: row[1] for row in bilingual_rows}
    cities = {row[0][2:] for row in bilingual_rows if row[0].startswith("P ") and "city" in row[2:][:1][0]}
    bilingual_flags = {row[0]: (row[2] if len(row) > 2 else "") for row in bilingual_rows}
    adjectives = {row[0]: row[0:4] for row in read_table("french_adjectives.tsv")}
    adjective_rows = {row[0]: row for row in read_table("french_adjectives.tsv")}
    before_noun: dict[str, str] = {}  # an adjective French puts before its noun: its ms before a vowel
    takes_of: dict[str, str] = {}  # an adjective that takes of + a pronoun or a name (proud of you)
    nouns = {row[0]: row[1:] for row in read_table("french_nouns.tsv")}  # gender plural ... institution
    noun_classes: dict[str, str] = {}
    verbs = {row[0]: row[1:7] for row in read_table("french_verbs.tsv")}
    verb_rows = {row[0]: row for row in read_table("french_verbs.tsv")}

    def participle(french_verb: str) -> list[str]:
        """A verb's past participle as it agrees with the subject (ms fs mp fp): with être
        it agrees, with avoir (and no object before it) it does not."""
        row = verb_rows[french_verb]
        ms, mp, fs, fp, auxiliary = row[13:18]
        return [ms, fs, mp, fp] if auxiliary == "être" else [ms] * 4

    auxiliaries: dict[str, str] = {}  # a past form or a base form (after didn't): avoir or être
    participles: dict[str, list[str]] = {}  # a base form: its participle (after didn't: je n'ai pas dormi)
    ing_of_lemma: dict[str, str] = {}  # a verb's lemma: its form in -ing, where that is a progressive
    roles: dict[str, str] = {}
    persons: dict[str, str] = {}
    present_ils: dict[str, str] = {}  # a verb in -ing: its present for ils
    infinitives: dict[str, str] = {}  # a verb's base form: its French infinitive, whatever its role
    modals: dict[str, str] = {}  # can, must, want (and their negations): the French verb
    french: dict[str, list[str]] = {}  # form -> [ms, fs, mp, fp]

    def add(form: str, role: str, forms: list[str]) -> None:
        roles[form] = role
        french[form] = forms if len(forms) == 4 else forms * 4

    for form, options in readings.items():
        if "’" in form:
            continue  # the tokenizer's words are written with '
        by_category = {r[0]: r for r in options}
        function = by_category.get("F")
        # a verb's base form after going to: the French infinitive (je vais dormir); read
        # without an object, so without a particle, and only where no other role claims it
        infinitive = [r for r in options if r[0] == "V" and r[2] == "VB" and " " not in r[1]]
        if infinitive:
            infinitives[form] = bilingual["V " + infinitive[0][1]]
            participles[form] = participle(infinitives[form])
            auxiliaries[form] = verb_rows[infinitives[form]][17]
        # a verb's past: the passé composé, its participle agreeing where the auxiliary is être
        past = [r for r in options if r[0] == "V" and r[2] == "VBD" and " " not in r[1]]
        third = [r for r in options if r[0] == "V" and r[2] == "VBZ" and " " not in r[1]]
        if "V" in by_category and any(r[0] == "V" and r[2] == "VBG" for r in options):
            # a verb in -ing after be is the progressive: the French present (je mens), its
            # forms for je, tu, il, nous (and ils in a table of its own). Read without an
            # object, so the verb without a particle (looking alone is look at or look for:
            # left out); left out too where the present's forms do not all elide je and ne
            # alike.
            plain = [r for r in options if r[0] == "V" and r[2] == "VBG" and " " not in r[1]]
            if form == "going":  # going to + a verb or a place, going home: aller
                add(form, "going", ["-"])
                continue
            if not plain:
                continue
            present = verbs[bilingual["V " + plain[0][1]]]
            forms = [present[0], present[1], present[2], present[3], present[5]]
            if len({elides(f) for f in forms}) > 1:
                continue
            add(form, "progressive", forms[:4])
            ing_of_lemma[plain[0][1]] = form
            present_ils[form] = forms[4]
            continue
        if function and function[1] == "unsupported":
            continue
        if form == "to":  # after going: nothing before a verb, à before a place
            add(form, "to", ["à"])
        elif function and function[1] in ("modal", "modal+not"):  # can, can't, must, want(s): pouvoir ...
            third = "3s" in function[3:]
            add(form, ("want 3s" if third else "want") if function[2] == "vouloir" else function[1], ["-"])
            modals[form] = function[2]
        elif function and function[1] == "do+not":  # don't, doesn't (want), didn't (sleep): ne ... pas
            add(form, "do+not past" if "past" in function[2:] else "do+not 3s" if "3s" in function[2:] else "do+not",
                ["-"])
        elif function and function[1] == "aller":  # well, fine, OK: aller bien
            add(form, "well", [function[2]])
        elif form == "better":  # without than: aller mieux
            add(form, "well", [PROGRAM_BETTER])
        elif form == ",":  # before a name at the end: I'm hungry, Tom.
            add(form, "comma", [form])
        elif function and function[1] == "being":
            add(form, "being", ["-"])
        elif function and function[1] == "time" and form != "right":
            add(form, "time", [" ".join(function[2:])])
        elif function and function[1] in ("pronoun", "pronoun+be"):
            persons[form] = PROGRAM_PERSONS[function[2]]
            add(form, "subject" if function[1] == "pronoun" else "subject+be", [PROGRAM_SUBJECTS[persons[form]]])
        elif function and function[1] == "be":
            add(form, PROGRAM_BE[function[2]], ["-"])
        elif function and function[1] == "be+not":
            add(form, PROGRAM_BE[function[2]] + "+not", ["-"])
        elif function and function[1] == "negation" and form in ("not", "never", "anymore", "yet"):
            add(form, form, [function[2]] if form != "yet" else ["pas encore"])
        elif form in PROGRAM_DETERMINERS:
            add(form, "determiner", PROGRAM_DETERMINERS[form])
        elif form in ("a", "an"):
            add(form, "a", ["un", "une", "un", "une"])
        elif form == "bit":
            add(form, "bit", ["peu"])
        elif form == "little":  # petit, or with a before it a degree adverb (a little = un peu)
            add(form, "little", adjectives[bilingual["A little"]])
            before_noun[form] = adjective_rows[bilingual["A little"]][4]
        elif form == "all":
            add(form, "all", ["tous", "toutes", "tous", "toutes"])
        elif function and function[1] == "adverb":
            add(form, "verb adverb" if form in VERB_ADVERBS else "degree", [" ".join(function[2:])])
        elif function and function[1] == "mark" and form in PROGRAM_MARKS:
            add(form, "mark", [form])
        elif function and function[1] == "and":
            add(form, "and", ["et"])
        elif function and function[1] == "than":
            add(form, "than", ["que"])
        elif form == "of":
            add(form, "of", ["de"])
        elif function and function[1] == "object" and form in PROGRAM_STRESSED:
            add(form, "stressed", [PROGRAM_STRESSED[form]])
        elif function and function[1] == "years":
            add(form, form, [bilingual["N year"] + ("s" if form == "years" else "")])
        elif "I" in by_category:
            idiom = [bilingual["I " + by_category["I"][1]]]
            adjective = by_category.get("A")
            if adjective and adjective[2] == "JJ":
                add(form, "idiom or adjective", idiom + adjectives[bilingual["A " + adjective[1]]][1:])
                french[form] = idiom + adjectives[bilingual["A " + adjective[1]]][1:]
            else:
                add(form, "idiom", idiom)
        elif "A" in by_category and by_category["A"][2] == "JJ":
            french_adjective = bilingual["A " + by_category["A"][1]]
            add(form, "old" if form == "old" else "adjective", adjectives[french_adjective])
            if bilingual_flags.get("A " + by_category["A"][1]) == "of":
                takes_of[form] = "1"
            row = adjective_rows[french_adjective]
            if row[5] == "1" and row[6] == "0" and "N" not in by_category:
                before_noun[form] = row[4]
        elif "A" in by_category and by_category["A"][2] == "JJR" and "N" not in by_category:
            # a comparative (taller = plus grand), before than
            first = next(r for r in options if r[0] == "A")  # worse: bad, not ill
            add(form, "comparative", ["plus " + f for f in adjectives[bilingual["A " + first[1]]]])
        elif "D" in by_category:
            add(form, "one" if form == "one" else "number", [bilingual["D " + form]])
        elif "L" in by_category:
            add(form, form if form in ("home", "here", "there") else "place", [bilingual["L " + form]])
        elif form in ("at", "in", "the"):
            add(form, form, ["-"])
        elif "P" in by_category and "'" not in form:
            add(form, "city" if form in cities else "name", [bilingual["P " + form]])
        elif "N" in by_category:
            lemma, tag = by_category["N"][1:3]
            french_noun = bilingual.get("N " + lemma)
            row = nouns.get(french_noun)
            plural = tag == "NNS"
            if row is not None and not plural:
                # a noun's class: e where it elides, m, f, or mf for a person noun that has a
                # feminine (the subject's gender decides), à for an establishment
                noun_classes[form] = ("e" if row[4] == "1" else "") + ("mf" if row[5] == "1" and row[2] else row[0]) \
                    + (" à" if row[10] == "1" else "")
            if row is not None and (row[7] == "1" or row[8] == "1" and plural):
                # a profession (no article after be), a relation in the plural (we're friends):
                # the noun agrees with the subject it names
                masculine = [french_noun, row[1]]
                feminine = [row[2] or french_noun, row[3] or row[1]]
                forms = [masculine[0], feminine[0], masculine[1], feminine[1]]
                add(form, ("professions" if row[7] == "1" else "relations") if plural else "profession",
                    [f if not plural else f for f in forms])
                continue
            if row is not None and not plural and row[5] == "1":
                # a person noun after a determiner: the subject's gender where it has a feminine
                add(form, "person", [french_noun, row[2] or french_noun, row[1], row[3] or row[1]])
                continue
            if row is not None and (lemma in PROGRAM_PLACE_NOUNS or row[10] == "1"):
                add(form, "noun", [row[1] if plural else french_noun])
                if plural:
                    noun_classes[form] = "p" + (" à" if row[10] == "1" else "")
                continue
        if infinitive and form not in roles:
            add(form, "infinitive", [infinitives[form]])
        elif third and form not in roles:  # she sleeps = elle dort
            add(form, "present 3s", [verbs[bilingual["V " + third[0][1]]][2]])
        elif past and form not in roles:
            french_verb = bilingual["V " + past[0][1]]
            add(form, "past", participle(french_verb))
            auxiliaries[form] = verb_rows[french_verb][17]
    add("be", "be", ["-"])  # after going to: être, or avoir before an idiom or an age (the program's)
    add("<unk>", "unknown", ["-"])  # the tokenizer's token for a word outside the tables
    # "idiom or adjective": the idiom's noun where the adjective's ms form would be
    idiom_nouns = {form: forms[0] for form, forms in french.items() if roles[form] == "idiom or adjective"}
    for form in idiom_nouns:
        adjective = adjectives[bilingual["A " + next(r for r in readings[form] if r[0] == "A")[1]]]
        french[form] = list(adjective)
    rows = sorted(roles)
    source = "Derived from english_words.tsv, bilingual.tsv and french_adjectives.tsv."
    write("program_roles.tsv", f"translate_en_fr.rasp: each English form's role. {source}",
          ["form", "role"], [[f, roles[f]] for f in rows])
    for column, name in enumerate(("ms", "fs", "mp", "fp")):
        write(f"program_french_{name}.tsv", f"translate_en_fr.rasp: each English form's French, {name} "
              f"where it agrees (a determiner's: before a masculine or feminine consonant, ms and fs, "
              f"before a masculine or feminine vowel, mp and fp; '-' where its chunk is the program's). {source}",
              ["form", "french"], [[f, french[f][column]] for f in rows])
    write("program_present_ils.tsv", "translate_en_fr.rasp: the French present for ils of a verb in -ing "
          f"(they're lying = ils mentent; '-' for the other forms). {source}", ["form", "present ils"],
          [[f, present_ils.get(f, "-")] for f in rows])
    write("program_infinitives.tsv", "translate_en_fr.rasp: the French infinitive of a verb's base form, "
          "whatever the form's role (cook = cuisiner after going to, a cook otherwise); '-' for the other "
          f"forms. {source}", ["form", "infinitive"], [[f, infinitives.get(f, "-")] for f in rows])
    write("program_auxiliaries.tsv", "translate_en_fr.rasp: the auxiliary of the passé composé of a past form "
          f"or a base form (slept = avoir: j'ai dormi; left = être: je suis parti); '-' for the other forms. {source}",
          ["form", "auxiliary"], [[f, auxiliaries.get(f, "-") if roles[f] in ("past", "infinitive") else "-"]
                                  for f in rows])
    write("program_participles.tsv", "translate_en_fr.rasp: the past participle of a base form as it agrees "
          f"with the subject (ms fs mp), after didn't (je n'ai pas dormi, elle n'est pas partie). {source}",
          ["form agreement", "participle"],
          [[f"{f} {a}", participles[f][i]] for f in rows if roles[f] == "infinitive" for i, a in enumerate(("ms", "fs", "mp"))])
    base_lemmas = {form: r[1] for form, options in readings.items() for r in options
                   if r[0] == "V" and r[2] == "VB" and " " not in r[1]}
    write("program_ing.tsv", "translate_en_fr.rasp: a base form's form in -ing, where that is read as the "
          "progressive: both have the same present (I sleep = I'm sleeping = je dors), so the program gives them "
          f"one code; '-' for the other forms. {source}", ["form", "in -ing"],
          [[f, ing_of_lemma.get(base_lemmas.get(f, ""), "-") if roles[f] == "infinitive" else "-"] for f in rows])
    write("program_modals.tsv", "translate_en_fr.rasp: the French verb of can, must and want and their "
          f"negations (can't = pouvoir: je ne peux pas); none for the other forms. {source}", ["form", "verb"],
          [[f, modals.get(f, "none")] for f in rows])
    write("program_before_noun.tsv", "translate_en_fr.rasp: an adjective French puts before its noun "
          "(a good friend = un bon ami), with its masculine singular before a vowel (un bel homme); '-' "
          f"for the other forms. {source}", ["form", "ms before a vowel"],
          [[f, before_noun.get(f, "-")] for f in rows])
    write("program_stressed.tsv", "translate_en_fr.rasp: the stressed pronoun of a subject pronoun or "
          "of her, after than and of (taller than you = plus grand que toi); '-' for the other forms. "
          f"{source}", ["form", "stressed"], [[f, PROGRAM_STRESSED.get(f, "-") if roles[f] in
                                              ("subject", "determiner") else "-"] for f in rows])
    write("program_takes_of.tsv", "translate_en_fr.rasp: 1 for an adjective that takes of + a pronoun or "
          f"a name (proud of you = fier de toi), else 0. {source}", ["form", "takes of"],
          [[f, takes_of.get(f, "0")] for f in rows])
    write("program_idioms.tsv", "translate_en_fr.rasp: the avoir idiom's noun of an English adjective "
          f"that is also an idiom (cold = froid: avoir froid). {source}",
          ["form", "noun"], [[f, n] for f, n in sorted(idiom_nouns.items())])
    write("program_nouns.tsv", "translate_en_fr.rasp: a noun's class: m, f, or mf (a person noun with a "
          "feminine: the subject's gender), after e where it elides le/la, or p (plural), with à where in "
          "the ... is à (an establishment). "
          "Derived from french_nouns.tsv.", ["form", "class"], [[f, noun_classes.get(f, "none")] for f in rows])
    write("program_persons.tsv", "translate_en_fr.rasp: the person of a subject pronoun (it: il, "
          f"which never takes an avoir idiom). {source}", ["form", "person"],
          [[f, persons.get(f, "none")] for f in rows])
    conjugation = {}
    for verb in ("être", "avoir", "aller", "pouvoir", "devoir", "vouloir"):
        for person, form in zip(PERSONS, verbs[verb]):
            conjugation[f"{verb} {person}"] = form
        for person, same in (("elle", "il"), ("it", "il")):
            conjugation[f"{verb} {person}"] = conjugation[f"{verb} {same}"]
    write("program_conjugation.tsv", "translate_en_fr.rasp: the present of être, avoir, aller and the modals by "
          "person. Derived from french_verbs.tsv.", ["verb person", "form"],
          [[k, v] for k, v in conjugation.items()])
    words = set(conjugation.values()) | {f for forms in french.values() for f in forms if f != "-"} \
        | set(present_ils.values()) | set(PROGRAM_STRESSED.values())
    write("program_vowels.tsv", "translate_en_fr.rasp: 1 where a French word elides je, ne, de, le "
          "before it (a vowel or a mute h), else 0.", ["french", "elides"],
          [[w, str(int(elides(w)))] for w in sorted(words)])
    write("program_elided.tsv", "translate_en_fr.rasp: the elided form of the French words that "
          "elide.", ["french", "elided"], [[w, w[:-1] + "'"] for w in ("je", "ne", "de", "le", "la", "que", "me", "te", "ce")])
    print(f"{len(roles)} English forms in the program's tables -> {OUT}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--program"]:
        write_program_tables()
        sys.exit(0)
    sys.exit(main())
