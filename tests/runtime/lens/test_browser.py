"""The lens page in a real browser: for reverse, sort and dyck2 the page opens in
headless Chromium with no console errors, the filter and the folding work, and a
screenshot of each section is taken (``RASPC_SCREENSHOTS=DIR`` keeps them).

Needs the ``playwright`` package and Debian's ``chromium`` (``.ci/run`` installs
both); playwright drives /usr/bin/chromium and never downloads a browser. Skipped
where either is missing.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from runtime.lens.html import Page, write_page
from runtime.lens.patching import patch
from runtime.lens.study import study
from tests.runtime.lens.bundled import bundled

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("RASPC_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM}")

PAIRS = {"reverse": ("abcd", "abdd"), "sort": ("cabca", "cabcb"), "dyck2": ("({})}", "({)}}")}
SECTIONS = ("summary", "residual", "logit-lens", "attribution", "patching", "attention", "units")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=["--no-sandbox", "--disable-gpu"])
        yield launched
        launched.close()


def _shots_folder(tmp_path: Path, name: str) -> Path:
    kept = os.environ.get("RASPC_SCREENSHOTS")
    folder = Path(kept) / name if kept else tmp_path / "shots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_the_page_opens_without_errors_and_every_section_shows(name, browser, tmp_path):
    case = bundled(name)
    clean, corrupt = (tuple(text) for text in PAIRS[name])
    page_file = tmp_path / f"{name}.html"
    write_page(Page((study(case.model, clean), study(case.model, corrupt)), ("clean", "corrupt"),
                    patch(case.model, clean, corrupt)), str(page_file))
    tab = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    tab.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    tab.on("pageerror", lambda error: errors.append(str(error)))
    requests: list[str] = []
    tab.on("request", lambda request: requests.append(request.url))
    tab.goto(page_file.as_uri())
    tab.wait_for_load_state("load")
    folder = _shots_folder(tmp_path, name)
    for anchor in SECTIONS:
        section = tab.locator(f"#{anchor}")
        assert section.is_visible(), anchor
        box = section.bounding_box()
        assert box["height"] > 30 and box["width"] > 300, (anchor, box)
        shot = folder / f"{anchor}.png"
        section.screenshot(path=str(shot))
        assert shot.stat().st_size > 2000
    assert errors == []
    assert requests == [page_file.as_uri()]          # nothing fetched but the page itself

    # the filter hides the rows of other variables, and folding closes every section
    output = case.model.config.output
    rows = tab.locator("#residual tr[data-filter]")
    total = rows.count()
    tab.fill("#filter", output)
    visible = sum(rows.nth(k).is_visible() for k in range(total))
    assert 1 <= visible < total
    tab.fill("#filter", "")
    assert sum(rows.nth(k).is_visible() for k in range(total)) == total
    tab.click("#fold-all")
    assert not tab.locator("#attribution table").first.is_visible()
    tab.click("#unfold-all")
    assert tab.locator("#attribution table").first.is_visible()
    assert errors == []
    tab.close()
