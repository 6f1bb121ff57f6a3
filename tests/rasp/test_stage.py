"""Staging: statement forms, scopes, names, examples, declarations, loads and errors."""
from __future__ import annotations

import sys
import textwrap

import pytest

from rasp import ir
from rasp.errors import RaspEvaluationError, RaspNameError, RaspSyntaxError, RaspTypeError
from raspc.errors import RaspcError
from rasp.interpreter import evaluate
from rasp.parser import parse
from rasp.stage import load_file, load_program, stage, stage_file


def staged(source: str, file: str = "t.rasp", search_path=()):
    return stage(parse(textwrap.dedent(source), file), search_path)


def value(source: str, name: str, tokens):
    return evaluate(staged(source).names[name], tuple(tokens))


def error_of(source: str, kind=RaspcError) -> RaspcError:
    with pytest.raises(kind) as caught:
        staged(source)
    return caught.value


# ------------------------------------------------------------ statements

def test_multiple_assignment_from_tuple_and_from_function():
    source = """
    a, b = indices + 1, indices * 2;
    def two(x) { return x + 1, x - 1; }
    c, d = two(indices);
    """
    assert value(source, "a", "abc") == [1, 2, 3]
    assert value(source, "b", "abc") == [0, 2, 4]
    assert value(source, "c", "abc") == [1, 2, 3]
    assert value(source, "d", "abc") == [-1, 0, 1]


def test_single_target_takes_the_whole_list():
    program = staged("a = 1, 2; f = indices + len(a);")
    assert evaluate(program.names["f"], "ab") == [2, 3]


def test_closures_bind_late_to_globals_defined_after_the_def():
    source = """
    def shifted() { return indices + offset; }
    offset = 5;
    f = shifted();
    """
    assert value(source, "f", "ab") == [5, 6]


def test_nested_defs_and_closures_over_parameters():
    source = """
    def outer(k) {
        def inner(x) { return x * k; }
        return inner(indices) + k;
    }
    f = outer(3);
    """
    assert value(source, "f", "abc") == [3, 6, 9]


def test_function_scope_does_not_leak_and_parameters_shadow():
    source = """
    x = 1;
    def g(x) { y = x + 10; return y; }
    z = g(5);
    f = indices + x + z;
    """
    assert value(source, "f", "ab") == [16, 17]
    with pytest.raises(RaspNameError):
        staged(source + "h = indices + y;")


def test_for_loop_body_writes_into_enclosing_scope():
    source = """
    acc = indices;
    for i in range(3) { acc = acc + i; last = i; }
    f = acc + last;
    """
    assert value(source, "f", "ab") == [0 + 3 + 2, 1 + 3 + 2]


def test_for_loop_inside_function_builds_a_chain():
    source = """
    def digits_value(t) {
        table = {"0": 0, "1": 1, "2": 2};
        res = -1;
        for d in table { res = table[d] if t == d else res; }
        return res;
    }
    f = digits_value(tokens);
    """
    assert value(source, "f", "2103") == [2, 1, 0, -1]


def test_comprehension_variables_stay_local():
    with pytest.raises(RaspNameError):
        staged("l = [i for i in range(3)]; f = indices + i;")


def test_ternary_with_atom_condition_evaluates_one_branch_only():
    # the untaken branch names an undefined variable: no error, as in the original
    assert value("f = indices if True else undefined_thing;", "f", "ab") == [0, 1]


def test_recursion_with_atom_condition_terminates():
    source = """
    def power(s, n) { return s if n == 0 else power(s * 2, n - 1); }
    f = power(indices + 1, 3);
    """
    assert value(source, "f", "abc") == [8, 16, 24]


def test_out_holds_the_last_value():
    assert value("3 + 4; f = out + indices;", "f", "ab") == [7, 8]
    # every evaluated expression updates `out`, the left operand included
    assert value("3 + 4; f = indices + out;", "f", "ab") == [0, 2]


def test_repl_commands_and_draw_are_accepted():
    source = """
    set example "abc"
    show example
    examples off
    s-op examples on
    full seq display on
    draw(indices + 1, "abc");
    f = indices;
    """
    assert value(source, "f", "ab") == [0, 1]


def test_exit_stops_the_file():
    program = staged("f = indices;\nexit()\ng = indices;\n")
    assert "f" in program.names and "g" not in program.names


# ------------------------------------------------------------ names

def test_assignment_names_the_node():
    program = staged("a = indices + 1; b = a;")
    assert program.names["a"] is program.names["b"]
    assert program.names["b"].name == "b"


def test_builtins_are_never_renamed_by_assignment():
    program = staged("x = indices; t = tokens;")
    assert program.names["x"] is ir.INDICES and ir.INDICES.name == "indices"
    assert program.names["t"].name == "tokens_str"


def test_program_names_hold_sops_and_selectors_only():
    program = staged("n = 3; l = [1]; s = select(indices, indices, ==); f = indices + n;")
    assert set(program.names) >= {"s", "f", "tokens", "indices", "length", "full_s"}
    assert "n" not in program.names and "l" not in program.names


def test_tokens_can_be_switched_to_ints():
    program = staged("tokens = tokens_int;")
    assert evaluate(program.names["tokens"], [3, 4]) == [3, 4]
    assert program.names["tokens"] is program.names["tokens_int"]


def test_each_program_starts_from_a_fresh_environment():
    staged("tokens = tokens_int;")
    assert evaluate(staged("").names["tokens"], [3, 4]) == ["3", "4"]


def test_display_names_follow_the_original():
    staged_file = stage_file(parse('a = indices + 1;\n(indices * 2)("ab");\nselect(indices, 0, ==)("ab");\n', "t"))
    first, second = [d for d in staged_file.displays if d.kind == "example"]
    assert first.name == "( indices * 2 )"
    assert second.name == "plain select"


# ------------------------------------------------------------ examples

def test_example_statements_become_program_examples():
    source = """
    reverse = aggregate(select(indices, length - indices - 1, ==), tokens);
    reverse("abc");
    (indices + 1)([3, 1, 2]);
    select(indices, indices, <)("ab");
    x = reverse("zz");
    indices;
    """
    program = staged(source)
    assert [e.text for e in program.examples] == ['reverse("abc")', "(indices + 1)([3, 1, 2])",
                                                  'select(indices, indices, <)("ab")']
    assert [e.input for e in program.examples] == [("a", "b", "c"), (3, 1, 2), ("a", "b")]
    assert program.examples[0].target is program.names["reverse"]
    assert program.examples[1].location.line == 4
    assert isinstance(program.examples[2].target, ir.Select)


def test_examples_inside_functions_and_loops_are_not_examples():
    program = staged("def f() { indices(\"ab\"); return 1; }\nx = f();\nfor i in [1] { indices(\"cd\"); }\n")
    assert program.examples == []


def test_bare_sops_are_displayed_on_the_running_example():
    staged_file = stage_file(parse('indices;\nset example [1, 2]\nindices + 1;\n', "t"))
    shown = [d for d in staged_file.displays if d.kind == "sop"]
    assert [d.input for d in shown] == [tuple("hello"), (1, 2)]
    assert [d.name for d in shown] == ["indices", "out"]


# ------------------------------------------------------------ declarations

def test_declarations():
    source = """
    @vocab {"a", "b"};
    @max_len 8;
    f = indices + 1;
    @output f;
    @numerical f;
    g = tokens == "a";
    @categorical g;
    """
    program = staged(source)
    assert program.vocab == ("a", "b")
    assert program.max_len == 8
    assert program.output == "f"
    assert program.names["f"].encoding_hint is ir.Encoding.NUMERICAL
    assert program.names["g"].encoding_hint is ir.Encoding.CATEGORICAL


def test_vocab_from_string_and_list():
    assert staged('@vocab "abca";').vocab == ("a", "b", "c")
    assert staged("@vocab [0, 1, 2];").vocab == (0, 1, 2)


def test_declarations_absent_are_none():
    program = staged("f = indices;")
    assert (program.vocab, program.max_len, program.output) == (None, None, None)


def test_output_must_name_an_sop():
    error = error_of("x = 3;\n@output x;\n", RaspNameError)
    assert error.location.line == 2


def test_table_loaded_from_tsv(tmp_path):
    (tmp_path / "lex.tsv").write_text("# word\tclass\nthe\tDET\ncat\tN\nthree\t3\nhalf\t0.5\n")
    (tmp_path / "prog.rasp").write_text('@table lex = "lex.tsv";\nf = lex[tokens];\ng = indices + lex["three"];\n')
    program = load_program(str(tmp_path / "prog.rasp"))
    assert evaluate(program.names["f"], ("the", "cat")) == ["DET", "N"]
    assert evaluate(program.names["g"], ("a",)) == [3]


def test_table_lookup_of_a_missing_key_fails_on_evaluation(tmp_path):
    (tmp_path / "lex.tsv").write_text("the\tDET\n")
    (tmp_path / "prog.rasp").write_text('@table lex = "lex.tsv";\nf = lex[tokens];\n')
    program = load_program(str(tmp_path / "prog.rasp"))
    with pytest.raises(RaspEvaluationError, match="not in dict"):
        evaluate(program.names["f"], ("dog",))


def test_missing_table_file_is_an_error(tmp_path):
    (tmp_path / "prog.rasp").write_text('@table lex = "nope.tsv";\n')
    with pytest.raises(RaspNameError) as caught:
        load_program(str(tmp_path / "prog.rasp"))
    assert caught.value.location.line == 1


# ------------------------------------------------------------ load

def test_load_shares_public_names_only(tmp_path):
    (tmp_path / "lib.rasp").write_text("shifted = indices + 1;\n_private = 3;\ndef twice(x) { return x * 2; }\n")
    (tmp_path / "main.rasp").write_text('load "lib";\nf = twice(shifted);\n')
    program = load_program(str(tmp_path / "main.rasp"))
    assert evaluate(program.names["f"], "ab") == [2, 4]
    (tmp_path / "bad.rasp").write_text('load "lib";\nf = indices + _private;\n')
    with pytest.raises(RaspNameError):
        load_program(str(tmp_path / "bad.rasp"))


def test_loaded_file_does_not_see_the_loaders_names(tmp_path):
    (tmp_path / "lib.rasp").write_text("g = indices + outside;\n")
    (tmp_path / "main.rasp").write_text('outside = 1;\nload "lib";\n')
    with pytest.raises(RaspNameError) as caught:
        load_program(str(tmp_path / "main.rasp"))
    assert caught.value.location.file.endswith("lib.rasp")


def test_load_uses_search_path(tmp_path):
    (tmp_path / "libs").mkdir()
    (tmp_path / "libs" / "extra.rasp").write_text("plus_two = indices + 2;\n")
    (tmp_path / "main.rasp").write_text('load "extra";\n')
    staged_file = load_file(str(tmp_path / "main.rasp"), (str(tmp_path / "libs"),))
    assert evaluate(staged_file.program.names["plus_two"], "a") == [2]


def test_load_cycle_is_an_error(tmp_path):
    (tmp_path / "a.rasp").write_text('load "b";\n')
    (tmp_path / "b.rasp").write_text('load "a";\n')
    with pytest.raises(RaspNameError, match="cycle"):
        load_program(str(tmp_path / "a.rasp"))


def test_load_of_a_missing_file_names_the_place(tmp_path):
    (tmp_path / "main.rasp").write_text('x = 1;\nload "missing";\n')
    with pytest.raises(RaspNameError) as caught:
        load_program(str(tmp_path / "main.rasp"))
    assert (caught.value.location.line, caught.value.location.column) == (2, 1)


def test_syntax_error_in_loaded_file(tmp_path):
    (tmp_path / "lib.rasp").write_text("x = ;\n")
    (tmp_path / "main.rasp").write_text('load "lib";\n')
    with pytest.raises(RaspSyntaxError):
        load_program(str(tmp_path / "main.rasp"))


# ------------------------------------------------------------ errors

ERRORS = [
    ("f = indices + nothing;", RaspNameError, 1, 15),
    ("x = 1;\ny = x(2);", RaspTypeError, 2, 5),
    ("def g(a, b) { return a; }\nh = g(1);", RaspTypeError, 2, 5),
    ("s = select(indices, indices, ==);\nf = s and indices;", RaspTypeError, 2, 5),
    ("s = select(indices, indices, ==);\nf = s + 1;", RaspTypeError, 2, 5),
    ("f = aggregate(indices, tokens);", RaspTypeError, 1, 5),
    ("f = aggregate(full_s, tokens, indices);", RaspTypeError, 1, 5),
    ("length = 3;", RaspNameError, 1, 1),
    ("sort = 1;", RaspNameError, 1, 1),
    ("indices = 1;", RaspNameError, 1, 1),
    ("def count(a) { return a; }", RaspNameError, 1, 1),
    ("f = indicator(3);", RaspTypeError, 1, 5),
    ("f = tokens[indices];", RaspTypeError, 1, 5),
    ("f = [1, 2][5];", RaspEvaluationError, 1, 5),
    ("f = {\"a\": 1}[\"b\"];", RaspEvaluationError, 1, 5),
    ("f = 1 / 0;", RaspEvaluationError, 1, 5),
    ("f = 1 + \"a\";", RaspTypeError, 1, 5),
    ("f = indices + [1, 2];", RaspTypeError, 1, 5),
    ("f = select(indices, [1], ==);", RaspTypeError, 1, 5),
    ("a, b = 1, 2, 3;", RaspTypeError, 1, 1),
    ("for a, b in [1, 2] { x = a; }", RaspTypeError, 1, 1),
    ("for a in 5 { x = a; }", RaspTypeError, 1, 10),
    ("f = range(1.5);", RaspTypeError, 1, 5),
    ("f = zip([1], 2);", RaspTypeError, 1, 5),
    ("f = len(3);", RaspTypeError, 1, 5),
    ("f = indices(\"ab\", \"cd\");", RaspTypeError, 1, 5),
    ("f = indices(3);", RaspTypeError, 1, 13),
    ("f = indices(\"\");", RaspTypeError, 1, 13),
    ("f = 3 in \"abc\";", RaspTypeError, 1, 5),
    ("f = \"a\" in 3;", RaspTypeError, 1, 5),
    ("f = select(indices, indices, ==) if indices else 1;", RaspTypeError, 1, 5),
    ("f = 3 if select(indices, indices, ==) else 1;", RaspTypeError, 1, 10),
    ("f = tokens in [indices];", RaspTypeError, 1, 5),
    ("f = (indices + 1)(\"ab\") + 1;", RaspTypeError, 1, 5),
    ("@max_len 0;", RaspTypeError, 1, 1),
    ("@numerical nothing;", RaspNameError, 1, 1),
    ("@numerical indices;", RaspTypeError, 1, 1),
    ("@vocab 3;", RaspTypeError, 1, 1),
]


@pytest.mark.parametrize("source, kind, line, column", ERRORS, ids=[case[0][:40] for case in ERRORS])
def test_errors_name_their_place(source, kind, line, column):
    error = error_of(source, kind)
    assert error.location is not None
    assert (error.location.line, error.location.column) == (line, column)
    assert error.format().startswith(f"t.rasp:{line}:{column}: error:")


def test_unknown_name_message():
    assert "nothing" in error_of("f = nothing;", RaspNameError).message


def test_infinite_recursion_is_a_clean_error():
    error = error_of("def loop(x) { return loop(x); }\nf = loop(1);", RaspEvaluationError)
    assert "nest deeper" in error.message


def test_huge_unrolling_is_a_clean_error(monkeypatch):
    monkeypatch.setattr(sys.modules["rasp.stage"], "MAX_NODES", 2_000)
    error = error_of("x = indices;\nfor i in range(100000) { x = x + 1; }\n", RaspEvaluationError)
    assert error.location is not None and "2000 operations" in error.message


def test_work_limit_is_a_clean_error(monkeypatch):
    monkeypatch.setattr(sys.modules["rasp.stage"], "MAX_WORK", 5_000)
    error = error_of("x = 0;\nfor i in range(100000) { x = x + 1; }\n", RaspEvaluationError)
    assert "more than 5000 steps of work" in error.message and error.location.line == 2


def test_huge_range_is_a_clean_error():
    error_of("x = range(100000000);", RaspEvaluationError)


def test_huge_power_is_a_clean_error():
    error_of("x = 2 ^ 100000000;", RaspEvaluationError)


def test_error_inside_a_function_points_inside_it():
    error = error_of("def g(x) {\n  return x + nothing;\n}\nf = g(indices);", RaspNameError)
    assert (error.location.line, error.location.column) == (2, 14)


def test_deep_recursion_through_nested_expressions_is_a_clean_error():
    source = "def loop(x) {\n  y = x + 1;\n  return 1 + (2 * (3 - loop(y)));\n}\nf = loop(indices);\n"
    error = error_of(source, RaspEvaluationError)
    assert error.location is not None


def test_staging_prelude_and_a_small_file_is_fast_enough_to_repeat():
    # not a timing assertion: staging the same text twice gives independent programs
    first = staged("f = sort(tokens, indices);")
    second = staged("f = sort(tokens, indices);")
    assert first.names["f"] is not second.names["f"]
    assert evaluate(first.names["f"], "cab") == evaluate(second.names["f"], "cab") == list("cab")


def test_prelude_names_may_be_reused_inside_functions():
    source = """
    def spread(seq, length) {
        count = length - 1;
        return seq + count;
    }
    f = spread(indices, 3);
    """
    assert value(source, "f", "ab") == [2, 3]
    error_of("def g(x) { indices = x; return x; }\nh = g(1);", RaspNameError)


@pytest.mark.parametrize("call", ["sort(tokens)", "shift(tokens, 1)", "count(tokens)", "has_focus()",
                                  "selector_width(select(indices, indices, ==), 1)"])
def test_prelude_functions_keep_the_originals_arity(call):
    error = error_of(f"f = {call};", RaspTypeError)
    assert "wrong number of arguments" in error.message


def test_selector_width_needs_a_selector():
    assert "selector" in error_of("f = selector_width(indices);", RaspTypeError).message


def test_output_naming_a_selector_says_it_is_a_selector():
    error = error_of("s = select(indices, indices, ==);\n@output s;\n", RaspTypeError)
    assert error.location.line == 2
    assert "'s' is a selector" in error.message and "aggregate" in error.message


def test_load_accepts_the_file_name_with_its_extension(tmp_path):
    (tmp_path / "lib.rasp").write_text("shifted = indices + 1;\n")
    (tmp_path / "main.rasp").write_text('load "lib.rasp";\nf = shifted * 2;\n')
    program = load_program(str(tmp_path / "main.rasp"))
    assert evaluate(program.names["f"], "ab") == [2, 4]  # (indices + 1) * 2, by hand


def test_draw_statements_are_recorded_with_their_input():
    staged_file = stage_file(parse('x = indices;\ndraw(x, "ab");\nset example [1, 2]\ndraw(x);\n', "t"))
    draws = staged_file.draws
    assert [(d.name, d.value, d.input) for d in draws] == [("x", staged_file.program.names["x"], ("a", "b")),
                                                           ("x", staged_file.program.names["x"], (1, 2))]
    assert draws[0].location.line == 2


def test_draw_of_an_atom_is_a_type_error():
    error = error_of('draw(3, "ab");\n', RaspTypeError)
    assert "draw expects an s-op" in error.message


def test_in_tests_a_dicts_keys_while_staging():
    program = staged("""
        TABLE = {"a": "bdn", "b": "s"};
        x = tokens == "a" if ("b" in TABLE) and not ("c" in TABLE) else tokens == "b";
        y = tokens == "a" if ("bdn" in TABLE) else tokens == "b";
    """)
    assert evaluate(program.names["x"], ("a", "b")) == [True, False]
    assert evaluate(program.names["y"], ("a", "b")) == [False, True]  # keys, not values


def test_in_tests_a_substring_of_a_string_while_staging():
    program = staged("""
        FRAMES = {"hit": "needs-object middle", "sleep": "no-object"};
        MIDDLE = {w: ("middle" in FRAMES[w]) for w in FRAMES};
        x = MIDDLE[tokens];
    """)
    assert evaluate(program.names["x"], ("hit", "sleep")) == [True, False]


def test_a_number_in_a_string_is_a_type_error():
    error = error_of('x = tokens == "a" if 3 in "abc" else tokens == "b";\n', RaspTypeError)
    assert "'atom in string' expects a string" in error.message
