"""Charts as PNG images: plotly.js's own export (`Plotly.toImage`) in one headless Chromium.

choreographer, the DevTools client plotly's kaleido is built on, starts Debian's Chromium (it looks
at `BROWSER_PATH` first, so that is set to `/usr/bin/chromium` when nothing else is named). One
blank page is given the installed plotly package's plotly.js once, and then draws the figures in
batches, each batch one DevTools call. Nothing is downloaded and MathJax is never loaded.

Why not kaleido's own calls: kaleido 1.5 reloads its page after every figure, which made 0.3 s of
each figure's 0.5 s; the digests of a large organisation draw a thousand figures. Batches keep each
DevTools message far below Chromium's buffer (a batch's PNGs are a few megabytes), and a fresh
page every `PAGE_FIGURES` figures keeps a long run's memory flat.

Chromium is stopped after each call, so the dashboard process does not keep a browser running;
calls from different sessions take turns.
"""
from __future__ import annotations

import asyncio
import base64
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import plotly
import plotly.graph_objects as go
import plotly.io as pio
from plotly.utils import PlotlyJSONEncoder

DEFAULT_BROWSER = "/usr/bin/chromium"
WIDTH, HEIGHT, SCALE = 640, 360, 2
BATCH = 20
PAGE_FIGURES = 200
BATCH_TIMEOUT_SECONDS = 120
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
_LOCK = threading.Lock()

_DRAW = """async (specs, options) => {
  const images = [];
  for (const spec of specs) {
    images.push(await Plotly.toImage({data: spec.data, layout: spec.layout, config: {}},
                                     {...options, height: spec.height, imageDataOnly: true}));
  }
  return images;
}"""


class ImageError(RuntimeError):
    """Charts could not be rendered (no Chromium, or it failed)."""


def _browser() -> None:
    if not os.environ.get("BROWSER_PATH") and Path(DEFAULT_BROWSER).exists():
        os.environ["BROWSER_PATH"] = DEFAULT_BROWSER


PRINT_TEMPLATE = "plotly"
"""Named, not left to plotly's default: importing Streamlit makes its own theme the default
(`pio.templates.default = "streamlit"`), whose margins cut the axis labels off the QBR page's
exports while the command line's, in a process without Streamlit, were whole."""


def for_print(figure: go.Figure) -> dict:
    """The figure on a white page (dashboard charts are transparent to sit on the theme), in the
    same template whichever process renders it."""
    fig = go.Figure(figure)
    fig.update_layout(template=pio.templates[PRINT_TEMPLATE], paper_bgcolor="white", plot_bgcolor="white")
    return fig.to_dict()


def render_png(figures: list[go.Figure], width: int = WIDTH, height: int | None = None, scale: int = SCALE) -> list[bytes]:
    """Each figure as PNG bytes, in order, from one Chromium started for the call.

    Args:
        height: the image height; by default each figure's own layout height, else `HEIGHT`.
    """
    if not figures:
        return []
    _browser()
    specs = []
    for fig in figures:
        printed = for_print(fig)
        specs.append({"data": printed.get("data", []), "layout": printed.get("layout", {}),
                      "height": height or fig.layout.height or HEIGHT})
    options = {"format": "png", "width": width, "scale": scale}
    with _LOCK, ThreadPoolExecutor(1, thread_name_prefix="chart-images") as worker:
        # A thread of its own, so a caller that already runs an event loop can call this too.
        return worker.submit(asyncio.run, _render(specs, options)).result()


async def _render(specs: list[dict], options: dict) -> list[bytes]:
    import choreographer
    from choreographer.browsers import BrowserFailedError, ChromeNotFoundError

    try:
        async with choreographer.Browser(headless=True) as browser:
            images: list[bytes] = []
            for start in range(0, len(specs), PAGE_FIGURES):
                tab = await browser.create_tab("")
                await _evaluate(tab, PLOTLY_JS.read_text(encoding="utf-8") + ";0")
                for first in range(start, min(start + PAGE_FIGURES, len(specs)), BATCH):
                    batch = json.dumps(specs[first:min(first + BATCH, start + PAGE_FIGURES)], cls=PlotlyJSONEncoder)
                    drawn = await _evaluate(tab, f"({_DRAW})({batch}, {json.dumps(options)})")
                    images.extend(base64.b64decode(image) for image in drawn)
                await browser.close_tab(tab.target_id)
            return images
    except (ChromeNotFoundError, BrowserFailedError) as error:
        where = os.environ.get("BROWSER_PATH") or "the PATH"
        raise ImageError(f"no Chromium for chart images at {where}: install Debian's chromium or set BROWSER_PATH "
                         f"({type(error).__name__})") from None


async def _evaluate(tab, expression: str):
    """The value of `expression` in the page, its promise awaited."""
    try:
        answer = await asyncio.wait_for(tab.send_command("Runtime.evaluate", params={
            "expression": expression, "awaitPromise": True, "returnByValue": True}), BATCH_TIMEOUT_SECONDS)
    except TimeoutError:
        raise ImageError(f"Chromium drew no chart within {BATCH_TIMEOUT_SECONDS} s") from None
    if "error" in answer:
        raise ImageError(f"Chromium refused the charts: {answer['error'].get('message', answer['error'])}")
    result = answer["result"]
    if "exceptionDetails" in result:
        details = result["exceptionDetails"]
        raise ImageError(f"a chart could not be drawn: {details.get('exception', {}).get('description') or details.get('text')}")
    return result["result"].get("value")
