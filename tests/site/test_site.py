"""The built site in a real headless browser (Debian's chromium driven by Playwright).

Runs after the strict build (``make test`` does both; ``make site`` alone reuses the last
build) against ``_build/html`` served on a loopback port. The published pages load MathJax from a CDN; here that one request is answered
with Debian's ``libjs-mathjax``, so math is typeset offline from the very build that ships.
Every other request that leaves the machine is blocked. A screenshot of each page is written
to ``_build/screenshots/``.
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
MATHJAX_DIR = Path(
    "/usr/share/javascript/mathjax"
)  # Debian's libjs-mathjax (MathJax 2.7)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
CHAPTERS = [
    c["file"] for p in TOC["parts"] if p["caption"] == "Chapters" for c in p["chapters"]
]
PAGES = ["intro", *CHAPTERS, "instructor"]

# Answer the CDN's MathJax 3 request with a loader for the local MathJax 2, configured to
# typeset what Sphinx marks as math (myst-nb marks the rest of a notebook page as ignored).
MATHJAX_LOADER = r"""
window.MathJax = {
  skipStartupTypeset: false,
  tex2jax: {inlineMath: [["\\(", "\\)"]], displayMath: [["\\[", "\\]"]],
            processClass: "tex2jax_process|mathjax_process|math|output_area",
            ignoreClass: "tex2jax_ignore|mathjax_ignore"},
};
var s = document.createElement("script");
s.src = "/_mathjax/MathJax.js?config=TeX-AMS_CHTML";
document.head.appendChild(s);
"""

pytestmark = pytest.mark.site


@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_error_output(name):
    """No traceback or stderr box in the built page (a figure that failed to draw, say).

    Needs no browser: a display error leaves an error output in the executed notebook
    without failing the cell, so neither nbval nor the build notices it.
    """
    page = HTML / f"{name}.html"
    if not page.exists():
        pytest.fail(f"{page} is missing: run the strict build first (make book)")
    html = page.read_text(encoding="utf-8")
    for marker in (
        'class="output traceback',
        'class="output stderr',
        "Traceback (most",
    ):
        assert marker not in html, f"{name}: the page shows an error output ({marker})"


class _Handler(SimpleHTTPRequestHandler):
    def translate_path(self, path: str) -> str:
        if path.startswith("/_mathjax/"):
            return str(MATHJAX_DIR / path.split("?")[0].removeprefix("/_mathjax/"))
        return super().translate_path(path)

    def log_message(self, *args: object) -> None:  # keep the test output quiet
        pass


@pytest.fixture(scope="module")
def base_url():
    if not (HTML / "intro.html").exists():
        pytest.fail(
            "no built site in _build/html: run the strict build first (make book)"
        )
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Handler, directory=str(HTML))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    missing = [
        p for p in (CHROMIUM, MATHJAX_DIR / "MathJax.js") if not Path(p).exists()
    ]
    if missing:
        message = (
            f"browser tests need Debian's chromium and libjs-mathjax; missing {missing}"
        )
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def visit(browser, base_url):
    """Open a page; return it with the console errors and failed local requests it caused."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    problems: list[str] = []

    def route(r):
        url = r.request.url
        if url.startswith(base_url):
            return r.continue_()
        if "mathjax" in url and url.endswith(".js"):
            return r.fulfill(
                status=200, content_type="text/javascript", body=MATHJAX_LOADER
            )
        return r.abort()  # nothing leaves the machine

    def on_console(msg):
        location = (msg.location or {}).get("url", "")
        if msg.type == "error" and (not location or location.startswith(base_url)):
            problems.append(f"console error: {msg.text}")

    def on_response(response):
        if response.url.startswith(base_url) and response.status >= 400:
            problems.append(f"HTTP {response.status}: {response.url}")

    def on_failed(request):
        if request.url.startswith(base_url):
            problems.append(f"request failed: {request.url}")

    def open_page(name: str):
        page = context.new_page()
        page.on("console", on_console)
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        page.on("response", on_response)
        page.on("requestfailed", on_failed)
        page.route("**/*", route)
        page.goto(f"{base_url}/{name}.html", wait_until="load")
        if page.locator(".math").count():
            page.wait_for_function(
                "() => window.MathJax && MathJax.Hub && MathJax.isReady", timeout=20_000
            )
            page.evaluate("() => new Promise(done => MathJax.Hub.Queue(done))")
        return page, problems

    yield open_page
    context.close()


@pytest.mark.parametrize("name", PAGES)
def test_page_renders_cleanly(visit, name):
    page, problems = visit(name)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name.replace('/', '_')}.png"), full_page=True)

    assert problems == []
    text = page.locator("main").inner_text()
    for raw in ("{glue", "\\(", "\\[", "$$"):
        assert raw not in text, f"raw {raw!r} left in the page"
    n_math = page.locator(".math").count()
    assert page.locator(".MathJax_CHTML").count() >= n_math, "some math was not typeset"

    images = page.eval_on_selector_all(
        "main img",
        """els => els.map(e => ({src: e.getAttribute('src'), alt: e.getAttribute('alt') || '',
                                 loaded: e.complete && e.naturalWidth > 0,
                                 caption: !!(e.closest('figure') && e.closest('figure').querySelector('figcaption'))}))""",
    )
    for img in images:
        assert img["loaded"], f"image did not load: {img['src']}"
        described = img["caption"] or (
            img["alt"] and not img["alt"].endswith((".png", ".svg", ".jpg"))
        )
        assert described, f"image without alt text or caption: {img['src']}"


@pytest.mark.parametrize("name", CHAPTERS)
def test_solutions_start_closed_and_open_on_click(visit, name):
    page, problems = visit(name)
    solutions = page.locator(".solution.dropdown")
    assert solutions.count() >= 3
    for i in range(solutions.count()):
        solution = solutions.nth(i)
        body = solution.locator(".cell, p:not(.admonition-title)").first
        assert "toggle-hidden" in solution.get_attribute("class")
        assert not body.is_visible()
        solution.locator("button.toggle-button").click()
        body.wait_for(state="visible", timeout=5_000)
        assert "toggle-hidden" not in solution.get_attribute("class")
    assert problems == []


@pytest.mark.parametrize("name", CHAPTERS)
def test_launch_and_download_links_open_the_learner_edition(visit, base_url, name):
    page, _ = visit(name)
    repo = CONFIG["repository"]["url"].removeprefix("https://github.com/")
    branch = CONFIG["repository"]["branch"]
    edition = "learner/" + name.removeprefix("chapters/")
    hrefs = page.eval_on_selector_all("a", "els => els.map(e => e.href)")
    binder = f"https://mybinder.org/v2/gh/{repo}/{branch}?urlpath=tree/{edition}.ipynb"
    colab = (
        f"https://colab.research.google.com/github/{repo}/blob/{branch}/{edition}.ipynb"
    )
    assert binder in hrefs, f"no Binder link to the learner edition {edition}"
    assert colab in hrefs, f"no Colab link to the learner edition {edition}"
    download = f"{base_url}/{edition}.ipynb"
    assert download in hrefs, f"the download button does not give {edition}.ipynb"
    assert not [h for h in hrefs if h.endswith(f"{name}.ipynb")], (
        "a link still opens the book's source notebook"
    )
    served = page.request.get(download)
    assert served.ok and "nb.show_glued" in served.text(), (
        f"{edition}.ipynb is not served as the learner edition"
    )
