"""What the commands say about a program in its own terms: the output under the
user's name, warnings and errors at file:line:column."""
from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import cli


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "prog.rasp"
    path.write_text(text)
    return str(path)



def test_an_output_that_aliases_tokens_keeps_the_users_name(tmp_path, capsys):
    path = write(tmp_path, '@vocab "abc";\n@max_len 4;\ny = tokens;\n@output y;\n')
    status, out, _ = cli(capsys, "compile", path)
    assert status == 0 and out.startswith(f"compiled {path}: y (categorical")
    model = str(tmp_path / "y.safetensors")
    status, out, _ = cli(capsys, "compile", path, "-o", model, "--json")
    assert json.loads(out)["output"] == "y"
    status, out, _ = cli(capsys, "run", model, "--input", "cab")
    assert status == 0 and out.startswith('y("cab")')


def test_a_token_literal_outside_the_vocabulary_is_warned_about_at_its_line(tmp_path, capsys):
    path = write(tmp_path, '@vocab "abc";\n@max_len 4;\ny = tokens == "z";\nk = tokens == "a";\n@output y;\n')
    status, _, err = cli(capsys, "compile", path)
    assert status == 0
    assert f"{path}:3:5: warning:" in err and "'z'" in err
    assert f"{path}:4:" not in err


def test_a_numeric_literal_against_string_tokens_is_warned_about(tmp_path, capsys):
    # tokens are strings: over the vocabulary [1, 2], tokens == 2 never holds, tokens == "2" may.
    path = write(tmp_path, '@vocab [1, 2];\n@max_len 3;\ny = tokens == 2;\nz = tokens == "2";\n@output y;\n')
    status, _, err = cli(capsys, "compile", path)
    assert status == 0
    assert f"{path}:3:5: warning:" in err and f"{path}:4:" not in err
