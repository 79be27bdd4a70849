"""How many full updates per second the page draws while training streams.

A full update is a frame shown by all of the boundary (R = 100), the network diagram and
the learning curves: the page counts a frame as full only when each of the three reports
having drawn that very frame (window.backpropLab.stats.full).

Starts the app on 127.0.0.1 (a free port) and opens the page in headless Chromium at
1920×1080 with the curves tab open. The boundary and the network fill the window and the
curves are below the equations: every frame draws all three, and the browser paints
those in the window (the "shown" column), so one case is measured scrolled to the
curves. Each case measures two rates:

- live: Play, and count the full updates the page drew from the stream over a fixed
  window (the stream asked for 30 frames a second, the page's default, or 60 for
  headroom); the server and the browser share this machine's two cores, so this is end to
  end, and it cannot exceed what the stream sends;
- render only: replay frames recorded from that stream (different values each, so every
  view really changes; the first of each round of replays starts the curves afresh, so
  every later one adds a row to them), one per animation frame, parse included, server
  idle. This is what the browser can draw; 60/s is the display's ceiling.

Also reported: the mean JavaScript time per drawn frame, in all and for the boundary, the
network, the curves and the equations; style, layout and paint come on top of it, and the
measured rates include them. The machine's other load shows in the figures: run it on a
quiet machine.

Run: .venv/bin/python -m benchmarks.bench_render   (figures, not pass/fail)
"""

import base64
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from server.background import BackgroundServer

CHROMIUM = Path("/usr/bin/chromium")
TARGET = 30.0  # full updates per second (issue 5)
KEEPS_UP = 0.95  # live full updates per frame sent, for a stream under 30 frames/s
WARMUP_S = 2.0
WINDOW_S = 8.0


@dataclass(frozen=True)
class Case:
    name: str
    hash: str
    scroll_to: str | None = None  # a view scrolled into the window before playing


DEFAULT = "#resolution=100&speed=10&tab=curves"
SPIRAL = "#dataset=spiral&classes=3&hidden=16,16&resolution=100&speed=10&tab=curves"
CASES = [
    Case("circle 8 ReLU, 30 fps", DEFAULT + "&fps=30"),
    Case("circle 8 ReLU, 60 fps", DEFAULT + "&fps=60"),
    # The curves sit below the equations: scrolled to, they are painted (and B, N are not).
    Case("circle 8 ReLU, 30 fps, at the curves", DEFAULT + "&fps=30", scroll_to="#curves"),
    Case("spiral 16-16, 30 fps", SPIRAL + "&fps=30"),
    Case("spiral 16-16, 60 fps", SPIRAL + "&fps=60"),
]
RECORDED = 60  # distinct frames replayed in turn
REPLAY = """async ({frames, seconds}) => {
  // The recorded binary messages arrive base64-encoded; turn them back into ArrayBuffers
  // before the clock starts, so the timed loop costs what a streamed frame costs.
  const buffers = frames.map((b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer);
  const stats = window.backpropLab.stats;
  const fullBefore = stats.full;
  const end = performance.now() + 1000 * seconds;
  let drawn = 0;
  await new Promise((done) => {
    const tick = () => {
      const i = drawn % buffers.length;
      window.backpropLab.drawBinary(buffers[i].slice(0), { resetHistory: i === 0 });
      drawn += 1;
      if (performance.now() < end) requestAnimationFrame(tick);
      else done();
    };
    requestAnimationFrame(tick);
  });
  // Wait for the last frame's paint, so the count is of frames that reached the screen.
  await new Promise((done) => requestAnimationFrame(() => done()));
  return {drawn: drawn / seconds, full: (stats.full - fullBefore) / seconds};
}"""
# Which of the three views a full update redraws are inside the window (painted), by initial.
ON_SCREEN = """() => ['boundary', 'network', 'curves'].filter((id) => {
  const box = document.getElementById(id).getBoundingClientRect();
  return box.bottom > 0 && box.top < innerHeight && box.height > 0;
}).map((id) => id[0].toUpperCase()).join('')"""
STATS = """({...window.backpropLab.stats, views: {...window.backpropLab.stats.views},
  step: Number(document.querySelector('#step-counter').textContent)})"""


def measure(browser: object, url: str, case: Case) -> dict[str, float]:
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    # The binary frame messages as they arrive, base64 for page.evaluate.
    received: list[str] = []
    page.on(
        "websocket",
        lambda ws: ws.on(
            "framereceived",
            lambda payload: (
                received.append(base64.b64encode(payload).decode())
                if isinstance(payload, bytes)
                else None
            ),
        ),
    )
    page.goto(url + "/" + case.hash)
    page.wait_for_selector("#connection[data-status=open]")
    page.wait_for_selector("#network .node")
    if case.scroll_to:
        page.locator(case.scroll_to).scroll_into_view_if_needed()
    on_screen = page.evaluate(ON_SCREEN)
    page.get_by_role("button", name="Play").click()
    # wait_for_timeout, not sleep: Playwright hands over the socket's events while it waits,
    # so the frames counted at each end of the window are those received by then.
    page.wait_for_timeout(1000 * WARMUP_S)
    start = page.evaluate(STATS)
    sent_before, t0 = len(received), time.perf_counter()
    page.wait_for_timeout(1000 * WINDOW_S)
    end = page.evaluate(STATS)
    sent_after, t1 = len(received), time.perf_counter()
    page.get_by_role("button", name="Pause").click()
    page.wait_for_timeout(500)
    if not received:
        raise RuntimeError(f"{case.name}: no binary frame was received to replay")
    frames = received[-RECORDED:]
    replayed = page.evaluate(REPLAY, {"frames": frames, "seconds": WINDOW_S})
    page.close()
    if errors:
        raise RuntimeError(f"{case.name}: the page reported errors: {errors[:3]}")
    elapsed = t1 - t0
    drawn = max(end["frames"] - start["frames"], 1)

    def per_frame(view: str) -> float:
        return (end["views"].get(view, 0) - start["views"].get(view, 0)) / drawn

    return {
        "sent": (sent_after - sent_before) / elapsed,
        "full": (end["full"] - start["full"]) / elapsed,
        "replay": replayed["full"],
        "draw_ms": (end["drawMs"] - start["drawMs"]) / drawn,
        "boundary": per_frame("boundary"),
        "network": per_frame("network"),
        "curves": per_frame("curves"),
        "equations": per_frame("equations"),
        "steps": (end["step"] - start["step"]) / elapsed,
        "on_screen": on_screen,
    }


def row(cells: list[str], widths: list[int]) -> str:
    """The first cell left-aligned, the figures right-aligned."""
    pairs = zip(cells, widths, strict=True)
    return " ".join(f"{c:<{w}}" if i == 0 else f"{c:>{w}}" for i, (c, w) in enumerate(pairs))


def main() -> None:
    if not CHROMIUM.exists():
        sys.exit(f"{CHROMIUM} is missing: the render benchmark needs headless Chromium")
    from playwright.sync_api import sync_playwright

    rows = []
    with BackgroundServer() as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-timer-throttling"],
        )
        for case in CASES:
            rows.append((case, measure(browser, server.url, case)))
        browser.close()

    print(
        f"Render benchmark: headless Chromium 1920 wide, {WINDOW_S:.0f} s per case "
        f"after {WARMUP_S:.0f} s of warm-up; target ≥ {TARGET:.0f} full updates/s"
    )
    print(
        "sent/s: frames the stream sent; live/s: full updates drawn from them; "
        "render/s: full updates of replayed frames"
    )
    print(
        f"live ≥30: full updates drawn live ≥ {TARGET:.0f}/s; render ≥30: replayed ≥ "
        f"{TARGET:.0f}/s; keeps up: live ≥ {KEEPS_UP:.0%} of sent (or ≥ {TARGET:.0f}/s)"
    )
    print("shown: which of the boundary (B), network (N) and curves (C) are inside the window")
    print("JS ms per drawn frame: all views, then the boundary, network, curves and equations")
    print(
        "(while playing, the equations rewrite at most 10 times a second from a timer: that "
        "time is in the rates, not in their column)"
    )
    columns = [
        "case",
        "shown",
        "sent/s",
        "live/s",
        "render/s",
        "live≥30",
        "render≥30",
        "keeps up",
        "JS ms",
        "boundary",
        "network",
        "curves",
        "equations",
        "steps/s",
    ]
    widths = [34, 5, 7, 7, 9, 8, 10, 9, 6, 9, 8, 7, 10, 8]
    line = row(columns, widths)
    print(line)
    print("-" * len(line))
    for case, r in rows:
        keeps_up = r["full"] >= min(TARGET, KEEPS_UP * r["sent"])
        cells = [
            case.name,
            r["on_screen"],
            f"{r['sent']:.1f}",
            f"{r['full']:.1f}",
            f"{r['replay']:.1f}",
            "yes" if r["full"] >= 0.99 * TARGET else "NO",  # a 30-fps stream gives 29.9…30.1
            "yes" if r["replay"] >= TARGET else "NO",
            "yes" if keeps_up else "NO",
            f"{r['draw_ms']:.1f}",
            f"{r['boundary']:.1f}",
            f"{r['network']:.1f}",
            f"{r['curves']:.1f}",
            f"{r['equations']:.1f}",
            f"{r['steps']:.0f}",
        ]
        print(row(cells, widths))


if __name__ == "__main__":
    main()
