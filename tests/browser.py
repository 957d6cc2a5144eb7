"""A real Streamlit server and a headless Debian Chromium, shared by the browser tests and
`scripts/screenshot.py`.

The waits are the ones Streamlit's own end-to-end suite uses: the app is connected, its script
has stopped running and no skeleton placeholder is left. Nothing sleeps and hopes.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import ENTRYPOINT

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGES = {
    "overview": "",
    "bottlenecks": "bottlenecks",
    "qbr": "qbr",
    "pm_time": "pm-time",
    "insights": "insights",
    "releases": "releases",
    "alignment": "alignment",
    "checkins": "checkins",
    "product_ops": "product-ops",
    "surveys": "surveys",
    "data": "data",
    "subscriptions": "subscriptions",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().decode().strip() == "ok"
    except OSError:
        return False


def _environment(overrides: dict[str, str | None]) -> dict[str, str]:
    merged = {**os.environ, **overrides}
    return {name: value for name, value in merged.items() if value is not None}


@contextmanager
def streamlit_server(
    env: dict[str, str | None], timeout: float = 60, *, port: int | None = None, options: tuple[str, ...] = ()
) -> Iterator[str]:
    """Run `streamlit run dashboard/entrypoint/streamlit_app.py` on `port` (default: a free one); yield its base URL.

    `env` is laid over this process's environment; a None value removes the variable.
    `options` are more `--section.option value` flags, e.g. `("--secrets.files", path)`.
    """
    port = port or free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", ENTRYPOINT,
        "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", *options,
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, env=_environment(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while not _healthy(url):
            if process.poll() is not None:
                raise RuntimeError(f"streamlit exited with {process.returncode}:\n{process.stdout.read()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"streamlit did not report healthy on {url} within {timeout:.0f} s")
            time.sleep(0.25)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def wait_for_app(page, timeout_ms: int = 60_000) -> None:
    """Wait as Streamlit's e2e suite does: connected, script finished, no skeleton left."""
    from playwright.sync_api import expect

    page.locator("[data-testid='stApp'][data-test-connection-state='CONNECTED']").wait_for(
        state="attached", timeout=timeout_ms
    )
    page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(
        state="attached", timeout=timeout_ms
    )
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=timeout_ms)


def full_page_screenshot(page, path: Path | str) -> None:
    """Screenshot the whole app, not just the window.

    Streamlit scrolls inside its main container rather than the document, so Playwright's
    `full_page` alone stops at the window's height: grow the window to the content first.
    """
    width = page.viewport_size["width"]
    height = page.evaluate(
        "() => Math.max(...['stMain', 'stAppViewContainer', 'stSidebarContent']"
        ".map(id => document.querySelector(`[data-testid='${id}']`)?.scrollHeight ?? 0))"
    )
    original = page.viewport_size["height"]
    page.set_viewport_size({"width": width, "height": max(original, int(height))})
    wait_for_app(page)
    page.wait_for_timeout(300)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": width, "height": original})
