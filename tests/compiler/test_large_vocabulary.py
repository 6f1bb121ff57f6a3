"""A vocabulary of 10,000 words read only through lexicon lookups: the lookups fold
into the embedding, so the model holds V x (what the lookups write), and the
compiled model agrees with the interpreter on random sentences."""
from __future__ import annotations

import random
import textwrap

import numpy as np

from compiler import compile_program
from rasp.interpreter import evaluate
from rasp.parser import parse
from rasp.stage import stage
from runtime.engine.forward import Runner
from runtime.outputs import same_output

WORDS = 10_000
CLASSES = ("neg", "boost", "other", "but")


def lexicon_program(tmp_path, words: int = WORDS, seed: int = 0):
    """One numerical lexicon and two categorical word classes over ``words`` words
    (a seeded random lexicon), then a negation rule one word back."""
    rng = random.Random(seed)
    names = [f"w{i}" for i in range(words)]
    (tmp_path / "valence.tsv").write_text(
        "".join(f"{w}\t{rng.randint(-40, 40) / 10 if rng.random() < 0.5 else 0}\n" for w in names))
    (tmp_path / "kind.tsv").write_text("".join(f"{w}\t{rng.choice(CLASSES)}\n" for w in names))
    (tmp_path / "loud.tsv").write_text("".join(f"{w}\t{rng.choice(['yes', 'no'])}\n" for w in names))
    source = textwrap.dedent("""
        @table valence_of = "valence.tsv";
        @table kind_of = "kind.tsv";
        @table loud_of = "loud.tsv";
        @vocab [w for w in kind_of];
        @max_len 16;
        @output total;
        valence = valence_of[tokens];
        @numerical valence;
        kind = kind_of[tokens];
        loud = loud_of[tokens] == "yes";
        before = aggregate(select(indices, indices - 1, ==), kind, "other");
        signed = valence * (0 - 1 if before == "neg" else 1) * (2 if loud else 1);
        @numerical signed;
        total = aggregate(select(indices, indices, ==), signed);
    """)
    program = stage(parse(source, str(tmp_path / "lexicon.rasp")), (str(tmp_path),))
    return program, names


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
