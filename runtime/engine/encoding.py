"""One input to token ids, BOS first, and the two sentinel values of padding; no JAX,
so that a few inputs run without it (``runtime.engine.small``)."""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Sequence

import numpy as np

from raspc.errors import InputError
from runtime.model import ModelConfig, token_key

#: The token id of a padded position.
PAD = -1
#: The attention score of a padded key: its softmax weight is exactly zero.
MASKED = -1e9


# ------------------------------------------------------------------ encoding

def _shown(token: Any) -> str:
    return token if isinstance(token, str) else repr(token)


def encode(config: ModelConfig, tokens: Sequence[Any]) -> np.ndarray:
    """Token ids with BOS (id 0) first; an InputError for a bad input."""
    if isinstance(tokens, str):
        tokens = tuple(tokens)
    tokens = tuple(tokens)
    if not tokens:
        raise InputError("the input is empty; RASP sequences have at least one token")
    if len(tokens) > config.max_len:
        raise InputError(f"the input has {len(tokens)} tokens, more than max_len {config.max_len}")
    ids_of = _token_ids(config.vocab)
    ids = [0]
    for position, token in enumerate(tokens):
        found = ids_of.get(token_key(token))
        if found is None:
            listed = config.vocab[1:]
            shown = ", ".join(_shown(t) for t in listed[:20]) + (f", ... ({len(listed)} tokens)"
                                                                 if len(listed) > 20 else "")
            raise InputError(
                f"token {token!r} at position {position} is not in the vocabulary {{{shown}}}")
        ids.append(found)
    return np.asarray(ids, np.int32)


@lru_cache(maxsize=8)
def _token_ids(vocab: tuple) -> dict:
    """Each token's id (its first place in ``vocab``, BOS at 0 left out): a
    vocabulary of words is looked up in constant time per token."""
    ids: dict = {}
    for k, token in enumerate(vocab[1:], start=1):
        ids.setdefault(token_key(token), k)
    return ids
