"""programs/nlp/translate_en_fr.rasp against the plain-Python reference translator
(tests/support/french.py, written separately from the program) on sentences of the
grammar's generator (tests/support/english_grammar.py): the compiled model's French
equals the reference's on every sentence of the constructions the program covers, and
the model equals the interpreter on every sentence, refused ones included.

The program covers a subject pronoun and be with an adjective, an avoir idiom, an age
in words, a place (here, at home, in Paris, at the station, in the kitchen ...), a
profession (a doctor, doctors: no article in French), a determiner, an adjective French
puts before the noun and a noun (my friend, a good teacher, a cat; with we and they a
plural: des hommes, mes amis), well / fine (aller bien), a comparative before than and a
pronoun, a name or a noun phrase (taller than me, than my brother); a verb in -ing, in
the present or the past, or after going to, can, must or want to, with or without an
object (a name, a language, or a determiner, an adjective French puts before the noun
and a noun); with their negations, of or with and a pronoun, a name or a noun phrase, a
time adverb, a name after a comma and a tag question (, aren't you?). Ages in digits, an
adjective before a plural noun after be, better than and the objects object_outside names
are outside it: the model
refuses them (every position says UNTRANSLATABLE), which the test checks too."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from compiler import compile_program
from rasp.interpreter import evaluate
from rasp.stage import load_program
from runtime.engine.forward import Runner
from runtime.io import save_model
from runtime.outputs import same_output
from tests.support.cli import cli
from tests.support.english_grammar import generate_sentences
from tests.support.french import translate
from tests.support.french_corpus import UNTRANSLATABLE, join_chunks
from tests.support.french_lexicon import load_lexicon

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = ROOT / "programs" / "nlp" / "translate_en_fr.rasp"
CONSTRUCTIONS = ("be_adjective", "be_idiom", "be_age", "be_place", "be_noun", "progressive", "comparison", "going_to", "modal",
                 "past", "present", "tag_question")
GENERATED = 9000  # sentences from the generator, all constructions in turn: about 6,200 of the twelve above

LEXICON = load_lexicon()

pytestmark = pytest.mark.slow  # compiling and running the model take about two minutes


OBJECT_DETERMINERS = ("the", "a", "an", "my", "your", "his", "her", "its", "our", "their", "this", "that")
PLURAL_DETERMINERS = ("the", "my", "your", "his", "her", "its", "our", "their")
VERB_TAGS = ("VB", "VBD", "VBZ")


def french_noun(reading):
    """The lexicon's French noun of an English noun reading."""
    return LEXICON.nouns[LEXICON.french("N", reading.lemma)[0]]


def object_outside(verb: str, words: list[str]) -> bool:
    """Whether the program leaves out a verb's object: a verb whose French takes none
    (être in the passé composé, à before its object, or intransitive), a verb form that
    is also a person noun, an adjective or a grammar word (read as that, but -ing forms),
    or an object that is not a name, a language or a determiner (the, a, a possessive,
    this, that), at most one adjective French puts before the noun and a noun that is no
    verb form; a plural only after the or a possessive and without an adjective."""
    if not words:
        return False
    readings = LEXICON.readings
    verb_reading = next(r for r in readings[verb] if r.category == "V" and " " not in r.lemma)
    person_noun = any(r.category == "N" and french_noun(r).person for r in readings[verb])
    if not verb.endswith("ing") and (person_noun or any(r.category not in ("V", "N") for r in readings[verb])):
        return True
    infinitive, flag = LEXICON.french("V", verb_reading.lemma)
    if LEXICON.verbs[infinitive].auxiliary != "avoir" or flag in ("indirect", "intransitive"):
        return True
    if len(words) == 1:   # a name, or a language (French)
        return not any(r.category == "P" or r.category == "N" and french_noun(r).language
                       for r in readings.get(words[0], ()))
    determiner, *adjectives, noun = words
    nouns = [r for r in readings.get(noun, ()) if r.category == "N"]
    if determiner not in OBJECT_DETERMINERS or not nouns or len(adjectives) > 1 \
            or any(r.category == "V" and r.tag in VERB_TAGS for r in readings[noun]):
        return True
    plural = nouns[0].tag == "NNS"
    if plural and (determiner not in PLURAL_DETERMINERS or adjectives):
        return True
    for adjective in adjectives:
        categories = {r.category for r in readings.get(adjective, ())}
        french = LEXICON.french("A", next(r for r in readings[adjective] if r.category == "A").lemma)[0]
        if categories & {"N", "I"} or not LEXICON.adjectives[french].before_noun:
            return True
    return False


def outside_the_program(construction: str, english: str) -> bool:
    """The generator's sentences of the twelve constructions that the program leaves out:
    ages in digits, an adjective before a plural noun after be (we are good friends: de
    bons amis), better than, did not and do not spelt out, a past that is also a base
    form after he or she (he read: a base form that disagrees), and the objects
    object_outside leaves out, after a verb in -ing, in the present or the past, or after
    going to, a modal or didn't (going to be takes what be takes, going to the a place)."""
    words = english.rstrip(".!?").lower().replace("'", " ").split()
    if any(w.isdigit() for w in words) or construction == "be_noun" and words[0] in ("we", "they") and "good" in words or \
            construction == "comparison" and "better" in words or \
            words[1:2] in (["did"], ["do"], ["does"]):
        return True
    if construction == "going_to":
        after = words[words.index("to") + 1:]
        return after[0] not in ("be", "the") and object_outside(after[0], after[1:])
    if construction == "modal":   # can't, mustn't: can t, mustn t
        modal = max(i for i, w in enumerate(words) if w in ("can", "cannot", "must", "mustn", "to"))
        after = words[modal + 1:][1:] if words[modal + 1:modal + 2] == ["t"] else words[modal + 1:]
        return object_outside(after[0], after[1:])
    if construction in ("past", "present"):   # the subject, never, didn t, don t or doesn t, the verb
        verb = 1 + (words[1] == "never") + 2 * (words[1] in ("didn", "don", "doesn"))
        past_as_base = construction == "past" and verb == 1 and words[0] in ("he", "she") and \
            any(r.category == "V" and r.tag == "VB" for r in LEXICON.readings[words[1]])   # read: a base form
        return past_as_base or object_outside(words[verb], words[verb + 1:])
    if construction == "progressive":
        verb = next(i for i, w in enumerate(words) if w.endswith("ing"))
        return object_outside(words[verb], words[verb + 1:])
    return False


@pytest.fixture(scope="module")
def program():
    return load_program(str(PROGRAM))


@pytest.fixture(scope="module")
def model(program):
    return compile_program(program)


@pytest.fixture(scope="module")
def sample(program, model):
    """(construction, English, tokens, interpreter's chunks, model's chunks) for the
    generated sentences of the covered constructions."""
    encoder = program.tokenizer.encoder(program.vocab)
    generated = [g for g in generate_sentences(GENERATED, seed=0) if g.construction in CONSTRUCTIONS]
    tokens = [encoder.encode(g.english, model.config.max_len).tokens for g in generated]
    outputs = Runner(model).run(tokens)
    return [(g.construction, g.english, t, evaluate(program.names["french"], t), out)
            for g, t, out in zip(generated, tokens, outputs)]


def test_model_equals_interpreter_on_every_sentence(sample):
    assert len(sample) >= 2500
    differ = [english for _, english, _, expected, got in sample if not same_output(expected, got)]
    assert differ == []


def test_model_french_equals_the_reference_translators(sample):
    covered = [(english, join_chunks(got)) for construction, english, _, _, got in sample
               if not outside_the_program(construction, english)]
    assert len(covered) >= 2000
    for construction in ("be_noun", "progressive", "comparison", "going_to", "modal", "past", "present"):
        assert sum(c == construction for c, english, _, _, _ in sample if not outside_the_program(c, english)) >= 150
    wrong = [(english, ours, translate(english)) for english, ours in covered if ours != translate(english)]
    assert wrong == []


def test_sentences_outside_the_program_are_refused_never_half_translated(sample):
    outside = [(english, got) for construction, english, _, _, got in sample
               if outside_the_program(construction, english)]
    assert outside  # ages in digits, adjectives and plurals in noun phrases
    assert all(set(got) == {UNTRANSLATABLE} for _, got in outside)


@pytest.mark.parametrize("english, french", [
    ("She is not hungry.", "Elle n'a pas faim."),          # avoir idiom, ne before a vowel
    ("I'm hungry and thirsty!", "J'ai faim et soif !"),    # j' before ai; French spacing of !
    ("I am not tired.", "Je ne suis pas fatigué."),
    ("They aren't happy anymore.", "Ils ne sont plus heureux."),
    ("She's twenty years old.", "Elle a vingt ans."),
    ("It's cold.", "Il est froid."),                         # it takes no avoir idiom
    ("We're never late?", "Nous ne sommes jamais en retard ?"),
    ("She's very beautiful.", "Elle est très belle."),
    ("I'm at home.", "Je suis à la maison."),
    ("We're at the park.", "Nous sommes au parc."),                # à le = au
    ("He isn't in the hospital.", "Il n'est pas à l'hôpital."),   # in an establishment = à
    ("I'm in the kitchen.", "Je suis dans la cuisine."),
    ("They are in Paris.", "Ils sont à Paris."),
    ("She's a teacher.", "Elle est professeure."),                 # a profession agrees, loses its article
    ("We're not friends anymore.", "Nous ne sommes plus amis."),
    ("They're all hungry.", "Ils ont tous faim."),
    ("She's a bit shy.", "Elle est un peu timide."),
    ("I'm very well.", "Je vais très bien."),                     # well, fine, OK: aller bien
    ("I'm busy today.", "Je suis occupé aujourd'hui."),
    ("You're being silly.", "Tu es idiot."),
    ("I'm hungry, Tom.", "J'ai faim, Tom."),
    ("He is my friend.", "C'est mon ami."),                       # he + a determiner's noun: ce
    ("She's my friend.", "C'est mon amie."),                      # the subject's gender; ma before a vowel: mon
    ("She isn't your teacher.", "Ce n'est pas ta professeure."),
    ("I'm not a child.", "Je ne suis pas un enfant."),
    ("You're the boss.", "Tu es le patron."),
    ("She's the boss.", "C'est la patronne."),
    ("It's a castle.", "C'est un château."),
    ("He's that man.", "C'est cet homme."),                       # ce before a vowel: cet
    ("It's my house.", "C'est ma maison."),
    ("I'm your lawyer.", "Je suis ton avocat."),
    ("I'm not tired yet.", "Je ne suis pas encore fatigué."),      # not ... yet
    ("We're happy here.", "Nous sommes heureux ici."),
    ("I'm lying.", "Je mens."),                                   # the progressive: the French present
    ("They're not listening!", "Ils n'écoutent pas !"),           # pas after the verb, n' before its vowel
    ("I'm listening.", "J'écoute."),
    ("We're not waiting anymore.", "Nous n'attendons plus."),
    ("She's working now.", "Elle travaille maintenant."),
    ("He's a good teacher.", "C'est un bon professeur."),        # an adjective keeps the article: ce
    ("She's a good person.", "C'est une bonne personne."),
    ("He is an old man.", "C'est un vieil homme."),                # vieil before a vowel
    ("She's my new friend.", "C'est ma nouvelle amie."),           # ma before a consonant
    ("I'm a little boy.", "Je suis un petit garçon."),             # little before a noun: petit
    ("You are taller than I am.", "Tu es plus grand que moi."),    # than I am: the stressed pronoun alone
    ("He is taller than her.", "Il est plus grand qu'elle."),      # que elided before elle
    ("We're older than them.", "Nous sommes plus vieux qu'eux."),
    ("She is smarter than Alice.", "Elle est plus intelligente qu'Alice."),
    ("He's not stronger than me!", "Il n'est pas plus fort que moi !"),
    ("I am proud of you.", "Je suis fier de toi."),
    ("They are jealous of them.", "Ils sont jaloux d'eux."),       # de elided before eux
    ("He is never afraid of them.", "Il n'a jamais peur d'eux."),  # avoir peur de
    ("We are all proud of you.", "Nous sommes tous fiers de toi."),
    ("I'm tired of Boston.", "Je suis fatigué de Boston."),
    ("I'm going to sleep.", "Je vais dormir."),                    # going to: aller + the infinitive
    ("We aren't going to wait.", "Nous n'allons pas attendre."),   # ne elided before allons
    ("She's never going to win.", "Elle ne va jamais gagner."),
    ("I'm not going to wait anymore.", "Je ne vais plus attendre."),
    ("They're going to cook.", "Ils vont cuisiner."),              # a cook's form read as a verb after to
    ("I'm going to the bank.", "Je vais à la banque."),
    ("He's going to the park.", "Il va au parc."),                 # à le = au
    ("We're going home now.", "Nous allons à la maison maintenant."),
    ("You're going to be hungry.", "Tu vas avoir faim."),          # be: avoir before an idiom
    ("She's going to be twenty.", "Elle va avoir vingt ans."),
    ("We're going to be very happy here.", "Nous allons être très heureux ici."),
    ("I'm not well.", "Je ne vais pas bien."),                     # aller negated
    ("I can swim.", "Je peux nager."),                             # a modal: pouvoir, devoir, vouloir
    ("She can't cook.", "Elle ne peut pas cuisiner."),
    ("We cannot wait anymore.", "Nous ne pouvons plus attendre."),
    ("You must leave now.", "Tu dois partir maintenant."),
    ("They mustn't be late.", "Ils ne doivent pas être en retard."),
    ("He wants to sleep.", "Il veut dormir."),
    ("She doesn't want to be hungry.", "Elle ne veut pas avoir faim."),
    ("We don't want to eat.", "Nous ne voulons pas manger."),
    ("I slept.", "J'ai dormi."),                                   # the passé composé: avoir ...
    ("She left.", "Elle est partie."),                             # ... or être, the participle agreeing
    ("We didn't come.", "Nous ne sommes pas venus."),
    ("He never ate!", "Il n'a jamais mangé !"),
    ("They arrived today.", "Ils sont arrivés aujourd'hui."),
    ("I sleep.", "Je dors."),                                      # the present simple: the French present
    ("She works now.", "Elle travaille maintenant."),
    ("We don't eat.", "Nous ne mangeons pas."),                     # pas after the verb
    ("He doesn't listen!", "Il n'écoute pas !"),                   # ne elided before its vowel
    ("I like.", "J'aime."),
    ("I'm able to run.", "Je suis capable de courir."),            # to after an adjective: de + infinitive
    ("They're happy to be here.", "Ils sont heureux d'être ici."),  # d' before être
    ("She's ready to eat.", "Elle est prête à manger."),           # à after prêt
    ("I'm too tired to walk.", "Je suis trop fatigué pour marcher."),  # pour after too
    ("We're here to help.", "Nous sommes ici pour aider."),        # pour after here
    ("I'm not ready to go yet.", "Je ne suis pas encore prêt à aller."),
    ("I'm reading a book.", "Je lis un livre."),                   # an object after the verb
    ("She is calling her friend.", "Elle appelle son ami."),       # an object's person noun: masculine
    ("She's calling a friend.", "Elle appelle un ami."),           # an object's a: un, not dropped
    ("I'm not eating the cake.", "Je ne mange pas le gâteau."),    # pas before the object
    ("He isn't drinking a beer.", "Il ne boit pas de bière."),     # de after a negation
    ("You aren't washing your hands.", "Tu ne laves pas tes mains."),  # a plural object: tes
    ("He ate the apple.", "Il a mangé la pomme."),                 # the subject stays: not c'est
    ("She never ate an apple.", "Elle n'a jamais mangé de pomme."),
    ("We're going to buy a new car.", "Nous allons acheter une nouvelle voiture."),
    ("She can't find her keys.", "Elle ne peut pas trouver ses clés."),
    ("I'm not calling Tom.", "Je n'appelle pas Tom."),             # a name: pas Tom
    ("He calls my friends.", "Il appelle mes amis."),              # a plural person noun: mes amis
    ("I'm reading an old book.", "Je lis un vieux livre."),
    ("She is a cat.", "C'est un chat."),
    ("I'm studying French.", "J'étudie le français."),           # a language: le français
    ("We're not learning English.", "Nous n'apprenons pas l'anglais."),
    ("He speaks Chinese.", "Il parle chinois."),                 # parler takes it bare
    ("I don't speak French.", "Je ne parle pas français."),
    ("I'm afraid of dogs.", "J'ai peur des chiens."),              # of + a bare plural: des
    ("I'm afraid of the dog.", "J'ai peur du chien."),              # de + le = du
    ("I'm tired of the city.", "Je suis fatigué de la ville."),
    ("He is proud of his son.", "Il est fier de son fils."),       # not c'est: a complement
    ("He is taller than his brother.", "Il est plus grand que son frère."),
    ("They're cops.", "Ce sont des flics."),                      # a bare plural after be: des; ce sont
    ("They're not cops.", "Ce ne sont pas des flics."),
    ("We are men.", "Nous sommes des hommes."),
    ("We're all cowards.", "Nous sommes tous des lâches."),
    ("They're my friends.", "Ce sont mes amis."),
    ("They're a family.", "C'est une famille."),                  # a singular noun: c'est
    ("He's with his parents.", "Il est avec ses parents."),       # with: avec, not c'est
    ("I'm not playing with him.", "Je ne joue pas avec lui."),    # pas before avec
    ("They are running in the park.", "Ils courent dans le parc."),  # a place after a verb
    ("I'm studying in the library.", "J'étudie à la bibliothèque."),
    ("You're alone, aren't you?", "Tu es seul, n'est-ce pas ?"),   # a tag question
    ("I'm not late, am I?", "Je ne suis pas en retard, n'est-ce pas ?"),  # am negates nothing
    ("They're cops, aren't they?", "Ce sont des flics, n'est-ce pas ?"),
    ("You're in danger.", "Tu es en danger."),                     # in and a noun alone: en
    ("I'm working in town.", "Je travaille en ville."),
])
def test_worked_sentences(program, model, english, french):
    encoder = program.tokenizer.encoder(program.vocab)
    tokens = encoder.encode(english, model.config.max_len).tokens
    assert join_chunks(Runner(model).run([tokens])[0]) == french


@pytest.mark.parametrize("english", ["It is hot.", "I is happy.", "I'm hungry and tired.",
                                     "I'm not very hungry anymore never.", "I'm happy",
                                     "I'm at the.", "She's in home.", "You're students.", "I'm doctors.",
                                     "She's all happy.", "It's fine.",
                                     "We're all right now.", "We're together.", "We're my friend.",
                                     "He's a friends.", "He's a happy man.", "He's the.",
                                     "She's at the boss.", "He's my.", "I'm hungry here.", "I'm never lying.",
                                     "I'm always lying.", "I'm lying here.", "I'm happy yet.",
                                     "I'm taller.", "I'm taller than you is.",
                                     "I'm happy of you.", "I'm proud of.", "It's cold of me.", "I'm very taller than you.",
                                     "I'm going.", "I'm going to.", "I'm going to the.", "I'm going to be.",
                                     "I'm going to sleeping.", "I'm going sleep.",
                                     "It's going to be hungry.", "I'm going to be well.", "I'm going to happy.",
                                     "He want to eat.", "I wants to eat.", "She don't want to sleep.",
                                     "He doesn't wants to eat.", "I want to the park.", "I can to swim.",
                                     "I want swim.", "I can swimming.", "I can't want to eat.", "I'm can swim.",
                                     "I never happy.", "I didn't slept.", "I didn't.", "I slept the bed.",
                                     "It's twenty.", "He sleep.", "I sleeps.", "I don't sleeps.", "She doesn't sleeps.",
                                     "I never sleep.", "I go.", "I'm happy to Paris.", "I'm happy to the park.",
                                     "I'm happy to.", "I'm glad to be hungry.",
                                     "I'm eating a apples.", "I'm sleeping the bed.", "I'm reading this books.",
                                     "I'm answering the question.", "He left the house.", "She's my friends.",
                                     "I'm not eating the cake anymore.", "I'm eating the.", "I'm eating the cake the.",
                                     "I'm afraid of water.", "I'm afraid of the old dog.", "I'm proud of a friend.",
                                     "She's cops.", "It's my books.", "We're old friends.", "I'm eating apples.",
                                     "I'm playing with you.", "I'm not running in the park.", "I'm with a friend.",
                                     "He is happy, isn't he.", "I'm late, aren't.", "I'm late, aren't I Tom?", "We're in parks."])
def test_sentences_outside_are_refused(program, model, english):
    encoder = program.tokenizer.encoder(program.vocab)
    tokens = encoder.encode(english, model.config.max_len).tokens
    assert set(Runner(model).run([tokens])[0]) == {UNTRANSLATABLE}


def test_the_commands_print_the_joined_french(model, tmp_path, capsys):
    path = tmp_path / "translate.safetensors"
    save_model(model, str(path))
    status, out, _ = cli(capsys, "run", path, "--text", "She is not hungry.")
    assert status == 0 and f"= {translate('She is not hungry.')}" in out
    status, out, _ = cli(capsys, "run", path, "--text", "The dog eats.", "--json")
    assert status == 0 and json.loads(out)["text"] is None             # outside the grammar: declined
    corpus = tmp_path / "sentences.tsv"
    corpus.write_text("I'm at home!\tJe suis à la maison !\nThe dog eats.\tLe chien mange.\n", encoding="utf-8")
    status, out, _ = cli(capsys, "eval-corpus", path, corpus, "--text-column", "1", "--json")
    records = [json.loads(line) for line in out.splitlines()]
    assert status == 0
    assert [r["output"] for r in records[:2]] == [translate("I'm at home!"), None]
