"""Charts as PNG images, through plotly's static export (kaleido) and Debian's Chromium.

kaleido 1.x drives a Chromium it finds on the machine; it looks at `BROWSER_PATH` first, so
that is set to `/usr/bin/chromium` when nothing else is named. Nothing is downloaded: plotly.js
comes from the installed plotly package and MathJax is switched off (its default is a CDN).

Starting Chromium costs a second or two and each figure then takes a fraction of a second, so
all of a report's figures are rendered in one batch on one sync server, which is stopped
afterwards so the dashboard process does not keep a browser running. Batches from different
sessions take turns (the server is a singleton).
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio

DEFAULT_BROWSER = "/usr/bin/chromium"
WIDTH, HEIGHT, SCALE = 640, 360, 2
_LOCK = threading.Lock()


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
    """Each figure as PNG bytes, in order, from one Chromium started for the batch.

    Args:
        height: the image height; by default each figure's own layout height, else `HEIGHT`.
    """
    if not figures:
        return []
    _browser()
    import kaleido
    from kaleido.errors import ChromeNotFoundError

    with _LOCK:
        try:
            kaleido.start_sync_server(n=1, mathjax=False, silence_warnings=True)
        except ChromeNotFoundError as error:
            raise ImageError(f"no Chromium for chart images: install it or set BROWSER_PATH ({error})") from None
        try:
            return [
                kaleido.calc_fig_sync(
                    for_print(fig),
                    opts=dict(format="png", width=width, height=height or fig.layout.height or HEIGHT, scale=scale),
                )
                for fig in figures
            ]
        except ChromeNotFoundError as error:
            raise ImageError(f"no Chromium for chart images: install it or set BROWSER_PATH ({error})") from None
        finally:
            kaleido.stop_sync_server(silence_warnings=True)
