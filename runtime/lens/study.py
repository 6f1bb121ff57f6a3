"""Everything the lens reads from one input, from one cached pass.

    >>> reading = study(model, "abcd")                       # doctest: +SKIP
    >>> reading.attribution.total()                          # doctest: +SKIP
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from runtime.engine.hooks import run_with_cache
from runtime.lens.attribution import Attribution, attribute
from runtime.lens.logit_lens import LogitLensGrid, logit_lens_of
from runtime.lens.variables import LensReport, analyze, padded_ids, trace_of
from runtime.model import Model


@dataclass(frozen=True)
class Study:
    """One input read every way: its variables, heads and units (``report``), the
    logit lens in full and the direct attribution of its answer. The last two are
    None for a report made without them (``runtime.lens.html.render_html``)."""

    report: LensReport
    logit_lens: LogitLensGrid | None = None
    attribution: Attribution | None = None

    @property
    def tokens(self) -> tuple[Any, ...]:
        return self.report.tokens


def study(model: Model, tokens: Sequence[Any]) -> Study:
    """Run ``model`` once on ``tokens`` and read it (InputError for a bad input)."""
    tokens = tuple(tokens)
    cache = run_with_cache(model.params, padded_ids(model, tokens), model.config)
    return Study(analyze(model, trace_of(cache), tokens), logit_lens_of(model, cache, tokens),
                 attribute(model, cache, tokens))
