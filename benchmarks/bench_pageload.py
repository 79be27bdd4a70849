"""What one student's page load costs: bytes over the network and time to a boundary.

Compares two versions in one run, each served by its own `python -m server.cli` process
(the same interpreter and installed packages; uvicorn as the console script runs it):

- before: commit 62f520f, exported with `git archive` into a temporary folder and run
  from there (PYTHONPATH and working directory): files served as they are on disk;
- after: this working tree: precompressed bodies, ETags and cache headers
  (server/assets.py), and the page that draws its first frame before loading Plotly.js.

Each load opens the page in a fresh headless-Chromium context, so the HTTP cache starts
empty; then, 2 s after the network went idle, the same context reloads it (a student
pressing F5; reloading at once would also time the old page's unfinished work, Plotly.js
being set up). Measured per load, from CDP Network events:

- bytes: the sum of `encodedDataLength` of `Network.loadingFinished` (what came over the
  socket, headers included) over the HTTP requests, up to the network being idle for 0.5 s
  (Plotly.js may load after the first frame), split into the page's files (page, modules,
  styles, Plotly.js) and the JSON API calls (a new session's state: the same for both).
  The WebSocket stream is not counted;
- requests: requests for the page's files that went over the network, not answered by
  the browser's cache, and how many were 304 on the wire (`responseReceivedExtraInfo`:
  a revalidated page is reported to the page itself as a 200);
- first boundary: `performance.now()` (ms since the navigation started) when the first
  image put on a canvas in the boundary's chart box (the parent of #boundary) is on screen:
  a wrapper of `putImageData`, installed by an init script before the page's own code,
  asks for the next animation frame, which renders the image, and queues there a task that
  notes the time: it runs after that rendering. The same measure for both versions. The
  page's own mark `backprop-lab:first-boundary`, set the same way, is shown too when the
  page sets one (the old page does not: "–").

Network conditions, by CDP `Network.emulateNetworkConditions`: none (loopback), and
20 Mbit/s down and up with 20 ms latency, a share of a classroom's Wi-Fi. Over loopback
Chromium offers brotli (`Accept-Encoding: gzip, deflate, br, zstd`); over plain HTTP to
any other address it offers only `gzip, deflate`, so a student's laptop in the room gets
gzip: the "gzip only" rows send that Accept-Encoding (CDP `Network.setExtraHTTPHeaders`)
over loopback, throttled, to show what such a laptop gets.
Times are medians of 5 loads (min–max alongside); this machine's other load shows in them.
The cold loads without DevTools (the headline figure) are 9 per version, the two versions
taking turns against two servers running side by side, so that a busy moment of the
machine weighs on both: their ratio is the steadier figure.

Server: start-up is from starting the process to the first answer of /api/health (median
of 3), and for the working tree the part of it that builds the asset store (reading and
compressing every file, timed in this process as a new process does it). Memory: the bytes
of the bodies the asset store keeps, and each server's resident set after its loads.

Target: TF Playground draws its first boundary in 216–372 ms (measured on this machine
earlier); over loopback with a cold cache the target is ≤ 300 ms.

Run: .venv/bin/python -m benchmarks.bench_pageload   (figures, not pass/fail)
"""

import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from server.assets import forget_encoded
from server.background import free_port
from server.static import PLOTLY_URL, build_store
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[1]
BEFORE_COMMIT = "62f520f"
RUNS = 5
PLAIN_RUNS = 9  # cold loads without DevTools, per version, taking turns
STARTS = 3  # server starts timed per version
TARGET_MS = 300.0
PLAYGROUND = "TF Playground draws first boundary in 216–372 ms (measured on this machine earlier)"
THROTTLED = {
    "offline": False,
    "latency": 20,  # ms added to each request
    "downloadThroughput": 20e6 / 8,  # bytes per second: 20 Mbit/s
    "uploadThroughput": 20e6 / 8,
}
IDLE_S = 0.5
RELOAD_AFTER_S = 2.0
TIMEOUT_S = 60.0
GZIP_ONLY = "gzip, deflate"  # what Chromium offers over plain HTTP to another host
MARK = "backprop-lab:first-boundary"
NETWORK_MARK = "backprop-lab:first-network"
# Installed before the page's scripts: the first putImageData on a canvas that sits in the
# boundary's chart box (the parent of #boundary) is the first drawn boundary.
FIRST_BOUNDARY = """(() => {
  const put = CanvasRenderingContext2D.prototype.putImageData;
  CanvasRenderingContext2D.prototype.putImageData = function (...args) {
    const result = put.apply(this, args);
    if (!window.__firstBoundarySeen) {
      const box = document.getElementById("boundary")?.parentElement;
      if (box && box.contains(this.canvas)) {
        window.__firstBoundarySeen = true;
        // The next animation frame renders the image; a task queued then runs after it.
        const note = () => (window.__firstBoundaryMs = performance.now());
        requestAnimationFrame(() => setTimeout(note));
      }
    }
    return result;
  };
})();"""
READ_TIMES = f"""() => ({{
  ms: window.__firstBoundaryMs,
  mark: performance.getEntriesByName("{MARK}")[0]?.startTime ?? null,
}})"""


@dataclass
class Traffic:
    """The HTTP requests of one page load, from one CDP session's Network events."""

    paths: dict[str, str] = field(default_factory=dict)  # requestId → URL path
    received: dict[str, int] = field(default_factory=dict)  # requestId → bytes, once finished
    over_network: dict[str, int] = field(default_factory=dict)  # requestId → HTTP status
    # The status on the wire: a revalidated page is reported to the page as 200, not 304.
    wire_status: dict[str, int] = field(default_factory=dict)
    cached: set[str] = field(default_factory=set)
    encodings: dict[str, str] = field(default_factory=dict)  # URL path → Content-Encoding
    last_event: float = field(default_factory=time.monotonic)

    def _sent(self, event: dict) -> None:
        self.paths[event["requestId"]] = "/" + event["request"]["url"].split("/", 3)[-1]
        self.last_event = time.monotonic()

    def _served_from_cache(self, event: dict) -> None:
        self.cached.add(event["requestId"])

    def _response(self, event: dict) -> None:
        response = event["response"]
        if response.get("fromDiskCache") or event["requestId"] in self.cached:
            return
        self.over_network[event["requestId"]] = response["status"]
        headers = {k.lower(): v for k, v in response.get("headers", {}).items()}
        path = "/" + response["url"].split("/", 3)[-1]
        self.encodings[path] = headers.get("content-encoding", "identity")

    def _extra_info(self, event: dict) -> None:
        self.wire_status[event["requestId"]] = event["statusCode"]

    def _finished(self, event: dict) -> None:
        self.received[event["requestId"]] = int(event["encodedDataLength"])
        self.last_event = time.monotonic()

    def _failed(self, event: dict) -> None:
        self.received[event["requestId"]] = 0
        self.last_event = time.monotonic()

    def idle(self) -> bool:
        quiet = time.monotonic() - self.last_event >= IDLE_S
        return quiet and self.paths.keys() <= self.received.keys()

    def is_api(self, request_id: str) -> bool:
        return self.paths.get(request_id, "").startswith("/api/")

    def load(self, ms: float, mark: float | None) -> "Load":
        assets = [r for r in self.received if not self.is_api(r)]
        on_wire = [
            self.wire_status.get(r, s) for r, s in self.over_network.items() if not self.is_api(r)
        ]
        return Load(
            ms=ms,
            mark=mark,
            asset_bytes=sum(self.received[r] for r in assets),
            api_bytes=sum(n for r, n in self.received.items() if self.is_api(r)),
            requests=len(on_wire),
            not_modified=on_wire.count(304),
            plotly=self.encodings.get(PLOTLY_URL, "cache"),
        )


class Recorder:
    """Hands one CDP session's network events to the current load's Traffic."""

    def __init__(self, cdp: object) -> None:
        self.traffic = Traffic()
        for event, handler in (
            ("requestWillBeSent", Traffic._sent),
            ("requestServedFromCache", Traffic._served_from_cache),
            ("responseReceived", Traffic._response),
            ("responseReceivedExtraInfo", Traffic._extra_info),
            ("loadingFinished", Traffic._finished),
            ("loadingFailed", Traffic._failed),
        ):
            cdp.on(f"Network.{event}", lambda e, handler=handler: handler(self.traffic, e))


@dataclass
class Load:
    ms: float  # first boundary, from the wrapper
    mark: float | None  # first boundary, from the page's own mark
    asset_bytes: int  # the page, its modules and styles, Plotly.js
    api_bytes: int  # the JSON API calls the page makes (a new session's state)
    requests: int  # asset requests that went over the network (not served from cache)
    not_modified: int  # of which 304
    plotly: str  # how Plotly.js came: its Content-Encoding, or "cache"


class Server:
    """One version's `python -m server.cli` on `host`, from `start` to the end of the block."""

    def __init__(self, source: Path, log: Path, host: str = "127.0.0.1") -> None:
        self.source = source
        self.log = log
        self.host = host
        self.port = free_port()
        self.url = f"http://{host}:{self.port}"
        # saved sessions (if the version saves them) go to a folder of the log's, not the
        # user's data directory
        data = log.parent / f"data-{self.port}"
        self.env = {**os.environ, "PYTHONPATH": str(source), "BACKPROP_LAB_DATA_DIR": str(data)}
        self.startup_s = 0.0

    def __enter__(self) -> "Server":
        command = [sys.executable, "-m", "server.cli", "--host", self.host]
        t0 = time.perf_counter()
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [*command, "--port", str(self.port)],
                cwd=self.source,
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            try:
                with urllib.request.urlopen(self.url + "/api/health", timeout=2):
                    break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.process.kill()
                    sys.exit(f"{self.source}: no server started\n{self.log.read_text()}")
                time.sleep(0.02)
        self.startup_s = time.perf_counter() - t0
        return self

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def headers(self, path: str, accept: str, method: str = "HEAD") -> dict[str, str]:
        request = urllib.request.Request(
            self.url + path, method=method, headers={"Accept-Encoding": accept}
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return {k.lower(): v for k, v in response.headers.items()}

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)


def first_boundary(page: object) -> tuple[float, float | None]:
    page.wait_for_function(
        "window.__firstBoundaryMs !== undefined", timeout=TIMEOUT_S * 1000, polling=10
    )
    times = page.evaluate(READ_TIMES)
    return times["ms"], times["mark"]


def settle(page: object, traffic: Traffic) -> None:
    """Let Playwright hand over events until no HTTP request is pending for IDLE_S."""
    deadline = time.monotonic() + TIMEOUT_S
    while not traffic.idle():
        if time.monotonic() > deadline:
            raise RuntimeError("the network never went idle")
        page.wait_for_timeout(50)


def measure(browser: object, url: str, throttled: bool, accept: str | None) -> tuple[Load, Load]:
    """A load with an empty cache, then a reload: (first, reload)."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    context.add_init_script(FIRST_BOUNDARY)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    cdp = context.new_cdp_session(page)
    recorder = Recorder(cdp)
    cdp.send("Network.enable")
    if throttled:
        cdp.send("Network.emulateNetworkConditions", THROTTLED)
    if accept is not None:
        cdp.send("Network.setExtraHTTPHeaders", {"headers": {"Accept-Encoding": accept}})
    loads = []
    for navigate in (
        lambda: page.goto(url + "/", wait_until="commit"),
        lambda: page.reload(wait_until="commit"),
    ):
        recorder.traffic = traffic = Traffic()
        navigate()
        ms, mark = first_boundary(page)
        settle(page, traffic)
        loads.append(traffic.load(ms, mark))
        # The page still has work after the network is idle (Plotly.js, the charts); a
        # reload right away would time that too. A student presses F5 later than this.
        page.wait_for_timeout(RELOAD_AFTER_S * 1000)
    context.close()
    if errors:
        raise RuntimeError(f"{url}: the page reported errors: {errors[:3]}")
    return loads[0], loads[1]


def series(
    browser: object, url: str, throttled: bool, accept: str | None = None
) -> tuple[list[Load], list[Load]]:
    pairs = [measure(browser, url, throttled, accept) for _ in range(RUNS)]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def plain_load(browser: object, url: str) -> tuple[float, float | None, float | None]:
    """A load with no DevTools domain on (CDP's Network events cost the page about 60 ms on
    this machine): (first boundary, the page's boundary mark, its network mark)."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    context.add_init_script(FIRST_BOUNDARY)
    page = context.new_page()
    page.goto(url + "/", wait_until="commit")
    ms, mark = first_boundary(page)
    network = page.evaluate(f"performance.getEntriesByName('{NETWORK_MARK}')[0]?.startTime")
    if network is None and mark is not None:
        page.wait_for_function(f"performance.getEntriesByName('{NETWORK_MARK}').length")
        network = page.evaluate(f"performance.getEntriesByName('{NETWORK_MARK}')[0].startTime")
    context.close()
    return ms, mark, network


def plain_loads(browser: object, urls: dict[str, str]) -> dict[str, list[tuple]]:
    """PLAIN_RUNS cold loads of each version, taking turns, so that the machine's other load
    weighs on both alike: {version: [plain_load(...), ...]}."""
    times: dict[str, list[tuple]] = {name: [] for name in urls}
    for _ in range(PLAIN_RUNS):
        for name, url in urls.items():
            times[name].append(plain_load(browser, url))
    return times


def export_before(folder: Path) -> Path:
    target = folder / "before"
    target.mkdir()
    subprocess.run(
        f"git archive {BEFORE_COMMIT} | tar -x -C {shlex.quote(str(target))}",
        shell=True,
        check=True,
        cwd=ROOT,
    )
    return target


def median_cell(values: list[float], digits: int = 0) -> str:
    if not values:
        return "–"
    middle = statistics.median(values)
    return f"{middle:.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def bytes_cell(loads: list[Load]) -> str:
    assets = statistics.median(load.asset_bytes for load in loads)
    api = statistics.median(load.api_bytes for load in loads)
    return f"{assets:,.0f} + {api:,.0f}"


def requests_cell(loads: list[Load]) -> str:
    load = loads[len(loads) // 2]
    return f"{load.requests} ({load.not_modified} × 304)"


def ms_cell(loads: list[Load]) -> str:
    return median_cell([load.ms for load in loads])


def mark_cell(loads: list[Load]) -> str:
    marks = [load.mark for load in loads if load.mark is not None]
    return median_cell(marks) if len(marks) == len(loads) else "–"


def coding_cell(loads: list[Load]) -> str:
    return ", ".join(sorted({load.plotly for load in loads}))


def row(cells: list[str], widths: list[int]) -> str:
    """The first cell left-aligned, the figures right-aligned."""
    pairs = zip(cells, widths, strict=True)
    return " ".join(f"{c:<{w}}" if i == 0 else f"{c:>{w}}" for i, (c, w) in enumerate(pairs))


def main() -> None:
    if not CHROMIUM.exists():
        sys.exit(f"{CHROMIUM} is missing: the page-load benchmark needs headless Chromium")
    from playwright.sync_api import sync_playwright

    results: dict[str, dict[str, object]] = {"before": {}, "after": {}}
    with tempfile.TemporaryDirectory(prefix="bench-pageload-") as tmp:
        folder = Path(tmp)
        sources = {"before": export_before(folder), "after": ROOT}
        forget_encoded()  # compress everything, as a new process does
        t0 = time.perf_counter()
        store = build_store()
        built_s = time.perf_counter() - t0
        for name, source in sources.items():
            starts = []
            for _ in range(STARTS):
                with Server(source, folder / f"{name}.log") as server:
                    starts.append(server.startup_s)
            results[name]["startup"] = starts
        figures = {
            "built_s": built_s,
            "memory": store.memory_bytes(),
            "plotly": sum(len(b.data) for b in store.asset(PLOTLY_URL).bodies.values()),
        }
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            version = browser.version
            with (
                Server(sources["before"], folder / "before.log") as old,
                Server(sources["after"], folder / "after.log") as new,
            ):
                plain = plain_loads(browser, {"before": old.url, "after": new.url})
            for name, source in sources.items():
                results[name]["plain"] = plain[name]
                r = results[name]
                with Server(source, folder / f"{name}.log") as server:
                    if name == "before":  # the right code answers: no Vary before
                        vary = server.headers("/", "gzip", "GET").get("vary")
                        assert vary is None, f"{source} is not {BEFORE_COMMIT}"
                    r["loop"] = series(browser, server.url, throttled=False)
                    r["slow"] = series(browser, server.url, throttled=True)
                    r["gzip"] = series(browser, server.url, True, accept=GZIP_ONLY)
                    r["rss"] = server.rss_mb()
            browser.close()

    report(results, version, figures)


def report(results: dict[str, dict[str, object]], version: str, figures: dict[str, float]) -> None:
    before, after = results["before"], results["after"]
    print(
        f"Page-load benchmark: Chromium {version}, 1280×720, a fresh context per load "
        f"(empty cache), then a reload {RELOAD_AFTER_S:.0f} s after the network went idle"
    )
    print(f"Times: median of {RUNS} loads (min–max), ms from navigation start")
    print(
        "bytes: CDP Network.loadingFinished encodedDataLength (headers included) summed over "
        "HTTP requests, as page+modules+styles+Plotly.js + JSON API; WebSocket not counted"
    )
    print(
        "requests: asset requests that went over the network (304s among them); "
        "the others came from the browser cache"
    )
    print(
        "first boundary: the first putImageData on a canvas in the boundary's box, on screen; "
        f"mark: the page's own {MARK!r} (– when it sets none)"
    )
    print(
        "20 Mbit/s: CDP Network.emulateNetworkConditions, 20 Mbit/s down and up, 20 ms "
        "latency; gzip only: Accept-Encoding as Chromium sends it over plain HTTP to another host"
    )
    print(
        "cold load, no DevTools: the same first load with no CDP domain on (the rows below "
        "record the Network domain, which slows the page); network: the page's mark "
        f"{NETWORK_MARK!r}, drawn once the boundary is on screen"
    )
    print(f"Target: {PLAYGROUND}; loopback, cold cache: ≤ {TARGET_MS:.0f} ms")
    widths = [40, 24, 24, 9]
    line = row(["", f"before ({BEFORE_COMMIT})", "after (working tree)", "target"], widths)
    print(line)
    print("-" * len(line))

    def out(label: str, old: str, new: str, target: str = "") -> None:
        print(row([label, old, new, target], widths))

    print(f"loopback, cold load, no DevTools (median of {PLAIN_RUNS}, the versions taking turns):")
    plain = [r["plain"] for r in (before, after)]
    out(
        "  first boundary, ms",
        *(median_cell([t[0] for t in times]) for times in plain),
        f"≤ {TARGET_MS:.0f}",
    )
    for label, i in (("  page's boundary mark, ms", 1), ("  page's network mark, ms", 2)):
        cells = [[t[i] for t in times if t[i] is not None] for times in plain]
        out(label, *(median_cell(c) if len(c) == PLAIN_RUNS else "–" for c in cells))
    ratio = statistics.median(t[0] for t in plain[1]) / statistics.median(t[0] for t in plain[0])
    out("  first boundary, after / before", "1", f"{ratio:.2f}")
    conditions = [
        ("loop", "loopback"),
        ("slow", "loopback, 20 Mbit/s"),
        ("gzip", f"loopback, 20 Mbit/s, Accept-Encoding: {GZIP_ONLY}"),
    ]
    for key, title in conditions:
        first = [r[key][0] for r in (before, after)]
        again = [r[key][1] for r in (before, after)]
        target = ""
        print(f"{title}:")
        out("  first load: bytes", *map(bytes_cell, first))
        out("  first load: requests", *map(requests_cell, first))
        out("  first load: Plotly.js came as", *map(coding_cell, first))
        out("  first load: first boundary, ms", *map(ms_cell, first), target)
        out("  first load: page's mark, ms", *map(mark_cell, first))
        out("  reload: bytes", *map(bytes_cell, again), "304s only")
        out("  reload: requests", *map(requests_cell, again))
        out("  reload: first boundary, ms", *map(ms_cell, again))
    print("server:")
    out(
        f"  start-up to /api/health, s (of {STARTS})",
        median_cell(before["startup"], 2),
        median_cell(after["startup"], 2),
    )
    out("  of which the asset store, s", "", f"{figures['built_s']:.3f}")
    out(
        "  asset bodies in memory, MB",
        "",
        f"{figures['memory'] / 1e6:.1f} (Plotly.js {figures['plotly'] / 1e6:.1f})",
    )
    out("  resident set after the loads, MB", f"{before['rss']:.0f}", f"{after['rss']:.0f}")


if __name__ == "__main__":
    main()
