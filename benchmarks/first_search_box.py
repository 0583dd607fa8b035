"""Seconds from `streamlit run app.py` in a fresh clone (no data/) until the search box is visible.

Starts the app in the clone given, polls it with headless Chromium at 1280x720 and prints the
time and the load average (other jobs inflate it: report it). With ``--query`` it then types that
query at once, while the engine may still be opening, and prints what the page said meanwhile
(the "still opening" note) and when the first result showed. Prints numbers; asserts nothing.

    git clone . /tmp/fresh && python benchmarks/first_search_box.py /tmp/fresh --query love
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("clone", help="a fresh clone of the repository (its data/ holds no catalog yet)")
    parser.add_argument("--port", type=int, default=8599)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait at most")
    parser.add_argument("--query", help="type this query as soon as the box shows and time its first result")
    parser.add_argument("--screenshot", type=Path, help="save the page here once the query is answered")
    parser.add_argument("--log", type=Path, help="keep the server's output here (default: discarded)")
    args = parser.parse_args(argv)
    if not Path(args.clone, "app.py").is_file():
        parser.exit(2, f"first_search_box: no app.py in {args.clone}: give a clone of the repository\n")
    from playwright.sync_api import sync_playwright

    out = open(args.log, "wb") if args.log else subprocess.DEVNULL
    start = time.time()
    app = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                            "--server.port", str(args.port), "--browser.gatherUsageStats", "false"],
                           cwd=args.clone, stdout=out, stderr=subprocess.STDOUT)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            while True:
                try:
                    page.goto(f"http://127.0.0.1:{args.port}", timeout=5000)
                    break
                except Exception:       # the server is not listening yet
                    time.sleep(0.5)
            box = page.get_by_label("Search the catalog")
            box.wait_for(state="visible", timeout=args.timeout * 1000)
            print(f"search box visible after {time.time() - start:.1f} s "
                  f"(load average {os.getloadavg()[0]:.1f})", flush=True)
            if args.query:
                typed = time.time()
                box.fill(args.query)
                box.press("Enter")
                note = page.locator("[data-testid='stAlert']", has_text="Still opening")
                results = page.get_by_text("Results ·")
                notes: list[tuple[float, str]] = []    # (seconds since start, text) of each new note
                while time.time() - typed < args.timeout:
                    if note.count():
                        try:
                            text = " ".join(note.first.inner_text().split())
                        except Exception:   # the note went away between count() and inner_text()
                            text = ""
                        if text and (not notes or notes[-1][1] != text):
                            notes.append((time.time() - start, text))
                    if results.count():
                        break
                    time.sleep(0.25)
                for when, text in notes[:1] + notes[-1:] if len(notes) > 1 else notes:
                    print(f"  meanwhile, after {when:.1f} s: {text!r}", flush=True)
                print(f"first results for {args.query!r} after {time.time() - start:.1f} s "
                      f"({time.time() - typed:.1f} s after typing; load average {os.getloadavg()[0]:.1f})",
                      flush=True)
                errors = page.locator("[data-testid='stException'], [data-testid='stAlertContentError']")
                if errors.count():
                    print(f"  the page shows an error: {errors.first.inner_text()[:300]!r}", flush=True)
                if args.screenshot:
                    page.screenshot(path=str(args.screenshot), full_page=False)
            browser.close()
    finally:
        app.terminate()
        try:
            app.wait(timeout=30)
        except subprocess.TimeoutExpired:
            app.kill()


if __name__ == "__main__":
    main()
