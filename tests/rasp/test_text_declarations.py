"""``@tokenizer`` and ``@tolerance`` as staging reads them."""
from __future__ import annotations

import textwrap

import pytest

from rasp import ir
from rasp.errors import RaspSyntaxError, RaspTypeError
from rasp.interpreter import evaluate
from rasp.parser import parse
from rasp.stage import stage
from raspc.text import Tokenizer


def staged(source: str):
    return stage(parse(textwrap.dedent(source), "t.rasp"))


CAPS_PROGRAM = """
@tokenizer {"caps": True, "unknown": "<unk>", "marks": "!"};
@vocab ["good", "bad", "<unk>", "!"];
score = {"good": 2, "bad": -2, "<unk>": 0, "!": 0};
value = score[tokens];
loud = caps;
"""


def test_caps_tokenizer_binds_word_and_flag_and_widens_the_vocabulary():
    program = staged(CAPS_PROGRAM)
    assert program.tokenizer == Tokenizer(caps=True, unknown="<unk>", marks="!")
    assert program.vocab == ("good", "bad", "<unk>", "!", "GOOD", "BAD", "<UNK>")
    tokens = ("GOOD", "bad", "<UNK>", "!")
    assert evaluate(program.names["value"], tokens) == [2, -2, 0, 0]
    assert evaluate(program.names["loud"], tokens) == [True, False, True, False]


def test_a_tokenizer_without_caps_leaves_tokens_alone():
    program = staged('@tokenizer {"unknown": "<unk>"};\n@vocab ["a", "<unk>"];\nt = tokens;')
    assert program.vocab == ("a", "<unk>")
    assert evaluate(program.names["t"], ("a", "<unk>")) == ["a", "<unk>"]


def test_a_missing_reserved_token_is_an_error():
    with pytest.raises(RaspTypeError, match="'<unk>', which is not in the vocabulary"):
        staged('@tokenizer {"unknown": "<unk>"};\n@vocab ["a"];')


def test_a_bad_option_names_its_place():
    with pytest.raises(RaspTypeError) as caught:
        staged('x = 1;\n@tokenizer {"colour": True};')
    assert caught.value.location.line == 2 and "unknown tokenizer option 'colour'" in caught.value.message


def test_tolerance_marks_the_map():
    program = staged("""
    @numerical x;
    x = indices + 1;
    y = x / 3;
    @tolerance y 0.001;
    """)
    assert program.names["y"].tolerance == ir.Tolerance(0.001, 0.001) and program.names["x"].tolerance is None
    assert staged("y = indices + 1;\n@tolerance y 0.01, 0.5;").names["y"].tolerance == ir.Tolerance(0.01, 0.5)


@pytest.mark.parametrize("source, message", [
    ("@tolerance indices 0.1;", "applies to a map"),
    ("y = indices + 1;\n@tolerance y 0;", "positive numbers"),
    ('y = indices + 1;\n@tolerance y "a";', "positive numbers"),
    ("y = indices + 1;\n@tolerance y 0.1, 0;", "positive numbers"),
])
def test_bad_tolerances_are_errors(source, message):
    with pytest.raises(RaspTypeError, match=message):
        staged(source)


def test_declarations_stay_at_the_top_level():
    with pytest.raises(RaspSyntaxError, match="@tokenizer is only allowed at the top level"):
        staged('def f() { @tokenizer {}; return 1; }')
