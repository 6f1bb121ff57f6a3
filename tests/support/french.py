"""A reference English to French translator in plain Python, for the documented grammar.

It is the independent check of programs/nlp/translate_en_fr.rasp: written as an ordinary
recursive-descent parser over English words followed by French spelling rules, from the
grammar in programs/nlp/README.md ("translate_en_fr: the grammar"), and reading only the
generated tables (tests/support/french_lexicon.py). ``translate`` answers None for a
sentence outside the grammar or with a word outside the tables, never a guess.

    >>> translate("She is not hungry.")
    "Elle n'a pas faim."
"""
from __future__ import annotations

from dataclasses import dataclass

from tests.support.french_lexicon import (Lexicon, contract, join_french, load_lexicon,
                                          starts_with_vowel_sound)
from tests.support.french_predicates import PredicateParser
from tests.support.french_phrases import (BE_FORMS, CONTRACTED_BE, CONTRACTED_WILL, MODALS,
                                          NEGATIONS, PRONOUNS, TIME_ADVERBS, NotCovered, Predicate,
                                          Subject, tokenize)


@dataclass
class Clause:
    subject: Subject
    predicate: Predicate
    tense: str                 # present, future, past (passé composé)
    negation: str | None
    question: bool = False


class SentenceParser(PredicateParser):
    """The clause: subject, then be / will / do / a modal / want / a lexical verb."""

    def sentence(self, question: bool) -> Clause:
        first = self.peek()
        if question and first in ("am", "is", "are", "do", "does", "did", "can", "must", "will"):
            clause = self.inverted(first)
        elif first in CONTRACTED_BE:
            self.position += 1
            clause = self.after_be(self.pronoun_subject(CONTRACTED_BE[first]))
        elif first in CONTRACTED_WILL:
            self.position += 1
            clause = self.after_will(self.pronoun_subject(CONTRACTED_WILL[first]), False)
        else:
            subject = self.subject()
            clause = self.verb_group(subject)
        while self.peek() in TIME_ADVERBS or f"{self.peek()} {self.peek(1)}" in TIME_ADVERBS:
            if self.peek() in TIME_ADVERBS:
                clause.predicate.after.append(TIME_ADVERBS[self.tokens[self.position]])
                self.position += 1
            else:
                clause.predicate.after.append(TIME_ADVERBS[f"{self.peek()} {self.peek(1)}"])
                self.position += 2
        if self.position != len(self.tokens):
            raise NotCovered(f"unexpected {self.peek()!r}")
        return clause

    def inverted(self, first: str) -> Clause:
        """Are you ...? Do you ...? Can you ...? Will you ...? (a pronoun subject only)."""
        self.position += 1
        if self.peek() not in PRONOUNS:
            raise NotCovered("a question needs a subject pronoun")
        subject = self.pronoun_subject(self.tokens[self.position])
        self.position += 1
        if first in BE_FORMS:
            self.agree_be(first, subject)
            clause = self.be_rest(subject, None)
        elif first == "will":
            clause = self.after_will(subject, False)
        elif first in ("can", "must"):
            after, negation = self.infinitive_phrase(subject, False)
            clause = Clause(subject, Predicate(MODALS[first], after), "present", negation)
        else:
            self.agree_do(first, subject)
            lemma, french, _ = self.lexical_verb(("VB",))
            complements = self.verb_complements(lemma, False)
            clause = Clause(subject, self.verb_predicate(french, complements),
                            "past" if first == "did" else "present", complements.negation)
        clause.question = True
        return clause

    def agree_be(self, form: str, subject: Subject) -> None:
        if subject.english not in BE_FORMS[form]:
            raise NotCovered(f"{form} does not agree with its subject")

    def agree_do(self, form: str, subject: Subject) -> None:
        third = subject.english in ("he", "she", "it", "np")
        if form.startswith("does") and not third or form in ("do", "don't") and third:
            raise NotCovered(f"{form} does not agree with its subject")

    def verb_group(self, subject: Subject) -> Clause:
        word = self.peek()
        if word in BE_FORMS:
            self.position += 1
            self.agree_be(word, subject)
            return self.after_be(subject)
        if word in ("isn't", "aren't"):
            self.position += 1
            self.agree_be("is" if word == "isn't" else "are", subject)
            return self.be_rest(subject, "pas")
        if word in ("will", "won't"):
            self.position += 1
            return self.after_will(subject, word == "won't")
        if word in ("do", "does", "did", "don't", "doesn't", "didn't"):
            self.position += 1
            self.agree_do(word, subject)
            if "'" not in word:
                self.expect("not")
            tense = "past" if word.startswith("did") else "present"
            if self.take("want"):
                if self.take("to"):
                    after, negation = self.infinitive_phrase(subject, True)
                elif self.take("anything"):
                    after, negation = [], "rien"
                else:
                    after, negation = self.noun_phrase("object", negated=True).words, None
                return self.finish(Clause(subject, Predicate("vouloir", after), tense, negation or "pas"))
            lemma, french, _ = self.lexical_verb(("VB",))
            complements = self.verb_complements(lemma, True)
            return self.finish(Clause(subject, self.verb_predicate(french, complements), tense,
                                      complements.negation or "pas"))
        if word in MODALS:
            self.position += 1
            negated = "'" in word or word == "cannot" or bool(self.take("not"))
            after, negation = self.infinitive_phrase(subject, negated)
            return self.finish(Clause(subject, Predicate(MODALS[word], after), "present",
                                      negation or ("pas" if negated else None)))
        if word in ("want", "wants"):
            self.position += 1
            if (word == "wants") != (subject.english in ("he", "she", "it", "np")):
                raise NotCovered("want does not agree with its subject")
            if self.take("to"):
                after, negation = self.infinitive_phrase(subject, False)
            else:
                after, negation = self.noun_phrase("object").words, None
            return Clause(subject, Predicate("vouloir", after), "present", negation)
        negation = "jamais" if self.take("never") else None
        third = subject.english in ("he", "she", "it", "np")
        lemma, french, tag = self.lexical_verb(("VBD", "VBZ" if third else "VBP"))
        complements = self.verb_complements(lemma, negation is not None)
        if complements.negation and negation:
            raise NotCovered("never and nothing together")
        return Clause(subject, self.verb_predicate(french, complements),
                      "past" if tag == "VBD" else "present", negation or complements.negation)

    def after_be(self, subject: Subject) -> Clause:
        negation = NEGATIONS.get(self.peek() or "")
        if negation:
            self.position += 1
        return self.be_rest(subject, negation)

    def be_rest(self, subject: Subject, negation: str | None) -> Clause:
        predicate = self.be_predicate(subject, negation is not None)
        return self.finish(Clause(predicate.subject or subject, predicate, "present",
                                  predicate.negation or negation))

    def after_will(self, subject: Subject, negated: bool) -> Clause:
        negated = negated or bool(self.take("not"))
        if self.take("be"):
            predicate = self.be_predicate(subject, negated)
            return self.finish(Clause(predicate.subject or subject, predicate, "future",
                                      predicate.negation or ("pas" if negated else None)))
        lemma, french, _ = self.lexical_verb(("VB",))
        complements = self.verb_complements(lemma, negated)
        return self.finish(Clause(subject, self.verb_predicate(french, complements), "future",
                                  complements.negation or ("pas" if negated else None)))

    def finish(self, clause: Clause) -> Clause:
        """not ... anymore is ne ... plus; not ... yet is ne ... pas encore."""
        if clause.negation == "pas" and self.take("anymore"):
            clause.negation = "plus"
        elif clause.negation == "pas" and self.take("yet"):
            clause.negation = "pas encore"
        return clause


def realize(clause: Clause, mark: str, lexicon: Lexicon) -> str:
    """The French words of a clause: conjugation, negation, inversion, elision, contraction."""
    subject, predicate = clause.subject, clause.predicate
    verb = lexicon.verbs[predicate.verb]
    after = list(predicate.adverbs) + list(predicate.after)
    if clause.tense == "past":
        auxiliary = lexicon.verbs[verb.auxiliary]
        # être: the participle agrees with the subject; avoir: with a direct object pronoun
        # before it (je l'ai vue), else it stays masculine singular.
        agreement = subject.agreement() if verb.auxiliary == "être" else predicate.object_agreement or "ms"
        participle = verb.participle[agreement]
        after = list(predicate.adverbs) + [participle] + list(predicate.after)
        finite = auxiliary.present[subject.person]
    else:
        finite = getattr(verb, clause.tense)[subject.person]
    if clause.question:
        if clause.negation or not subject.pronoun and subject.words != ["ce"]:
            raise NotCovered("a question with a negation or a noun subject")
        pronoun = subject.words[0]
        if pronoun == "je" and finite not in ("suis", "ai"):
            raise NotCovered("inversion with je")
        joiner = "-t-" if finite[-1] in "ae" and pronoun in ("il", "elle") else "-"
        words = predicate.clitic + [finite + joiner + pronoun] + after
    elif clause.negation:
        words = subject.words + ["ne"] + predicate.clitic + [finite, clause.negation] + after
    else:
        words = subject.words + predicate.clitic + [finite] + after
    return join_french([w.lstrip("=") for w in contract_all(elide_all(words))] + [mark])


def elide_all(words: list[str]) -> list[str]:
    """je, me, te, le, la, ne, de, que before a vowel sound lose their vowel; a pronoun
    keeps its "=" mark until the words are joined."""
    out = []
    for index, word in enumerate(words):
        following = words[index + 1].lstrip("=") if index + 1 < len(words) else ""
        if word.lstrip("=") in ("je", "me", "te", "le", "la", "ne", "de", "que") and following and \
                starts_with_vowel_sound(following):
            word = word[:-1] + "'"
        elif word == "ce" and following.startswith(("e", "é")):
            word = "c'"
        out.append(word)
    return out


def contract_all(words: list[str]) -> list[str]:
    out: list[str] = []
    for word in words:
        if out and contract(out[-1], word):
            out[-1] = contract(out[-1], word)
        else:
            out.append(word)
    return out


TAG_VERBS = ("am", "is", "are", "isn't", "aren't", "do", "does", "did", "don't", "doesn't", "didn't",
             "can", "can't", "will", "won't")


def split_tail(tokens: list[str], mark: str, lexicon: Lexicon) -> tuple[list[str], list[str]]:
    """A clause and what a comma adds after it: a tag question (, aren't you? = , n'est-ce
    pas ?) or a name (, Tom. = , Tom.). NotCovered for any other comma."""
    if "," not in tokens:
        return tokens, []
    comma = tokens.index(",")
    clause, tail = tokens[:comma], tokens[comma + 1:]
    if "," in tail or not clause:
        raise NotCovered("more than one comma")
    if mark == "?" and tail and tail[0] in TAG_VERBS and len(tail) <= 2 and \
            (len(tail) == 1 or tail[1] in PRONOUNS) and clause[0] not in TAG_VERBS:
        return clause, [",", "n'est-ce", "pas"]
    names = [r for r in lexicon.readings.get(tail[0] if len(tail) == 1 else "", ()) if r.category == "P"]
    if names:
        return clause, [",", lexicon.french("P", names[0].lemma)[0]]
    raise NotCovered("a comma before something other than a tag question or a name")


def translate(sentence: str, lexicon: Lexicon | None = None) -> str | None:
    """English sentence -> French, or None where the sentence is outside the grammar.

    "you" is tu, unless the sentence shows more than one person (a plural noun after
    "you are", or "you are all"), then vous."""
    lexicon = lexicon or load_lexicon()
    tokens, mark = tokenize(sentence)
    if not tokens or mark not in (".", "!", "?"):
        return None
    try:
        tokens, tail = split_tail(tokens, mark, lexicon)
    except NotCovered:
        return None
    for you_plural in (False, True):
        parser = SentenceParser(tokens, lexicon, you_plural)
        try:
            clause = parser.sentence(mark == "?" and not tail)
            if parser.saw_plural_you and not you_plural:
                continue
            french = realize(clause, "", lexicon) + (join_french(tail) if tail else "")
            return (french + (" " + mark if mark != "." else mark)).replace("  ", " ")
        except (NotCovered, KeyError):
            if parser.saw_plural_you and not you_plural:
                continue
            return None
    return None
