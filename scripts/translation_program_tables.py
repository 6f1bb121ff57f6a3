"""Write the flat tables that programs/nlp/translate_en_fr.rasp reads, from the lexicon tables.

    python scripts/translation_tables.py           # the lexicon tables, first
    python scripts/translation_program_tables.py   # then these

An ``@table`` is a dict of two columns, so the program reads flat key -> value tables: each
English form's role in the sentence and its French forms, the present of the verbs the
subject carries, the French words that elide. They are derived from the lexicon tables
(``english_words.tsv``, ``bilingual.tsv``, ``french_*.tsv``) alone, so a change to the
program's reading of them needs no new run of lemminflect or verbecc.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a file: the project's packages from here

from scripts.translation_tables import OUT, PERSONS, elides, write  # noqa: E402

PROGRAM_PERSONS = {"1s": "je", "2": "tu", "3sm": "il", "3sf": "elle", "3sn": "it", "1p": "nous",
                   "3p": "ils"}
PROGRAM_SUBJECTS = {"je": "je", "tu": "tu", "il": "il", "elle": "elle", "it": "il", "nous": "nous",
                    "ils": "ils"}
PROGRAM_BE = {"1s": "am", "3s": "is", "2/p": "are"}
PROGRAM_BETTER = "mieux"  # I'm better = je vais mieux
VERB_ADVERBS = ("always", "often", "still", "already", "also")
PROGRAM_MARKS = (".", "!", "?")
VERB_ROLES = ("infinitive", "present 3s", "past", "progressive")
# A determiner before a singular noun after be (he is my friend = c'est mon ami), in the four
# columns of the French tables: before a masculine consonant, a feminine consonant, a
# masculine vowel, a feminine vowel (ma amie = mon amie, ce ami = cet ami).
PROGRAM_DETERMINERS = {"my": ["mon", "ma", "mon", "mon"], "your": ["ton", "ta", "ton", "ton"],
                       "his": ["son", "sa", "son", "son"], "her": ["son", "sa", "son", "son"],
                       "its": ["son", "sa", "son", "son"], "our": ["notre"] * 4, "their": ["leur"] * 4,
                       "this": ["ce", "cette", "cet", "cette"], "that": ["ce", "cette", "cet", "cette"]}
# The same determiners before a plural noun, an object (I'm washing my hands = je lave mes
# mains); this and that take none.
PROGRAM_PLURAL_DETERMINERS = {"my": "mes", "your": "tes", "his": "ses", "her": "ses", "its": "ses", "our": "nos",
                              "their": "leurs"}
# The stressed pronouns (moi, toi, lui ...) after than and of: I'm taller than you = je suis
# plus grand que toi, proud of him = fier de lui. The subject pronouns' stressed forms take a
# table of their own (their chunk is otherwise the subject's); the object pronouns are words
# of their own.
PROGRAM_STRESSED = {"i": "moi", "you": "toi", "he": "lui", "she": "elle", "we": "nous", "they": "eux",
                    "me": "moi", "him": "lui", "her": "elle", "us": "nous", "them": "eux"}
# Nouns of places one is at or in (at the park, in the kitchen), beside the establishments
# the nouns table marks (at the hospital = à l'hôpital): nouns even where they are verbs too.
PROGRAM_PLACE_NOUNS = ("park", "beach", "kitchen", "garden", "office", "room", "bedroom", "bathroom",
                       "house", "car", "bed", "classroom", "shop", "store", "city", "village", "castle",
                       "country", "forest", "lake", "river", "garage", "street", "building", "apartment")


def read_table(name: str) -> list[list[str]]:
    with open(OUT / name, encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip() and not line.startswith("#")]


def write_program_tables() -> None:
    """The tables translate_en_fr.rasp reads: each English form's role in the sentence and
    its French forms, the present of être, avoir, aller and the modals, the verbs'
    infinitives, participles and auxiliaries, and the French words that elide."""
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
    verb_rows = {row[0]: row for row in read_table("french_verbs.tsv")}
    verbs = {verb: row[1:7] for verb, row in verb_rows.items()}

    def participle(french_verb: str) -> list[str]:
        """A verb's past participle as it agrees with the subject (ms fs mp fp): with être
        it agrees, with avoir (and no object before it) it does not."""
        row = verb_rows[french_verb]
        ms, mp, fs, fp, auxiliary = row[13:18]
        return [ms, fs, mp, fp] if auxiliary == "être" else [ms] * 4

    auxiliaries: dict[str, str] = {}  # a past form or a base form (after didn't): avoir or être
    participles: dict[str, list[str]] = {}  # a base form: its participle (after didn't: je n'ai pas dormi)
    ing_of_lemma: dict[str, str] = {}  # a verb's lemma: its form in -ing, where that is a progressive
    base_lemmas: dict[str, str] = {}  # a verb's base form: its lemma
    languages: dict[str, str] = {}  # an adjective that is also a language: the language with its article
    verb_keys: dict[str, str] = {}  # a verb's form (base, -s, -ing, past): its bilingual key, "V sleep"
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
            base_lemmas[form] = infinitive[0][1]
            verb_keys[form] = "V " + infinitive[0][1]
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
            verb_keys[form] = "V " + plain[0][1]
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
        elif form == "with":  # with me, with my friends: avec
            add(form, "with", [function[2]])
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
            noun_row = nouns.get(bilingual.get("N " + by_category["N"][1], "")) if "N" in by_category else None
            if noun_row is not None and noun_row[9] == "1":  # French, a language: le français as an object
                french_noun = bilingual["N " + by_category["N"][1]]
                languages[form] = ("l'" if noun_row[4] == "1" else "le ") + french_noun
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
                if plural:  # an object after the or a determiner: les amis, mes médecins
                    noun_classes[form] = "p"
                continue
            if row is not None and not plural and row[5] == "1":
                # a person noun after a determiner: the subject's gender where it has a feminine
                add(form, "person", [french_noun, row[2] or french_noun, row[1], row[3] or row[1]])
                continue
            verb_form = [r for r in options if r[0] == "V" and r[2] in ("VB", "VBD", "VBZ") and " " not in r[1]]
            if row is not None and (not verb_form or lemma in PROGRAM_PLACE_NOUNS or row[10] == "1"):
                # a thing: a place after at or in, an object after a verb (I'm reading a book);
                # a form that is also a verb's is read as the verb, but for a place's
                add(form, "noun", [row[1] if plural else french_noun])
                if plural:
                    noun_classes[form] = "p" + (" à" if row[10] == "1" else "")
                continue
        if infinitive and form not in roles:
            add(form, "infinitive", [infinitives[form]])
        elif third and form not in roles:  # she sleeps = elle dort
            verb_keys[form] = "V " + third[0][1]
            add(form, "present 3s", [verbs[bilingual["V " + third[0][1]]][2]])
        elif past and form not in roles:
            french_verb = bilingual["V " + past[0][1]]
            verb_keys[form] = "V " + past[0][1]
            add(form, "past", participle(french_verb))
            auxiliaries[form] = verb_rows[french_verb][17]
    add("be", "be", ["être"])  # after going to: être, or avoir before an idiom or an age (the program's)
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
    write("program_languages.tsv", "translate_en_fr.rasp: a language with its article, as a verb's object "
          f"(I'm learning French = j'apprends le français); '-' for the other forms. {source}",
          ["form", "language"], [[f, languages.get(f, "-")] for f in rows])
    write("program_plural_determiners.tsv", "translate_en_fr.rasp: a determiner's form before a plural "
          "noun, an object (my = mes); '-' for the other forms.", ["form", "plural"],
          [[f, PROGRAM_PLURAL_DETERMINERS.get(f, "-")] for f in rows])
    # A verb whose French takes a direct object: avoir in the passé composé (the verbs with
    # être take places, not objects), not à before its object (answer = répondre à) and not
    # intransitive (sleep = dormir).
    takes_object = {f: "1" if verb_rows[bilingual[key]][17] == "avoir" and bilingual_flags.get(key) not in ("indirect", "intransitive")
                    else "0" for f, key in verb_keys.items() if roles.get(f) in VERB_ROLES}
    write("program_objects.tsv", "translate_en_fr.rasp: 1 for a verb's form (base, -s, -ing, past) whose "
          "French verb takes a direct object (avoir in the passé composé, no à before the object), else 0. "
          f"{source}", ["form", "takes an object"], [[f, takes_object.get(f, "0")] for f in rows])
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
    write_program_tables()
