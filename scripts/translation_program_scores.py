"""The compiled English to French translator (programs/nlp/translate_en_fr.rasp) measured:
its size, its French against the reference translator's on generated sentences, and its
coverage, exact match and chrF on a corpus.

    PYTHONPATH=. python scripts/translation_program_scores.py [DATA.tsv] [--generated N] [--misses N]

Compiles the program (compile time, layers, heads, parameters), then runs the compiled
model, batched, on

* the generator's sentences (tests/support/english_grammar.py, seed 1) of the
  constructions the program covers: how many give the reference translator's French,
  and how many the model answers as the interpreter does;
* DATA.tsv (default ../shared/data/translation/tatoeba_be_dev.tsv): the share of
  sentences the model translates (it refuses the others at every position), exact match
  against some reference on those (case, spaces and French punctuation spacing
  normalised), chrF over all sentences (an untranslated sentence counts as empty) beside
  the reference translator's, and sentences per second through the model.

The model's French is its positions' chunks joined with French spacing
(join_chunks in tests/support/french_corpus.py).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from compiler import compile_program
from rasp.interpreter import evaluate
from rasp.stage import load_program
from runtime.engine.forward import Runner
from runtime.outputs import same_output
from scripts.translation_coverage import DEFAULT, chrf
from tests.support.english_grammar import generate_sentences
from tests.support.french import translate
from tests.support.french_corpus import join_chunks, read_corpus, score

ROOT = Path(__file__).resolve().parents[1]
PROGRAM = ROOT / "programs" / "nlp" / "translate_en_fr.rasp"
COVERED_CONSTRUCTIONS = ("be_adjective", "be_idiom", "be_age", "be_place", "be_noun", "progressive", "comparison", "going_to", "modal",
                         "past", "present", "tag_question")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--generated", type=int, default=9000,
                        help="sentences to generate (all constructions; the covered ones are kept)")
    parser.add_argument("--misses", type=int, default=0, help="print this many translated sentences that match no reference")
    options = parser.parse_args(argv)

    program = load_program(str(PROGRAM))
    started = time.perf_counter()
    model = compile_program(program)
    compile_seconds = time.perf_counter() - started
    print(f"compiled in {compile_seconds:.1f} s: {model.config.n_layers} layers, {model.n_heads} heads, "
          f"d_model {model.layout.d_model}, d_mlp {model.d_mlp}, {model.n_params:,} parameters, "
          f"vocabulary {len(program.vocab)}")
    encoder = program.tokenizer.encoder(program.vocab)
    runner = Runner(model)

    def run(sentences: list[str]) -> tuple[list[list[str]], list[list[str]]]:
        tokens = [encoder.encode(s, model.config.max_len).tokens for s in sentences]
        return tokens, runner.run(tokens)

    generated = [g.english for g in generate_sentences(options.generated, seed=1)
                 if g.construction in COVERED_CONSTRUCTIONS]
    tokens, outputs = run(generated)
    same = sum(same_output(evaluate(program.names["french"], t), o) for t, o in zip(tokens, outputs))
    answered = [(s, join_chunks(o)) for s, o in zip(generated, outputs) if join_chunks(o) is not None]
    agree = sum(french == translate(s) for s, french in answered)
    print(f"generated: {len(generated)} sentences of {', '.join(COVERED_CONSTRUCTIONS)}; the model translates "
          f"{len(answered)} (it refuses ages in digits, an adjective before a plural noun after be, better "
          f"than, did not, do not, I go, and objects with a number, these, those, an adjective after the noun "
          f"or a noun that is also a verb), "
          f"{agree} as the reference translator does; "
          f"model and interpreter agree on {same}")

    corpus = read_corpus(options.data)
    started = time.perf_counter()
    tokens, outputs = run([line.english for line in corpus])
    seconds = time.perf_counter() - started
    same = sum(same_output(evaluate(program.names["french"], t), o) for t, o in zip(tokens, outputs))
    french = {line.english: join_chunks(o) for line, o in zip(corpus, outputs)}
    result = score(corpus, lambda english: french[english])
    references = [line.references for line in corpus]
    ours = chrf([french[line.english] or "" for line in corpus], references)
    reference = chrf([translate(line.english) or "" for line in corpus], references)
    as_reference = sum(1 for line in corpus if french[line.english] is not None
                       and french[line.english] == translate(line.english))
    print(f"{options.data.name}: {result.sentences} sentences, translated {result.covered} "
          f"({100 * result.coverage:.1f}%), exact match on those {result.exact} ({100 * result.exact_match:.1f}%), "
          f"{as_reference} as the reference translator; model and interpreter agree on {same}")
    print(f"chrF over all sentences: compiled model {ours:.1f}, reference translator {reference:.1f}")
    started = time.perf_counter()
    for line in corpus:
        translate(line.english)
    reference_seconds = time.perf_counter() - started
    print(f"throughput: {len(corpus) / seconds:.0f} sentences per second through the compiled model "
          f"(batched, jit compile included); the reference translator {len(corpus) / reference_seconds:.0f}")
    for english, ours_french in [(s, f) for s, f in answered if f != translate(s)][: options.misses]:
        print(f"  generated, unlike the reference translator: {english}  ->  {ours_french}   | {translate(english)}")
    for english, ours_french, refs in result.misses[: options.misses]:
        print(f"  {english}  ->  {ours_french}   | {' | '.join(refs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
