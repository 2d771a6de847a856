"""The HTML report in a real browser: headless Chromium loads it from a file with no console
errors or failed loads, every chart is an <svg> with a visible size, and a screenshot of each
chart is not blank.

Chromium is driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`: JSON
messages ended by a NUL byte on file descriptors 3 and 4), so no port is opened. Debian's
chromium is installed when missing and this runs as root with apt-get; otherwise the tests skip.
"""

from __future__ import annotations

import base64
import io
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from planner.report import render_html
from planner.report.quota import quota_usage
from tests.test_report import with_future_parts
from tests.test_report_plans import mixed_plan, mixed_spec

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1280,900",
)


def _find() -> str | None:
    return next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)


@pytest.fixture(scope="module")
def chromium() -> str:
    """A Chromium executable: found, or installed with apt-get (Debian) when we are root."""
    found = _find()
    if found:
        return found
    if not shutil.which("apt-get") or os.geteuid() != 0:
        pytest.skip("Chromium is not installed and cannot be installed here (needs apt-get + root)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        except subprocess.TimeoutExpired:
            pytest.skip(f"{' '.join(command)} took over 15 minutes")
        if done.returncode:
            pytest.skip(f"{' '.join(command)} failed: {done.stderr.strip()[-300:]}")
    found = _find()
    if not found:
        pytest.skip("apt-get installed chromium but no chromium executable is on PATH")
    return found


class DevTools:
    """A headless Chromium and a minimal DevTools-protocol client over its debugging pipe."""

    def __init__(self, executable: str, profile: Path):
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire_fds() -> None:  # runs in the child: the pipe ends become its fds 3 and 4
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        self.process = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=wire_fds,
            close_fds=False,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._next_id = 0
        self._buffer = b""
        self.events: list[dict] = []
        self.session = ""

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise ConnectionError("Chromium closed its debugging pipe")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def send(self, method: str, params: dict | None = None, timeout: float = 30.0) -> dict:
        """Send one command (to the attached page when there is one) and return its result."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if self.session:
            message["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 30.0) -> dict:
        """The first event called `method` (already received or still to come)."""
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if event.get("method") == method:
                    return event
            self.events.append(self._read_message(deadline))

    def open_page(self) -> None:
        """Attach to a fresh blank page and start collecting its console and log events."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        attached = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})
        self.session = attached["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable")

    def load(self, url: str) -> None:
        self.events = [e for e in self.events if e.get("method") != "Page.loadEventFired"]
        self.send("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and failed loads seen so far."""
        out = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                out.append(params["exceptionDetails"].get("text", "exception"))
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                out.append(" ".join(str(a.get("value", "")) for a in params.get("args", [])))
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                out.append(params["entry"].get("text", ""))
        return out

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        return result["result"].get("value")

    def screenshot(self, clip: dict | None = None) -> bytes:
        params: dict = {"format": "png", "captureBeyondViewport": True}
        if clip:
            params["clip"] = {**clip, "scale": 1}
        return base64.b64decode(self.send("Page.captureScreenshot", params)["data"])

    def close(self) -> None:
        try:
            self.session = ""
            self.send("Browser.close", timeout=10)
        except (OSError, RuntimeError, TimeoutError, ConnectionError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)


@pytest.fixture
def browser(chromium, tmp_path):
    tools = DevTools(chromium, tmp_path / "profile")
    try:
        tools.open_page()
        yield tools
    finally:
        tools.close()


def inked(png: bytes) -> float:
    """Share of pixels that are not (near) white."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("L")
    histogram = image.histogram()
    return 1 - sum(histogram[245:]) / sum(histogram)


FIGURES_JS = """
JSON.stringify(Array.from(document.querySelectorAll('figure')).map(f => {
  const svg = f.querySelector('svg');
  const box = svg ? svg.getBoundingClientRect() : null;
  return {id: f.id, svg: !!svg, paths: svg ? svg.querySelectorAll('path, use').length : 0,
          x: box && box.left + window.scrollX, y: box && box.top + window.scrollY,
          width: box && box.width, height: box && box.height};
}))
"""


def test_report_renders_in_chromium_without_errors_and_every_chart_is_drawn(browser, tmp_path):
    pytest.importorskip("matplotlib")
    pytest.importorskip("PIL")
    plan = with_future_parts(mixed_plan())
    page = tmp_path / "report.html"
    page.write_text(render_html(plan, quota_usage(plan, mixed_spec().constraints.quotas)))

    browser.load(page.as_uri())

    assert browser.errors() == []
    found = json.loads(browser.evaluate(FIGURES_JS))
    names = [f["id"] for f in found]
    assert names == [
        "figure-cost-hourly",
        "figure-cost-jobs",
        "figure-quotas",
        "figure-slo",
        "figure-frontier",
        "figure-schedule",
    ]
    for figure in found:
        assert figure["svg"] and figure["paths"] > 20, figure
        assert figure["width"] > 200 and figure["height"] > 100, figure
        clip = {k: figure[k] for k in ("x", "y", "width", "height")}
        assert inked(browser.screenshot(clip)) > 0.02, f"{figure['id']} looks blank"
    whole = browser.screenshot()
    assert whole.startswith(b"\x89PNG") and inked(whole) > 0.02
    (tmp_path / "report.png").write_bytes(whole)
    assert "Placement plan" in browser.evaluate("document.querySelector('h1').textContent")


def test_the_error_detector_catches_console_errors_and_failed_loads(browser, tmp_path):
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><title>x</title><img src='missing.png'>"
        "<script>console.error('deliberate')</script>"
    )
    browser.load(page.as_uri())
    errors = browser.errors()
    assert any("deliberate" in e for e in errors)
    assert any("ERR_FILE_NOT_FOUND" in e for e in errors), errors


LAYOUT_JS = """
JSON.stringify({
  page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  tables: Array.from(document.querySelectorAll('table'))
    .filter(t => t.getBoundingClientRect().width > t.parentElement.clientWidth + 1)
    .map(t => t.rows[0].textContent.trim().slice(0, 60)),
  cards: Array.from(document.querySelectorAll('.card .label')).map(c => c.textContent.trim()),
})
"""


def _batch_only_plan():
    from planner.solve import solve
    from tests.test_report_plans import mixed_spec

    spec = mixed_spec()
    batch = tuple(w for w in spec.workloads if w.kind == "batch")
    return solve(spec.model_copy(update={"workloads": batch, "constraints": spec.constraints}))


@pytest.mark.parametrize("width", [1400, 800])
def test_report_fits_the_window_at_desktop_and_narrow_widths(browser, tmp_path, width):
    """No horizontal overflow of the page or of any table, no console errors, at 1,400 and
    800 px, for a mixed plan (every section and chart) and a batch-only plan (no serving card).
    Screenshots go to $PLANNER_REPORT_SCREENSHOTS when set (to look at them)."""
    pytest.importorskip("matplotlib")
    plan = with_future_parts(mixed_plan())
    pages = {
        "mixed": render_html(plan, quota_usage(plan, mixed_spec().constraints.quotas)),
        "batch-only": render_html(_batch_only_plan()),
    }
    keep = os.environ.get("PLANNER_REPORT_SCREENSHOTS")
    browser.send(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
    )
    for name, html in pages.items():
        page = tmp_path / f"{name}.html"
        page.write_text(html)
        browser.load(page.as_uri())
        assert browser.errors() == [], name
        layout = json.loads(browser.evaluate(LAYOUT_JS))
        assert layout["page"] <= 0, f"{name} at {width} px scrolls sideways by {layout['page']} px"
        assert layout["tables"] == [], f"{name} at {width} px: tables wider than their box"
        if name == "batch-only":
            assert not any("SERVING" in c.upper() for c in layout["cards"]), layout["cards"]
        else:
            assert {"Serving per month", "Serving $/M tokens", "SLO"} <= set(layout["cards"])
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            (Path(keep) / f"{name}-{width}.png").write_bytes(browser.screenshot())
