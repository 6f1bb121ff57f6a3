"""Raw text to tokens, the way a program declares it.

A language program reads words, not characters. How a line of text becomes the
program's tokens is part of the program (its ``@tokenizer`` declaration), so that
``raspc run --text``, ``raspc lens --text`` and ``raspc eval-corpus`` all cut text
the same way; the compiled model keeps the declaration in its settings
(``Tokenizer.to_json``), so a model file tokenises as its source did.

The steps, in order, each switched on by an option:

1. ``html``: HTML entities become their characters (``&amp;`` is ``&``, ``&lt;3``
   is ``<3``), by the standard library's ``html.unescape``.
2. ``emoji``: ``"names"`` writes each emoji as its name in words (the ``emoji``
   package's CLDR names: 😁 is ``beaming face with smiling eyes``), ``"drop"``
   removes it, ``"keep"`` leaves it.
3. ``split``: ``"whitespace"`` cuts at spaces only (punctuation stays on its word:
   ``good!``), ``"words"`` cuts runs of word characters (with inner apostrophes,
   ``don't``) and each other mark on its own, ``"clitics"`` cuts as ``"words"`` and
   then splits English clitics off the way the Penn Treebank (and CoLA) writes them:
   ``don't`` is ``do n't``, ``can't`` is ``ca n't``, ``John's`` is ``John 's``,
   ``I'm`` is ``I 'm``; a clitic written apart (``bill 's``) stays one token.
4. ``strip_punctuation``: leading and trailing ASCII punctuation leaves each word,
   unless at most ``keep_short`` characters would remain, in which case the word
   stays as written: ``(good)`` is ``good`` but ``:)`` stays ``:)``.
5. ``lower``: words are looked up lower-cased. With ``caps``, a word written in
   capitals (``str.isupper``: ``GOOD``, ``I``) becomes its vocabulary word in
   capitals, a token of its own: the program reads the word as ``tokens`` and the
   flag as ``caps`` (staging binds both, see ``caps_form``).
6. ``unknown``: a word outside the vocabulary becomes this token, or, when it
   contains one of the strings of ``unknown_containing``, that string's token
   (``{"n't": "<n't>"}`` keeps the negation of an unlisted ``shouldn't've``).
7. ``marks``: every occurrence of these characters in the text (after steps 1-2)
   is also a token of its own, placed after the words, at most ``max_marks`` of
   each, in the order ``marks`` lists them. Words keep their positions, and a word
   is never read as a mark: a word equal to a mark is unknown.

And back, for a program whose output is text (a translator: each position gives a
chunk of words, maybe none): ``join`` says how ``Tokenizer.detokenized`` joins the
chunks: ``"french"`` with French spacing (no space after an elided ``j'``, none
before ``.`` and ``,``, one before ``!``, ``?``, ``:`` and ``;``, the first letter in
capitals); ``"none"`` (the default) leaves the output a sequence. ``refuse`` names the
chunk by which the program declines a sentence: the joined text is then None.

    >>> tokenizer = Tokenizer.from_options({"strip_punctuation": True, "keep_short": 2,
    ...     "caps": True, "marks": "!", "unknown": "<unk>"})
    >>> encoder = tokenizer.encoder(["good", "movie", "<unk>", "!"])
    >>> encoder.tokenize("a GOOD movie!!").tokens
    ('<unk>', 'GOOD', 'movie', '!', '!')
"""
from __future__ import annotations

import html
import re
import string
from dataclasses import dataclass, fields
from typing import Any, Iterable

import emoji

from raspc.errors import InputError, RaspcError

SPLITS = ("whitespace", "words", "clitics")
JOINS = ("none", "french")
#: Marks French writes with no space before them (``!``, ``?``, ``:``, ``;`` take one).
_NO_SPACE_BEFORE = (".", ",")
EMOJI = ("keep", "names", "drop")
_WORDS = re.compile(r"\w+(?:['\u2019]\w+)*|[^\w\s]")
_CLITIC = r"(?:n['\u2019]t|['\u2019](?:s|m|re|ve|ll|d))\b"
_CLITICS = re.compile(rf"\w+?(?={_CLITIC})|{_CLITIC}|\w+(?:['\u2019]\w+)*|[^\w\s]", re.IGNORECASE)


class TokenizerError(RaspcError):
    """A tokenizer declaration with an unknown option or a value of the wrong kind."""


def caps_form(word: str) -> str | None:
    """The capitals token of a lower-case vocabulary word, or None where there is
    none: a word with no letters to capitalise (``!``, ``123``), or one whose
    capitals do not lower-case back to it (``straße``)."""
    upper = word.upper()
    if word != word.lower() or upper == word or upper.lower() != word:
        return None
    return upper


def word_of(token: str) -> str:
    """The vocabulary word a token stands for (a capitals token's lower case)."""
    return token.lower()


def is_caps(token: str) -> bool:
    """Whether a token is a capitals token (``caps_form`` of its word)."""
    return token != token.lower()


@dataclass(frozen=True)
class Tokenized:
    """One text as tokens. ``words``: what each token was in the text after its
    punctuation was stripped (a mark's is the mark), for showing beside the
    tokens."""

    tokens: tuple[str, ...]
    words: tuple[str, ...]


@dataclass(frozen=True)
class Tokenizer:
    """The options of a ``@tokenizer`` declaration (see the module docstring)."""

    split: str = "whitespace"
    strip_punctuation: bool = False
    keep_short: int = 0
    html: bool = False
    emoji: str = "keep"
    lower: bool = True
    caps: bool = False
    marks: str = ""
    max_marks: int = 4
    unknown: str | None = None
    unknown_containing: tuple[tuple[str, str], ...] = ()
    join: str = "none"
    refuse: str | None = None

    @classmethod
    def from_options(cls, options: dict) -> "Tokenizer":
        """The tokenizer a declaration's dict of options describes; TokenizerError
        naming the option when one is unknown or of the wrong kind."""
        if not isinstance(options, dict):
            raise TokenizerError(f"@tokenizer takes a dict of options, got {options!r}")
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in options.items():
            if key not in known:
                raise TokenizerError(f"unknown tokenizer option {key!r}; options are {', '.join(sorted(known))}")
            values[key] = _checked_option(key, value)
        return cls(**values)

    def to_json(self) -> dict:
        """The options as a JSON object (a model file's settings keep it)."""
        record = {f.name: getattr(self, f.name) for f in fields(self)}
        record["unknown_containing"] = [list(pair) for pair in self.unknown_containing]
        return record

    @classmethod
    def from_json(cls, record: dict) -> "Tokenizer":
        options = dict(record)
        options["unknown_containing"] = {k: v for k, v in record.get("unknown_containing", ())}
        return cls.from_options(options)

    # ------------------------------------------------------------ output text

    @property
    def joins(self) -> bool:
        """Whether the program's output is text to join (``join`` is not "none")."""
        return self.join != "none"

    def detokenized(self, chunks: Iterable[Any]) -> str | None:
        """The output positions' chunks as one text (module docstring), or None where
        a chunk is the ``refuse`` token."""
        chunks = [str(chunk) for chunk in chunks]
        if self.refuse is not None and self.refuse in chunks:
            return None
        text = ""
        for chunk in (c for c in chunks if c):
            if text and not text.endswith("'") and chunk not in _NO_SPACE_BEFORE:
                text += " "
            text += chunk
        return text[:1].upper() + text[1:]

    # ------------------------------------------------------------ vocabulary

    def reserved(self) -> tuple[str, ...]:
        """The tokens the tokenizer itself writes: the unknown tokens and the marks."""
        found = [] if self.unknown is None else [self.unknown]
        found += [token for _, token in self.unknown_containing]
        found += list(self.marks)
        return tuple(dict.fromkeys(found))

    def alphabet(self, vocab: Iterable[Any]) -> tuple[str, ...]:
        """Every token this tokenizer can write over ``vocab``: the words it can
        reach (lower-case ones when it lower-cases), then, with ``caps``, their
        capitals tokens. TokenizerError when a reserved token is missing from
        ``vocab`` or a vocabulary entry is not a string."""
        words = []
        for word in vocab:
            if not isinstance(word, str):
                raise TokenizerError(f"a tokenizer writes strings, but the vocabulary holds {word!r}")
            if not self.lower or word == word.lower():
                words.append(word)
        present = set(words)
        missing = [token for token in self.reserved() if token not in present]
        if missing:
            raise TokenizerError(f"the tokenizer writes {missing[0]!r}, which is not in the vocabulary")
        if not self.caps:
            return tuple(dict.fromkeys(words))
        capitals = [form for form in (caps_form(w) for w in words if w not in self.marks) if form is not None]
        clash = next((form for form in capitals if form in present), None)
        if clash is not None:
            raise TokenizerError(f"the capitals token {clash!r} is also a word of the vocabulary")
        return tuple(dict.fromkeys(words + capitals))

    def encoder(self, vocab: Iterable[Any]) -> "TextEncoder":
        """A tokenizer bound to a vocabulary (``alphabet`` checks it)."""
        alphabet = self.alphabet(vocab)
        return TextEncoder(self, frozenset(w for w in alphabet if not (self.caps and is_caps(w))))

    # ------------------------------------------------------------ the steps

    def clean(self, text: str) -> str:
        """Steps 1-2: entities decoded, emoji named or dropped."""
        if self.html:
            text = html.unescape(text)
        if text.isascii():  # every emoji holds a character beyond ASCII: nothing to look for
            return text
        if self.emoji == "names":
            text = emoji.replace_emoji(text, replace=lambda chars, data: " " + _emoji_words(data) + " ")
        elif self.emoji == "drop":
            text = emoji.replace_emoji(text, replace=" ")
        return text

    def words(self, text: str) -> list[str]:
        """Steps 3-4 on cleaned text: the words, punctuation stripped."""
        pieces = text.split() if self.split == "whitespace" else (
            _CLITICS if self.split == "clitics" else _WORDS).findall(text)
        if not self.strip_punctuation:
            return pieces
        return [piece if len(stripped := piece.strip(string.punctuation)) <= self.keep_short else stripped
                for piece in pieces]


def _emoji_words(data: dict) -> str:
    """An emoji's English name as plain words (``:thumbs_up:`` is ``thumbs up``)."""
    return data.get("en", "").strip(":").replace("_", " ")


@dataclass(frozen=True)
class TextEncoder:
    """A tokenizer with the set of words it may write: text to tokens."""

    tokenizer: Tokenizer
    words: frozenset[str]

    def token(self, word: str) -> str:
        """Steps 5-6 for one word."""
        spec = self.tokenizer
        base = word.lower() if spec.lower else word
        if base not in self.words or base in spec.marks:
            base = next((token for part, token in spec.unknown_containing if part in base), spec.unknown)
            if base is None:
                raise InputError(f"the word {word!r} is not in the vocabulary, and the tokenizer "
                                 f"declares no unknown token")
        if spec.caps and word.isupper():
            return caps_form(base) or base
        return base

    def tokenize(self, text: str) -> Tokenized:
        """The tokens of one text; InputError when it holds no word or mark."""
        spec = self.tokenizer
        cleaned = spec.clean(text)
        words = spec.words(cleaned)
        tokens = [self.token(word) for word in words]
        for mark in spec.marks:
            count = min(cleaned.count(mark), spec.max_marks)
            tokens += [mark] * count
            words += [mark] * count
        if not tokens:
            raise InputError("the text has no words")
        return Tokenized(tuple(tokens), tuple(words))

    def encode(self, text: str, max_len: int) -> Tokenized:
        """``tokenize``, refusing a text of more than ``max_len`` tokens (it is never
        cut short)."""
        found = self.tokenize(text)
        if len(found.tokens) > max_len:
            raise InputError(f"the text has {len(found.tokens)} tokens, more than max_len {max_len}")
        return found


# ------------------------------------------------------------ option checks

def _checked_option(key: str, value: Any) -> Any:
    def need(ok: bool, what: str) -> None:
        if not ok:
            raise TokenizerError(f"tokenizer option {key!r} needs {what}, got {value!r}")

    if key in ("strip_punctuation", "html", "lower", "caps"):
        need(isinstance(value, bool), "True or False")
    elif key in ("keep_short", "max_marks"):
        need(isinstance(value, int) and not isinstance(value, bool) and value >= 0, "a whole number >= 0")
    elif key == "split":
        need(value in SPLITS, f"one of {', '.join(map(repr, SPLITS))}")
    elif key == "emoji":
        need(value in EMOJI, f"one of {', '.join(map(repr, EMOJI))}")
    elif key == "marks":
        need(isinstance(value, str) and len(set(value)) == len(value) and not any(c.isspace() for c in value),
             "a string of distinct characters")
    elif key == "join":
        need(value in JOINS, f"one of {', '.join(map(repr, JOINS))}")
    elif key in ("unknown", "refuse"):
        need(value is None or (isinstance(value, str) and value != ""), "a non-empty string")
    elif key == "unknown_containing":
        need(isinstance(value, dict) and all(isinstance(k, str) and k and isinstance(v, str) and v
                                            for k, v in value.items()),
             "a dict from non-empty strings to tokens")
        value = tuple(value.items())
    return value


def tokenizer_of(settings: dict) -> Tokenizer | None:
    """The tokenizer a model file's settings record, or None."""
    record = settings.get("tokenizer") if isinstance(settings, dict) else None
    return Tokenizer.from_json(record) if record else None
