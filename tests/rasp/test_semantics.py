"""The meaning of RASP expressions: staged from source, run in the reference
interpreter, compared with the same computation written in plain Python.

Each case is (RASP program defining ``f``, input, expected). The expected values are
worked by hand or computed by the Python function beside the case, never by raspc.
"""
from __future__ import annotations

import itertools

import pytest

from rasp.interpreter import evaluate
from rasp.parser import parse
from rasp.stage import stage


def run(source: str, tokens, name: str = "f"):
    program = stage(parse(source, "t.rasp"))
    return evaluate(program.names[name], tuple(tokens))


def py_select(keys, queries, predicate):
    """The selector matrix [query][key] by the stated rule: keys[j] OP queries[i]."""
    return [[predicate(k, q) for k in keys] for q in queries]


def py_aggregate(matrix, values, default=0):
    out = []
    for row in matrix:
        chosen = [v for v, c in zip(values, row) if c]
        if not chosen:
            out.append(default)
        elif len(chosen) == 1:
            out.append(chosen[0])
        else:
            out.append(sum(chosen) / len(chosen))
    return out


def py_round(x):
    return round(x)  # Python rounds halves to even, as the original does


WORD = "hello"
NUMS = [3, 1, 4, 1, 5]

ELEMENTWISE = [
    # arithmetic, atoms broadcast on either side
    ("f = indices + 1;", WORD, [i + 1 for i in range(5)]),
    ("f = 1 + indices;", WORD, [1 + i for i in range(5)]),
    ("f = indices - 2;", WORD, [i - 2 for i in range(5)]),
    ("f = 10 - indices;", WORD, [10 - i for i in range(5)]),
    ("f = indices * 3;", WORD, [i * 3 for i in range(5)]),
    ("f = indices / 2;", WORD, [i / 2 for i in range(5)]),
    ("f = 12 / (indices + 1);", WORD, [12 / (i + 1) for i in range(5)]),
    ("f = indices % 3;", WORD, [i % 3 for i in range(5)]),
    ("f = 7 % (indices + 1);", WORD, [7 % (i + 1) for i in range(5)]),
    ("f = indices ^ 2;", WORD, [i ** 2 for i in range(5)]),
    ("f = 2 ^ indices;", WORD, [2 ** i for i in range(5)]),
    ("f = -indices;", WORD, [-i for i in range(5)]),
    ("f = +indices;", WORD, list(range(5))),
    ("f = indices + length;", WORD, [i + 5 for i in range(5)]),
    ("f = indices * indices;", WORD, [i * i for i in range(5)]),
    ("f = tokens_int * indices;", NUMS, [t * i for i, t in enumerate(NUMS)]),
    ("f = tokens_int - tokens_int;", NUMS, [0] * 5),
    # precedence quirks of the original
    ("f = indices + 2 * 3;", WORD, [i + 6 for i in range(5)]),
    ("f = indices % 3 * 2;", WORD, [i % 6 for i in range(5)]),
    ("f = 2 ^ 3 ^ indices;", "ab", [8 ** 0, 8 ** 1]),
    # comparisons
    ("f = indices == 2;", WORD, [i == 2 for i in range(5)]),
    ("f = indices < 2;", WORD, [i < 2 for i in range(5)]),
    ("f = indices > 2;", WORD, [i > 2 for i in range(5)]),
    ("f = indices <= 2;", WORD, [i <= 2 for i in range(5)]),
    ("f = indices >= 2;", WORD, [i >= 2 for i in range(5)]),
    ("f = 2 < indices;", WORD, [2 < i for i in range(5)]),
    ("f = tokens == \"l\";", WORD, [c == "l" for c in WORD]),
    ("f = tokens < \"h\";", WORD, [c < "h" for c in WORD]),
    ("f = tokens_int == indices;", [0, 2, 2, 1], [True, False, True, False]),
    # strings
    ("f = tokens + \"!\";", "ab", ["a!", "b!"]),
    ("f = \"<\" + tokens;", "ab", ["<a", "<b"]),
    ("f = tokens + tokens;", "ab", ["aa", "bb"]),
    # indicator, round
    ("f = indicator(tokens == \"l\");", WORD, [1 if c == "l" else 0 for c in WORD]),
    ("f = round(indices / 2);", "abcdefg", [py_round(i / 2) for i in range(7)]),
    ("f = round(indices + 0.5);", "abcd", [py_round(i + 0.5) for i in range(4)]),
    ("f = round(tokens_float);", [0.5, 1.5, 2.5, -0.5, 2.6], [0, 2, 2, 0, 3]),
    # logic on s-ops: truthiness, bool results
    ("f = not indices;", "abc", [True, False, False]),
    ("f = not (tokens == \"l\");", WORD, [c != "l" for c in WORD]),
    ("f = indices and 1;", "abc", [False, True, True]),
    ("f = indices or 0;", "abc", [False, True, True]),
    ("f = 0 or indices;", "abc", [False, True, True]),
    ("f = (indices > 0) and (indices < 3);", WORD, [0 < i < 3 for i in range(5)]),
    ("f = (indices == 0) or (tokens == \"o\");", WORD, [i == 0 or c == "o" for i, c in enumerate(WORD)]),
    ("f = tokens_int and tokens_int;", [0, 2, 0, 3], [False, True, False, True]),
    ("f = indices > 0 or indices == 0 and indices > 3;", WORD, [((i > 0) or (i == 0)) and i > 3 for i in range(5)]),
    ("f = not indices == 1;", "abc", [(not i) == 1 for i in range(3)]),
    # ternaries with s-op conditions are elementwise
    ("f = tokens if indices % 2 == 0 else \"-\";", WORD, [c if i % 2 == 0 else "-" for i, c in enumerate(WORD)]),
    ("f = 1 if tokens == \"l\" else 0;", WORD, [1 if c == "l" else 0 for c in WORD]),
    ("f = indices if indices > 1 else length;", WORD, [i if i > 1 else 5 for i in range(5)]),
    ("f = \"a\" if indices == 0 else \"b\" if indices == 1 else \"c\";", "xyz",
     [("a" if i == 0 else "b") if i == 1 else "c" for i in range(3)]),
    # `in`
    ("f = tokens in [\"a\", \"e\", \"o\"];", WORD, [c in "aeo" for c in WORD]),
    ("vowels = [\"a\", \"e\", \"o\"]; f = indicator(tokens in vowels);", WORD, [int(c in "aeo") for c in WORD]),
    ("f = indices in [0, 4];", WORD, [i in (0, 4) for i in range(5)]),
    ("f = \"l\" in tokens;", WORD, [True] * 5),
    ("f = \"z\" in tokens;", WORD, [False] * 5),
    ("f = 3 in tokens_int;", [1, 2, 3], [True] * 3),
    ("f = \"x\" in tokens;", "x", [True]),
    # table[sop]
    ("d = {\"a\": 1, \"b\": 2}; f = d[tokens];", "abba", [1, 2, 2, 1]),
    ("l = [10, 20, 30]; f = l[indices];", "abc", [10, 20, 30]),
    ("s = \"xyz\"; f = s[indices];", "abc", ["x", "y", "z"]),
    ("f = [5, 6, 7][2 - indices];", "abc", [7, 6, 5]),
    ("s = \"qwertyuiop\"; f = s[indices * 3];", "abcd", ["q", "r", "u", "p"]),
    # sop[int]: broadcast one position; out of range gives the default 0
    ("f = tokens[0];", WORD, ["h"] * 5),
    ("f = tokens[4];", WORD, ["o"] * 5),
    ("f = tokens[-1];", WORD, ["o"] * 5),
    ("f = tokens[-2];", WORD, ["l"] * 5),
    ("f = indices[9];", WORD, [0] * 5),
    ("f = tokens_int[1] + tokens_int;", [3, 1, 4], [4, 2, 5]),
    # tokens variants
    ("f = tokens_str;", [0, 1, 2], ["0", "1", "2"]),
    ("f = tokens_int;", "123", [1, 2, 3]),
    ("f = tokens_float;", [0, 1, 2], [0.0, 1.0, 2.0]),
    ("f = tokens_bool;", [0, 1, 2], [False, True, True]),
    ("f = tokens_asis;", [0, 1, 2], [0, 1, 2]),
    ("f = tokens;", [0, 1, 2], ["0", "1", "2"]),
    ("tokens = tokens_int; f = tokens + 1;", [0, 1, 2], [1, 2, 3]),
    ("f = length;", "abcdef", [6] * 6),
    ("f = indices;", "abc", [0, 1, 2]),
]


@pytest.mark.parametrize("source, tokens, expected", ELEMENTWISE,
                         ids=[case[0][:40] for case in ELEMENTWISE])
def test_elementwise(source, tokens, expected):
    result = run(source, tokens)
    assert result == expected
    assert [type(v) for v in result] == [type(v) for v in expected]


SELECTORS = [
    ("select(indices, indices, ==)", lambda k, q: k == q),
    ("select(indices, indices, <)", lambda k, q: k < q),
    ("select(indices, indices, >)", lambda k, q: k > q),
    ("select(indices, indices, <=)", lambda k, q: k <= q),
    ("select(indices, indices, >=)", lambda k, q: k >= q),
    ("select(indices, indices, !=)", lambda k, q: k != q),
]


@pytest.mark.parametrize("expression, predicate", SELECTORS, ids=[s[0] for s in SELECTORS])
def test_select_compares_key_to_query(expression, predicate):
    result = run(f"f = {expression};", "abcd")
    assert result == py_select(range(4), range(4), predicate)


def test_select_with_different_keys_and_queries():
    # keys are the tokens, queries the indices: query i selects j where tokens[j] < i
    tokens = [2, 0, 3, 1]
    result = run("f = select(tokens_int, indices, <);", tokens)
    assert result == py_select(tokens, range(4), lambda k, q: k < q)


def test_select_atom_as_query_and_as_key():
    assert run("f = select(indices, 0, ==);", "abc") == py_select(range(3), [0] * 3, lambda k, q: k == q)
    assert run("f = select(2, indices, >);", "abcd") == py_select([2] * 4, range(4), lambda k, q: k > q)


def test_selector_and_or_not_combine_into_one_selector():
    source = """
    a = select(indices, indices, <);
    b = select(tokens, tokens, ==);
    f = a and b;
    g = a or b;
    h = not a;
    k = (a or b) and not select(indices, 0, ==);
    """
    word = "abab"
    program = stage(parse(source, "t.rasp"))
    a = py_select(range(4), range(4), lambda k, q: k < q)
    b = py_select(word, word, lambda k, q: k == q)
    zero = py_select(range(4), [0] * 4, lambda k, q: k == q)
    both = [[x and y for x, y in zip(r, s)] for r, s in zip(a, b)]
    either = [[x or y for x, y in zip(r, s)] for r, s in zip(a, b)]
    assert evaluate(program.names["f"], word) == both
    assert evaluate(program.names["g"], word) == either
    assert evaluate(program.names["h"], word) == [[not x for x in r] for r in a]
    assert evaluate(program.names["k"], word) == [[x and not z for x, z in zip(r, s)] for r, s in zip(either, zero)]
    # one selector, whose key and query slots are the operands' concatenated
    combined = program.names["k"]
    assert len(combined.keys) == 3 and len(combined.queries) == 3


def test_full_s_selects_everything():
    assert run("f = full_s;", "abc") == [[True] * 3] * 3


# ------------------------------------------------------------------ aggregate

def test_aggregate_moves_tokens_through_a_single_selection():
    result = run("f = aggregate(select(indices, length - indices - 1, ==), tokens);", "abcd")
    assert result == list(reversed("abcd"))


def test_aggregate_averages_several_selected_numbers():
    nums = [3, 1, 4, 1, 5]
    matrix = py_select(range(5), range(5), lambda k, q: k <= q)
    assert run("f = aggregate(select(indices, indices, <=), tokens_int);", nums) == py_aggregate(matrix, nums)


def test_aggregate_empty_selection_gives_default_zero_or_given():
    matrix = py_select(range(3), range(3), lambda k, q: k < q)
    assert run("f = aggregate(select(indices, indices, <), indices);", "abc") == py_aggregate(matrix, [0, 1, 2])
    assert run("f = aggregate(select(indices, indices, <), tokens, \"-\");", "ab") == ["-", "a"]


def test_aggregate_default_string_and_single_selection():
    result = run("f = aggregate(select(indices, indices - 1, ==), tokens, \"-\");", "abc")
    assert result == ["-", "a", "b"]


def test_aggregate_of_an_atom_broadcasts_it():
    assert run("f = aggregate(select(indices, 0, ==), 7);", "abc") == [7, 7, 7]


def test_aggregate_mean_of_booleans_is_an_error():
    from rasp.errors import RaspEvaluationError

    with pytest.raises(RaspEvaluationError):
        run("f = aggregate(full_s, tokens == \"a\");", "abc")


def test_aggregate_mean_of_strings_is_an_error():
    from rasp.errors import RaspEvaluationError

    with pytest.raises(RaspEvaluationError):
        run("f = aggregate(full_s, tokens);", "abc")


def test_selector_width_counts_selected_keys():
    word = "hello"
    expected = [word.count(c) for c in word]
    assert run("f = selector_width(select(tokens, tokens, ==));", word) == expected


# ------------------------------------------------------------------ the prelude

def py_sort(values, keys):
    order = sorted(range(len(keys)), key=lambda j: (keys[j], j))
    return [values[j] for j in order]


PRELUDE = [
    ("f = count(tokens, \"l\");", "hello", [2] * 5),
    ("f = count(tokens, \"z\");", "hello", [0] * 5),
    ("f = contains(tokens, \"e\");", "hello", [True] * 5),
    ("f = contains(tokens, \"z\");", "hello", [False] * 5),
    ("f = has_focus(select(indices, indices, <));", "abc", [False, True, True]),
    ("f = max(indices, 2);", "abcde", [max(i, 2) for i in range(5)]),
    ("f = min(indices, 2);", "abcde", [min(i, 2) for i in range(5)]),
    ("f = max(tokens_int, indices);", [4, 0, 1, 9], [max(t, i) for i, t in enumerate([4, 0, 1, 9])]),
    ("f = average(tokens_int);", [1, 2, 6], [3.0] * 3),
    ("f = average(indices);", "ab", [0.5, 0.5]),
    ("f = load_from_location(tokens, 2);", "abcd", ["c"] * 4),
    ("f = load_from_location(tokens, length - indices - 1);", "abcd", list("dcba")),
    ("f = shift(tokens, 1, \"_\");", "abcd", list("_abc")),
    ("f = shift(tokens, 2, \"_\");", "abcd", list("__ab")),
    ("f = shift(indices, 0, 9);", "abc", [0, 1, 2]),
    ("f = mark_last_instance(tokens, \"l\");", "hello", [False, False, False, True, False]),
    ("f = mark_last_instance(tokens, \"z\");", "hello", [False] * 5),
    ("f = mark_first_instance(tokens, \"l\");", "hello", [False, False, True, False, False]),
    ("f = mark_first_instance(tokens, \"a\");", "abca", [True, False, False, False]),
    ("f = mark_first_instance(tokens, \"z\");", "hello", [False] * 5),
    ("f = mark_last_instance(tokens, \"a\");", "abca", [False, False, False, True]),
    ("f = sort(tokens, tokens);", "hello", py_sort("hello", "hello")),
    ("f = sort(tokens_int, tokens_int);", [3, 1, 2, 1], py_sort([3, 1, 2, 1], [3, 1, 2, 1])),
    ("f = sort(tokens, -indices);", "abcd", list("dcba")),
    ("f = sort(indices, tokens);", "bca", py_sort([0, 1, 2], "bca")),
]


@pytest.mark.parametrize("source, tokens, expected", PRELUDE, ids=[case[0][:40] for case in PRELUDE])
def test_prelude(source, tokens, expected):
    assert run(source, tokens) == expected


def test_select_from_last_and_first():
    word = "hello"
    last = [[j == 3 for j in range(5)] for _ in range(5)]
    first = [[j == 2 for j in range(5)] for _ in range(5)]
    assert run("f = select_from_last(tokens, \"l\");", word) == last
    assert run("f = select_from_first(tokens, \"l\");", word) == first


def test_select_next_identical():
    word = "abaab"
    def next_same(q, k):
        later = [j for j in range(len(word)) if j > q and word[j] == word[q]]
        return bool(later) and k == later[0]
    expected = [[next_same(q, k) for k in range(len(word))] for q in range(len(word))]
    assert run("f = select_next_identical(tokens);", word) == expected


@pytest.mark.parametrize("word", ["".join(p) for n in range(1, 5) for p in itertools.product("ab", repeat=n)])
def test_sort_and_histogram_exhaustively_on_short_inputs(word):
    source = "f = sort(tokens, tokens); g = selector_width(select(tokens, tokens, ==));"
    program = stage(parse(source, "t.rasp"))
    assert evaluate(program.names["f"], word) == sorted(word)
    assert evaluate(program.names["g"], word) == [word.count(c) for c in word]


# ------------------------------------------------------------------ meta level

META = [
    ("x = 3 and 4; f = indices + x;", [4, 5]),          # Python `and` on atoms
    ("x = 0 or 5; f = indices + x;", [5, 6]),
    ("x = not 0; f = indices + x;", [1, 2]),
    ("x = 2 ^ 3 ^ 2; f = indices + x;", [64, 65]),        # left-associative
    ("x = 7 % 3 * 2; f = indices + x;", [1, 2]),          # % looser than *
    ("x = round(2.5) + round(3.5); f = indices + x;", [6, 7]),   # halves to even
    ("x = 10 if 1 > 2 else 20; f = indices + x;", [20, 21]),
    ("x = [1, 2, 3][-1]; f = indices + x;", [3, 4]),
    ("x = len([1, 2, 3]); f = indices + x;", [3, 4]),
    ("x = [a + b for a, b in zip([1, 2], [10, 20])]; f = indices + x[1];", [22, 23]),
    ("d = {k: k * 2 for k in range(3)}; f = indices + d[2];", [4, 5]),
    ("d = {\"a\": 1}; x = 0; for k in d { x = x + d[k]; } f = indices + x;", [1, 2]),
    ("x = 0; for i in range(5) { x = x + i; } f = indices + x;", [10, 11]),
    ("x = 0; for a, b in [[1, 2], [3, 4]] { x = x + a * b; } f = indices + x;", [14, 15]),
    ("x = \"ab\" + \"c\"; f = tokens + x;", ["aabc", "babc"]),
    ("x = 1 in [1, 2]; f = indices + x;", [1, 2]),
    ("x = 1 / 2; f = indices + x;", [0.5, 1.5]),
    ("x = range(2, 8, 3); f = indices + x[1];", [5, 6]),
    ("x = [i * i for i in range(4)]; f = indices + x[3];", [9, 10]),
]


@pytest.mark.parametrize("source, expected", META, ids=[case[0][:40] for case in META])
def test_meta_level(source, expected):
    assert run(source, "ab") == expected
