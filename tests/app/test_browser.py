"""Every page in a real browser: a `streamlit run` server over the demo organisation and
Debian's headless Chromium. Catches what AppTest cannot see: errors in the browser console,
the frontend's own exception boxes, pages that never finish loading, charts drawn empty,
chart labels cut off at the chart's edge and chart labels drawn over one another. Each page
leaves a full-page screenshot at each width in tests/artifacts/ for a person to look at, and
the leadership pages one more after a filter changed.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser import PAGES, full_page_screenshot, streamlit_server, wait_for_app
from tests.conftest import demo_server_env

pytestmark = pytest.mark.duckdb_only("the browser draws what the server sends, the same over either store; "
                                     "tests/app/test_pages.py renders every page on both")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
# Loading a page by its own URL makes Streamlit's frontend probe `/<page>/_stcore/health` and
# `/<page>/_stcore/host-config` before the server root; those 404s are expected
# (streamlit/streamlit#7074) and are the only console errors let through.
BASE_PATH_PROBE = re.compile(r"/[\w-]+/_stcore/(health|host-config)$")
# A laptop's window and a narrow one (a split screen, a small tablet held sideways).
WIDE, NARROW = 1440, 1024
WIDTHS = (WIDE, NARROW)
PAGES_WITHOUT_CHARTS = ("data", "subscriptions")


def watch_errors(page) -> list[str]:
    """Collect the page's console errors and uncaught exceptions as they happen."""
    errors: list[str] = []

    def on_console(message) -> None:
        url = (message.location or {}).get("url", "")
        if message.type == "error" and not ("404" in message.text and BASE_PATH_PROBE.search(url)):
            errors.append(f"console: {message.text} at {url}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    return errors


# Every chart drew something: a line, a marker or a bar.
DRAWN = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')].map(plot =>
    plot.querySelectorAll('.scatterlayer path.js-line, .scatterlayer path.point, .barlayer path').length)"""
# Text of a chart (ticks, titles, legend, annotations) that pokes out of the chart's own box.
CLIPPED = """() => {
    const out = [];
    for (const plot of document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')) {
        const box = plot.getBoundingClientRect();
        for (const text of plot.querySelectorAll('.main-svg text')) {
            const r = text.getBoundingClientRect();
            if (!r.width || !text.textContent.trim() || text.closest('.hoverlayer')) continue;
            if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1)
                out.push(text.textContent.trim());
        }
    }
    return out;
}"""


# Pairs of a chart's texts drawn over one another: ticks, titles, legend entries, annotations,
# bar labels. Each text is its element's box (its lines' tspans included) turned as the element
# is, so rotated tick labels are compared as drawn, not by their much larger upright bounds; two
# boxes overlap when they cross by more than `tolerance` px along every side's direction.
OVERLAPS = r"""(tolerance) => {
    const corners = text => {
        const b = text.getBBox(), m = text.getScreenCTM();
        return [[b.x, b.y], [b.x + b.width, b.y], [b.x + b.width, b.y + b.height], [b.x, b.y + b.height]]
            .map(([x, y]) => [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f]);
    };
    const shown = (text, plot) => {
        const style = getComputedStyle(text);
        if (style.visibility === 'hidden' || +style.fillOpacity === 0) return false;
        for (let node = text; node && node !== plot; node = node.parentElement)
            if (+getComputedStyle(node).opacity === 0) return false;
        return true;
    };
    const sides = box => [[box[0], box[1]], [box[0], box[3]]].map(([[x0, y0], [x1, y1]]) => {
        const length = Math.hypot(x1 - x0, y1 - y0) || 1;
        return [(x1 - x0) / length, (y1 - y0) / length];
    });
    const depth = (p, q) => Math.min(...[...sides(p), ...sides(q)].map(([ax, ay]) => {
        const along = box => box.map(([x, y]) => x * ax + y * ay);
        const a = along(p), b = along(q);
        return Math.min(Math.max(...a), Math.max(...b)) - Math.max(Math.min(...a), Math.min(...b));
    }));
    const words = text => {
        const lines = [...text.querySelectorAll('tspan.line')];
        return (lines.length ? lines.map(line => line.textContent).join(' ') : text.textContent).replace(/\s+/g, ' ').trim();
    };
    const out = [];
    const plots = document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot');
    plots.forEach((plot, chart) => {
        const seen = new Set(), texts = [];
        for (const text of plot.querySelectorAll('.main-svg text')) {
            const label = words(text), r = text.getBoundingClientRect();
            if (!label || !r.width || !r.height || text.closest('.hoverlayer') || !shown(text, plot)) continue;
            const box = corners(text), key = label + box.flat().map(Math.round).join();
            if (seen.has(key)) continue;
            seen.add(key);
            const kind = text.getAttribute('class') || text.parentNode.getAttribute('class') || 'text';
            texts.push({label, kind: kind.split(' ')[0], box});
        }
        texts.forEach((a, i) => texts.slice(i + 1).forEach(b => {
            const by = depth(a.box, b.box);
            if (by > tolerance) out.push({chart, a: a.label, kindA: a.kind, b: b.label, kindB: b.kind, by: Math.round(by)});
        }));
    });
    return out;
}"""
OVERLAP_TOLERANCE_PX = 2
# Every chart on the page is drawn, and its texts stayed where they were over two looks.
CHARTS_SETTLED = """() => {
    const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
    if (charts.some(chart => !chart.querySelector('.js-plotly-plot .main-svg'))) return false;
    const layout = charts.flatMap(chart => [...chart.querySelectorAll('.main-svg text')].map(text => {
        const r = text.getBoundingClientRect();
        return `${Math.round(r.left)},${Math.round(r.top)},${Math.round(r.width)},${Math.round(r.height)}`;
    })).join(';');
    const settled = window.__chartLayout === layout;
    window.__chartLayout = layout;
    return settled;
}"""


def assert_charts_drawn_and_unclipped(page, context: str) -> None:
    drawn = page.evaluate(DRAWN)
    assert all(drawn), f"{context}: an empty chart ({drawn})"
    clipped = page.evaluate(CLIPPED)
    assert not clipped, f"{context}: chart labels cut off: {clipped}"


def wait_for_charts(page, timeout_ms: int = 30_000) -> None:
    """Plotly draws after Streamlit reports the script done and may lay a chart out again as fonts
    and widths arrive: measure only once every chart is drawn and its texts have stopped moving."""
    page.wait_for_function(CHARTS_SETTLED, polling=250, timeout=timeout_ms)


def assert_no_text_overlaps(page, context: str) -> None:
    """Fail on any two texts of one chart drawn over one another, naming the chart (its place among
    the page's charts, hidden ones counted), both texts and what each is, so the chart can be fixed."""
    overlaps = page.evaluate(OVERLAPS, OVERLAP_TOLERANCE_PX)
    assert not overlaps, f"{context}: {len(overlaps)} chart text overlaps:\n" + "\n".join(
        f"  chart {o['chart']}: {o['kindA']} {o['a']!r} and {o['kindB']} {o['b']!r} cross by {o['by']} px" for o in overlaps
    )


def choose(page, label: str, option: str) -> None:
    """Pick `option` in the sidebar select box labelled `label`, as a person would, and wait for the rerun."""
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text=label).click()
    page.get_by_role("option", name=option, exact=True).click()
    page.wait_for_timeout(200)
    wait_for_app(page)


def open_page(browser, url: str, width: int = WIDE):
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors = watch_errors(page)
    page.goto(url)
    wait_for_app(page)
    return page, errors


def screenshot_name(name: str, width: int) -> str:
    """`<page>.png` at the wide width, the name the artefacts have always had; `<page>-<width>.png` otherwise."""
    return f"{name}.png" if width == WIDE else f"{name}-{width}.png"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(PAGES))
def test_page_loads_cleanly(server, browser, name, width):
    page, errors = open_page(browser, f"{server}/{PAGES[name]}", width)
    try:
        wait_for_charts(page)
        ARTIFACTS.mkdir(exist_ok=True)
        full_page_screenshot(page, ARTIFACTS / screenshot_name(name, width))
        expect(page.get_by_test_id("stException")).to_have_count(0)
        expect(page.get_by_test_id("stTopNav"), "not routed through streamlit_app.py").to_have_count(1)
        if name not in PAGES_WITHOUT_CHARTS:
            expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible()
            assert_charts_drawn_and_unclipped(page, f"{name} at {width} px")
            assert_no_text_overlaps(page, f"{name} at {width} px")
        assert not errors, "\n".join(errors)
    finally:
        page.close()


@pytest.mark.parametrize("name", ["overview", "bottlenecks", "qbr"])
def test_a_changed_filter_redraws_cleanly_and_lands_in_the_url(server, browser, name):
    page, errors = open_page(browser, f"{server}/{PAGES[name]}")
    try:
        choose(page, "Group", "Payments")
        expect(page.get_by_test_id("stException")).to_have_count(0)
        assert "group=Payments" in page.url
        ARTIFACTS.mkdir(exist_ok=True)
        full_page_screenshot(page, ARTIFACTS / f"{name}-payments.png")
        assert_charts_drawn_and_unclipped(page, f"{name} group=Payments")
        assert not errors, "\n".join(errors)
    finally:
        page.close()


def test_first_request_to_a_deep_link_is_routed_through_the_entrypoint(demo_db, browser):
    """A fresh server routes a deep link through the entrypoint (no legacy `pages/` folder to run alone)."""
    with streamlit_server(demo_server_env(demo_db)) as url:
        page, errors = open_page(browser, f"{url}/data")
        try:
            expect(page.get_by_test_id("stTopNav")).to_have_count(1)
            expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
            expect(page.get_by_test_id("stSelectbox")).to_have_count(4)
            assert not errors, "\n".join(errors)
        finally:
            page.close()


MAIN_SCROLL = """() => { const main = document.querySelector('[data-testid="stMain"]');
    return [main.scrollHeight, main.clientHeight]; }"""


@pytest.mark.parametrize(("width", "height"), [(1440, 900), (1920, 1080)])
def test_the_executive_view_fits_one_screen_without_scrolling(server, browser, width, height):
    page = browser.new_page(viewport={"width": width, "height": height})
    errors = watch_errors(page)
    try:
        page.goto(f"{server}/?view=full")
        wait_for_app(page)
        content, screen = page.evaluate(MAIN_SCROLL)
        assert content > screen, "the full overview scrolls (so the measure below can tell)"
        page.get_by_test_id("stButtonGroup").get_by_text("Executive view").click()
        page.wait_for_timeout(200)
        wait_for_app(page)
        assert "view=exec" in page.url
        content, screen = page.evaluate(MAIN_SCROLL)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"overview-exec-{width}.png"))
        assert content <= screen, f"the executive view scrolls at {width}x{height}: {content} px of content on {screen}"
        expect(page.get_by_test_id("stPlotlyChart")).to_have_count(0)
        assert not errors, "\n".join(errors)
    finally:
        page.close()

