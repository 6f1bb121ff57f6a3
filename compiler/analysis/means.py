"""Every mean a numerical aggregate can take: the means of multisets of up to
max_len source values, listed exactly while there are few enough of them."""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

from compiler.analysis.values import distinct_sorted

#: Above this many distinct means, a numerical aggregate's value set is left unknown.
MAX_MEAN_VALUES = 5_000


def mean_values(source: tuple[Any, ...], default: Any, max_len: int,
                limit: int = MAX_MEAN_VALUES) -> tuple[tuple[Any, ...], bool]:
    """Every mean of a multiset of 1..max_len source values, plus the default.

    Exact: the values are scaled to integers over a common denominator D, so a sum
    of k of them is an integer t and the mean is ``t / (k D)``, kept as a reduced
    pair, so that two equal means are one value. The sums of k values are a bitset
    (bit t set when t is reachable), each count's set one shift-and-or of the
    previous one per value: linear in max_len times the span of the sums, where
    adding every value to every sum would be quadratic. Returns (values, known).
    """
    exact = [Fraction(v) for v in distinct_sorted(source)]
    if not exact:
        return distinct_sorted([default]), True
    if len(exact) > limit or (max_len > 1 and _pair_means_surely_exceed(exact, 8 * limit)):
        return (), False  # every source value is a mean, and so is every pair's
    denominator = 1
    for value in exact:
        denominator = denominator * value.denominator // math.gcd(denominator, value.denominator)
    scaled = sorted({int(value * denominator) for value in exact})
    low = scaled[0]
    offsets = [v - low for v in scaled]
    means: set[tuple[int, int]] = set()
    if offsets[-1] * max_len > 50_000_000:  # too wide for a bitset: plain sets of sums
        sums = {0}
        for count in range(1, max_len + 1):
            sums = {t + o for t in sums for o in offsets}
            if len(sums) > limit * 4:
                return (), False
            _add_means(means, sums, count, low, denominator)
            if len(means) > limit:
                return (), False
    else:
        reach = 1  # bit t: some multiset of the counted size has offset sum t
        for count in range(1, max_len + 1):
            grown = 0
            for offset in offsets:
                grown |= reach << offset
            reach = grown
            if reach.bit_count() > limit * 4:
                return (), False
            _add_means(means, _bits(reach), count, low, denominator)
            if len(means) > limit:
                return (), False
    single = {(Fraction(v).numerator, Fraction(v).denominator): v for v in source}
    values = [single.get(key, key[0] / key[1]) for key in means]
    return distinct_sorted(values + [default]), True


def _bits(number: int):
    """The positions of the set bits of a non-negative integer, ascending."""
    while number:
        lowest = number & -number
        yield lowest.bit_length() - 1
        number ^= lowest


def _add_means(means: set, sums, count: int, low: int, denominator: int) -> None:
    """Add ``(count * low + t) / (count * denominator)`` for every offset sum t, reduced."""
    base, scale = count * low, count * denominator
    for t in sums:
        numerator = base + t
        common = math.gcd(numerator, scale)
        means.add((numerator // common, scale // common))


def _pair_means_surely_exceed(exact: list[Fraction], bound: int) -> bool:
    """Whether the means of two source values alone surely number more than
    ``bound``: counted in floats rounded to nine digits, which can merge distinct
    means or, at a rounding boundary, split an equal pair in two, so the count is
    trusted only well past the bound (``bound`` is eight times the limit). Saves
    listing millions of sums of values with long binary fractions."""
    if len(exact) * (len(exact) + 1) // 2 <= bound:
        return False
    values = np.array([float(v) for v in exact])
    upper = np.triu_indices(len(values))
    sums = np.round((values[upper[0]] + values[upper[1]]) / 2, 9)
    return len(np.unique(sums)) > 2 * bound
