"""Check the layout of the built documentation in headless Chromium.

Serves the built HTML on 127.0.0.1, opens a fixed set of pages at a 1280 x 900
viewport, saves a full-page screenshot of each and measures horizontal
overflow: code blocks and tables wider than their box, figures shown at less
than 60 % of their natural width, the width of the text column and whether the
whole page scrolls sideways.

Requirements
------------
Chromium, its WebDriver and selenium (docs-only tools)::

    apt-get install chromium chromium-driver
    pip install selenium

Usage
-----
Build the docs first, then run the check, from the repository root::

    python -m sphinx -b html -W --keep-going docs docs/_build/html
    python docs/check_layout.py

Screenshots go to ``docs/_build/screenshots`` (``--out`` to change). The exit
status is 1 when a code block or a table overflows (``--no-fail`` to only
report), ``--all`` checks every page of the site. Pass another built folder as
the first argument to check it instead.
"""

import argparse
import functools
import http.server
import sys
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

DOCS = Path(__file__).parent
WIDTH, HEIGHT, MAX_HEIGHT = 1280, 900, 20000
PAGES = [
    "index.html",
    "getting_started.html",
    "user_guide/conformal.html",
    "auto_examples/index.html",
    "auto_examples/**/plot_*.html",  # the first example page
    "api.html",
    "generated/skrobust.conformal.ConformalClassifier.html",
]
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

MEASURE_JS = """
const snippet = (el) => el.textContent.trim().replace(/\\s+/g, " ").slice(0, 60);
const excess = (el) => {  // how many px el sticks out of its box
  if (el.tagName !== "TABLE") return el.scrollWidth - el.clientWidth;
  const parent = el.parentElement;
  return Math.max(el.scrollWidth - parent.clientWidth,
    el.getBoundingClientRect().width - parent.getBoundingClientRect().width);
};
const all = (selector) => [...document.querySelectorAll(selector)];
const overflowing = (selector) => all(selector).filter((el) => excess(el) > 1)
  .map((el) => `+${Math.round(excess(el))} px: ${snippet(el)}`);
const shrunk = all("img").filter((img) => img.naturalWidth > 0
  && img.getBoundingClientRect().width < 0.6 * img.naturalWidth);
const column = document.querySelector("article.bd-article")
  || document.querySelector(".bd-content") || document.querySelector("main");
const root = document.documentElement;
return {
  column: column ? Math.round(column.getBoundingClientRect().width) : null,
  codes: all("pre").length,
  bad_codes: overflowing("pre"),
  tables: all("table").length,
  bad_tables: overflowing("table"),
  images: all("img").length,
  shrunk: shrunk.map((img) => img.getAttribute("src")),
  sideways: root.scrollWidth > root.clientWidth,
  height: root.scrollHeight,
};
"""


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Static file handler that does not log every request."""

    def log_message(self, format, *args):
        pass


@contextmanager
def serve(folder):
    """Serve ``folder`` on a free port of 127.0.0.1 and yield its base URL."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def chromium():
    """Start headless Chromium with a fresh profile and yield the driver."""
    with tempfile.TemporaryDirectory() as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
            options.add_argument(flag)
        service = Service(executable_path="/usr/bin/chromedriver")
        driver = webdriver.Chrome(options=options, service=service)
        try:
            yield driver
        finally:
            driver.quit()


def first_match(html, page):
    """Return ``page`` or, for a pattern, the first page in ``html`` it matches."""
    matches = sorted(html.glob(page))
    return matches[0].relative_to(html).as_posix() if matches else page


def page_list(html):
    """Return the pages to check, relative to ``html``; exit if one is missing."""
    pages = [first_match(html, page) for page in PAGES]
    missing = [page for page in pages if not (html / page).is_file()]
    if missing:
        sys.exit(f"Missing in {html}: {', '.join(missing)}")
    return pages


def every_page(html):
    """Return every page of the site but Sphinx's own (search, index)."""
    own = {"search.html", "genindex.html", "py-modindex.html"}
    return sorted(
        page.relative_to(html).as_posix()
        for page in html.rglob("*.html")
        if not page.relative_to(html).parts[0].startswith("_") and page.name not in own
    )


def screenshot_name(page):
    """Return a flat PNG file name for ``page``, e.g. ``user_guide__conformal.png``."""
    return page.removesuffix(".html").replace("/", "__") + ".png"


def set_viewport(driver, width, height):
    """Give the page itself (not the window) a ``width`` x ``height`` viewport."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )


def check_page(driver, url, screenshot):
    """Load ``url``, measure its layout and save a full-page ``screenshot``."""
    set_viewport(driver, WIDTH, HEIGHT)
    driver.get(url)
    result = driver.execute_script(MEASURE_JS)
    set_viewport(driver, WIDTH, min(result["height"], MAX_HEIGHT))
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(screenshot))
    return result


def print_report(results):
    """Print one row per page, then the text of each overflowing element."""
    row = "{:<58} {:>6} {:>8} {:>8} {:>8} {:>9}"
    print(row.format("page", "column", "code", "tables", "shrunk", "sideways"))
    for page, r in results.items():
        print(
            row.format(
                page,
                r["column"] or "-",
                f"{len(r['bad_codes'])}/{r['codes']}",
                f"{len(r['bad_tables'])}/{r['tables']}",
                f"{len(r['shrunk'])}/{r['images']}",
                "yes" if r["sideways"] else "no",
            )
        )
    for page, r in results.items():
        for kind in ("bad_codes", "bad_tables", "shrunk"):
            for text in r[kind]:
                print(f"{page}: {kind.removeprefix('bad_')}: {text}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "html",
        nargs="?",
        type=Path,
        default=DOCS / "_build" / "html",
        help="built HTML folder (default: %(default)s)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DOCS / "_build" / "screenshots",
        help="folder for the screenshots (default: %(default)s)",
    )
    parser.add_argument(
        "--no-fail", action="store_true", help="report only, always exit 0"
    )
    parser.add_argument(
        "--all", action="store_true", help="check every page, not the seven"
    )
    args = parser.parse_args(argv)

    pages = every_page(args.html) if args.all else page_list(args.html)
    with serve(args.html) as base, chromium() as driver:
        results = {
            page: check_page(driver, base + page, args.out / screenshot_name(page))
            for page in pages
        }
    print_report(results)
    print(f"Screenshots in {args.out}")
    overflow = any(r["bad_codes"] or r["bad_tables"] for r in results.values())
    return 1 if overflow and not args.no_fail else 0


if __name__ == "__main__":
    sys.exit(main())
