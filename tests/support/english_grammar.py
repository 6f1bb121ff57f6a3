"""A seeded generator of English sentences from the translator's documented grammar
(programs/nlp/README.md, "translate_en_fr: the grammar").

Each sentence comes from one construction of the grammar (be with an adjective, an avoir
idiom, an age, a place or a noun; the present, the progressive, the past, will, going
to, can / must / want; the negations; questions; the contractions), with words drawn
from the generated tables. Verbs take objects of a fitting kind (people eat food and
read books) so that the sentences read as English a person could say; the reference
translator (tests/support/french.py) must accept every one.

    >>> sentences = generate_sentences(2000, seed=0)
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable

from tests.support.french_lexicon import Lexicon, load_lexicon

SUBJECTS = {  # pronoun -> (be, contracted be, third person singular)
    "I": ("am", "I'm", False), "you": ("are", "you're", False), "he": ("is", "he's", True),
    "she": ("is", "she's", True), "we": ("are", "we're", False), "they": ("are", "they're", False),
}
PERSON_NOUNS = ("friend", "teacher", "student", "doctor", "brother", "sister", "mother",
                "father", "neighbor", "boy", "girl", "child", "cousin")
OBJECTS = {
    "food": ("apple", "cake", "bread", "sandwich", "banana", "cheese", "soup", "orange", "pie"),
    "drink": ("water", "milk", "coffee", "tea", "juice", "wine", "beer"),
    "reading": ("book", "newspaper", "letter", "novel", "magazine", "poem"),
    "thing": ("car", "bicycle", "house", "hat", "umbrella", "phone", "computer", "watch", "key",
              "bag", "camera", "guitar", "chair", "lamp"),
    "person": PERSON_NOUNS,
    "show": ("film", "movie", "game"),
    "place": ("museum", "church", "castle", "city", "village", "zoo", "park"),
}
VERB_OBJECTS = {
    "eat": "food", "buy": "food", "cook": "food", "like": "food", "hate": "food",
    "drink": "drink", "prefer": "drink",
    "read": "reading", "write": "reading", "find": "reading", "love": "reading",
    "sell": "thing", "lose": "thing", "clean": "thing", "open": "thing", "wash": "thing",
    "carry": "thing", "borrow": "thing", "fix": "thing",
    "help": "person", "call": "person", "visit": "place", "meet": "person", "follow": "person",
    "thank": "person", "watch": "show",
}
STATIVE = ("like", "love", "hate", "prefer")
INTRANSITIVE = ("sleep", "run", "swim", "dance", "sing", "work", "laugh", "cry", "smile",
                "travel", "walk", "cough", "snore", "lie", "arrive", "leave", "fall", "stay",
                "come", "ski", "skate", "pray", "smoke")
ADJECTIVES = ("tired", "happy", "sad", "busy", "ready", "rich", "poor", "tall", "young", "old",
              "late", "early", "sick", "angry", "kind", "lazy", "proud", "shy", "smart", "strong",
              "weak", "free", "alone", "calm", "funny", "nervous", "patient", "serious", "jealous",
              "curious", "famous", "honest", "married", "lucky", "worried", "beautiful", "new",
              "small", "big", "good", "bad", "careful", "polite", "quiet", "generous", "brave")
KIND_ADJECTIVES = {
    "food": ("good", "fresh", "big", "small"), "drink": ("good", "fresh", "cold"),
    "reading": ("good", "new", "old", "long", "short"), "show": ("good", "new", "long"),
    "place": ("old", "beautiful", "big", "small"),
    "person": ("young", "old", "kind", "good"),
    "thing": ("red", "black", "white", "new", "old", "big", "small", "beautiful", "cheap",
              "expensive", "heavy"),
}
THING_ADJECTIVES = ("red", "black", "white", "new", "old", "big", "small", "beautiful", "cheap",
                    "expensive", "heavy", "empty", "clean", "dirty", "good", "green", "blue")
IDIOMS = ("hungry", "thirsty", "cold", "hot", "afraid", "right", "wrong", "sleepy")
PLACES_AT = ("school", "hospital", "station", "airport", "restaurant", "office", "bank",
             "library", "museum", "church", "beach", "park", "market", "zoo")
CITIES = ("Paris", "London", "Boston", "Tokyo")
DEGREE = ("very", "so", "too", "really", "quite")
NUMBER_WORDS = ("two", "three", "four", "five", "six", "ten", "twenty")
AGES = ("five", "ten", "twelve", "eighteen", "twenty", "thirty", "forty", "fifty", "19", "25", "42")
INFINITIVE_VERBS = ("sleep", "swim", "dance", "sing", "work", "travel", "leave", "eat", "read",
                    "drink", "stay", "run", "come", "cook", "write")


@dataclass(frozen=True)
class Generated:
    """One sentence and the construction it illustrates (for test messages)."""
    construction: str
    english: str


class SentenceMaker:
    """Draws words and builds one sentence of a chosen construction."""

    def __init__(self, rng: random.Random, lexicon: Lexicon):
        self.rng, self.lexicon = rng, lexicon
        self.forms: dict[tuple[str, str, str], str] = {}
        for form, readings in lexicon.readings.items():
            for r in readings:
                self.forms.setdefault((r.category, r.lemma, r.tag), form)

    def pick(self, options):
        return self.rng.choice(list(options))

    def form(self, lemma: str, tag: str, category: str = "V") -> str:
        return self.forms[(category, lemma, tag)]

    def noun_phrase(self, kind: str, allow_plural: bool = True, adjective: bool = True) -> str:
        noun = self.pick(OBJECTS[kind])
        plural = allow_plural and self.rng.random() < 0.3
        mass = self.lexicon.nouns[self.lexicon.french("N", noun)[0]].mass
        determiner = self.pick(("the", "my", "your", "his", "her", "our", "their", "this") if not plural
                               else ("the", "my", "these", "those", "two", "three"))
        if not plural and not mass and self.rng.random() < 0.4:
            determiner = "a"
        words = [self.pick(KIND_ADJECTIVES[kind])] if adjective and self.rng.random() < 0.4 else []
        words.append(self.form(noun, "NNS", "N") if plural else noun)
        if determiner == "a" and words[0][0] in "aeiou":
            determiner = "an"
        return " ".join([determiner] + words)

    def subject(self) -> tuple[str, str, bool]:
        """(English subject, its be form, third person singular)."""
        pronoun = self.pick(SUBJECTS)
        return pronoun, SUBJECTS[pronoun][0], SUBJECTS[pronoun][2]

    def be(self, pronoun: str, negation: str = "") -> str:
        be, contracted, _ = SUBJECTS[pronoun]
        style = self.rng.random()
        if negation == "not" and style < 0.3 and pronoun != "I":
            return f"{pronoun} {'isn' if be == 'is' else 'aren'}'t"
        head = contracted if style < 0.6 else f"{pronoun} {be}"
        return f"{head} {negation}".strip()

    # ---- constructions
    def be_adjective(self) -> str:
        pronoun, _, _ = self.subject()
        negation = self.pick(("", "", "not", "never"))
        degree = self.pick(("",) * 3 + DEGREE)
        return f"{self.be(pronoun, negation)} {degree} {self.pick(ADJECTIVES)}"

    def be_idiom(self) -> str:
        pronoun, _, _ = self.subject()
        negation = self.pick(("", "not"))
        very = "very " if self.rng.random() < 0.2 else ""
        tail = " anymore" if negation and self.rng.random() < 0.3 else ""
        return f"{self.be(pronoun, negation)} {very}{self.pick(IDIOMS)}{tail}"

    def be_age(self) -> str:
        pronoun, _, _ = self.subject()
        age = self.pick(AGES)
        return f"{self.be(pronoun)} {age}" + (" years old" if self.rng.random() < 0.5 else "")

    def be_place(self) -> str:
        pronoun, _, _ = self.subject()
        negation = self.pick(("", "not"))
        choice = self.rng.random()
        if choice < 0.3:
            place = self.pick(("here", "there", "at home", "home", "upstairs", "outside"))
        elif choice < 0.5:
            place = f"in {self.pick(CITIES)}"
        else:
            place = f"at the {self.pick(PLACES_AT)}"
        return f"{self.be(pronoun, negation)} {place}"

    def be_noun(self) -> str:
        pronoun, _, _ = self.subject()
        plural = pronoun in ("we", "they")
        noun = self.pick(PERSON_NOUNS)
        own = {"I": "my", "you": "your", "we": "our"}.get(pronoun)  # not "I am my doctor"
        if plural:
            determiner = self.pick([d for d in ("my", "your", "our", "good") if d != own])
            return f"{self.be(pronoun)} {determiner} {self.form(noun, 'NNS', 'N')}"
        determiner = self.pick([d for d in ("a", "my", "your", "the") if d != own])
        adjective = self.pick(("", "", "good ", "young ", "new ")) if determiner != "the" else ""
        article = "an" if determiner == "a" and (adjective or noun)[0] in "aeiou" else determiner
        negation = self.pick(("", "not"))
        return f"{self.be(pronoun, negation)} {article} {adjective}{noun}"

    def transitive(self, stative: bool = True) -> tuple[str, str]:
        """A verb and a fitting object; stative=False leaves out the verbs of liking, which
        English does not put in the progressive."""
        verb = self.pick(v for v in VERB_OBJECTS if stative or v not in STATIVE)
        return verb, self.noun_phrase(VERB_OBJECTS[verb])

    def present(self) -> str:
        pronoun, _, third = self.subject()
        if self.rng.random() < 0.5:
            verb, obj = self.transitive()
        else:
            verb, obj = self.pick(INTRANSITIVE), ""
        if self.rng.random() < 0.3:
            do = self.pick(("doesn't", "does not")) if third else self.pick(("don't", "do not"))
            return f"{pronoun} {do} {verb} {obj}".strip()
        return f"{pronoun} {self.form(verb, 'VBZ' if third else 'VBP')} {obj}".strip()

    def progressive(self) -> str:
        pronoun, _, _ = self.subject()
        verb, obj = self.transitive(stative=False) if self.rng.random() < 0.6 else (self.pick(INTRANSITIVE), "")
        negation = self.pick(("", "not"))
        return f"{self.be(pronoun, negation)} {self.form(verb, 'VBG')} {obj}".strip()

    def past(self) -> str:
        pronoun, _, _ = self.subject()
        verb, obj = self.transitive() if self.rng.random() < 0.5 else (self.pick(INTRANSITIVE), "")
        style = self.rng.random()
        if style < 0.25:
            did = self.pick(("didn't", "did not"))
            return f"{pronoun} {did} {verb} {obj}".strip()
        if style < 0.4 and not obj:
            return f"{pronoun} never {self.form(verb, 'VBD')}"
        return f"{pronoun} {self.form(verb, 'VBD')} {obj}".strip()

    def nothing(self) -> str:
        pronoun, _, third = self.subject()
        verb = self.pick(("eat", "buy", "read", "see", "hear", "find", "drink", "want"))
        if self.rng.random() < 0.5:
            return f"{pronoun} didn't {verb} anything"
        do = "doesn't" if third else "don't"
        return f"{pronoun} {do} {verb} anything"

    def future(self) -> str:
        pronoun, _, _ = self.subject()
        verb = self.pick(INFINITIVE_VERBS)
        will = self.pick(("will", "won't", "will not"))
        if self.rng.random() < 0.3:
            return f"{pronoun} {will} be {self.pick(ADJECTIVES)}"
        return f"{pronoun} {will} {verb}"

    def going_to(self) -> str:
        pronoun, _, _ = self.subject()
        negation = self.pick(("", "not"))
        if self.rng.random() < 0.3:
            return f"{self.be(pronoun, negation)} going to the {self.pick(PLACES_AT)}"
        if self.rng.random() < 0.3:
            return f"{self.be(pronoun, negation)} going to be {self.pick(ADJECTIVES + IDIOMS)}"
        verb, obj = self.transitive() if self.rng.random() < 0.5 else (self.pick(INFINITIVE_VERBS), "")
        return f"{self.be(pronoun, negation)} going to {verb} {obj}".strip()

    def modal(self) -> str:
        pronoun, _, third = self.subject()
        verb, obj = self.transitive() if self.rng.random() < 0.5 else (self.pick(INFINITIVE_VERBS), "")
        modal = self.pick(("can", "can't", "cannot", "must", "mustn't", "want to", "don't want to"))
        if third:
            modal = modal.replace("want to", "wants to").replace("don't wants", "doesn't want")
        return f"{pronoun} {modal} {verb} {obj}".strip()

    def question(self) -> str:
        pronoun = self.pick(("you", "he", "she", "we", "they"))
        be = SUBJECTS[pronoun][0].capitalize()
        choice = self.rng.random()
        if choice < 0.4:
            return f"{be} {pronoun} {self.pick(ADJECTIVES + IDIOMS)}?"
        if choice < 0.6:
            return f"{be} {pronoun} going to {self.pick(INFINITIVE_VERBS)}?"
        if choice < 0.8:
            verb, obj = self.transitive()
            do = "Does" if SUBJECTS[pronoun][2] else "Do"
            return f"{do} {pronoun} {verb} {obj}?"
        return f"Can {pronoun} {self.pick(INFINITIVE_VERBS)}?"

    def noun_subject(self) -> str:
        if self.rng.random() < 0.5:
            noun = self.pick(PERSON_NOUNS)
            determiner = self.pick(("the", "my", "your", "his", "her", "this"))
            return f"{determiner} {noun} is {self.pick(ADJECTIVES)}"
        noun = self.pick(OBJECTS["thing"])
        determiner = self.pick(("the", "my", "this", "that"))
        return f"{determiner} {noun} is {self.pick(THING_ADJECTIVES)}"

    def comparison(self) -> str:
        pronoun, _, _ = self.subject()
        adjective = self.pick(("tall", "old", "young", "rich", "strong", "smart", "happy", "good"))
        own = {"I": "me", "you": "you", "he": "him", "she": "her", "we": "us", "they": "them"}[pronoun]
        target = self.pick([t for t in ("me", "you", "him", "her", "us", "them", "Tom", "Mary", "my brother")
                            if t != own])
        return f"{self.be(pronoun)} {self.form(adjective, 'JJR', 'A')} than {target}"


    def object_pronoun(self) -> str:
        pronoun, _, third = self.subject()
        verb = self.pick(("see", "help", "call", "love", "meet", "follow", "thank", "watch", "wait for"))
        obj = self.pick([o for o in ("me", "you", "him", "her", "us", "them")
                         if o != {"I": "me", "we": "us", "you": "you"}.get(pronoun)])
        head, _, particle = verb.partition(" ")
        particle = f" {particle}" if particle else ""
        style = self.rng.random()
        if style < 0.3:
            return f"{pronoun} {self.form(head, 'VBD')}{particle} {obj}"
        if style < 0.5:
            did = self.pick(("didn't", "did not"))
            return f"{pronoun} {did} {head}{particle} {obj}"
        if style < 0.7:
            return f"{self.be(pronoun, self.pick(('', 'not')))} going to {head}{particle} {obj}"
        if head in ("love", "see"):  # not said in the progressive
            head, particle = "watch", ""
        return f"{self.be(pronoun)} {self.form(head, 'VBG')}{particle} {obj}"

    def tag_question(self) -> str:
        pronoun, be, _ = self.subject()
        negation = self.pick(("", "not"))
        tag_pronoun = pronoun if pronoun != "I" else "I"
        if negation:
            tag = f"{be if pronoun != 'I' else 'am'} {tag_pronoun}"
        else:
            tag = f"{'aren' if be in ('are', 'am') else 'isn'}'t {tag_pronoun}"
        return f"{self.be(pronoun, negation)} {self.pick(ADJECTIVES)}, {tag}?"

    def with_time(self) -> str:
        pronoun, _, _ = self.subject()
        time = self.pick(("now", "today", "tomorrow", "tonight", "right now"))
        if self.rng.random() < 0.5:
            return f"{self.be(pronoun)} {self.pick(ADJECTIVES + IDIOMS)} {time}"
        time = self.pick(("now", "right now", "today"))
        return f"{self.be(pronoun)} {self.form(self.pick(INTRANSITIVE), 'VBG')} {time}"


CONSTRUCTIONS: dict[str, Callable[[SentenceMaker], str]] = {
    name: getattr(SentenceMaker, name) for name in (
        "be_adjective", "be_idiom", "be_age", "be_place", "be_noun", "present", "progressive",
        "past", "nothing", "future", "going_to", "modal", "question", "noun_subject", "comparison",
        "object_pronoun", "tag_question", "with_time")
}


def sentence_case(text: str) -> str:
    text = " ".join(text.split())
    text = text[:1].upper() + text[1:]
    return text if text.endswith("?") else text + "."


def generate_sentences(count: int, seed: int = 0, lexicon: Lexicon | None = None) -> list[Generated]:
    """``count`` distinct sentences, the constructions in turn, from a seeded generator."""
    maker = SentenceMaker(random.Random(seed), lexicon or load_lexicon())
    seen: set[str] = set()
    out: list[Generated] = []
    names = list(CONSTRUCTIONS)
    attempts = 0
    while len(out) < count and attempts < count * 50:
        name = names[attempts % len(names)]
        attempts += 1
        english = sentence_case(CONSTRUCTIONS[name](maker).replace(" i ", " I "))
        if english not in seen:
            seen.add(english)
            out.append(Generated(name, english))
    return out
