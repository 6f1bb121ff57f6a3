"""The bundled programs' tasks, each defined in plain Python from its description.

Each function is written from what the program claims to compute, independently of
RASP, so that programs/*.rasp are checked against their claims and not against
themselves. Every program is defined on every input over its vocabulary (the few that
have a natural domain, such as ``long_addition`` and ``sort_unique``, say in their
header what they answer outside it, and the Python task says the same).

``TASKS`` is the table the tests (tests/programs/test_programs.py) and
scripts/programs_table.py (programs/README.md's table) both read; ``SMALL_VOCAB`` the
4-token subsets over which the short inputs are exhaustive.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Callable, Sequence

from tests.programs.inputs import addition_inputs, dyck_inputs, unique_inputs

# ------------------------------------------------------------ the tasks in Python

def length_of(s: Sequence) -> list:
    return [len(s)] * len(s)


def reversed_tokens(s: Sequence) -> list:
    return list(s)[::-1]


def histogram(s: Sequence) -> list:
    return [list(s).count(t) for t in s]


def double_histogram(s: Sequence) -> list:
    counts = Counter(s)
    return [sum(1 for other in counts if counts[other] == counts[t]) for t in s]


def sorted_tokens(s: Sequence) -> list:
    return sorted(s)


def first_positions(s: Sequence) -> dict:
    first: dict = {}
    for position, token in enumerate(s):
        first.setdefault(token, position)
    return first


def most_frequent_first(s: Sequence) -> list:
    counts = Counter(s)
    first = first_positions(s)
    order = sorted(first, key=lambda token: (-counts[token], first[token]))
    return order + ["_"] * (len(s) - len(order))


def fraction_of_a_so_far(s: Sequence) -> list:
    return [sum(1 for t in s[: i + 1] if t == "a") / (i + 1) for i in range(len(s))]


def bracket_labels(pairs: dict[str, str]) -> Callable[[Sequence], list]:
    """T/P/F per prefix with a stack: balanced / still completable / broken."""

    def labels(s: Sequence) -> list:
        stack: list[str] = []
        broken = False
        out = []
        for token in s:
            if not broken:
                if token in pairs:
                    stack.append(token)
                elif stack and pairs[stack[-1]] == token:
                    stack.pop()
                else:
                    broken = True
            out.append("F" if broken else ("T" if not stack else "P"))
        return out

    return labels


def count_of_a(s: Sequence) -> list:
    return [list(s).count("a")] * len(s)


def shifted_by_two(s: Sequence) -> list:
    return (["_"] * 2 + list(s))[: len(s)]


def is_palindrome(s: Sequence) -> list:
    return [list(s) == list(s)[::-1]] * len(s)


def bigram_counts(s: Sequence) -> list:
    padded = [object()] + list(s)  # a start marker equal to nothing else
    bigrams = list(zip(padded, padded[1:]))
    return [bigrams.count(b) for b in bigrams]


def after_previous_occurrence(s: Sequence) -> list:
    out = []
    for i, token in enumerate(s):
        earlier = [j for j in range(i) if s[j] == token]
        out.append(s[earlier[-1] + 1] if earlier else "_")
    return out


def strict_majority(s: Sequence) -> list:
    counts = Counter(s)
    winners = [t for t in counts if 2 * counts[t] > len(s)]
    return [winners[0] if winners else "-"] * len(s)


def maximum_everywhere(s: Sequence) -> list:
    return [max(s)] * len(s)


def minimum_everywhere(s: Sequence) -> list:
    return [min(s)] * len(s)


def spread_everywhere(s: Sequence) -> list:
    return [max(s) - min(s)] * len(s)


def sum_digits_right_aligned(s: Sequence) -> list:
    """The digits of a + b for an input "a+b", right-aligned with the input; an empty
    operand is 0. An input without exactly one "+" is not a sum: all zeros."""
    text = "".join(s)
    n = len(s)
    if text.count("+") != 1:
        return [0] * n
    a, b = text.split("+")
    total = int(a or "0") + int(b or "0")
    return [(total // 10 ** (n - 1 - i)) % 10 for i in range(n)]


def placed_by_rank(s: Sequence) -> list:
    """Each distinct token at the index that counts the tokens smaller than it (its
    place in ascending order when all tokens differ); indices no token claims hold 0."""
    out = [0] * len(s)
    for token in set(s):
        out[sum(1 for other in s if other < token)] = token
    return out


def distinct_in_order(s: Sequence) -> list:
    order = list(first_positions(s))
    return order + ["_"] * (len(s) - len(order))


def nesting_depth(s: Sequence) -> list:
    depth, out = 0, []
    for token in s:
        depth += 1 if token == "(" else -1 if token == ")" else 0
        out.append(depth)
    return out



#: A 4-token subset of the vocabularies larger than 4, for the exhaustive inputs up to
#: length 5: the digits 0, 1 and 9 with "+" make overflows (9+1) and carries that ripple
#: through 9s (99+1); the numbers are spread over the declared range.
SMALL_VOCAB: dict[str, tuple] = {
    "long_addition.rasp": ("0", "1", "9", "+"),
    "max_min.rasp": (0, 3, 7, 9),
    "sort_unique.rasp": (0, 5, 12, 19),
}


# ------------------------------------------------------------------ the table

@dataclass(frozen=True)
class Task:
    """One program, the Python function it must agree with, and how to sample inputs.

    ``inputs(vocab, max_len, seed)`` returns the inputs to check at that max_len;
    ``paper`` is the paper's (layers, heads) for its tasks.
    """

    file: str
    reference: Callable[[Sequence], list]
    output: str | None = None
    numerical: bool = False
    inputs: Callable[[tuple, int, int], list[tuple]] | None = None
    paper: tuple[int, int] | None = None
    layers: int = 0  # the depth the program's header promises


TASKS = [
    Task("length.rasp", length_of, layers=1),
    Task("reverse.rasp", reversed_tokens, paper=(2, 1), layers=2),
    Task("hist.rasp", histogram, paper=(1, 1), layers=1),
    Task("double_hist.rasp", double_histogram, paper=(2, 2), layers=2),
    Task("sort.rasp", sorted_tokens, paper=(2, 1), layers=2),
    Task("sort_unique.rasp", placed_by_rank, inputs=unique_inputs, paper=(2, 1), layers=2),
    Task("most_freq.rasp", most_frequent_first, paper=(3, 2), layers=3),
    Task("frac_prevs.rasp", fraction_of_a_so_far, numerical=True, layers=1),
    Task("dyck1.rasp", bracket_labels({"(": ")"}), inputs=dyck_inputs("()"), layers=2),
    Task("dyck2.rasp", bracket_labels({"(": ")", "{": "}"}), inputs=dyck_inputs("(){}"), layers=3),
    Task("count.rasp", count_of_a, layers=1),
    Task("shift.rasp", shifted_by_two, layers=1),
    Task("palindrome.rasp", is_palindrome, layers=3),
    Task("bigram_hist.rasp", bigram_counts, layers=2),
    Task("induction.rasp", after_previous_occurrence, layers=2),
    Task("majority.rasp", strict_majority, layers=2),
    Task("max_min.rasp", maximum_everywhere, numerical=True, layers=2),
    Task("max_min.rasp", minimum_everywhere, output="minimum", numerical=True, layers=2),
    Task("max_min.rasp", spread_everywhere, output="spread", numerical=True, layers=2),
    Task("long_addition.rasp", sum_digits_right_aligned, inputs=addition_inputs, layers=5),
    Task("dedup.rasp", distinct_in_order, layers=3),
    Task("paren_depth.rasp", nesting_depth, layers=1),
]

TASK_IDS = [t.file[:-5] + (f"-{t.output}" if t.output else "") for t in TASKS]
PAPER_TASKS = [t for t in TASKS if t.paper]
