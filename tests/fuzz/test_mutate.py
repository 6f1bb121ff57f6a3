"""Source mutation for front-end fuzzing (``fuzz.mutate``): seeded, and every kind of
damage it documents shows up."""
from __future__ import annotations

import random

from fuzz.generator import generate
from fuzz.mutate import mutate_source, random_source


def test_fuzz_mutations_are_seeded():
    source = generate(3).source
    assert mutate_source(source, random.Random(5)) == mutate_source(source, random.Random(5))
    assert random_source(random.Random(5)) == random_source(random.Random(5))


def test_mutations_vary_and_mostly_change_the_text():
    """A mutation may, rarely, give the text back (a cut at its very end, a swap of
    equal tokens); over 200 seeds nearly all change it, and few coincide."""
    source = generate(3).source
    mutated = [mutate_source(source, random.Random(seed)) for seed in range(200)]
    assert sum(m != source for m in mutated) >= 190
    assert len(set(mutated)) >= 180


def test_every_documented_kind_of_damage_appears():
    source = generate(3).source
    mutated = [mutate_source(source, random.Random(seed)) for seed in range(300)]
    assert any("\ndeep = " in m for m in mutated), "deep nesting"
    assert any("\nbig = " in m for m in mutated), "huge literals"
    assert any("\nlong = " in m for m in mutated), "long lines"
    assert any(len(m) < len(source) // 2 for m in mutated), "text cut short"
    assert any(any(ord(c) > 127 for c in m) for m in mutated), "random unicode"


def test_random_source_is_made_of_fragments_and_some_characters():
    texts = [random_source(random.Random(seed)) for seed in range(100)]
    assert all(1 <= len(t) for t in texts)
    assert sum("select(" in t or "aggregate(" in t for t in texts) >= 20
