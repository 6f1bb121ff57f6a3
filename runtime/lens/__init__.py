"""The lens: look inside a compiled or trained model on one input, or two.

By job:

* ``runtime.lens.variables``: every RASP variable decoded from the residual stream
  at every point, heads labelled by selector, MLP units by rule, text and JSON views;
* ``runtime.lens.logit_lens``: the unembedding read at every point (top value, the
  final answer's rank and probability, KL divergence to the final output);
* ``runtime.lens.attribution``: each embedding, head and MLP's share of the answer's logit;
* ``runtime.lens.patching``: activation patching between a clean and a corrupt input;
* ``runtime.lens.study``: all of the above for one input, from one cached pass;
* ``runtime.lens.html`` the page, ``runtime.lens.plots`` its SVG heatmaps,
  ``runtime.lens.png`` the same heatmaps as PNG files.

The names below are the ones other code imports from ``runtime.lens``.
"""
from runtime.lens.attribution import Attribution, Component, attribute
from runtime.lens.html import Page, page_heatmaps, render_html, render_page, write_html, write_page
from runtime.lens.logit_lens import LogitLensGrid, logit_lens_of, read_logit_lens
from runtime.lens.patching import PatchGrid, PatchReport, patch
from runtime.lens.study import Study, study
from runtime.lens.variables import (ACTIVE, MAX_UNITS_SHOWN, HeadView, LensReport, PointReading, SubspaceReading,
                                    UnitView, analyze, attended_keys, decode_subspace, format_text, inspect,
                                    logit_lens, read_point, report_json, summary)

__all__ = ["ACTIVE", "MAX_UNITS_SHOWN", "Attribution", "Component", "HeadView", "LensReport", "LogitLensGrid",
           "Page", "PatchGrid", "PatchReport", "PointReading", "Study", "SubspaceReading", "UnitView", "analyze",
           "attended_keys", "attribute", "decode_subspace", "format_text", "inspect", "logit_lens",
           "logit_lens_of", "page_heatmaps", "patch", "read_logit_lens", "read_point", "render_html",
           "render_page", "report_json", "study", "summary", "write_html", "write_page"]
