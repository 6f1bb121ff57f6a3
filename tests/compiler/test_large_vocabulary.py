"""A vocabulary of 10,000 words read only through lexicon lookups: the lookups fold
into the embedding, so the model holds V x (what the lookups write), and the
compiled model agrees with the interpreter on random sentences."""
from __future__ import annotations

import random

import numpy as np

from compiler import compile_program
from rasp.interpreter import evaluate
from benchmark.text_rows import lexicon_program
from runtime.engine.forward import Runner
from runtime.outputs import same_output

WORDS = 10_000


def test_ten_thousand_words_cost_the_width_of_their_lookups(tmp_path):
    program, names = lexicon_program(tmp_path)
    model = compile_program(program)
    layout = model.layout
    # What the lookups write: one direction for the valence, four for the word
    # class, two for the loud flag; with one and bos, the token rows write 9.
    assert layout["valence"].width == 1 and layout["kind"].width == 4
    assert model.params["token_embed"].shape == (WORDS + 1, 9)
    assert "tokens" not in layout
    assert model.n_params < 1_000_000
    assert model.n_params < (WORDS + 1) * 9 + 100_000  # the rest does not grow with V


def test_ten_thousand_words_agree_with_the_interpreter(tmp_path):
    program, names = lexicon_program(tmp_path)
    model = compile_program(program)
    rng = random.Random(1)
    sentences = [tuple(rng.choice(names) for _ in range(rng.randint(1, 16))) for _ in range(200)]
    got = Runner(model).run(sentences)
    expected = [evaluate(program.names["total"], s) for s in sentences]
    assert all(same_output(e, g) for e, g in zip(expected, got))
    assert max(abs(a - b) for e, g in zip(expected, got) for a, b in zip(e, g)) < 1e-4
    assert np.isfinite(model.params["token_embed"]).all()
