"""The reports in a real browser: headless Chromium (the system's, driven by Playwright).

Every report of the session's demo batch (tests/conftest.py: data quality, S01, S02,
cross-site, framework matrix) and the index are opened from disk with every non-file request
refused, as a reader opens an emailed file offline. Checked: every chart is drawn (plotly's
``.main-svg``), nothing is fetched from the network, no console error, axe-core (shipped by
``axe-playwright-python``) finds no violation of impact serious or critical and none of
landmark-one-main / region, the page reflows at 390 px without horizontal scrolling, and a
site report prints to at most 4 A4 pages with no chart wider than the page.

Chromium is the distribution's package (``apt-get install chromium``; ``.ci/run`` installs
it); ``playwright install`` is never used. Without a Chromium these tests are skipped with a
message saying so.
"""
from __future__ import annotations

import io
import os
import shutil

import pytest

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")

CHROMIUM = (os.environ.get("PEERWORK_CHROMIUM") or shutil.which("chromium")
            or shutil.which("chromium-browser"))
pytestmark = pytest.mark.skipif(
    not CHROMIUM, reason="no Chromium on this machine: the browser tests need the "
    "distribution's chromium package (apt-get install chromium), or PEERWORK_CHROMIUM "
    "pointing at a Chromium binary")

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SITES = ["S01", "S02"]  # the sites of the session batch
REPORTS = (["data_quality.html", "cross_site.html", "framework_matrix.html"]
           + [f"sites/{s}.html" for s in SITES])
PAGES = REPORTS + ["index.html"]
#: A4 portrait less the 12 mm margins of the print stylesheet, in CSS px (96 per inch).
A4_PRINT_WIDTH_PX = (210 - 2 * 12) / 25.4 * 96
A4_POINTS = (595.3, 841.9)  # 210 x 297 mm in PDF points
BLOCKING = ("serious", "critical")
ALWAYS = ("landmark-one-main", "region")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


class Opened:
    """A page opened offline, with what it logged and what it tried to fetch."""

    def __init__(self, browser, path, *, width: int = 1280, height: int = 900):
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.errors: list[str] = []
        self.fetched: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text)
                     if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(path.as_uri(), wait_until="load")
        # the bootstrap marks the page when every chart is drawn (or failed)
        self.page.wait_for_function(
            "!document.querySelector('script.peerwork-figure') || "
            "document.documentElement.hasAttribute('data-peerwork-charts')", timeout=60_000)

    def _route(self, route):
        url = route.request.url
        if url.startswith("file:"):
            route.continue_()
        else:
            self.fetched.append(url)
            route.abort()

    def close(self):
        self.context.close()


@pytest.fixture
def opened(browser):
    pages: list[Opened] = []

    def open_(path, **kwargs) -> Opened:
        pages.append(Opened(browser, path, **kwargs))
        return pages[-1]

    yield open_
    for page in pages:
        page.close()


@pytest.mark.parametrize("rel", PAGES)
def test_every_chart_draws_offline_without_errors(batch, opened, rel):
    view = opened(batch.out / rel)
    page = view.page
    charts = page.locator(".peerwork-plot").count()
    assert charts == page.locator("script.peerwork-figure").count()
    if rel.startswith("sites/") or rel in ("cross_site.html", "framework_matrix.html"):
        assert charts > 0, rel
        assert page.get_attribute("html", "data-peerwork-charts") == "drawn"
    drawn = page.locator(".peerwork-plot .main-svg").evaluate_all(
        "svgs => new Set(svgs.map(s => s.closest('.peerwork-plot').id)).size")
    assert drawn == charts, f"{rel}: {drawn} of {charts} charts drawn"
    assert page.locator(".modebar-btn").count() == 0  # no plotly toolbar
    assert view.errors == [], view.errors
    assert view.fetched == [], view.fetched


@pytest.mark.parametrize("rel", PAGES)
def test_axe_finds_no_serious_violation_and_every_page_has_landmarks(batch, opened, rel):
    from axe_playwright_python.sync_playwright import Axe

    view = opened(batch.out / rel)
    result = Axe().run(view.page)
    bad = [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3])
           for v in result.response["violations"]
           if v["impact"] in BLOCKING or v["id"] in ALWAYS]
    assert bad == [], f"{rel}: {bad}"
    assert view.page.locator("main").count() == 1
    assert view.page.locator("body > footer, body > header").count() >= 1


@pytest.mark.parametrize("rel", PAGES)
def test_pages_reflow_at_390_px(batch, opened, rel):
    view = opened(batch.out / rel, width=390, height=844)
    page = view.page
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{rel} scrolls sideways by {overflow}px at 390px"
    widths = page.locator(".peerwork-plot .main-svg").evaluate_all(
        "svgs => svgs.map(s => s.getBoundingClientRect().right)")
    assert all(w <= 390 for w in widths), widths
    # a table wider than the phone scrolls inside its own box, which takes keyboard focus
    boxes = page.evaluate("""() => [...document.querySelectorAll('table')]
        .filter(t => t.getBoundingClientRect().width > window.innerWidth)
        .map(t => { const box = t.closest('.jp-OutputArea-output, .peerwork-scroll');
                    return box ? getComputedStyle(box).overflowX + ' ' + box.tabIndex : 'none'; })""")
    assert all(b in ("auto 0", "scroll 0") for b in boxes), boxes


def test_charts_follow_the_window_when_it_narrows(batch, opened):
    view = opened(batch.out / "cross_site.html")
    page = view.page
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_function("""() => [...document.querySelectorAll('.peerwork-plot .main-svg')]
        .every(s => s.getBoundingClientRect().right <= window.innerWidth)""", timeout=10_000)


@pytest.mark.parametrize("rel", REPORTS)
def test_printed_charts_fit_the_a4_page(batch, opened, rel):
    """Drawn on a wide screen, then printed: no chart is wider than A4 less its margins."""
    view = opened(batch.out / rel, width=1600)
    page = view.page
    page.emulate_media(media="print")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    widths = page.locator(".peerwork-plot .main-svg").evaluate_all(
        "svgs => svgs.map(s => s.getBoundingClientRect().width)")
    assert all(w <= A4_PRINT_WIDTH_PX + 0.5 for w in widths), (rel, widths)
    hidden = page.evaluate("""() => [...document.querySelectorAll('.modebar, header a')]
        .filter(e => getComputedStyle(e).display !== 'none').length""")
    assert hidden == 0


@pytest.mark.parametrize("site", SITES)
def test_site_report_prints_to_at_most_four_a4_pages(batch, opened, site):
    from pypdf import PdfReader

    view = opened(batch.out / "sites" / f"{site}.html")
    pdf = PdfReader(io.BytesIO(view.page.pdf(format="A4", print_background=True)))
    pages = len(pdf.pages)
    assert 1 <= pages <= 4, f"{site}: {pages} pages"
    for page in pdf.pages:
        size = (float(page.mediabox.width), float(page.mediabox.height))
        assert all(abs(a - b) < 2 for a, b in zip(size, A4_POINTS)), size
    assert site in pdf.pages[0].extract_text()
