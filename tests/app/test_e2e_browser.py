"""One real-browser run of the playground: `streamlit run app.py` on a free
local port with a small generated catalog in tmp, driven by Debian's chromium
through Playwright: type a query as soon as the box shows (the engine may still be opening),
press ▶ Play, see the feedback counter move.
A screenshot is kept under test-artifacts/ for people to look at.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TRACKS = 400
HEALTH_TIMEOUT_S = 60
FIRST_RESULTS_TIMEOUT_MS = 180_000   # the first page load builds the catalog's indexes

# Bounding boxes of every table and chart, and dataframes whose columns scroll sideways (cut columns).
OVERFLOW_JS = """() => {
  const vw = document.documentElement.clientWidth, bad = [];
  for (const el of document.querySelectorAll('[data-testid="stDataFrame"], [data-testid="stVegaLiteChart"], [data-testid="stTable"]')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && (r.right > vw + 1 || r.left < -1)) bad.push(`${el.getAttribute('data-testid')} spans ${Math.round(r.left)}..${Math.round(r.right)}`);
  }
  for (const el of document.querySelectorAll('[data-testid="stDataFrame"] .dvn-scroller')) {
    if (el.scrollWidth > el.clientWidth + 1) bad.push(`dataframe columns ${el.scrollWidth}px in ${el.clientWidth}px`);
  }
  return bad;
}"""

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, timeout_s: float) -> None:
    """Poll Streamlit's health endpoint until it answers ok, the server dies, or time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"streamlit exited early with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"streamlit not healthy after {timeout_s}s at {url}")


@contextmanager
def running_app(folder: Path, tracks: int, log_name: str, stop_timeout_s: float = 15) -> Iterator[tuple[str, Path]]:
    """`streamlit run app.py` on a generated catalog in ``folder``: yields (url, log path), and
    always terminates the server and keeps its log under test-artifacts/``log_name``."""
    from ltrr.catalog.synthetic import generate

    catalog = folder / "catalog.duckdb"
    generate(catalog, tracks=tracks, seed=0)
    port = free_port()
    env = {**os.environ, "LTRR_CATALOG": str(catalog), "LTRR_STATE": str(folder / "state")}
    log_path = folder / "streamlit.log"
    with open(log_path, "wb") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        wait_healthy(f"http://127.0.0.1:{port}/_stcore/health", proc, HEALTH_TIMEOUT_S)
        yield f"http://127.0.0.1:{port}", log_path
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=stop_timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copyfile(log_path, ARTIFACTS / log_name)


@pytest.fixture()
def server(tmp_path):
    """A streamlit server on a small generated catalog; always terminated."""
    with running_app(tmp_path, TRACKS, "e2e-streamlit.log") as running:
        yield running


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} not installed (apt-get install chromium)")
def test_type_a_query_play_a_result_and_the_counter_moves(server):
    from playwright.sync_api import expect, sync_playwright

    url, _ = server
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(url, wait_until="domcontentloaded")
            box = page.get_by_label("Search the catalog")
            expect(box).to_be_visible(timeout=FIRST_RESULTS_TIMEOUT_MS)
            # The box shows before the engine has opened: a query typed at once is answered once it has.
            box.fill("love")
            box.press("Enter")
            play = page.get_by_role("button", name="▶ Play", exact=True)
            expect(play.first).to_be_visible(timeout=FIRST_RESULTS_TIMEOUT_MS)
            counter = (page.get_by_test_id("stMetric").filter(has_text="Clicks this session")
                       .get_by_test_id("stMetricValue"))
            expect(counter).to_have_text("0")
            page.wait_for_timeout(1_500)   # let the tables and charts draw before the screenshot
            page.screenshot(path=str(ARTIFACTS / "e2e-search.png"), full_page=True)

            play.first.click()
            expect(counter).to_have_text("1", timeout=30_000)
            expect(page.get_by_text("played from position")).to_be_visible(timeout=30_000)
            page.wait_for_timeout(1_500)
            page.screenshot(path=str(ARTIFACTS / "e2e-after-play.png"), full_page=True)
            assert not page.get_by_test_id("stException").count()
        finally:
            browser.close()
