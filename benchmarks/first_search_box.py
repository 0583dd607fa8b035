"""Seconds from `streamlit run app.py` in a fresh clone (no data/) until the search box is visible.

Starts the app in the clone given, polls it with headless Chromium at 1280x720 and prints the
time and the load average (other jobs inflate it: report it). Prints numbers; asserts nothing.

    git clone . /tmp/fresh && python benchmarks/first_search_box.py /tmp/fresh
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("clone", help="a fresh clone of the repository (its data/ holds no catalog yet)")
    parser.add_argument("--port", type=int, default=8599)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait at most")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    start = time.time()
    app = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                            "--server.port", str(args.port), "--browser.gatherUsageStats", "false"],
                           cwd=args.clone, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
            page.get_by_label("Search the catalog").wait_for(state="visible", timeout=args.timeout * 1000)
            print(f"search box visible after {time.time() - start:.1f} s "
                  f"(load average {os.getloadavg()[0]:.1f})", flush=True)
            browser.close()
    finally:
        app.terminate()


if __name__ == "__main__":
    main()
