"""The language's errors: source that does not parse, stage or evaluate."""
from __future__ import annotations

from raspc.errors import RaspcError


class RaspSyntaxError(RaspcError):
    """The source text does not parse."""


class RaspNameError(RaspcError):
    """A name is used before it is defined, or a reserved name is redefined."""


class RaspTypeError(RaspcError):
    """A value of the wrong kind: calling a non-function, mixing selectors and s-ops, ..."""


class RaspEvaluationError(RaspcError):
    """Evaluation failed on an input: averaging strings, a bad index, division by zero."""
