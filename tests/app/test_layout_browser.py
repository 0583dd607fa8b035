"""Every page at 1280x720 in a real browser (Debian's chromium through Playwright), on a
catalog of the default size: no metric value or label cut by an ellipsis, no table or chart
wider than the viewport, no data grid wider than its frame, and no "nan" anywhere in the
visible text.

The default catalog size matters: the count cards cut "50,000" to "50,…" only when the
catalog is that big. Screenshots go to test-artifacts/layout-*.png for people to look at.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.app.test_e2e_browser import (ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, FIRST_RESULTS_TIMEOUT_MS, OVERFLOW_JS,
                                        running_app)

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} not installed")]

VIEWPORT = {"width": 1280, "height": 720}
PAGES = ["Search", "Bandit", "Memory", "Simulator", "Ranker", "Logs", "Catalog"]

# Text an ellipsis actually cuts (metric values, labels and deltas: any element inside them whose
# content is wider than its box). Tables and charts reaching past the viewport, and data grids
# whose columns scroll sideways in their frame: OVERFLOW_JS.
CUT_JS = """() => {
  const bad = [];
  const sel = '[data-testid="stMetricValue"], [data-testid="stMetricLabel"], [data-testid="stMetricDelta"]';
  for (const el of document.querySelectorAll(sel)) {
    for (const d of [el, ...el.querySelectorAll('*')]) {
      if (d.clientWidth > 0 && d.scrollWidth > d.clientWidth + 1) {
        bad.push(`cut ${el.getAttribute('data-testid')} "${el.innerText.trim()}" (${d.scrollWidth}px in ${d.clientWidth}px)`);
        break;
      }
    }
  }
  return bad;
}"""
NAN = re.compile(r"(?<![\w])nan(?![\w])", re.IGNORECASE)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from ltrr.catalog.synthetic import DEFAULT_TRACKS

    with running_app(tmp_path_factory.mktemp("layout"), DEFAULT_TRACKS, "layout-streamlit.log",
                     stop_timeout_s=30) as (url, _):
        yield url


def settle(page, ms: int = 1_500) -> None:
    page.wait_for_timeout(300)
    page.get_by_test_id("stStatusWidget").wait_for(state="hidden", timeout=120_000)
    page.wait_for_timeout(ms)


def check(page, name: str, problems: dict[str, list[str]]) -> None:
    """Open every expander, scroll the main area through, and collect what is cut or NaN."""
    for summary in page.get_by_test_id("stExpander").locator("summary").all():
        if summary.is_visible():
            summary.click()
            page.wait_for_timeout(300)
    page.wait_for_timeout(1_000)
    main = page.get_by_test_id("stMain")
    found: list[str] = []
    # Streamlit scrolls its main container, not the window; grids draw when seen. Every
    # screenful down to the bottom of the page (the search page with results is about
    # eight; a short page needs one or two), twelve at most.
    screens = main.evaluate("m => Math.ceil(Math.max(0, m.scrollHeight - m.clientHeight) / 600) + 1")
    for i in range(min(int(screens), 12)):
        main.evaluate("(m, i) => { m.scrollTop = i * 600; }", i)
        page.wait_for_timeout(400)
        found += page.evaluate(CUT_JS) + page.evaluate(OVERFLOW_JS)
    text = page.locator("body").inner_text()
    found += [f"NaN in “{text[max(0, m.start() - 40):m.end() + 40]}”" for m in NAN.finditer(text)]
    if found:
        problems[name] = sorted(set(found))
    main.evaluate("m => { m.scrollTop = 0; }")
    page.screenshot(path=str(ARTIFACTS / f"layout-{name}.png"))


def test_nothing_is_cut_and_no_grid_scrolls_sideways_at_1280x720(server):
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    problems: dict[str, list[str]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport=VIEWPORT).new_page()
            page.goto(server + "/?q=love", wait_until="domcontentloaded")
            play = page.get_by_role("button", name="▶ Play", exact=True)
            expect(play.first).to_be_visible(timeout=FIRST_RESULTS_TIMEOUT_MS)
            play.nth(1).click()
            expect(page.get_by_text("played from position")).to_be_visible(timeout=60_000)
            settle(page)
            for label in PAGES:
                if label != "Search":
                    page.get_by_test_id("stSidebar").get_by_role("link", name=label, exact=True).click()
                    settle(page, 2_500)
                if label == "Simulator":
                    # A short run of the default comparison, so its cards and verdict are on the page.
                    for name, value in (("Simulated searches", "30"), ("Users", "5"), ("Tuning searches", "30")):
                        if name == "Tuning searches":
                            page.get_by_test_id("stExpander").filter(has_text="tuned fixed baseline") \
                                .locator("summary").click()
                        box = page.get_by_label(name)
                        box.fill(value)
                        box.press("Tab")
                    page.get_by_role("button", name="Run simulation").click()
                    expect(page.get_by_text(re.compile("Finished 30 simulated searches"))) \
                        .to_be_visible(timeout=400_000)
                    settle(page, 2_500)
                check(page, label.lower(), problems)
                if label == "Catalog":
                    # Episodes have the longest titles and subtitles of the catalog.
                    page.get_by_test_id("stSelectbox").filter(has_text="Type").click()
                    page.get_by_role("option", name="episode", exact=True).click()
                    settle(page)
                    check(page, "catalog-episodes", problems)
            assert not page.get_by_test_id("stException").count()
        finally:
            browser.close()
    assert problems == {}
