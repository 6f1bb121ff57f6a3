"""The reference English to French translator (tests/support/french.py), its tables and
its sentence generator.

Every expected French sentence here was worked out by hand from French grammar (Grevisse,
"Le Bon Usage"), not printed by the translator: one or more per construction of the
grammar in programs/nlp/README.md.
"""
from __future__ import annotations

import pytest

from raspc.text import Tokenizer
from tests.support.english_grammar import CONSTRUCTIONS, generate_sentences
from tests.support.french import translate
from tests.support.french_corpus import CorpusLine, normalise_french, score
from tests.support.french_lexicon import load_lexicon
from tests.support.french_phrases import tokenize

HAND_WORKED = {
    "agreement of adjectives and nouns": [
        ("She is tired.", "Elle est fatiguée."),
        ("They are happy.", "Ils sont heureux."),
        ("My sister is very kind.", "Ma sœur est très gentille."),
        ("The cars are red.", "Les voitures sont rouges."),
        ("She is a student.", "Elle est étudiante."),
        ("My house is beautiful.", "Ma maison est belle."),
        ("We are proud of our children.", "Nous sommes fiers de nos enfants."),
    ],
    "adjectives before and after the noun": [
        ("He is a good boy.", "C'est un bon garçon."),
        ("I bought a red car.", "J'ai acheté une voiture rouge."),
        ("The old man is here.", "Le vieil homme est ici."),
        ("This beautiful tree is old.", "Ce bel arbre est vieux."),
        ("I bought a new apartment.", "J'ai acheté un nouvel appartement."),
        ("They are my good friends.", "Ce sont mes bons amis."),
        ("I'm a very lucky man.", "Je suis un homme très chanceux."),
        ("He is a very good friend.", "C'est un très bon ami."),
    ],
    "articles, possessives, demonstratives and numbers": [
        ("I like cats.", "J'aime les chats."),
        ("I eat apples.", "Je mange des pommes."),
        ("I drink water.", "Je bois de l'eau."),
        ("I eat bread.", "Je mange du pain."),
        ("She is my friend.", "C'est mon amie."),
        ("This hotel is expensive.", "Cet hôtel est cher."),
        ("These books are old.", "Ces livres sont vieux."),
        ("I have two dogs.", "J'ai deux chiens."),
        ("I'm Tom's cousin.", "Je suis le cousin de Tom."),
        ("Tom's friends are here.", "Les amis de Tom sont ici."),
        ("I like Mary's new car.", "J'aime la nouvelle voiture de Mary."),
        ("He is a doctor.", "Il est médecin."),
        ("My mother is a teacher.", "Ma mère est professeure."),
        ("I'm a liar.", "Je suis un menteur."),
        ("We are friends.", "Nous sommes amis."),
    ],
    "elision and contraction": [
        ("I love the man.", "J'aime l'homme."),
        ("I'm going to the park.", "Je vais au parc."),
        ("She is at the hospital.", "Elle est à l'hôpital."),
        ("He is afraid of the dogs.", "Il a peur des chiens."),
        ("She is afraid of dogs.", "Elle a peur des chiens."),
        ("He is taller than her.", "Il est plus grand qu'elle."),
        ("I'm near the station.", "Je suis près de la gare."),
        ("We are near the park.", "Nous sommes près du parc."),
        ("It's a cat.", "C'est un chat."),
    ],
    "negation": [
        ("She is not hungry.", "Elle n'a pas faim."),
        ("I'm not tired.", "Je ne suis pas fatigué."),
        ("He is never late.", "Il n'est jamais en retard."),
        ("I'm not hungry anymore.", "Je n'ai plus faim."),
        ("I'm not ready yet.", "Je ne suis pas encore prêt."),
        ("We don't have a car.", "Nous n'avons pas de voiture."),
        ("I don't drink water.", "Je ne bois pas d'eau."),
        ("I didn't eat anything.", "Je n'ai rien mangé."),
        ("I see nothing.", "Je ne vois rien."),
        ("She never eats meat.", "Elle ne mange jamais de viande."),
    ],
    "passé composé with avoir and être": [
        ("I ate an apple.", "J'ai mangé une pomme."),
        ("She went to the station.", "Elle est allée à la gare."),
        ("They arrived.", "Ils sont arrivés."),
        ("She never arrived.", "Elle n'est jamais arrivée."),
        ("We stayed at home.", "Nous sommes restés à la maison."),
        ("He didn't come.", "Il n'est pas venu."),
        ("She didn't sleep.", "Elle n'a pas dormi."),
    ],
    "avoir idioms and ages": [
        ("I'm hungry.", "J'ai faim."),
        ("We are thirsty.", "Nous avons soif."),
        ("He is cold.", "Il a froid."),
        ("You are right.", "Tu as raison."),
        ("They are wrong.", "Ils ont tort."),
        ("She is very sleepy.", "Elle a très sommeil."),
        ("I'm hungry and thirsty.", "J'ai faim et soif."),
        ("I'm 19.", "J'ai 19 ans."),
        ("He is twenty years old.", "Il a vingt ans."),
        ("Mary is hungry.", "Mary a faim."),
        ("She is one year old.", "Elle a un an."),
    ],
    "present, progressive, future and going to": [
        ("He works.", "Il travaille."),
        ("I'm eating an apple.", "Je mange une pomme."),
        ("We're reading the newspaper.", "Nous lisons le journal."),
        ("I'm going to eat.", "Je vais manger."),
        ("I'm going home.", "Je vais à la maison."),
        ("I'm looking for a gift for my wife.", "Je cherche un cadeau pour ma femme."),
        ("I'm listening to music.", "J'écoute de la musique."),
        ("She is not going to sleep.", "Elle ne va pas dormir."),
        ("I am going to be fourteen.", "Je vais avoir quatorze ans."),
        ("I will be late.", "Je serai en retard."),
        ("They won't come.", "Ils ne viendront pas."),
    ],
    "can, want and must": [
        ("I can swim.", "Je peux nager."),
        ("I can't swim.", "Je ne peux pas nager."),
        ("He wants to sleep.", "Il veut dormir."),
        ("She doesn't want to dance.", "Elle ne veut pas danser."),
        ("We must work.", "Nous devons travailler."),
        ("You mustn't smoke.", "Tu ne dois pas fumer."),
        ("I want an apple.", "Je veux une pomme."),
    ],
    "object pronouns and agreement with a preceding direct object": [
        ("I love you.", "Je t'aime."),
        ("I saw her.", "Je l'ai vue."),
        ("I didn't see her.", "Je ne l'ai pas vue."),
        ("I met them.", "Je les ai rencontrés."),
        ("He is teaching me.", "Il m'enseigne."),
        ("I'm not buying it.", "Je ne l'achète pas."),
        ("I'm going to call him.", "Je vais l'appeler."),
        ("I answered him.", "Je lui ai répondu."),
        ("I answer the teacher.", "Je réponds au professeur."),
        ("I love her cat.", "J'aime son chat."),
        ("They're with me.", "Ils sont avec moi."),
        ("He's in prison.", "Il est en prison."),
        ("She's in the hospital now.", "Elle est à l'hôpital maintenant."),
        ("I'm in the kitchen.", "Je suis dans la cuisine."),
        ("I'm at school.", "Je suis à l'école."),
        ("I'm fine.", "Je vais bien."),
        ("He's a bit shy.", "Il est un peu timide."),
        ("I am free this afternoon.", "Je suis libre cet après-midi."),
        ("I am better.", "Je vais mieux."),
        ("We're learning Chinese.", "Nous apprenons le chinois."),
        ("We're all right now.", "Nous allons bien maintenant."),
        ("You're being silly.", "Tu es idiot."),
        ("I'm too busy to help her.", "Je suis trop occupé pour l'aider."),
        ("I'm ready to leave.", "Je suis prêt à partir."),
        ("I am glad to see you.", "Je suis content de te voir."),
        ("He is not too old to do it.", "Il n'est pas trop vieux pour le faire."),
        ("Do you love me?", "M'aimes-tu ?"),
        ("Did you see her?", "L'as-tu vue ?"),
    ],
    "questions": [
        ("Are you hungry?", "As-tu faim ?"),
        ("Is he tired?", "Est-il fatigué ?"),
        ("Is she hungry?", "A-t-elle faim ?"),
        ("Does she like the apples?", "Aime-t-elle les pommes ?"),
        ("Can you swim?", "Peux-tu nager ?"),
        ("Are they going to eat?", "Vont-ils manger ?"),
        ("Am I late?", "Suis-je en retard ?"),
        ("I'm late, aren't I?", "Je suis en retard, n'est-ce pas ?"),
        ("She's not young, is she?", "Elle n'est pas jeune, n'est-ce pas ?"),
        ("I'm home, Tom.", "Je suis à la maison, Tom."),
    ],
    "contractions and you": [
        ("I'm tired.", "Je suis fatigué."),
        ("He's tired.", "Il est fatigué."),
        ("They're ready.", "Ils sont prêts."),
        ("She isn't ready.", "Elle n'est pas prête."),
        ("You aren't late.", "Tu n'es pas en retard."),
        ("You're students.", "Vous êtes étudiants."),
        ("You are all crazy.", "Vous êtes tous fous."),
        ("Your father is here.", "Ton père est ici."),
    ],
}
CASES = [(construction, english, french) for construction, pairs in HAND_WORKED.items()
         for english, french in pairs]


@pytest.mark.parametrize("construction, english, french", CASES,
                         ids=[f"{c}: {e}" for c, e, _ in CASES])
def test_hand_worked_translation(construction, english, french):
    assert translate(english) == french


@pytest.mark.parametrize("english", [
    "I am a unicorn.",                 # a word outside the tables
    "I is tired.",                     # be does not agree
    "He eat an apple.",                # the verb does not agree
    "I eat apple.",                    # a bare singular count noun
    "Tired I am.",                     # not a sentence of the grammar
    "I'm busy, too.",                  # a comma before neither a tag question nor a name
    "Are you late, aren't you?",       # a tag question after a question
    "I didn't eat nothing.",           # nothing after a negation
    "I'm done.",                       # be done is an idiom, not a passive
    "Paris is hungry.",                # an avoir idiom said of a place
    "She left the house.",             # partir takes no direct object
    "",
])
def test_outside_the_grammar_is_none(english):
    assert translate(english) is None


def test_tables_hold_forms_worked_by_hand():
    lexicon = load_lexicon()
    aller, venir, manger = (lexicon.verbs[v] for v in ("aller", "venir", "manger"))
    assert (aller.present["je"], aller.present["ils"], aller.future["nous"]) == ("vais", "vont", "irons")
    assert (aller.auxiliary, venir.auxiliary, manger.auxiliary) == ("être", "être", "avoir")
    assert venir.participle == {"ms": "venu", "mp": "venus", "fs": "venue", "fp": "venues"}
    assert lexicon.nouns["cheval"].plural == "chevaux" and lexicon.nouns["gâteau"].plural == "gâteaux"
    assert lexicon.nouns["voiture"].gender == "f" and lexicon.nouns["livre"].gender == "m"
    assert lexicon.nouns["ami"].feminine == "amie"
    assert lexicon.adjectives["heureux"].forms == {"ms": "heureux", "fs": "heureuse", "mp": "heureux",
                                                    "fp": "heureuses"}
    assert lexicon.adjectives["beau"].before_vowel == "bel" and lexicon.adjectives["beau"].before_noun
    assert {r.tag for r in lexicon.readings["ate"]} == {"VBD"}
    assert {r.lemma for r in lexicon.readings["children"]} == {"child"}


def test_tables_reach_the_sizes_the_grammar_needs():
    lexicon = load_lexicon()
    verbs = {key for key in lexicon.bilingual if key.startswith("V ")}
    nouns = {key for key in lexicon.bilingual if key.startswith("N ")}
    adjectives = {key for key in lexicon.bilingual if key.startswith("A ")}
    assert (len(verbs) >= 150, len(nouns) >= 400, len(adjectives) >= 150) == (True, True, True)
    assert len(lexicon.verbs) >= 150 and len(lexicon.nouns) >= 400 and len(lexicon.adjectives) >= 150


def test_generator_is_seeded_and_distinct():
    first, again = generate_sentences(300, seed=3), generate_sentences(300, seed=3)
    assert first == again
    assert len({g.english for g in first}) == 300
    assert {g.construction for g in first} == set(CONSTRUCTIONS)


def test_every_generated_sentence_is_translated():
    sentences = generate_sentences(3000, seed=0)
    refused = [g for g in sentences if translate(g.english) is None]
    assert len({g.english for g in sentences}) == 3000
    assert refused == []


@pytest.mark.parametrize("english", ["I'm not hungry anymore.", "Don't you like it?",
                                     "She\u2019s 19!", "He is a law-abiding citizen.", "We're home, Tom."])
def test_words_are_cut_as_the_program_cuts_them(english):
    """The reference reads the words raspc/text.py gives a program declaring
    {"split": "words", "lower": True}: the tables hold every form it can meet."""
    lexicon = load_lexicon()
    encoder = Tokenizer.from_options({"split": "words", "lower": True, "unknown": "<unk>"}).encoder(
        list(lexicon.readings) + ["<unk>", "19"])
    program_tokens = list(encoder.tokenize(english).tokens)
    words, mark = tokenize(english)
    expected = [w if w in lexicon.readings or w.isdigit() else "<unk>" for w in words] + [mark]
    normalised = [t.replace("\u2019", "'") for t in program_tokens]
    assert normalised == expected


def test_normalising_french_punctuation_and_case():
    assert normalise_french("Je suis prêt !") == normalise_french("je suis  prêt!")
    assert normalise_french("C\u2019est\u00a0vrai ?") == "c'est vrai?"
    corpus = [CorpusLine("I'm tired.", ("Je suis fatigué.", "Je suis crevé.")),
              CorpusLine("I'm sure.", ("J'en suis sûr.",)),
              CorpusLine("I'm busy, too.", ("Je suis occupé, moi aussi.",))]
    result = score(corpus, translate)
    assert (result.sentences, result.covered, result.exact) == (3, 2, 1)
