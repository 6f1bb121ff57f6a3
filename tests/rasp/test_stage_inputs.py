"""Input literals for the command line: rasp.inputs."""
from __future__ import annotations

import pytest

from raspc.errors import InputError
from rasp.inputs import parse_input, parse_vocab, parse_words


@pytest.mark.parametrize("text, expected", [
    ("abc", ("a", "b", "c")),
    ("a b", ("a", " ", "b")),
    ('"abc"', ("a", "b", "c")),
    ("[3,1,2]", (3, 1, 2)),
    ("[3, 1, 2]", (3, 1, 2)),
    ("  [ 3 , 1 ]  ", (3, 1)),
    ('["the","cat"]', ("the", "cat")),
    ('["a, b", "c"]', ("a, b", "c")),
    ("['x', 'y']", ("x", "y")),
    ("[1.5, 2.0]", (1.5, 2.0)),
    ("[True, False]", (True, False)),
    ("[-1, +2]", (-1, 2)),
    ("[1e3]", (1000.0,)),
    ("([)", ("(", "[", ")")),
    ("12", ("1", "2")),
])
def test_parse_input(text, expected):
    result = parse_input(text)
    assert result == expected
    assert [type(v) for v in result] == [type(v) for v in expected]


@pytest.mark.parametrize("text, fragment", [
    ("", "empty"),
    ("[]", "empty"),
    ("[1, 2", "']'"),
    ("[1,,2]", "expected a token"),
    ("[1 2]", "expected ',' or ']'"),
    ("[abc]", "cannot read 'abc'"),
    ('""', "empty"),
])
def test_parse_input_errors(text, fragment):
    with pytest.raises(InputError) as caught:
        parse_input(text)
    assert fragment in caught.value.message


def test_parse_words():
    assert parse_words("the cat  sleeps ") == ("the", "cat", "sleeps")
    with pytest.raises(InputError):
        parse_words("   ")


@pytest.mark.parametrize("text, expected", [
    ("abc", ("a", "b", "c")),
    ("abca", ("a", "b", "c")),
    ("[0, 1, 2]", (0, 1, 2)),
    ('{"a", "b"}', ("a", "b")),
    ('["the", "cat"]', ("the", "cat")),
])
def test_parse_vocab(text, expected):
    assert parse_vocab(text) == expected


def test_parse_vocab_empty():
    with pytest.raises(InputError):
        parse_vocab("")
