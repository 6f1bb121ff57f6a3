"""What may follow "be" in the reference translator (tests/support/french.py): going to,
a verb in -ing, an avoir idiom, an adjective, a participle, an age, a place or a noun
phrase, and the infinitive phrases after going to, can, must and want to.

The alternatives are tried in the order programs/nlp/README.md lists them; the first
that reads the words wins.
"""
from __future__ import annotations

from tests.support.french_phrases import (ADVERBS, BETTER, PRONOUNS, STRESSED, VERB_ADVERBS,
                                          Complements, NotCovered, Parser, Predicate, Subject)


class PredicateParser(Parser):
    """The phrases of Parser, and the predicates built from them."""

    def infinitive_phrase(self, subject: Subject, negated: bool) -> tuple[list[str], str | None]:
        """After going to / can / must / want to / do not: be + predicate, or a verb."""
        if self.take("be"):
            predicate = self.be_predicate(subject, negated)
            return [predicate.verb] + predicate.after, predicate.negation
        lemma, french, _ = self.lexical_verb(("VB",))
        complements = self.verb_complements(lemma, negated)
        return complements.clitic + [french] + complements.words, complements.negation

    def be_predicate(self, subject: Subject, negated: bool) -> Predicate:
        """Everything the grammar allows after am / is / are (and not): adverbs, then
        going to, a verb in -ing, or a complement."""
        verb_adverbs = []
        while self.peek() in VERB_ADVERBS:
            verb_adverbs.append(VERB_ADVERBS[self.tokens[self.position]])
            self.position += 1
        if self.take("being"):  # you are being silly: être, as in the present
            return self.be_predicate_after_being(subject, negated, verb_adverbs)
        if self.take("going"):
            if not self.take("to"):  # going home, going upstairs
                place = self.readings(self.peek(), "L")
                if not place:
                    raise NotCovered("going without to or a place")
                self.position += 1
                return Predicate("aller", self.french("L", place[0].lemma)[0].split(" "), adverbs=verb_adverbs)
            infinitive = self.attempt(self.infinitive_phrase, subject, negated)
            if infinitive is not None:
                predicate = Predicate("aller", infinitive[0], infinitive[1])
            else:
                predicate = Predicate("aller", self.place_after("à"))
        else:
            predicate = self.be_complement(subject, negated)
        predicate.adverbs = verb_adverbs + predicate.adverbs
        return predicate

    def be_predicate_after_being(self, subject: Subject, negated: bool, adverbs: list[str]) -> Predicate:
        predicate = self.be_complement(subject, negated)
        if predicate.verb not in ("être", "avoir"):
            raise NotCovered("being before a verb")
        predicate.adverbs = adverbs + predicate.adverbs
        return predicate

    def keeping_well(self, subject: Subject, adverbs: list[str]) -> Predicate:
        """well, fine, all right, better: how someone is, aller bien / mieux (I'm fine = je vais
        bien)."""
        if not subject.is_person:
            raise NotCovered("well said of a thing")
        self.position += 1
        return Predicate("aller", adverbs + ["mieux" if self.tokens[self.position - 1] == "better" else "bien"])

    def be_complement(self, subject: Subject, negated: bool) -> Predicate:
        """After be and its adverbs: all, an adjective or idiom, an age, a place, a noun."""
        progressive = [r for r in self.readings(self.peek(), "V") if r.tag == "VBG"]
        if progressive:
            lemma, french, _ = self.lexical_verb(("VBG",))
            return self.verb_predicate(french, self.verb_complements(lemma, negated))
        if (self.peek(), self.peek(1)) == ("all", "right"):
            self.position += 1
            return self.keeping_well(subject, [])
        everyone = []
        if self.take("all"):
            if not subject.plural and subject.english != "you":
                raise NotCovered("all with a singular subject")
            self.saw_plural_you = subject.english == "you"
            if self.saw_plural_you and not self.you_plural:
                raise NotCovered("a plural you: read again as vous")
            everyone = ["toutes" if subject.gender == "f" else "tous"]
        adverb = ADVERBS.get(self.peek() or "")
        if adverb:
            self.position += 1
        elif self.peek() == "a" and self.peek(1) in ("little", "bit") and self.readings(self.peek(2), "A"):
            self.position += 2
            adverb = "un peu"
        if (self.peek() in ("well", "fine", "ok") or self.peek() == "better" and self.peek(1) != "than") \
                and not everyone:
            return self.keeping_well(subject, [adverb] if adverb else [])
        idioms = self.readings(self.peek(), "I")
        if idioms and subject.is_person:
            self.position += 1
            after = everyone + ([adverb] if adverb else []) + [self.french("I", idioms[0].lemma)[0]]
            if self.peek() == "and" and self.readings(self.peek(1), "I"):  # hungry and thirsty
                after += ["et", self.french("I", self.readings(self.peek(1), "I")[0].lemma)[0]]
                self.position += 2
            return Predicate("avoir", after + self.of_phrase())
        adjectives = self.readings(self.peek(), "A")
        if adjectives and not self.readings(self.peek(1), "N"):  # else an adjective of a noun
            self.position += 1
            reading = adjectives[0]
            if reading.tag == "JJR":
                if adverb:
                    raise NotCovered("adverb before a comparative")
                self.expect("than")
                if reading.lemma in ("good", "well"):
                    word = BETTER[subject.agreement()]
                    after = [word]
                else:
                    adjective = self.lexicon.adjectives[self.french("A", reading.lemma)[0]]
                    after = ["plus", adjective.forms[subject.agreement()]]
                return Predicate("être", everyone + after + ["que"] + self.comparison_target())
            adjective = self.lexicon.adjectives[self.french("A", reading.lemma)[0]]
            after = everyone + ([adverb] if adverb else []) + [adjective.forms[subject.agreement()]]
            if self.take("and"):
                second = ADVERBS.get(self.peek() or "")
                if second:
                    self.position += 1
                others = [r for r in self.readings(self.peek(), "A") if r.tag == "JJ"]
                if not others:
                    raise NotCovered("and without a second adjective")
                self.position += 1
                other = self.lexicon.adjectives[self.french("A", others[0].lemma)[0]]
                after += ["et"] + ([second] if second else []) + [other.forms[subject.agreement()]]
            if self.peek() == "to":
                self.position += 1
                infinitive, negation = self.infinitive_phrase(subject, negated)
                if negation:
                    raise NotCovered("a negation inside the infinitive")
                linker = "pour" if adverb == "trop" else "à" if adjective.forms["ms"] == "prêt" else "de"
                return Predicate("être", after + [linker] + infinitive)
            takes_of = self.french("A", reading.lemma)[1] == "of"
            after += self.of_phrase() if takes_of else []
            places = self.readings(self.peek(), "L")
            if places and places[0].lemma in ("here", "there"):
                self.position += 1
                after += self.french("L", places[0].lemma)[0].split(" ")
            return Predicate("être", after)
        participles = [r for r in self.readings(self.peek(), "V") if r.tag == "VBN"]
        if participles and self.peek() in ("done", "gone", "finished"):
            raise NotCovered("be done, gone, finished are idioms, not passives")
        if participles:
            self.position += 1
            verb = self.lexicon.verbs[self.french("V", participles[0].lemma)[0]]
            participle = verb.participle[subject.agreement()]
            return Predicate("être", everyone + ([adverb] if adverb else []) + [participle])
        if adverb or everyone and not self.readings(self.peek(), "N"):
            raise NotCovered("adverb without an adjective")
        age = self.attempt(self.age)
        if age:
            if not subject.is_person:
                raise NotCovered("an age for a thing")
            return Predicate("avoir", age)
        place = self.place()
        if place:
            if self.take("to"):
                infinitive, negation = self.infinitive_phrase(subject, negated)
                if negation:
                    raise NotCovered("a negation inside the infinitive")
                place += ["pour"] + infinitive
            return Predicate("être", place)
        return self.predicate_noun(subject, negated, everyone)

    def of_phrase(self) -> list[str]:
        """of + a noun phrase or a name, after an adjective or an avoir idiom: de + ...
        (a bare plural or mass noun is generic there: afraid of dogs = peur des chiens)."""
        if not self.take("of"):
            return []
        if self.peek() in STRESSED and self.peek() not in PRONOUNS or self.peek() == "you":
            return ["de"] + self.comparison_target()
        names = self.readings(self.peek(), "P")
        if names:
            self.position += 1
            return ["de", self.french("P", names[0].lemma)[0]]
        return ["de"] + self.noun_phrase("of").words

    @staticmethod
    def verb_predicate(french: str, complements: Complements) -> Predicate:
        return Predicate(french, complements.words, complements.negation,
                         clitic=complements.clitic, object_agreement=complements.object_agreement)

    def place_after(self, preposition: str) -> list[str]:
        places = self.readings(self.peek(), "L")
        if places and places[0].lemma == "home":
            self.position += 1
            return ["à", "la", "maison"]
        names = self.readings(self.peek(), "P")
        if names:
            self.position += 1
            return [preposition, self.french("P", names[0].lemma)[0]]
        return [preposition] + self.noun_phrase("place").words

    def age(self) -> list[str]:
        word = self.peek()
        numbers = self.readings(word, "D")
        if numbers:
            french = self.french("D", numbers[0].lemma)[0]
        elif word and word.isdigit() and 0 < int(word) < 130:
            french = word
        else:
            raise NotCovered("not a number")
        self.position += 1
        one = french in ("un", "1")
        if self.take("years", "year"):
            if (self.tokens[self.position - 1] == "year") != one:
                raise NotCovered("year and number disagree")
            self.expect("old")
        return [french, "an" if one else "ans"]

    def predicate_noun(self, subject: Subject, negated: bool, everyone: list[str]) -> Predicate:
        phrase = self.noun_phrase("predicate", negated=False, referent=subject)
        if subject.english == "you" and phrase.plural:
            self.saw_plural_you = True
            if not self.you_plural:
                raise NotCovered("a plural you: read again as vous")
        if phrase.is_person and phrase.plural != subject.plural:
            raise NotCovered("a person noun that disagrees with its subject in number")
        if subject.pronoun and subject.person in ("il", "ils") and not phrase.article_dropped:
            replaced = Subject(["ce"], "ils" if phrase.plural else "il", phrase.gender, phrase.plural,
                               subject.english, subject.is_person)
            return Predicate("être", everyone + phrase.words, subject=replaced)
        return Predicate("être", everyone + phrase.words)
