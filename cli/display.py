"""How the command line and the demo show values, inputs and models.

Values as a person reads them (``shown_sequence``: ``[c, b, a]``, booleans as T and
F), an input as a RASP literal (``input_literal``), values as JSON (``json_value``:
non-finite numbers as strings, a selector's matrix as booleans), and a model's
output s-op (``describe_output``; its size is ``runtime.model.model_facts``).
"""
from __future__ import annotations

import math
from typing import Any, Sequence

from runtime.model import CATEGORICAL, Model


def shown_atom(value: Any) -> str:
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, float):
        return str(round(value, 4))
    return str(value)


def shown_sequence(values: Sequence[Any]) -> str:
    return "[" + ", ".join(shown_atom(v) for v in values) + "]"


def input_literal(tokens: Sequence[Any]) -> str:
    """An input as a RASP literal: ``"abc"`` for characters, else a list."""
    if all(isinstance(t, str) and len(t) == 1 for t in tokens):
        return '"' + "".join(tokens) + '"'
    return "[" + ", ".join(f'"{t}"' if isinstance(t, str) else str(t) for t in tokens) + "]"


def json_atom(value: Any) -> Any:
    """A value JSON can hold: a non-finite float as its text ("nan", "inf", "-inf")."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def json_value(values: Any) -> Any:
    """A sequence of values (or a selector's matrix, as booleans) for JSON."""
    if isinstance(values, list) and values and isinstance(values[0], list):
        return [[bool(v) for v in row] for row in values]
    return [json_atom(v) for v in values]


def describe_output(model: Model) -> str:
    """The output s-op and how it is read: ``reverse (categorical, 3 values)``."""
    config = model.config
    if config.output_encoding == CATEGORICAL:
        return f"{model.output_name} (categorical, {len(config.output_values)} values)"
    return f"{model.output_name} (numerical)"
