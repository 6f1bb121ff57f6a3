"""Text to tokens (``raspc.text``): each step worked by hand, and VADER's own word
splitting (the ``vaderSentiment`` package) as an independent reference."""
from __future__ import annotations

from pathlib import Path

import pytest

from raspc.errors import InputError
from raspc.text import Tokenizer, TokenizerError, caps_form, is_caps, word_of

TWEETS = Path("/work/shared/data/sentiment/tweets_GroundTruth.txt")
if not TWEETS.exists():
    TWEETS = Path(__file__).resolve().parents[3] / "shared/data/sentiment/tweets_GroundTruth.txt"

VADER_LIKE = {"strip_punctuation": True, "keep_short": 2, "caps": True, "marks": "!?", "unknown": "<unk>",
              "unknown_containing": {"n't": "<n't>"}}


def encoder(options: dict, vocab):
    return Tokenizer.from_options(options).encoder(vocab)


def test_whitespace_split_strips_punctuation_but_keeps_emoticons():
    tokenizer = Tokenizer.from_options({"strip_punctuation": True, "keep_short": 2})
    assert tokenizer.words("(good), :) ok. wow!!! ...") == ["good", ":)", "ok.", "wow", "..."]


def test_words_split_cuts_marks_off_and_keeps_contractions():
    tokenizer = Tokenizer.from_options({"split": "words"})
    assert tokenizer.words("I don't like it, really!") == ["I", "don't", "like", "it", ",", "really", "!"]


def test_clitics_split_cuts_english_clitics_off_as_the_penn_treebank_does():
    tokenizer = Tokenizer.from_options({"split": "clitics"})
    assert tokenizer.words("I don't think John's car can't go; we're sure.") == [
        "I", "do", "n't", "think", "John", "'s", "car", "ca", "n't", "go", ";", "we", "'re", "sure", "."]
    # CoLA's own text, already cut, is cut the same way again.
    assert tokenizer.words("bill 's friends wo n't go .") == ["bill", "'s", "friends", "wo", "n't", "go", "."]
    assert tokenizer.words("won't rock'n'roll") == ["wo", "n't", "rock'n'roll"]


def test_html_entities_are_decoded_before_splitting():
    found = encoder({"html": True, "unknown": "<unk>"}, ["<3", "you", "&", "<unk>"]).tokenize("&lt;3 you &amp; me")
    assert found.tokens == ("<3", "you", "&", "<unk>")


def test_emoji_become_their_names_as_words():
    vocab = ["i", "face", "with", "tears", "of", "joy", "<unk>"]
    found = encoder({"emoji": "names", "unknown": "<unk>"}, vocab).tokenize("i 😂")
    assert found.tokens == ("i", "face", "with", "tears", "of", "joy")
    dropped = encoder({"emoji": "drop", "unknown": "<unk>"}, vocab).tokenize("i😂")
    assert dropped.tokens == ("i",)


def test_capitals_are_tokens_of_their_own_and_read_back_as_word_and_flag():
    found = encoder(VADER_LIKE, ["good", "movie", "<unk>", "<n't>", "!", "?"]).tokenize("a GOOD Movie")
    assert found.tokens == ("<unk>", "GOOD", "movie")
    assert [word_of(t) for t in found.tokens] == ["<unk>", "good", "movie"]
    assert [is_caps(t) for t in found.tokens] == [False, True, False]
    assert encoder(VADER_LIKE, ["good", "<unk>", "<n't>", "!", "?"]).tokenize("I").tokens == ("<UNK>",)


def test_caps_form_exists_only_where_it_reads_back():
    assert caps_form("good") == "GOOD"
    assert caps_form("123") is None and caps_form("!") is None and caps_form("Good") is None
    assert caps_form("straße") is None  # STRASSE lower-cases to strasse


def test_unknown_words_and_unknown_words_containing_a_part():
    found = encoder(VADER_LIKE, ["good", "<unk>", "<n't>", "!", "?"]).tokenize("good shouldn't've zzz")
    assert found.tokens == ("good", "<n't>", "<unk>")
    assert found.words == ("good", "shouldn't've", "zzz")


def test_marks_are_counted_after_the_words_up_to_the_limit():
    found = encoder(VADER_LIKE, ["good", "<unk>", "<n't>", "!", "?"]).tokenize("good!!!!!! really?? !")
    assert found.tokens == ("good", "<unk>", "<unk>") + ("!",) * 4 + ("?",) * 2


def test_a_word_is_never_read_as_a_mark():
    found = encoder(VADER_LIKE, ["<unk>", "<n't>", "!", "?"]).tokenize("?")
    assert found.tokens == ("<unk>", "?")


def test_without_an_unknown_token_an_unlisted_word_is_an_input_error():
    with pytest.raises(InputError, match="'cat' is not in the vocabulary"):
        encoder({}, ["dog"]).tokenize("cat")


def test_empty_and_long_texts_are_refused_never_cut():
    enc = encoder({"unknown": "<unk>"}, ["<unk>"])
    with pytest.raises(InputError, match="no words"):
        enc.tokenize("   ")
    with pytest.raises(InputError, match="3 tokens, more than max_len 2"):
        enc.encode("a b c", max_len=2)


def test_alphabet_adds_capitals_and_checks_reserved_tokens():
    tokenizer = Tokenizer.from_options(VADER_LIKE)
    assert tokenizer.alphabet(["good", ":)", ":D", "<unk>", "<n't>", "!", "?"]) == (
        "good", ":)", "<unk>", "<n't>", "!", "?", "GOOD", "<UNK>", "<N'T>")
    with pytest.raises(TokenizerError, match="<n't>"):
        tokenizer.alphabet(["good", "<unk>", "!", "?"])


@pytest.mark.parametrize("options, message", [
    ({"colour": True}, "unknown tokenizer option 'colour'"),
    ({"split": "lines"}, "one of 'whitespace', 'words'"),
    ({"caps": 1}, "True or False"),
    ({"keep_short": -1}, "a whole number"),
    ({"marks": "!!"}, "distinct characters"),
    ({"unknown_containing": {"": "<x>"}}, "non-empty strings"),
])
def test_bad_options_are_named(options, message):
    with pytest.raises(TokenizerError, match=message):
        Tokenizer.from_options(options)


def test_options_survive_a_round_trip_through_json():
    tokenizer = Tokenizer.from_options(VADER_LIKE)
    assert Tokenizer.from_json(tokenizer.to_json()) == tokenizer


@pytest.mark.skipif(not TWEETS.exists(), reason="the VADER tweets are not on this machine")
def test_words_match_vader_on_every_tweet():
    """VADER's own split (``SentiText``) and caps test, on the 4,200 tweets as written."""
    vader = pytest.importorskip("vaderSentiment.vaderSentiment")
    tokenizer = Tokenizer.from_options(VADER_LIKE)
    for line in TWEETS.read_text(encoding="utf-8").splitlines():
        text = line.split("\t")[2]
        expected = vader.SentiText(text).words_and_emoticons
        assert tokenizer.words(tokenizer.clean(text)) == expected, text


def test_chunks_join_with_french_spacing_worked_by_hand():
    french = Tokenizer.from_options({"join": "french", "refuse": "[untranslatable]"})
    assert french.joins and not Tokenizer().joins
    assert french.detokenized(["elle n'a", "", "pas", "faim", "."]) == "Elle n'a pas faim."
    assert french.detokenized(["je suis", "", "à la maison", "!"]) == "Je suis à la maison !"
    assert french.detokenized(["j'", "ai", "froid", ",", "non", "?"]) == "J'ai froid, non ?"
    assert french.detokenized(["[untranslatable]", "[untranslatable]"]) is None
    with pytest.raises(TokenizerError, match="'join'"):
        Tokenizer.from_options({"join": "german"})
    assert Tokenizer.from_json(french.to_json()) == french
