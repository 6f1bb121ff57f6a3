"""The lens page: one self-contained file with every section, for a compiled
model, a model without a layout, and a model of 20 layers and 500 residual
dimensions; the plots also as PNG files."""
from __future__ import annotations

import re

import numpy as np
import pytest

from runtime.lens.html import Page, page_heatmaps, render_page, write_page
from runtime.lens.patching import patch
from runtime.lens.plots import Heatmap, heatmap_svg, intensities
from runtime.lens.png import write_pngs
from runtime.lens.study import study
from tests.runtime.lens.bundled import bundled, dense_model, wide_model

SECTIONS = ("summary", "residual", "logit-lens", "attribution", "patching", "attention", "units")


def _pair_page(model, clean, corrupt, kinds=("sublayer", "head", "subspace")) -> Page:
    return Page((study(model, clean), study(model, corrupt)), ("clean", "corrupt"),
                patch(model, clean, corrupt, kinds))


def _self_contained(page: str) -> None:
    """Nothing to fetch: no URL but the SVG namespace, no external script, style or image."""
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", page)
    assert not re.search(r"<(script|img|iframe)[^>]*\ssrc=", page) and "<link" not in page
    assert page.count("<script") == 1 and page.count("<style>") == 1


def _section_open(page: str, anchor: str) -> bool:
    return re.search(rf'<details class="section" id="{anchor}"( open)?>', page).group(1) is not None


def test_a_compiled_model_page_for_two_inputs(tmp_path):
    model = bundled("sort").model
    page_data = _pair_page(model, tuple("cabca"), tuple("cabcb"))
    page = render_page(page_data)
    _self_contained(page)
    for anchor in SECTIONS:
        assert f'id="{anchor}"' in page
        assert _section_open(page, anchor)
    for subspace in model.layout.subspaces:
        assert f'data-filter="{subspace.name}"' in page
    assert 'id="filter"' in page and page.count('class="side"') >= 4   # the two inputs side by side
    for grid in ("sublayer", "head", "subspace"):
        assert f"Patching each {grid} from clean into corrupt" in page
    write_page(page_data, str(tmp_path / "deep" / "page.html"))
    assert (tmp_path / "deep" / "page.html").read_text() == page


def test_everything_but_the_variables_without_a_layout():
    model = dense_model(seed=5)
    page = render_page(_pair_page(model, ("x", 1, True), (True, 1, True)))
    _self_contained(page)
    assert "no residual layout" in page
    for anchor in ("logit-lens", "attribution", "patching", "attention", "units"):
        assert f'id="{anchor}"' in page
    assert "Rank of the final answer" in page and "KL(final || point)" in page
    assert "Patching each sublayer" in page and "Patching each head" in page
    assert "Patching each subspace" not in page
    assert "L1.H2" in page and "embed.tokens" in page


def test_a_model_of_20_layers_and_500_dimensions_stays_usable():
    model = wide_model()
    page_data = _pair_page(model, tuple("abc"), tuple("abd"), kinds=("sublayer", "subspace"))
    page = render_page(page_data)
    _self_contained(page)
    assert len(page) < 5_000_000
    # the long sections start folded, every variable row can be filtered
    assert not _section_open(page, "residual") and not _section_open(page, "attention")
    assert _section_open(page, "logit-lens") and _section_open(page, "patching")
    assert all(f'data-filter="var{k}"' in page for k in range(100))
    assert page.count("<details class=layer>") >= 2 * 20
    assert page_data.patching.grid("sublayer").restored.shape == (41, 5)   # BOS, 3 tokens, all
    assert page_data.patching.grid("subspace").restored.shape == (100, 5)


def test_heatmaps_escape_their_labels_and_map_values_to_colour():
    heatmap = Heatmap("t", "<b>title</b>", ("<row>",), ("a", "b", "c"), np.array([[0.0, 0.5, np.nan]]))
    svg = heatmap_svg(heatmap)
    assert "<row>" not in svg and "&lt;row&gt;" in svg and "&lt;b&gt;" in svg
    np.testing.assert_allclose(intensities(heatmap), [[0.0, 0.5, 0.0]])
    signed = Heatmap("s", "s", ("r",), ("a", "b"), np.array([[-2.0, 1.0]]), scale="signed")
    np.testing.assert_allclose(intensities(signed), [[-1.0, 0.5]])
    ranks = Heatmap("r", "r", ("r",), ("a", "b", "c"), np.array([[1.0, 2.0, 4.0]]), scale="rank")
    np.testing.assert_allclose(intensities(ranks), [[1.0, 0.5, 0.0]])
    with pytest.raises(ValueError):
        Heatmap("bad", "bad", ("r",), ("a",), np.zeros((2, 1)))


def test_the_plots_as_png_files(tmp_path):
    pytest.importorskip("matplotlib")
    model = bundled("reverse").model
    maps = page_heatmaps(_pair_page(model, tuple("abcd"), tuple("abdd")))
    names = {m.name for m in maps}
    assert {"logit_lens_rank_clean", "logit_lens_kl_corrupt", "attribution_clean", "patching_sublayer",
            "patching_subspace", "pattern_L1H0_corrupt"} <= names
    chosen = [m for m in maps if m.name in ("logit_lens_rank_clean", "patching_subspace", "attribution_corrupt")]
    paths = write_pngs(chosen, str(tmp_path / "plots"))
    assert len(paths) == 3
    for path in paths:
        with open(path, "rb") as handle:
            assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
