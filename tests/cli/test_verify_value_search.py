"""``raspc verify`` counts each output value and, for a categorical output, searches
for inputs with the answers random inputs rarely give (``cli.value_search``).

Expected counts come from plain Python here: a bracket-balance check written in the
test, and brute force over every input."""
from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np

from cli.commands import verify as verify_command
from cli.main import main
from cli.value_search import search_inputs, value_key

ROOT = Path(__file__).resolve().parents[2]
DYCK1 = str(ROOT / "programs" / "dyck1.rasp")

#: Two s-op counts whose sum never exceeds the length; the compiler's value sets
#: cannot see that, so "never" is an output value that no input gives.
UNREACHABLE = """\
@vocab "ab";
@max_len 4;
@output answer;
n = selector_width(select(tokens, tokens, ==));
m = selector_width(select(tokens, tokens, !=));
answer = "never" if n + m > length else "ok";
"""


def dyck1_label(prefix: str) -> str:
    """T balanced, P could still be balanced, F can never be (dyck1.rasp's header)."""
    depth = 0
    for bracket in prefix:
        depth += 1 if bracket == "(" else -1
        if depth < 0:
            return "F"
    return "T" if depth == 0 else "P"


def dyck1_labels(tokens) -> list[str]:
    text = "".join(tokens)
    return [dyck1_label(text[:i + 1]) for i in range(len(text))]


def verify_json(capsys, *argv) -> tuple[int, dict]:
    status = main(["verify", *argv, "--json"])
    return status, json.loads(capsys.readouterr().out)


def counts(record: dict, what: str) -> dict:
    return {entry["value"]: entry[what] for entry in record["value_counts"]}


def test_exhaustive_counts_match_brute_force(capsys):
    max_len = 6
    status, record = verify_json(capsys, DYCK1, "--max-len", str(max_len))
    assert status == 0 and record["exhaustive"]
    inputs = ["".join(p) for n in range(1, max_len + 1) for p in itertools.product("()", repeat=n)]
    balanced = sum(dyck1_label(text) == "T" for text in inputs)
    assert balanced == 1 + 2 + 5  # Catalan numbers of lengths 2, 4, 6
    assert counts(record, "answers") == {label: sum(dyck1_label(t) == label for t in inputs) for label in "TPF"}
    assert counts(record, "positions")["T"] == sum(dyck1_labels(t).count("T") for t in inputs)
    assert record["unreached"] == [] and record["searched"] == 0


def test_the_search_checks_the_balanced_answer_many_times(capsys):
    # 131,070 inputs of length 1..16: too many to enumerate, and random ones are rarely balanced.
    argv = (DYCK1, "--max-len", "16", "--samples", "200", "--seed", "3")
    status, plain = verify_json(capsys, *argv, "--per-value", "0")
    assert status == 0 and not plain["exhaustive"]
    sampled = verify_command.sampled_inputs(("(", ")"), 16, 200, 3)
    random_balanced = sum(dyck1_labels(tokens)[-1] == "T" for tokens in sampled)
    assert counts(plain, "answers").get("T", 0) == random_balanced < 40
    status, searched = verify_json(capsys, *argv, "--per-value", "40")
    assert status == 0 and searched["mismatched"] == 0
    assert counts(searched, "answers")["T"] >= 40
    assert searched["searched"] >= 40 - random_balanced
    assert searched["checked"] == 200 + searched["searched"]


def test_search_inputs_finds_new_inputs_with_the_wanted_answer():
    rng = np.random.default_rng(0)
    starts = [tuple(rng.choice(["(", ")"], size=int(rng.integers(1, 13)))) for _ in range(50)]
    seen = set(starts)
    values = {value_key(v): v for v in "TPF"}
    found = search_inputs(dyck1_labels, starts, {value_key("T"): 25}, values, ("(", ")"), 12, seen, seed=1,
                          budget=20_000)
    assert len(found.inputs) == 25 and len(set(found.inputs)) == 25
    assert not set(found.inputs) & set(starts)
    assert all(dyck1_label("".join(tokens)) == "T" and len(tokens) <= 12 for tokens in found.inputs)


def test_a_value_no_input_gives_is_named(tmp_path, capsys):
    path = tmp_path / "unreachable.rasp"
    path.write_text(UNREACHABLE)
    status = main(["verify", str(path)])
    out = capsys.readouterr().out
    assert status == 0
    assert "never reached as an answer: never" in out
    assert "answers (value at the last position): ok 30" in out  # 2 + 4 + 8 + 16 inputs


def test_the_search_is_seeded_and_ends_when_the_input_space_is_exhausted(tmp_path, capsys, monkeypatch):
    """dyck1 at max_len 4 has 30 inputs, 3 of them balanced: far fewer than --per-value
    asks, so the search must stop once it has tried them all, and say so the same way
    twice."""
    monkeypatch.setattr(verify_command, "EXHAUSTIVE_LIMIT", 10)
    runs = [verify_json(capsys, DYCK1, "--max-len", "4", "--samples", "5", "--seed", "2", "--per-value", "50")
            for _ in range(2)]
    assert runs[0][0] == 0 and not runs[0][1]["exhaustive"]
    assert runs[0][1] == {**runs[1][1], "seconds": runs[0][1]["seconds"]}
    inputs = ["".join(p) for n in range(1, 5) for p in itertools.product("()", repeat=n)]
    assert counts(runs[0][1], "answers")["T"] == sum(dyck1_label(t) == "T" for t in inputs) == 1 + 2
