"""programs/nlp/grammaticality.rasp, rule by rule, on sentences written for the test:
for each rule, sentences it must reject (and name) and sentences it must let be, each
judged by hand. The interpreter runs them all; the compiled model (slow: compiling
the 69,000-word lexicon takes about 25 s) must give the same verdict and rule."""
from __future__ import annotations

from pathlib import Path

import pytest

from compiler import compile_program
from rasp.interpreter import evaluate
from rasp.stage import load_program
from runtime.engine.forward import Runner

PROGRAM = Path(__file__).resolve().parents[2] / "programs" / "nlp" / "grammaticality.rasp"

#: (sentence, the rule that must fire); each worked by hand.
REJECTED = [
    ("he are happy .", "agreement"),
    ("they is here .", "agreement"),
    ("i is tired .", "agreement"),
    ("we was late .", "agreement"),
    ("the dogs is barking .", "agreement"),
    ("john have a car .", "agreement"),
    ("a books fell .", "determiner"),
    ("these book is red .", "determiner"),
    ("every dogs barked .", "determiner"),
    ("john will went home .", "auxiliary"),
    ("john has went home .", "auxiliary"),
    ("he will can go .", "auxiliary"),
    ("she did went .", "auxiliary"),
    ("they want to can leave .", "auxiliary"),
    ("the cake was have eaten .", "auxiliary"),
    ("the guest arrived the town .", "arguments"),
    ("john devoured .", "arguments"),
    ("mary explained john the problem .", "arguments"),
    ("john put the book .", "arguments"),
    ("john hurt herself .", "reflexive"),
    ("mary said that john hurt herself .", "reflexive"),
    ("herself left .", "reflexive"),
    ("the women hurt himself .", "reflexive"),
    ("i saw the .", "missing"),
    ("the will leave .", "missing"),
    ("he is is happy .", "doubled"),
    ("he he left early .", "doubled"),
    ("john not will go .", "order"),
    ("i read three his books .", "order"),
    ("who would you prefer for to win ?", "order"),
    ("john not left .", "order"),
    ("which the book did you read ?", "order"),
    ("there is dogs in the yard .", "agreement"),
    ("there are a dog in the yard .", "agreement"),
    ("mary bought apples and .", "missing"),
    ("she was a fond .", "missing"),
    ("mary saw anything .", "polarity"),
    ("he has ever left .", "polarity"),
    ("mary wanted he to leave .", "case"),
    ("john said that himself was tired .", "case"),
    ("him is tall .", "case"),
    ("who do you think that is tall ?", "extraction"),
    ("the guest slept the bed .", "arguments"),
    ("ellen talked helen .", "arguments"),
    ("the thief chased .", "arguments"),
    ("she always wore .", "arguments"),
    ("dogs touch easily .", "arguments"),
    ("the neighbours resemble easily .", "arguments"),
    ("much equipment arrived , and an equipment broke .", "determiner"),
    ("few information was given .", "determiner"),
    ("the equipments are new .", "determiner"),
    ("the cat was having eaten .", "auxiliary"),
    ("anson believed to be happy .", "control"),
    ("we assumed to have won .", "control"),
    ("mary tried john to go abroad .", "control"),
    ("everyone hopes him to sleep .", "control"),
    ("john seems will win .", "control"),
    ("john convinced that bill had left .", "control"),
    ("mary persuaded to leave .", "control"),
    ("i persuaded there to be a problem .", "control"),
    ("we talked about that he was sick .", "complement"),
    ("i am not sure about if he will go .", "complement"),
    ("i do n't know if to agree .", "complement"),
    ("gilgamesh did n't ate the honey .", "auxiliary"),
    ("is not bill sick ?", "order"),
    ("she was kissed him .", "arguments"),
    ("the guest was arrived .", "arguments"),
    ("they eager to leave .", "missing"),
    ("what did john wonder who would win ?", "island"),
    ("which cake did you see the man who baked ?", "island"),
    ("who did you wonder whether came ?", "island"),
    ("who do you believe that invited sara ?", "extraction"),
    ("mary runs often the marathon .", "order"),
    ("he figured out it .", "order"),
    ("patrick to leave is likely .", "case"),
    ("there was him in the garden .", "case"),
    ("she does n't believe much story .", "determiner"),
    ("mary is fond him .", "arguments"),
    ("this building is than that one .", "missing"),
    ("there danced three men at the palace .", "case"),
    ("there tried to be a fountain in the park .", "case"),
    ("gwen hurt himself .", "reflexive"),
    ("nora carried at the box .", "arguments"),
    ("the boy touched at the dog .", "arguments"),
    ("mary brought at the cake to the party .", "arguments"),
    ("ate mary the apple ?", "order"),
    ("talked john with the teacher .", "order"),
    ("poems will i write .", "order"),
    ("john enough eats cake .", "order"),
]

#: Sentences no rule may reject, many of them near misses of a rule above.
ACCEPTED = [
    "he is happy .",
    "they are here .",
    "i am tired .",
    "we were late .",
    "the dogs are barking .",
    "john and mary are here .",
    "a book fell .",
    "these books are red .",
    "every dog barked .",
    "john will go home .",
    "john has gone home .",
    "she did go .",
    "they want to leave .",
    "the cake was eaten .",
    "the guest arrived .",
    "what did john devour ?",
    "mary explained the problem to john .",
    "john put the book on the shelf .",
    "john hurt himself .",
    "mary said that john hurt himself .",
    "wash yourself .",
    "the women hurt themselves .",
    "john told a story about himself .",
    "i saw the dog .",
    "i know that that is true .",
    "john will not go .",
    "i read all his books .",
    "i bought three books .",
    "does n't he know ?",
    "john does n't know .",
    "did john not leave ?",
    "which book did you read ?",
    "this is the book which the teacher liked .",
    "there are dogs in the yard .",
    "there is a dog in the yard .",
    "mary bought apples and pears .",
    "she was a fond mother .",
    "mary did n't see anything .",
    "has he ever left ?",
    "any owl hunts mice .",
    "you may take any book .",
    "mary wanted him to leave .",
    "john himself left early .",
    "he is tall .",
    "who do you think is tall ?",
    "there arrived a guest .",
    "the professor talked us into a stupor .",
    "where did john put the book ?",
    "either the boys or the girls are here .",
    "the thief chased the dog .",
    "the dog was chased .",
    "what did she wear ?",
    "glass breaks easily .",
    "she frightens easily .",
    "mary cuts the paper easily .",
    "much equipment arrived .",
    "the information was given .",
    "the cat was eating .",
    "anson believed him to be happy .",
    "anson was believed to be happy .",
    "who did you believe to be innocent ?",
    "mary tried to go abroad .",
    "everyone hopes to sleep .",
    "john seems to win .",
    "john convinced bill that he had left .",
    "john was convinced that bill had left .",
    "mary persuaded him to leave .",
    "who did you persuade to leave ?",
    "i believe there to be a problem .",
    "we talked about it .",
    "i know that he was sick .",
    "he left in that he was sick .",
    "i am not sure whether to agree .",
    "i prefer that to the other .",
    "gilgamesh did n't eat the honey .",
    "is bill not sick ?",
    "is n't bill sick ?",
    "she was kissed .",
    "the guest has arrived .",
    "they are eager to leave .",
    "who wondered what john bought ?",
    "what did john say that mary bought ?",
    "who saw what ?",
    "what did you buy and where did you go ?",
    "who will be offended if we leave ?",
    "who do you believe invited sara ?",
    "which cake did you see the man bake ?",
    "mary often runs the marathon .",
    "he figured it out .",
    "for patrick to leave is likely .",
    "there was a man in the garden .",
    "she does n't drink much water .",
    "mary is fond of him .",
    "john is unlike him .",
    "this building is taller than that one .",
    "there seems to be a problem .",
    "there darted into the room a little boy .",
    "the committee have resigned .",
    "the committee has resigned .",
    "five pounds is a lot of money .",
    "gwen hurt herself .",
    "tessa and norris met .",
    "bill believes that anna and he are similar .",
    "paula hit at the fence .",
    "the boy kicked at the ball .",
    "she grabbed at the rope .",
    "she looked at the cat .",
    "the cat was touched at the zoo .",
    "what did nora carry at the party ?",
    "the box she carried at the party was heavy .",
    "eat your dinner .",
    "give mary the book .",
    "never have i seen such a thing .",
    "which poems will you write ?",
    "john eats enough cake .",
    "he is old enough .",
]


@pytest.fixture(scope="module")
def program():
    return load_program(str(PROGRAM))


def tokens_of(program, sentence: str) -> tuple:
    return program.tokenizer.encoder(program.vocab).tokenize(sentence).tokens


def judged(program, sentence: str) -> tuple[int, str, bool]:
    tokens = tokens_of(program, sentence)
    values = [evaluate(program.output_expr(name), tokens) for name in ("acceptable", "rule", "covered")]
    assert all(len(set(map(str, v))) == 1 for v in values), f"not one value per sentence: {values}"
    return values[0][0], values[1][0], values[2][0]


@pytest.mark.parametrize("sentence, rule", REJECTED, ids=[s for s, _ in REJECTED])
def test_a_rule_rejects_the_sentence_and_names_itself(program, sentence, rule):
    assert judged(program, sentence) == (0, rule, True)


@pytest.mark.parametrize("sentence", ACCEPTED)
def test_no_rule_rejects_a_grammatical_sentence(program, sentence):
    assert judged(program, sentence) == (1, "-", True)


def test_a_word_outside_the_lexicon_is_not_covered_and_acceptable_by_default(program):
    assert judged(program, "john ate the qwxzzy .") == (1, "not covered", False)
    assert judged(program, "he are qwxzzy .") == (1, "not covered", False)


def test_text_is_cut_as_the_corpus_writes_it(program):
    encoder = program.tokenizer.encoder(program.vocab)
    assert encoder.tokenize("John doesn't like Mary's book.").tokens == (
        "john", "does", "n't", "like", "mary", "'s", "book", ".")


@pytest.mark.slow
def test_the_compiled_model_gives_the_interpreters_verdict_and_rule(program):
    model = compile_program(program, keep=("rule", "covered"))
    sentences = [s for s, _ in REJECTED] + ACCEPTED + ["john ate the qwxzzy ."]
    tokens = [tokens_of(program, s) for s in sentences]
    runner = Runner(model)
    verdicts = runner.run(tokens)
    readings = runner.read(tokens, ["rule", "covered"])
    for sentence, verdict, reading in zip(sentences, verdicts, readings):
        assert (verdict[0], reading["rule"][0], reading["covered"][0]) == judged(program, sentence), sentence
