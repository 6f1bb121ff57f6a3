"""The phrases of the reference translator (tests/support/french.py): subjects, noun
phrases with their determiners and adjectives, places, and what may follow "be".

Each method of ``Parser`` reads English words from the current position and answers the
French words, or raises NotCovered; ``attempt`` tries an alternative and backs off, so
the grammar reads as a list of alternatives in the order they are preferred.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from tests.support.french_lexicon import Lexicon, Noun, Reading, starts_with_vowel_sound

_WORDS = re.compile(r"\w+(?:'\w+)*|[^\w\s]")
PRONOUNS = {  # English subject pronoun -> (French pronoun, person key, gender, plural)
    "i": ("je", "je", "m", False), "you": ("tu", "tu", "m", False), "he": ("il", "il", "m", False),
    "she": ("elle", "il", "f", False), "it": ("il", "il", "m", False),
    "we": ("nous", "nous", "m", True), "they": ("ils", "ils", "m", True),
}
CONTRACTED_BE = {"i'm": "i", "you're": "you", "he's": "he", "she's": "she", "it's": "it",
                 "we're": "we", "they're": "they"}
CONTRACTED_WILL = {"i'll": "i", "you'll": "you", "he'll": "he", "she'll": "she", "we'll": "we",
                   "they'll": "they"}
BE_FORMS = {"am": ("i",), "is": ("he", "she", "it", "np"), "are": ("you", "we", "they", "npp")}
ADVERBS = {"very": "très", "so": "tellement", "too": "trop", "really": "vraiment", "quite": "assez",
           "rather": "plutôt", "almost": "presque", "pretty": "plutôt", "incredibly": "incroyablement",
           "totally": "totalement", "entirely": "entièrement", "extremely": "extrêmement",
           "truly": "vraiment", "fairly": "assez", "slightly": "légèrement"}
VERB_ADVERBS = {"always": "toujours", "often": "souvent", "still": "encore", "already": "déjà",
                "now": "maintenant",
                "also": "aussi"}
TIME_ADVERBS = {"now": "maintenant", "today": "aujourd'hui", "tomorrow": "demain",
                "tonight": "ce soir", "again": "encore", "together": "ensemble", "already": "déjà",
                "right now": "en ce moment", "this morning": "ce matin",
                "this afternoon": "cet après-midi", "this evening": "ce soir", "this week": "cette semaine"}
PREPOSITIONS = {"in": "dans", "at": "à", "on": "sur", "under": "sous", "behind": "derrière",
                "near": "près de", "with": "avec", "to": "à", "for": "pour"}
OBJECT_PRONOUNS = {  # English -> (direct, indirect, agreement of a participle after it)
    "me": ("me", "me", "ms"), "you": ("te", "te", "ms"), "him": ("le", "lui", "ms"),
    "her": ("la", "lui", "fs"), "it": ("le", None, "ms"), "us": ("nous", "nous", "mp"),
    "them": ("les", "leur", "mp"),
}
STRESSED = {"me": "moi", "i": "moi", "you": "toi", "him": "lui", "he": "lui", "her": "elle",
            "she": "elle", "us": "nous", "we": "nous", "them": "eux", "they": "eux"}
POSSESSIVES = {"my": ("mon", "ma", "mes"), "your": ("ton", "ta", "tes"), "his": ("son", "sa", "ses"),
               "her": ("son", "sa", "ses"), "its": ("son", "sa", "ses"),
               "our": ("notre", "notre", "nos"), "their": ("leur", "leur", "leurs")}
NEGATIONS = {"not": "pas", "never": "jamais"}
MODALS = {"can": "pouvoir", "must": "devoir", "can't": "pouvoir", "cannot": "pouvoir",
          "mustn't": "devoir"}
BETTER = {"ms": "meilleur", "fs": "meilleure", "mp": "meilleurs", "fp": "meilleures"}


class NotCovered(Exception):
    """The sentence is outside the grammar, or one of its words is outside the tables."""


@dataclass
class Subject:
    words: list[str]           # French words of the subject
    person: str                # conjugation key: je tu il nous vous ils
    gender: str
    plural: bool
    english: str               # the English pronoun, or "np" / "npp" for a noun phrase
    is_person: bool = True

    @property
    def pronoun(self) -> bool:
        return self.english in PRONOUNS

    def agreement(self) -> str:
        return self.gender + ("p" if self.plural else "s")


@dataclass
class Predicate:
    """What follows the finite verb: the French verb to conjugate, the words after it
    (infinitive or participle first), and what negation it carries."""
    verb: str
    after: list[str] = field(default_factory=list)
    negation: str | None = None
    subject: Subject | None = None   # a replaced subject (c'est)
    adverbs: list[str] = field(default_factory=list)  # after the finite verb and its negation
    clitic: list[str] = field(default_factory=list)   # an object pronoun, before the finite verb
    object_agreement: str | None = None               # a direct object pronoun's gender and number


@dataclass
class Complements:
    """What follows a lexical verb: French words after it, ne ... rien, an object pronoun."""
    words: list[str]
    negation: str | None = None
    clitic: list[str] = field(default_factory=list)
    object_agreement: str | None = None


@dataclass
class NounPhrase:
    words: list[str]
    gender: str
    plural: bool
    is_person: bool
    article_dropped: bool = False
    institution: bool = False


class Parser:
    """One English sentence, read left to right; every method raises NotCovered on failure."""

    def __init__(self, tokens: list[str], lexicon: Lexicon, you_plural: bool):
        self.tokens, self.lexicon, self.you_plural = tokens, lexicon, you_plural
        self.position = 0
        self.saw_plural_you = False

    # ---- tokens
    def peek(self, offset: int = 0) -> str | None:
        index = self.position + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self, *words: str) -> str | None:
        if self.peek() in words:
            self.position += 1
            return self.tokens[self.position - 1]
        return None

    def expect(self, *words: str) -> str:
        word = self.take(*words)
        if word is None:
            raise NotCovered(f"expected {words} at {self.peek()!r}")
        return word

    def readings(self, word: str | None, category: str) -> list[Reading]:
        """The readings of a word in one category; "P" is a name (Tom), "G" a name's genitive
        (Tom's)."""
        if category == "G":
            return [r for r in self.lexicon.readings.get(word or "", ()) if r.category == "P" and r.tag == "POS"]
        found = [r for r in self.lexicon.readings.get(word or "", ()) if r.category == category]
        return [r for r in found if r.tag != "POS"]

    def attempt(self, method, *arguments):
        """Try one alternative; on failure restore the position and answer None."""
        start = self.position
        try:
            return method(*arguments)
        except NotCovered:
            self.position = start
            return None

    def french(self, category: str, lemma: str) -> tuple[str, str]:
        found = self.lexicon.french(category, lemma)
        if found is None:
            raise NotCovered(f"no French for {category} {lemma}")
        return found

    # ---- subjects
    def pronoun_subject(self, english: str) -> Subject:
        french, person, gender, plural = PRONOUNS[english]
        if english == "you" and self.you_plural:
            french, person, plural = "vous", "vous", True
        return Subject([french], person, gender, plural, english, english != "it")

    def subject(self) -> Subject:
        word = self.peek()
        if word in PRONOUNS:
            self.position += 1
            return self.pronoun_subject(word)
        names = self.readings(word, "P")
        if names:
            self.position += 1
            french, flag = self.french("P", names[0].lemma)  # flag: gender, and "city" for a place
            return Subject([french], "il", flag.split()[0], False, "np", "city" not in flag)
        phrase = self.noun_phrase("subject")
        return Subject(phrase.words, "ils" if phrase.plural else "il", phrase.gender, phrase.plural,
                       "npp" if phrase.plural else "np", phrase.is_person)

    # ---- noun phrases
    def noun_phrase(self, role: str, negated: bool = False, generic: bool = False,
                    referent: Subject | None = None) -> NounPhrase:
        """det? adjective* noun. role: subject, object, predicate, place."""
        determiner = self.take("a", "an", "the", "this", "that", "these", "those", *POSSESSIVES)
        number, owner = None, []
        genitive = self.readings(self.peek(), "G")
        if determiner is None and genitive:  # Tom's cousin = le cousin de Tom
            determiner = "the"
            owner = ["de", self.french("P", genitive[0].lemma)[0]]
            self.position += 1
        if determiner is None:
            numbers = self.readings(self.peek(), "D")
            if numbers:
                number = self.french("D", numbers[0].lemma)[0]
                self.position += 1
            elif self.peek() and self.peek().isdigit():
                number = self.tokens[self.position]
                self.position += 1
        adjectives, adverbs = [], {}  # adverbs: index of an adjective -> its adverb (a very kind man)
        while True:
            adverb = ADVERBS.get(self.peek() or "") if self.readings(self.peek(1), "A") else None
            offset = 1 if adverb else 0
            readings = self.readings(self.peek(offset), "A")
            if not readings or self.readings(self.peek(offset), "N"):
                break
            if readings[0].tag != "JJ":
                raise NotCovered("comparative before a noun")
            if adverb:
                adverbs[len(adjectives)] = adverb
            adjectives.append(self.lexicon.adjectives[self.french("A", readings[0].lemma)[0]])
            self.position += 1 + offset
        nouns = self.readings(self.peek(), "N")
        if not nouns or len(adjectives) > 2:
            raise NotCovered(f"expected a noun at {self.peek()!r}")
        self.position += 1
        reading = nouns[0]
        plural = reading.tag == "NNS"
        if determiner in ("a", "an", "this", "that") and plural or determiner in ("these", "those") and not plural:
            raise NotCovered("determiner and noun disagree in number")
        if number is not None and (number in ("un", "1")) == plural:
            raise NotCovered("number and noun disagree")
        noun: Noun = self.lexicon.nouns[self.french("N", reading.lemma)[0]]
        wanted = referent.gender if referent and noun.person else noun.gender
        gender = noun.gender_for(wanted)
        if any(a.invariable and a.before_noun for a in adjectives):
            raise NotCovered("an invariable phrase cannot stand before a noun")
        before = [(adverbs.get(i), a) for i, a in enumerate(adjectives) if a.before_noun]
        after = [word for i, a in enumerate(adjectives) if not a.before_noun
                 for word in ([adverbs[i]] if i in adverbs else []) + [a.form(gender, plural)]]
        noun_word = noun.form(gender, plural)
        before_words = []
        for index, (adverb, adjective) in enumerate(before):
            following = before[index + 1][1].forms["ms"] if index + 1 < len(before) else noun_word
            word = adjective.form(gender, plural)
            if gender == "m" and not plural and starts_with_vowel_sound(following):
                word = adjective.before_vowel
            before_words += ([adverb] if adverb else []) + [word]
        head = before_words + [noun_word] + after
        first = head[0]
        article = self.determiner(determiner, number, role, negated, generic, noun, gender, plural,
                                  bool(before_words), bool(adjectives), first, referent)
        return NounPhrase(article + head + owner, gender, plural, noun.person,
                          not article and role == "predicate", noun.institution)

    def determiner(self, determiner, number, role, negated, generic, noun, gender, plural,
                   adjective_before, any_adjective, first, referent) -> list[str]:
        vowel = starts_with_vowel_sound(first, self.lexicon)
        index = 2 if plural else (1 if gender == "f" else 0)
        if determiner in ("a", "an"):
            if role == "predicate" and referent and noun.profession and not any_adjective:
                return []
            if negated:
                return ["de"]
            return ["une" if gender == "f" else "un"]
        if determiner == "the":
            return ["les" if plural else ("la" if gender == "f" else "le")]
        if determiner in POSSESSIVES:
            forms = POSSESSIVES[determiner]
            if determiner == "your" and self.you_plural:
                forms = ("votre", "votre", "vos")
            if index == 1 and vowel:
                index = 0
            return [forms[index]]
        if determiner in ("this", "that", "these", "those"):
            return ["ces" if plural else ("cette" if gender == "f" else ("cet" if vowel else "ce"))]
        if number is not None:
            return [number]
        # no determiner: a bare plural, or a bare mass noun
        if plural:
            if role in ("subject", "of") or generic:
                return ["les"]
            if role == "predicate" and not any_adjective and (noun.profession or noun.relation):
                return []
            if role in ("object", "predicate"):
                return ["de"] if negated or adjective_before else ["des"]
        elif noun.mass and role == "object":
            if generic:
                return ["la" if gender == "f" else "le"]
            if negated:
                return ["de"]
            return ["de", "la"] if gender == "f" else (["de", "le"] if not vowel else ["de", "la"])
        elif noun.language:  # French, English: le français (in French: en français, see one_place)
            return ["le"]
        elif noun.mass and role in ("subject", "of"):
            return ["la" if gender == "f" else "le"]
        raise NotCovered("a bare singular noun")

    # ---- complements
    def place(self) -> list[str] | None:
        """One or two places: here / there / home, or a preposition and a noun phrase, a
        name or a pronoun (I'm here for you)."""
        first = self.one_place()
        if first is None:
            return None
        second = self.attempt(self.one_place)
        return first + (second or [])

    def one_place(self) -> list[str] | None:
        places = self.readings(self.peek(), "L")
        if places:
            self.position += 1
            return self.french("L", places[0].lemma)[0].split(" ")
        preposition = self.take(*PREPOSITIONS)
        if preposition is None:
            return None
        if preposition in ("at", "to") and self.readings(self.peek(), "L") and self.peek() == "home":
            self.position += 1
            return ["à", "la", "maison"]
        names = self.readings(self.peek(), "P")
        if names:
            self.position += 1
            french = self.french("P", names[0].lemma)[0]
            return (["à"] if preposition in ("in", "at", "to") else PREPOSITIONS[preposition].split()) + [french]
        french_preposition = PREPOSITIONS[preposition].split(" ")
        if self.peek() in STRESSED and self.peek() not in PRONOUNS and preposition != "to" and not (
                self.peek() == "her" and self.readings(self.peek(1), "N") + self.readings(self.peek(1), "A")):
            return french_preposition + self.comparison_target()
        if preposition in ("at", "in") and self.peek() and not self.readings(self.peek(), "F") \
                and self.readings(self.peek(), "N") and self.readings(self.peek(), "N")[0].tag == "NN":
            noun = self.lexicon.nouns[self.french("N", self.readings(self.peek(), "N")[0].lemma)[0]]
            self.position += 1
            if preposition == "in":  # in prison, in danger, in town: en prison, en danger, en ville
                return ["en", noun.lemma]
            return ["à", "la" if noun.gender == "f" else "le", noun.lemma]
        phrase = self.noun_phrase("place")
        if preposition == "in" and phrase.institution:  # in the hospital: à l'hôpital
            french_preposition = ["à"]
        return french_preposition + phrase.words

    def comparison_target(self) -> list[str]:
        """After than, and after of: a pronoun (stressed: moi, toi, lui, ...), a name or a
        noun phrase; "than I am" drops its verb."""
        word = self.peek()
        if word in STRESSED:
            self.position += 1
            if word in PRONOUNS:
                self.take(*BE_FORMS)
            if word == "you" and self.you_plural:
                return ["vous"]
            return [STRESSED[word]]
        names = self.readings(word, "P")
        if names:
            self.position += 1
            return [self.french("P", names[0].lemma)[0]]
        return self.noun_phrase("subject").words

    def object_pronoun(self, indirect: bool) -> Complements | None:
        """me, you, him, her, it, us, them as an object: a French pronoun before the verb
        (le, la, les; lui, leur for a verb whose French object takes à)."""
        word = self.peek()
        if word not in OBJECT_PRONOUNS or word == "her" and (
                self.readings(self.peek(1), "N") or self.readings(self.peek(1), "A")):
            return None
        direct, indirect_form, agreement = OBJECT_PRONOUNS[word]
        if word == "you" and self.you_plural:
            direct = indirect_form = "vous"
            agreement = "mp"
        french = indirect_form if indirect else direct
        if french is None:
            raise NotCovered("it as an indirect object")
        self.position += 1
        # "=" marks a pronoun: de le stays de le (de le faire), where the article contracts
        return Complements([], None, ["=" + french], None if indirect else agreement)

    def verb_complements(self, lemma: str, negated: bool) -> Complements:
        """object? place?: the French words, ne ... rien where the object is nothing, or an
        object pronoun."""
        words, negation = [], None
        flag = self.lexicon.french("V", lemma)[1]
        generic, indirect = flag == "generic", flag == "indirect"
        if self.lexicon.verbs[self.french("V", lemma)[0]].auxiliary == "être" or flag == "intransitive":
            # aller, venir, partir, entrer ..., dormir, rire: no direct object, only places
            place = self.place()
            return Complements(place or [])
        pronoun = self.object_pronoun(indirect)
        if pronoun is not None:
            place = self.place()
            pronoun.words += place or []
            return pronoun
        if self.peek() in ("nothing", "anything"):
            if (self.peek() == "anything") != negated:
                raise NotCovered("anything needs a negation, nothing takes none")
            self.position += 1
            negation = "rien"
        else:
            names = self.readings(self.peek(), "P")
            languages = [r for r in self.readings(self.peek(), "N")
                         if self.lexicon.nouns[self.french("N", r.lemma)[0]].language]
            if languages and self.french("V", lemma)[0] == "parler":  # speak French = parler français
                self.position += 1
                words.append(self.french("N", languages[0].lemma)[0])
            elif names and self.peek(1) != "is":
                self.position += 1
                words += (["à"] if indirect else []) + [self.french("P", names[0].lemma)[0]]
            elif self.peek() not in PREPOSITIONS and self.peek() is not None \
                    and not self.readings(self.peek(), "L"):
                phrase = self.attempt(self.noun_phrase, "object", negated, generic)
                if phrase is not None:
                    words += (["à"] if indirect else []) + phrase.words
        place = self.place()
        if place:
            words += place
        return Complements(words, negation)

    # ---- verb groups
    def lexical_verb(self, tags: tuple[str, ...]) -> tuple[str, str, str]:
        """A lexical verb with one of these tags: (English lemma, French infinitive, tag).
        A verb with a particle (look for, listen to) is read only where the particle
        follows, and before the same verb without it."""
        readings = sorted(self.readings(self.peek(), "V"), key=lambda r: -len(r.lemma.split()))
        for reading in readings:
            particle = reading.lemma.split(" ")[1:]
            following = self.tokens[self.position + 1: self.position + 1 + len(particle)]
            if reading.tag in tags and following == particle:
                self.position += 1 + len(particle)
                return reading.lemma, self.french("V", reading.lemma)[0], reading.tag
        raise NotCovered(f"expected a verb at {self.peek()!r}")


def tokenize(sentence: str) -> tuple[list[str], str]:
    """Lower-cased English words and the sentence's final mark ('.' when it has none)."""
    tokens = _WORDS.findall(sentence.replace("\u2019", "'").lower())
    mark = "."
    if tokens and tokens[-1] in (".", "!", "?"):
        mark = tokens.pop()
    return tokens, mark
