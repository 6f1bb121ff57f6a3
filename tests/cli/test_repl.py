"""``raspc repl``: sessions fed on standard input, their transcripts compared with the
original interpreter's (tests/data/original_conformance holds its transcripts, made
by feeding the same lines to its REPL)."""
from __future__ import annotations

import argparse
import io
from pathlib import Path

from cli.commands import repl
from tests.rasp.test_semantics_conformance import transcript_lines

DATA = Path(__file__).resolve().parents[1] / "data"
CONFORMANCE = DATA / "original_conformance"


def session(text: str, **options) -> str:
    """The transcript of a session fed ``text``: prompts, echoless, as the original's."""
    args = argparse.Namespace(search_path=options.get("search_path", []), draw_dir=options.get("draw_dir"))
    out = io.StringIO()
    assert repl.run(args, io.StringIO(text), out) == 0
    return out.getvalue()


def without_comments(text: str) -> str:
    """A data file without the header comments that name its source."""
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith("# "))


def after_header(transcript: str) -> str:
    """The transcript from the first prompt on (the version line differs by design)."""
    return transcript[transcript.index(">> "):]


def test_a_session_prints_what_the_original_prints_prompts_included():
    # whitespace_okay: statements spread over blank lines; each continuation line
    # prompts ".. " as in the original.
    lines = without_comments((DATA / "original" / "whitespace_okay.rasp").read_text())
    expected = without_comments((CONFORMANCE / "whitespace_okay.tgt").read_text())
    assert after_header(session(lines)) == after_header(expected)


def test_set_example_and_definitions_print_as_in_the_original():
    lines = without_comments((CONFORMANCE / "simple_sequences.rasp").read_text())
    expected = after_header(without_comments((CONFORMANCE / "simple_sequences.tgt").read_text()))
    got = after_header(session(lines))
    # The recorded transcript stops before its last two statements (left out of the
    # input); everything it has must match, and then the prompt waits at the end.
    assert got == expected + ">> \n"


def test_the_header_names_the_running_example():
    assert session("").splitlines()[1] == "running example is: hello"


def test_a_mistake_is_reported_and_the_session_goes_on():
    transcript = session('x = indices + 1;\ny = x 3;\nx;\nz = undefined_name;\nexit\nx;\n')
    lines = transcript.splitlines()
    assert lines.count(">> \t\t!!ignoring input:") == 2
    assert any("<stdin>:2:7: error:" in line for line in lines)
    assert any("<stdin>:4:5: error: undefined name 'undefined_name'" in line for line in lines)
    # indices + 1 on "hello", by hand; shown for the definition and once more for `x;`,
    # not for the `x;` after `exit`.
    assert transcript.count('Example: x("hello") = [1, 2, 3, 4, 5] (ints)') == 2
    assert transcript.endswith("^\n>> \n")  # the prompt that read `exit`, and no other after it


def test_examples_errors_and_values_match_the_original_results():
    # indexing: the original's result lines (prompts and its error texts aside).
    lines = without_comments((CONFORMANCE / "indexing.rasp").read_text())
    expected = transcript_lines((CONFORMANCE / "indexing.tgt").read_text())
    assert transcript_lines(after_header(session(lines))) == expected


def test_show_example_and_draw(tmp_path):
    transcript = session('set example "ab"\nshow example\nflip = length - indices - 1;\ndraw(flip);\n',
                         draw_dir=str(tmp_path))
    assert "\ts-op example: \"ab\"" in transcript
    # length - indices - 1 on "ab", by hand: [1, 0].
    assert 'Example: flip("ab") = [1, 0] (ints)' in transcript
    assert f'drew flip("ab") into {tmp_path / "flip.svg"}' in transcript
    assert (tmp_path / "flip.svg").read_text().startswith("<svg")
