"""Class mode under load: one lecturer playing at 30 frames/s, followed by N browsers.

Run with ``python -m benchmarks.bench_class`` (``make bench``). Starts ``backprop-lab`` on
a loopback port in a child process; the lecturer is a WebSocket client on its own session
that asks for the page's default view (resolution 100, thumbnails 50, no δ maps, example 0
traced) and plays at 30 frames/s, 5 steps a frame (the page's default speed); the
followers are light WebSocket clients of the class stream that count what they receive.
For N = 0 (the lecturer alone), 1, 50, 100 and 200 followers, after a warm-up:

* frames each follower receives per second, median and 5th percentile;
* the lecturer's frame interval, 99th percentile, against its value with no followers;
* the server's CPU (seconds per second, 1.0 = one core) and resident memory;
* bytes per frame and per second for each follower.

The followers run in a process of their own, apart from the lecturer's client, so that
their event loop does not delay the lecturer's measurements; the load generators share the
2 cores with the server, so the figures are a lower bound for a real room (where each
follower is its own device). Targets are printed beside the
figures; nothing here is an assertion.

Those figures move with whatever else runs on the machine (on a shared one, the lecturer's
p99 alone went from 34 ms to 150 ms). So the bench also measures, in this process, the
part the followers add to the server's event loop, which the lecturer's stream shares:
the CPU time of fanning one frame out to 200 followers through the route's own follower
code, with sockets that take a frame at once (``fanout_cost``).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import statistics
import time
from types import SimpleNamespace
from typing import Any

import anyio
from websockets.asyncio.client import connect

from benchmarks.load_streams import cpu_seconds, request, start_server

FPS = 30.0
STEPS_PER_FRAME = 5
WARMUP = 2.0
WINDOW = 10.0
LEVELS = (0, 1, 50, 100, 200)
TARGETS = "followers ≥ 25 fps median, ≥ 20 at p5 (200 followers); lecturer p99 ≤ 1.25× solo"


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def lecturer(ws_url: str, start: float, stop: float, intervals: list[float]) -> None:
    async with connect(ws_url, compression=None, max_size=None, proxy=None) as ws:
        for command in (
            {"type": "resolution", "resolution": 100, "deltas": False, "thumbnails": 50},
            {"type": "select", "index": 0},
            {"type": "view", "tab": "curves", "phase": "ready"},
            {"type": "play", "fps": FPS, "steps_per_frame": STEPS_PER_FRAME},
        ):
            await ws.send(json.dumps(command))
        last = None
        while (remaining := stop - time.monotonic()) > 0:
            try:
                message = await asyncio.wait_for(ws.recv(), timeout=remaining)
            except TimeoutError:
                break
            if isinstance(message, str):
                continue
            now = time.monotonic()
            if last is not None and last >= start:
                intervals.append(now - last)
            last = now
        await ws.send(json.dumps({"type": "pause"}))


async def follower(ws_url: str, start: float, stop: float, out: dict) -> None:
    frames = size = 0
    async with connect(ws_url, compression=None, max_size=None, proxy=None) as ws:
        while (remaining := stop - time.monotonic()) > 0:
            try:
                message = await asyncio.wait_for(ws.recv(), timeout=remaining)
            except TimeoutError:
                break
            if isinstance(message, str):
                continue  # the view
            if time.monotonic() >= start:
                frames += 1
                size += len(message)
    out["frames"], out["bytes"] = frames, size


def followers(url: str, n: int, start_in: float, window: float, out: multiprocessing.Queue) -> None:
    """N followers in this (child) process; puts their counts on `out`."""

    async def run() -> list[dict]:
        start = time.monotonic() + start_in
        counts = [{} for _ in range(n)]
        await asyncio.gather(*(follower(url, start, start + window, c) for c in counts))
        return counts

    out.put(asyncio.run(run()))


async def level(url: str, pid: int, n: int) -> dict:
    sid = (await asyncio.to_thread(request, "POST", f"{url}/api/sessions", {}))["id"]
    code = (await asyncio.to_thread(request, "POST", f"{url}/api/sessions/{sid}/class"))["code"]
    ws = url.replace("http://", "ws://")
    t0 = time.monotonic()
    start, stop = t0 + WARMUP, t0 + WARMUP + WINDOW
    intervals: list[float] = []
    queue: multiprocessing.Queue = multiprocessing.Queue()
    crowd = multiprocessing.Process(
        target=followers, args=(f"{ws}/api/classes/{code}/stream", n, WARMUP, WINDOW, queue)
    )
    if n:
        crowd.start()
    lead = asyncio.create_task(lecturer(f"{ws}/api/sessions/{sid}/stream", start, stop, intervals))
    await asyncio.sleep(max(0.0, start - time.monotonic()))
    cpu0, wall0 = cpu_seconds(pid), time.monotonic()
    await asyncio.sleep(max(0.0, stop - time.monotonic()))
    cpu = (cpu_seconds(pid) - cpu0) / (time.monotonic() - wall0)
    rss = rss_mb(pid)
    await lead
    counts = await asyncio.to_thread(queue.get, True, 60) if n else []
    if n:
        crowd.join(timeout=10)
    await asyncio.to_thread(request, "DELETE", f"{url}/api/sessions/{sid}")
    rates = sorted(c.get("frames", 0) / WINDOW for c in counts)
    frames = sum(c.get("frames", 0) for c in counts)
    size = sum(c.get("bytes", 0) for c in counts)
    intervals.sort()
    return {
        "n": n,
        "median": statistics.median(rates) if rates else float("nan"),
        "p5": rates[int(0.05 * (len(rates) - 1))] if rates else float("nan"),
        "p99": intervals[int(0.99 * (len(intervals) - 1))] * 1000 if intervals else float("nan"),
        "cpu": cpu,
        "rss": rss,
        "frame_kb": size / frames / 1024 if frames else float("nan"),
        "kb_s": size / WINDOW / n / 1024 if n else float("nan"),
    }


class _InstantSocket:
    """A follower's WebSocket that takes every message at once and sends none."""

    def __init__(self, app: Any) -> None:
        self.app, self.frames = app, 0

    async def receive(self) -> dict:
        await anyio.sleep_forever()
        return {}

    async def send_bytes(self, data: bytes) -> None:
        self.frames += 1

    async def send_text(self, text: str) -> None:
        pass

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        pass


def fanout_cost(n: int = 200, frames: int = 300) -> float:
    """Milliseconds of event-loop CPU to hand one frame to `n` followers (route code)."""
    from engine import Config, Trainer
    from server.classes import ClassRegistry
    from server.routes.classes import _follow
    from server.sessions import SessionStore

    async def run() -> float:
        store = SessionStore(10, 600.0)
        registry = ClassRegistry()
        app = SimpleNamespace(state=SimpleNamespace(classes=registry, store=store))
        room = registry.open(store.add(Trainer(Config())))
        sockets = [_InstantSocket(app) for _ in range(n)]
        frame = bytes(9_600)  # the default view's frame size
        async with anyio.create_task_group() as tg:
            for i, ws in enumerate(sockets):
                tg.start_soon(_follow, ws, room, i)
            await anyio.sleep(0.1)
            started = time.process_time()
            for i in range(frames):
                room.publish(frame, True)
                while min(ws.frames for ws in sockets) <= i:
                    await anyio.sleep(0)
            cost = (time.process_time() - started) / frames * 1000
            tg.cancel_scope.cancel()
        return cost

    return anyio.run(run)


async def main_async() -> None:
    process, url = start_server(max_sessions=50)
    try:
        rows = [await level(url, process.pid, n) for n in LEVELS]
    finally:
        process.terminate()
        process.wait(timeout=10)
    solo = rows[0]["p99"]
    print(
        f"\nClass mode: one lecturer at {FPS:g} frames/s ({STEPS_PER_FRAME} steps a frame), "
        f"N followers on loopback, {WINDOW:g} s window"
    )
    header = (
        f"{'followers':>9} {'fps median':>11} {'fps p5':>7} {'lecturer p99 ms':>16} "
        f"{'× solo':>7} {'server CPU':>11} {'RSS MB':>7} {'KB/frame':>9} {'KB/s each':>10}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['n']:>9} {r['median']:>11.1f} {r['p5']:>7.1f} {r['p99']:>16.1f} "
            f"{r['p99'] / solo:>7.2f} {r['cpu']:>11.2f} {r['rss']:>7.0f} {r['frame_kb']:>9.1f} "
            f"{r['kb_s']:>10.0f}"
        )
    print(f"targets: {TARGETS}; default-view frames ≤ 12 KB")


def print_fanout_cost() -> None:
    """Its own event loop: anyio.run cannot start inside the loop main_async runs on."""
    cost = fanout_cost()
    print(
        f"fan-out: {cost:.2f} ms of event-loop CPU per frame for 200 followers "
        f"({cost * FPS / 10:.1f} % of a core at {FPS:g} frames/s; in process, instant sockets)"
    )


def main() -> None:
    asyncio.run(main_async())
    print_fanout_cost()


if __name__ == "__main__":
    main()
