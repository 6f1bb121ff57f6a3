"""``--text``: raw text cut into tokens by the program's (or model file's) tokenizer.

``raspc run``, ``raspc lens`` and ``raspc eval-corpus`` cut text the same way:
through the ``@tokenizer`` of the program, or the one a compiled model's settings
recorded (``raspc.text``), over the vocabulary the model was compiled for.
"""
from __future__ import annotations

import argparse

from raspc.errors import InputError
from raspc.text import TextEncoder, Tokenized, Tokenizer, tokenizer_of
from runtime.model import Model


def program_encoder(program, source: str) -> TextEncoder:
    """The encoder of a staged program's ``@tokenizer`` over its vocabulary."""
    if program.tokenizer is None:
        raise InputError(f"{source} declares no @tokenizer, so it cannot read --text; give --input or --words")
    return program.tokenizer.encoder(program.vocab or ())


def model_encoder(model: Model, source: str) -> TextEncoder:
    """The encoder a model file recorded, over the model's vocabulary (BOS left out)."""
    tokenizer: Tokenizer | None = tokenizer_of(model.settings)
    if tokenizer is None:
        raise InputError(f"{source} records no tokenizer (its program declared none), so it cannot read --text")
    return tokenizer.encoder(model.config.vocab[1:])


def text_tokens(args: argparse.Namespace, encoder: TextEncoder, max_len: int | None) -> tuple | None:
    """The tokens of ``--text`` (None when it was not given); a text longer than
    ``max_len`` tokens is refused, never cut."""
    text = getattr(args, "text", None)
    if text is None:
        return None
    found: Tokenized = encoder.encode(text, max_len) if max_len else encoder.tokenize(text)
    return found.tokens
