"""The held-out test lines of a model trained on a corpus of sentences, as a corpus
of their own, so that ``raspc eval-corpus`` scores any model on exactly the
sentences the trained one never saw.

    PYTHONPATH=. python scripts/held_out_corpus.py TRAINED.safetensors > held_out.tsv

``raspc train --corpus FILE --text-column K`` records in the model file which lines
of FILE it held out (``held_out_lines``: "test" and "validation"); this writes the
test lines of FILE, unchanged, in the order of the file.
"""
from __future__ import annotations

import sys
from pathlib import Path

from raspc.errors import InputError
from runtime.io import load_model


def held_out_text(model_path: str) -> str:
    model = load_model(model_path)
    held, corpus = model.stats.get("held_out_lines"), model.settings.get("corpus")
    if not held or not corpus:
        raise InputError(f"{model_path} was not trained on a corpus of sentences (raspc train --text-column)")
    lines = Path(corpus).read_text(encoding="utf-8").splitlines()
    return "".join(lines[number - 1] + "\n" for number in sorted(held["test"]))


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python scripts/held_out_corpus.py TRAINED.safetensors > held_out.tsv", file=sys.stderr)
        return 2
    try:
        sys.stdout.write(held_out_text(argv[0]))
    except (InputError, OSError) as error:
        print(f"error: {getattr(error, 'message', error)}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
