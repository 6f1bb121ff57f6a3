"""Labelled data for training: inputs, encoded as token ids, with their targets.

Inputs are sampled over the model's vocabulary with lengths spread evenly over
1..max_len, every input distinct, and cut into training, validation and test sets
that share no input. Labels come from a function the caller passes (the
reference interpreter, a compiled model): this module never evaluates a program.
A corpus of given (input, output) pairs is cut the same way (``split_pairs``),
and so is a corpus of inputs alone, labelled like sampled ones (``inputs_dataset``).

A set is held as arrays ready for the forward pass: ``ids`` (BOS, then the
tokens, then PAD), ``targets`` (the index of each position's output value for a
categorical output, the number for a numerical one) and ``mask`` (the positions
that count: 1..n).

    >>> train, validation, test = sample_inputs(("a", "b"), 3, (4, 2, 2), seed=0)
    >>> len(set(train) | set(validation) | set(test))
    8
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from raspc.errors import InputError
from runtime.engine.batching import PAD, encode
from runtime.model import CATEGORICAL, ModelConfig

Labeller = Callable[[Sequence[tuple]], list[list[Any]]]


@dataclass(frozen=True)
class Split:
    """One set of labelled inputs as arrays (see the module docstring)."""

    inputs: tuple[tuple, ...]
    ids: np.ndarray
    targets: np.ndarray
    mask: np.ndarray

    def __len__(self) -> int:
        return len(self.inputs)

    @property
    def lengths(self) -> np.ndarray:
        return self.mask.sum(axis=1)


@dataclass(frozen=True)
class Dataset:
    """Three disjoint sets. ``balance_lengths``: whether training batches draw
    every input length equally often (inputs sampled over the vocabulary, where a
    short length holds few distinct inputs), or every training input equally often
    (a corpus of sentences, whose lengths are the language's own: 3,117 tweets hold
    one of length 1 and thousands of lengths 8 to 20)."""

    train: Split
    validation: Split
    test: Split
    balance_lengths: bool = True

    @property
    def digest(self) -> str:
        """A digest of every set's ids and targets: two runs saw the same data
        exactly when their digests agree."""
        digest = hashlib.sha256()
        for split in (self.train, self.validation, self.test):
            for array in (split.ids, split.targets, split.mask):
                digest.update(f"{array.dtype.str}{array.shape}".encode())
                digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "validation": len(self.validation), "test": len(self.test)}


# ------------------------------------------------------------------ sampling

def _quotas(total: int, max_len: int, vocab_size: int) -> list[int]:
    """How many inputs of each length 1..max_len: as even as the number of
    distinct inputs of each length allows (what a short length cannot hold goes to
    the longer ones)."""
    capacity = [vocab_size ** length for length in range(1, max_len + 1)]
    if sum(min(c, total) for c in capacity) < total:
        raise InputError(f"cannot draw {total} distinct inputs: there are only {sum(capacity)} "
                         f"of length 1..{max_len} over {vocab_size} tokens")
    quotas = [0] * max_len
    left = total
    for k in range(max_len):
        share = -(-left // (max_len - k))
        quotas[k] = min(share, capacity[k])
        left -= quotas[k]
    # Lengths are visited shortest first, so whatever a short length could not hold
    # was carried forward; a remainder is left only when the longest lengths are full.
    k = max_len - 1
    while left > 0:
        extra = min(left, capacity[k] - quotas[k])
        quotas[k] += extra
        left -= extra
        k -= 1
    return quotas


def _distinct(rng: np.random.Generator, vocab_size: int, length: int, count: int) -> np.ndarray:
    """``count`` distinct sequences (rows of token indices) of one length."""
    capacity = vocab_size ** length
    if count * 4 >= capacity:
        chosen = rng.permutation(capacity)[:count]
        digits = vocab_size ** np.arange(length - 1, -1, -1)
        return (chosen[:, None] // digits[None, :]) % vocab_size
    found: dict[bytes, np.ndarray] = {}
    while len(found) < count:
        draws = rng.integers(0, vocab_size, size=(2 * (count - len(found)), length))
        for row in draws:
            found.setdefault(row.tobytes(), row)
            if len(found) == count:
                break
    return np.stack(list(found.values()))


def feasible_sizes(sizes: Sequence[int], vocab_size: int, max_len: int) -> tuple[int, ...]:
    """(train, validation, test) sizes that fit in the number of distinct inputs:
    unchanged when they do; otherwise the validation and test sets take at most a
    tenth and a fifth of all inputs, and the training set the rest (dyck1 at
    max_len 10 has 2,046 inputs in all)."""
    available = sum(vocab_size ** length for length in range(1, max_len + 1))
    train, validation, test = sizes
    if train + validation + test <= available:
        return tuple(sizes)
    validation = max(1, min(validation, available // 10))
    test = max(1, min(test, available // 5))
    return (min(train, available - validation - test), validation, test)


def _apportion(count: int, sizes: Sequence[int]) -> list[int]:
    """``count`` items shared among sets in proportion to ``sizes`` (largest remainder)."""
    total = sum(sizes)
    exact = [count * s / total for s in sizes]
    shares = [int(e) for e in exact]
    for k in sorted(range(len(sizes)), key=lambda k: shares[k] - exact[k])[:count - sum(shares)]:
        shares[k] += 1
    return shares


def sample_inputs(vocab: Sequence[Any], max_len: int, sizes: Sequence[int], seed: int) -> list[list[tuple]]:
    """Distinct inputs for each set (``sizes``: how many each), no input in two
    sets, lengths spread evenly over 1..max_len within every set."""
    rng = np.random.default_rng(seed)
    vocab = tuple(vocab)
    total = sum(sizes)
    pool: list[np.ndarray] = []
    for length, quota in enumerate(_quotas(total, max_len, len(vocab)), start=1):
        if quota:
            pool += list(_distinct(rng, len(vocab), length, quota))
    # Deal the pool, shortest inputs first, to the set furthest behind its share:
    # every set gets its size exactly and the same spread of lengths.
    sets: list[list[tuple]] = [[] for _ in sizes]
    for dealt, row in enumerate(pool):
        k = max(range(len(sizes)), key=lambda k: sizes[k] * (dealt + 1) / total - len(sets[k]))
        sets[k].append(tuple(vocab[int(t)] for t in row))
    for members in sets:
        order = rng.permutation(len(members))
        members[:] = [members[int(k)] for k in order]
    return sets


def split_pairs(pairs: Sequence[tuple[tuple, list]], sizes: Sequence[int], seed: int) -> list[list[tuple[tuple, list]]]:
    """A corpus of (input, output) pairs cut into disjoint sets: repeated inputs
    kept once, shuffled by ``seed``; each set takes its size in turn (the validation
    and test sets first, so that a small corpus still has held-out data), the
    training set what remains up to its size."""
    unique: dict[tuple, tuple[tuple, list]] = {}
    for tokens, output in pairs:
        unique.setdefault(tuple(tokens), (tuple(tokens), list(output)))
    return _cut(list(unique.values()), sizes, seed)


def split_inputs(inputs: Sequence[tuple], sizes: Sequence[int], seed: int) -> list[list[tuple]]:
    """Given inputs (a corpus of sentences as tokens, no outputs) cut into
    disjoint sets as ``split_pairs`` cuts pairs: repeats kept once, shuffled by
    ``seed``, held-out sets first."""
    return _cut(list(dict.fromkeys(tuple(tokens) for tokens in inputs)), sizes, seed)


def _cut(members: list, sizes: Sequence[int], seed: int) -> list[list]:
    """Distinct ``members`` shuffled by ``seed`` and dealt: the held-out sets
    (``sizes[1:]``) take their sizes first, the training set what remains up to
    ``sizes[0]``; too small a corpus holds out a fifth, shared as asked."""
    order = np.random.default_rng(seed).permutation(len(members))
    members = [members[int(k)] for k in order]
    train_size, *held_sizes = sizes
    held_total = sum(held_sizes)
    if held_total >= len(members):
        held_sizes = _apportion(max(len(members) // 5, len(held_sizes)), held_sizes)
    cut, start = [], 0
    for size in held_sizes:
        cut.append(members[start:start + size])
        start += size
    train = members[start:start + train_size]
    if not train:
        raise InputError(f"the corpus has {len(members)} distinct inputs: too few to train on")
    return [train] + cut


# ------------------------------------------------------------------ encoding

def _same_value(a: Any, b: Any) -> bool:
    """Values as RASP sees them: a bool is not an int, an int is not a string."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def value_index(config: ModelConfig, value: Any) -> int:
    """The column of ``unembed`` that stands for ``value`` (categorical output)."""
    for k, candidate in enumerate(config.output_values):
        if _same_value(candidate, value):
            return k
    shown = ", ".join(repr(v) for v in config.output_values)
    raise InputError(f"output value {value!r} is not one the model can give ({shown})")


def encode_split(config: ModelConfig, inputs: Sequence[tuple], outputs: Sequence[Sequence[Any]]) -> Split:
    """Inputs and their outputs as arrays (InputError for an input the model
    cannot take, or an output of the wrong length or value)."""
    width = config.max_len + 1
    count = len(inputs)
    ids = np.full((count, width), PAD, np.int32)
    categorical = config.output_encoding == CATEGORICAL
    targets = np.zeros((count, width), np.int32 if categorical else np.float32)
    mask = np.zeros((count, width), bool)
    for row, (tokens, output) in enumerate(zip(inputs, outputs)):
        encoded = encode(config, tokens)
        if len(output) != len(tokens):
            raise InputError(f"the output for input {list(tokens)} has {len(output)} values, "
                             f"not one per token ({len(tokens)})")
        ids[row, :len(encoded)] = encoded
        mask[row, 1:len(encoded)] = True
        for position, value in enumerate(output, start=1):
            targets[row, position] = value_index(config, value) if categorical else float(value)
    return Split(tuple(tuple(t) for t in inputs), ids, targets, mask)


def labelled_dataset(config: ModelConfig, label: Labeller, sizes: Sequence[int], seed: int,
                     label_train: Labeller | None = None) -> Dataset:
    """Sampled inputs (``sample_inputs``) labelled by ``label``, as three Splits;
    ``label_train``, where given, labels the training set instead (a fast labeller
    for the many training inputs, the reference for the held-out ones)."""
    vocab = config.vocab[1:]
    sets = sample_inputs(vocab, config.max_len, sizes, seed)
    labellers = [label_train or label, label, label]
    return Dataset(*(encode_split(config, inputs, by(inputs)) for inputs, by in zip(sets, labellers)))


def corpus_dataset(config: ModelConfig, pairs: Sequence[tuple[tuple, list]], sizes: Sequence[int],
                   seed: int) -> Dataset:
    """A corpus of (input, output) pairs as three Splits (``split_pairs``)."""
    sets = split_pairs(pairs, sizes, seed)
    return Dataset(*(encode_split(config, [p[0] for p in s], [p[1] for p in s]) for s in sets))


def inputs_dataset(config: ModelConfig, inputs: Sequence[tuple], label: Labeller, sizes: Sequence[int],
                   seed: int, label_train: Labeller | None = None) -> Dataset:
    """Given inputs (``split_inputs``) labelled as sampled ones are
    (``labelled_dataset``): a corpus of sentences whose outputs the program gives."""
    sets = split_inputs(inputs, sizes, seed)
    labellers = [label_train or label, label, label]
    return Dataset(*(encode_split(config, members, by(members)) for members, by in zip(sets, labellers)),
                   balance_lengths=False)
