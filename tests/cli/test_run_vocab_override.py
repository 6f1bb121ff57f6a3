"""``raspc run FILE --input ... --vocab ...``: the file's own examples, written for
its ``@vocab``, do not end the command when the overriding vocabulary lacks their
tokens; they are skipped with a note, and the ones it can encode still run."""
from __future__ import annotations

from pathlib import Path

from cli.main import main

ROOT = Path(__file__).resolve().parents[2]

SORT_ABC = """\
@vocab "abc";
@max_len 4;
@output sorted_tokens;
smaller = selector_width(select(tokens, tokens, <));
not_larger = selector_width(select(tokens, tokens, <=));
earlier_copies = selector_width(select(tokens, tokens, ==) and select(indices, indices, <));
first_copy = earlier_copies == 0;
holds_position = select(smaller, indices, <=) and select(not_larger, indices, >)
                 and select(first_copy, True, ==);
sorted_tokens = aggregate(holds_position, tokens);
sorted_tokens("cab");
sorted_tokens("ba");
"""


def test_the_documented_sort_command_runs_the_extra_input_and_notes_the_skipped_examples(capsys):
    status = main(["run", str(ROOT / "programs" / "sort.rasp"), "--input", "[3,1,2]", "--vocab", "[1,2,3]"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert f"= [{', '.join(str(v) for v in sorted([3, 1, 2]))}]" in captured.out
    assert "MISMATCH" not in captured.out
    notes = [line for line in captured.err.splitlines() if "note: skipped" in line]
    assert len(notes) == 3  # sort.rasp's three examples all use letters
    assert 'sorted_tokens("cabca")' in notes[0] and "sort.rasp:34:1" in notes[0]


def test_examples_the_overriding_vocabulary_can_encode_still_run(tmp_path, capsys):
    path = tmp_path / "sort_abc.rasp"
    path.write_text(SORT_ABC)
    status = main(["run", str(path), "--input", "ab", "--vocab", "ab"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert 'sorted_tokens("ba") = [a, b]' in captured.out
    assert 'sorted_tokens("ab") = [a, b]' in captured.out
    assert "sorted_tokens(\"cab\") =" not in captured.out
    assert "'c' is not in --vocab" in captured.err


def test_without_an_extra_input_an_example_outside_the_vocabulary_is_still_an_error(capsys):
    status = main(["run", str(ROOT / "programs" / "sort.rasp"), "--vocab", "[1,2,3]"])
    assert status == 2
    assert "not in the vocabulary" in capsys.readouterr().err
