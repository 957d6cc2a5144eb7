"""Charts as PNG images: plotly.js's own export (`Plotly.toImage`) in one headless Chromium.

choreographer, the DevTools client plotly's kaleido is built on, starts Debian's Chromium (it looks
at `BROWSER_PATH` first, so that is set to `/usr/bin/chromium` when nothing else is named). One
blank page is given the installed plotly package's plotly.js once, and then draws the figures in
batches, each batch one DevTools call. Nothing is downloaded and MathJax is never loaded.

Why not kaleido's own calls: kaleido 1.5 reloads its page after every figure, which made 0.3 s of
each figure's 0.5 s; the digests of a large organisation draw a thousand figures. Batches keep each
DevTools message far below Chromium's buffer (a batch's PNGs are a few megabytes), and a fresh
page every `PAGE_FIGURES` figures keeps a long run's memory flat.

`Renderer` keeps one Chromium for a run of many figures and draws in the background (the digest run
builds its next digests meanwhile); `render_png` is one batch on a Chromium started for it. Chromium
is stopped afterwards, so the dashboard process does not keep a browser running; renderers from
different sessions take turns.
"""
from __future__ import annotations

import asyncio
import base64
import functools
import json
import os
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    same template whichever process renders it.

    Made on the figure's dict, not through `update_layout`: plotly validates a whole figure it
    copies, which cost 20 ms of a chart's 80."""
    spec = figure.to_dict()
    spec["layout"] = {**spec.get("layout", {}), "template": _template(PRINT_TEMPLATE), "paper_bgcolor": "white",
                      "plot_bgcolor": "white"}
    return spec


@functools.cache
def _template(name: str) -> dict:
    return pio.templates[name].to_plotly_json()


def render_png(figures: list[go.Figure], width: int = WIDTH, height: int | None = None, scale: int = SCALE) -> list[bytes]:
    """Each figure as PNG bytes, in order, from one Chromium started for the call.

    Args:
        height: the image height; by default each figure's own layout height, else `HEIGHT`.
    """
    if not figures:
        return []
    with Renderer(width, scale) as renderer:
        return renderer.draw(figures, height).result()


class Renderer:
    """One Chromium for many calls: `draw` hands figures to it and returns at once with a future of
    their PNGs, so a caller builds its next figures while these are drawn on the other core.

    `pages` pages draw batches side by side (a page is one renderer process). Entering starts
    Chromium and raises `ImageError` when there is none; leaving stops it.
    """

    def __init__(self, width: int = WIDTH, scale: int = SCALE, pages: int = 2):
        self._options = {"format": "png", "width": width, "scale": scale}
        self._pages = pages
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="chart-images", daemon=True)

    def __enter__(self) -> Renderer:
        _browser()
        _LOCK.acquire()
        self._thread.start()
        try:
            self._call(self._open()).result()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        try:
            if getattr(self, "_browser", None) is not None:
                self._call(self._browser.close()).result()
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()
            _LOCK.release()

    def draw(self, figures: list[go.Figure], height: int | None = None) -> Future[list[bytes]]:
        """A future of each figure as PNG bytes, in order (`ImageError` when Chromium fails)."""
        specs = []
        for fig in figures:
            printed = for_print(fig)
            specs.append({"data": printed.get("data", []), "layout": printed.get("layout", {}),
                          "height": height or fig.layout.height or HEIGHT})
        return self._call(self._draw(specs))

    def _call(self, coroutine) -> Future:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    async def _open(self) -> None:
        import choreographer
        from choreographer.browsers import BrowserFailedError, ChromeNotFoundError

        self._browser = None
        try:
            browser = await choreographer.Browser(headless=True).__aenter__()
        except (ChromeNotFoundError, BrowserFailedError) as error:
            where = os.environ.get("BROWSER_PATH") or "the PATH"
            raise ImageError(f"no Chromium for chart images at {where}: install Debian's chromium or set BROWSER_PATH "
                             f"({type(error).__name__})") from None
        self._browser = browser
        self._idle: asyncio.Queue = asyncio.Queue()
        for _ in range(self._pages):
            await self._idle.put(await self._new_page())

    async def _new_page(self) -> _Page:
        tab = await self._browser.create_tab("")
        await _evaluate(tab, PLOTLY_JS.read_text(encoding="utf-8") + ";0")
        return _Page(tab)

    async def _draw(self, specs: list[dict]) -> list[bytes]:
        batches = [specs[first:first + BATCH] for first in range(0, len(specs), BATCH)]
        drawn = await asyncio.gather(*(self._draw_batch(batch) for batch in batches))
        return [image for batch in drawn for image in batch]

    async def _draw_batch(self, specs: list[dict]) -> list[bytes]:
        page = await self._idle.get()
        try:
            if page.figures >= PAGE_FIGURES:
                await self._browser.close_tab(page.tab.target_id)
                page = await self._new_page()
            drawn = await _evaluate(page.tab, f"({_DRAW})({json.dumps(specs, cls=PlotlyJSONEncoder)}, "
                                              f"{json.dumps(self._options)})")
            page.figures += len(specs)
            return [base64.b64decode(image) for image in drawn]
        finally:
            await self._idle.put(page)


@dataclass
class _Page:
    tab: Any
    figures: int = 0


async def _evaluate(tab, expression: str):
    """The value of `expression` in the page, its promise awaited."""
    from choreographer.browsers import BrowserClosedError
    from choreographer.channels import ChannelClosedError

    try:
        answer = await asyncio.wait_for(tab.send_command("Runtime.evaluate", params={
            "expression": expression, "awaitPromise": True, "returnByValue": True}), BATCH_TIMEOUT_SECONDS)
    except TimeoutError:
        raise ImageError(f"Chromium drew no chart within {BATCH_TIMEOUT_SECONDS} s") from None
    except (BrowserClosedError, ChannelClosedError) as error:
        raise ImageError(f"Chromium stopped while drawing charts ({type(error).__name__})") from None
    if "error" in answer:
        raise ImageError(f"Chromium refused the charts: {answer['error'].get('message', answer['error'])}")
    result = answer["result"]
    if "exceptionDetails" in result:
        details = result["exceptionDetails"]
        raise ImageError(f"a chart could not be drawn: {details.get('exception', {}).get('description') or details.get('text')}")
    return result["result"].get("value")
