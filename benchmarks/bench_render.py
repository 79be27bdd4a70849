"""How many fully rendered updates per second the page draws while training streams.

Starts the app on 127.0.0.1 (a free port), opens the page in headless Chromium at
1920×1080 with the boundary at R = 100, the network diagram and the learning curves all
visible, and measures two rates of fully rendered updates (each redraws the boundary, the
network, the curves and every other panel, and is painted):

- live: Play, and count the frames the page drew from the stream over a fixed window
  (the stream asked for 30 frames a second, the page's default, or 60 for headroom);
  the server and the browser share this machine's cores, so this is end to end;
- render only: replay frames recorded from that stream (different values each, so every
  panel really changes), one per animation frame, parse included, server idle. This is
  what the browser can draw; 60/s is the display's ceiling.

Also reported: the mean JavaScript time per drawn frame, in all and for the boundary, the
network and the curves; style, layout and paint come on top of it, and the measured rate
includes them. The machine's other load shows in the figures: run it on a quiet machine.

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
WARMUP_S = 2.0
WINDOW_S = 8.0


@dataclass(frozen=True)
class Case:
    name: str
    hash: str


CASES = [
    Case("circle 2 cl., 8 ReLU, R=100, 30 fps", "#resolution=100&speed=10&fps=30&tab=curves"),
    Case("circle 2 cl., 8 ReLU, R=100, 60 fps", "#resolution=100&speed=10&fps=60&tab=curves"),
    Case(
        "spiral 3 cl., 16-16, R=100, 30 fps",
        "#dataset=spiral&classes=3&hidden=16,16&resolution=100&speed=10&fps=30&tab=curves",
    ),
]
RECORDED = 60  # distinct frames replayed in turn
REPLAY = """async ({frames, seconds}) => {
  // The recorded binary messages arrive base64-encoded; turn them back into ArrayBuffers
  // before the clock starts, so the timed loop costs what a streamed frame costs.
  const buffers = frames.map((b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer);
  const end = performance.now() + 1000 * seconds;
  let drawn = 0;
  await new Promise((done) => {
    const tick = () => {
      window.backpropLab.drawBinary(buffers[drawn % buffers.length].slice(0));
      drawn += 1;
      if (performance.now() < end) requestAnimationFrame(tick);
      else done();
    };
    requestAnimationFrame(tick);
  });
  return drawn / seconds;
}"""
STATS = """({...window.backpropLab.stats, views: {...window.backpropLab.stats.views},
  step: Number(document.querySelector('#step-counter').textContent)})"""


def measure(browser: object, url: str, case: Case) -> dict[str, float]:
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    recorded: list[str] = []  # the binary frame messages, base64 for page.evaluate
    page.on(
        "websocket",
        lambda ws: ws.on(
            "framereceived",
            lambda payload: (
                recorded.append(base64.b64encode(payload).decode())
                if isinstance(payload, bytes)
                else None
            ),
        ),
    )
    page.goto(url + "/" + case.hash)
    page.wait_for_selector("#connection[data-status=open]")
    page.wait_for_selector("#network .node")
    page.get_by_role("button", name="Play").click()
    time.sleep(WARMUP_S)
    start = page.evaluate(STATS)
    t0 = time.perf_counter()
    time.sleep(WINDOW_S)
    end = page.evaluate(STATS)
    elapsed = time.perf_counter() - t0
    page.get_by_role("button", name="Pause").click()
    time.sleep(0.5)
    if not recorded:
        raise RuntimeError(f"{case.name}: no binary frame was received to replay")
    replayed = page.evaluate(REPLAY, {"frames": recorded[-RECORDED:], "seconds": WINDOW_S})
    page.close()
    if errors:
        raise RuntimeError(f"{case.name}: the page reported errors: {errors[:3]}")
    frames = max(end["frames"] - start["frames"], 1)

    def per_frame(view: str) -> float:
        return (end["views"].get(view, 0) - start["views"].get(view, 0)) / frames

    return {
        "rate": frames / elapsed,
        "draw_ms": (end["drawMs"] - start["drawMs"]) / frames,
        "boundary": per_frame("boundary"),
        "network": per_frame("network"),
        "curves": per_frame("curves"),
        "steps": (end["step"] - start["step"]) / elapsed,
        "replay": replayed,
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
        f"Render benchmark: headless Chromium 1920×1080, {WINDOW_S:.0f} s per case "
        f"after {WARMUP_S:.0f} s of warm-up; target ≥ {TARGET:.0f} full updates/s"
    )
    print("JS ms per drawn frame: all views, then the boundary, the network and the curves")
    columns = [
        "case",
        "live/s",
        "render/s",
        "target",
        "JS ms",
        "boundary",
        "network",
        "curves",
        "steps/s",
    ]
    widths = [38, 7, 9, 10, 7, 9, 8, 7, 8]
    line = row(columns, widths)
    print(line)
    print("-" * len(line))
    for case, r in rows:
        verdict = "≥30 ok" if r["replay"] >= TARGET else "≥30 BELOW"
        cells = [
            case.name,
            f"{r['rate']:.1f}",
            f"{r['replay']:.1f}",
            verdict,
            f"{r['draw_ms']:.1f}",
            f"{r['boundary']:.1f}",
            f"{r['network']:.1f}",
            f"{r['curves']:.1f}",
            f"{r['steps']:.0f}",
        ]
        print(row(cells, widths))


if __name__ == "__main__":
    main()
