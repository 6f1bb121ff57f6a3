"""``@tokenizer`` and ``@tolerance``: the declarations of programs that read text.

Staging hands each such statement to a ``TextDeclarations`` and, once the file
is staged, lets it finish the ``Program``:

* ``@tokenizer {options};`` records how raw text becomes tokens
  (``raspc.text.Tokenizer``). With ``"caps": True`` a word written in capitals
  is a token of its own (``GOOD`` beside ``good``), and from the declaration on,
  ``tokens`` is the word in lower case and ``caps`` whether it was written in
  capitals: two maps of the input, which the compiler writes into the embedding.
  The program's vocabulary becomes every token the tokenizer can write.
* ``@tolerance name error[, resolution];`` lets the compiler build the map
  ``name`` (and the unnamed maps of its expression) to within ``error`` of its
  exact value where no exact MLP of a useful size exists (a function of a number that takes too many values to list); within
  ``resolution / 2`` of a jump (default: the error) it may be off by more.

    >>> from rasp.parser import parse
    >>> from rasp.stage import stage
    >>> program = stage(parse('@tokenizer {"caps": True};\\n@vocab ["good"];\\nloud = caps;'))
    >>> program.vocab
    ('good', 'GOOD')
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable

from rasp import ast, ir
from rasp.errors import RaspTypeError
from raspc.errors import SourceLocation
from raspc.text import Tokenizer, TokenizerError, is_caps, word_of


@dataclass
class TextDeclarations:
    """What a file declared about text, gathered while it is staged."""

    tokenizer: Tokenizer | None = None
    tolerances: list[tuple[str, Any, SourceLocation]] = field(default_factory=list)

    def declare(self, node: ast.TokenizerDecl | ast.ToleranceDecl, env, evaluate: Callable) -> None:
        """Record one declaration; ``evaluate(expr, env)`` stages its expressions."""
        if isinstance(node, ast.ToleranceDecl):
            error = evaluate(node.value, env)
            resolution = error if node.resolution is None else evaluate(node.resolution, env)
            self.tolerances.append((node.name, (error, resolution), node.loc))
            return
        try:
            self.tokenizer = Tokenizer.from_options(evaluate(node.options, env))
        except TokenizerError as error:
            raise RaspTypeError(error.message, node.loc) from None
        if self.tokenizer.caps:
            env.set("tokens", ir.Map(fn=word_of, inner=ir.TOKENS, description="word({0})", name="tokens"),
                    node.loc)
            env.set("caps", ir.Map(fn=is_caps, inner=ir.TOKENS, description="capitals({0})", name="caps"),
                    node.loc)

    def finish(self, program: ir.Program, env) -> ir.Program:
        """The program with its tolerances set and, with a tokenizer, the
        vocabulary every token it can write."""
        for name, value, location in self.tolerances:
            target = env.lookup(name, location)
            if not isinstance(target, (ir.Map, ir.SequenceMap)):
                raise RaspTypeError(f"@tolerance applies to a map of s-ops; {name!r} is not one", location)
            for number in value:
                if isinstance(number, bool) or not isinstance(number, (int, float)) or not number > 0:
                    raise RaspTypeError(f"@tolerance needs positive numbers, got {number!r}", location)
            _set_tolerance(target, ir.Tolerance(float(value[0]), float(value[1])))
        if self.tokenizer is None:
            return program
        vocab = program.vocab
        if vocab is not None:
            try:
                vocab = self.tokenizer.alphabet(vocab)
            except TokenizerError as error:
                raise RaspTypeError(error.message) from None
        return replace(program, vocab=vocab, tokenizer=self.tokenizer)


def _set_tolerance(target: ir.RaspExpr, tolerance: ir.Tolerance) -> None:
    """The tolerance of a map and of the unnamed maps of its expression
    (``(a + b) * n`` is one map to the reader, three to staging)."""
    target.tolerance = tolerance
    for child in target.children:
        if isinstance(child, (ir.Map, ir.SequenceMap)) and child.name is None and child.tolerance is None:
            if child.encoding_hint is None and target.encoding_hint == ir.Encoding.NUMERICAL:
                child.encoding_hint = ir.Encoding.NUMERICAL  # a part of a number is a number
            _set_tolerance(child, tolerance)
