"""Input literals as the command line takes them.

A RASP program runs on a sequence of atoms. On the command line that sequence is
written the way the original REPL takes an example: a bare string is one token per
character, a bracketed list is one token per element::

    >>> parse_input("abc")
    ('a', 'b', 'c')
    >>> parse_input("[3, 1, 2]")
    (3, 1, 2)
    >>> parse_input('["the", "cat"]')
    ('the', 'cat')
    >>> parse_words("the cat  sleeps")
    ('the', 'cat', 'sleeps')

A malformed literal is a ``InputError`` that says what was wrong and where.
"""
from __future__ import annotations

import re

from raspc.errors import InputError

_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?|[+-]?[0-9]+[eE][+-]?[0-9]+")
_ITEM = re.compile(r'\s*("[^"]*"|\'[^\']*\'|[^,\]\s]+)\s*')


def parse_atom(text: str):
    """One element of a list literal: a quoted string, a number, ``True``/``False``."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    if text in ("True", "False"):
        return text == "True"
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    raise InputError(
        f"cannot read {text!r} as a token: write strings in double quotes, "
        "numbers as digits, or True/False")


def _parse_list(text: str) -> tuple:
    body = text.strip()
    if not body.endswith("]"):
        raise InputError(f"list input {text!r} is missing its closing ']'")
    inner = body[1:-1]
    if not inner.strip():
        return ()
    items = []
    position = 0
    while True:
        match = _ITEM.match(inner, position)
        if match is None:
            raise InputError(
                f"cannot read list input {text!r}: expected a token at character {position + 2}")
        items.append(parse_atom(match.group(1)))
        position = match.end()
        if position == len(inner):
            return tuple(items)
        if inner[position] != ",":
            raise InputError(
                f"cannot read list input {text!r}: expected ',' or ']' at character {position + 2}")
        position += 1


def parse_input(text: str) -> tuple:
    """A command-line input literal as a tuple of tokens (see the module docstring).

    A string in double quotes (``"abc"``) is also one token per character, as in
    RASP source. The result is never empty.
    """
    if text is None:
        raise InputError("no input given")
    stripped = text.strip()
    if stripped.startswith("["):
        tokens = _parse_list(stripped)
    elif len(stripped) >= 2 and stripped[0] == stripped[-1] == '"':
        tokens = tuple(stripped[1:-1])
    else:
        tokens = tuple(text)
    if not tokens:
        raise InputError("the input is empty: RASP sequences must be non-empty")
    return tokens


def parse_words(text: str) -> tuple[str, ...]:
    """Whitespace-separated words, one token each (``--words "the cat sleeps"``)."""
    words = tuple(text.split()) if text is not None else ()
    if not words:
        raise InputError("--words got no words: RASP sequences must be non-empty")
    return words


def parse_vocab(text: str) -> tuple:
    """A vocabulary: ``abc`` is its characters, a list literal its elements.

    Repeated tokens are kept once, in first-seen order.
    """
    stripped = (text or "").strip()
    if stripped.startswith("["):
        tokens = _parse_list(stripped)
    elif stripped.startswith("{") and stripped.endswith("}"):
        tokens = _parse_list("[" + stripped[1:-1] + "]")
    elif len(stripped) >= 2 and stripped[0] == stripped[-1] == '"':
        tokens = tuple(stripped[1:-1])
    else:
        tokens = tuple(text or "")
    if not tokens:
        raise InputError("the vocabulary is empty")
    return tuple(dict.fromkeys(tokens))
