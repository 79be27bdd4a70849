"""How many sessions can stream at 10 frames/s each with a p99 frame interval ≤ 200 ms?

Starts `backprop-lab` on 127.0.0.1 in a child process (unless --url points at a running
one), then, for each level N, opens N sessions, starts each playing at 10 frames/s over its
own WebSocket, lets them settle, records the arrival time of every frame for a fixed
window, and closes and deletes them. The figure is the largest N whose p99 interval
between consecutive frames of a session stays within 200 ms (and that received at least
95 % of the frames asked for). Everything is bounded in time; the child process is stopped
at the end.

    .venv/bin/python -m benchmarks.load_streams --levels 50 100 150 --seconds 6
"""

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass

from websockets.asyncio.client import connect

# Loopback only: never through a proxy configured in the environment.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

FPS = 10.0
TARGET_P99 = 0.200  # seconds
WARMUP = 2.0  # seconds before intervals count: connections settle, first frames arrive


@dataclass
class Level:
    sessions: int
    resolution: int
    frames: int  # received in the window
    expected: int  # sessions × FPS × window
    p50: float
    p99: float
    worst: float
    server_cpu: float  # server CPU seconds per wall second in the window (1.0 = one core)
    client_cpu: float  # the same for this load-generating process
    load: float  # the machine's 1-minute load average at the end of the window

    @property
    def ok(self) -> bool:
        return self.p99 <= TARGET_P99 and self.frames >= 0.95 * self.expected


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(
    max_sessions: int, storage: tuple[str, ...] = ("--no-persist",)
) -> tuple[subprocess.Popen, str]:
    """`backprop-lab` on a free loopback port; returns the process and its base URL.
    `storage`: the persistence options (none kept by default; ("--data-dir", DIR) keeps)."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable, "-m", "server.cli", "--host", "127.0.0.1", "--port", str(port),
            "--max-sessions", str(max_sessions), *storage,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with OPENER.open(f"{url}/api/health", timeout=1):
                return process, url
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the server did not start within 20 s")


def request(method: str, url: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("content-type", "application/json")
    with OPENER.open(req, timeout=30) as response:
        raw = response.read()
    return json.loads(raw) if raw else {}


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc (Linux)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def watch(
    ws_url: str, resolution: int, steps_per_frame: int, start: float, stop: float, out: list
) -> None:
    """One viewer: play at FPS, then timestamp every frame until `stop`."""
    async with connect(ws_url, compression=None, max_size=None, proxy=None) as ws:
        await ws.send(json.dumps({"type": "resolution", "resolution": resolution}))
        await ws.send(json.dumps({"type": "play", "fps": FPS, "steps_per_frame": steps_per_frame}))
        last = None
        while True:
            remaining = stop - time.monotonic()
            if remaining <= 0:
                break
            try:
                message = await asyncio.wait_for(ws.recv(), timeout=remaining)
            except TimeoutError:
                break
            if isinstance(message, str):
                continue  # acks
            now = time.monotonic()
            if now >= start:
                if last is not None and last >= start:
                    out.append(now - last)
                else:
                    out.append(None)  # first frame in the window: counts, no interval
            last = now


async def run_level(
    url: str, pid: int | None, sessions: int, resolution: int, steps: int, seconds: float
) -> Level:
    ids = [
        (await asyncio.to_thread(request, "POST", f"{url}/api/sessions", {}))["id"]
        for _ in range(sessions)
    ]
    ws_base = url.replace("http://", "ws://")
    t0 = time.monotonic()
    start, stop = t0 + WARMUP, t0 + WARMUP + seconds
    records: list[list] = [[] for _ in ids]
    cpu_before = None

    async def measure_cpu() -> tuple[float, float]:
        nonlocal cpu_before
        await asyncio.sleep(max(0.0, start - time.monotonic()))
        cpu_before = cpu_seconds(pid) if pid else 0.0
        client_before = time.process_time()
        await asyncio.sleep(max(0.0, stop - time.monotonic()))
        client = (time.process_time() - client_before) / seconds
        server = (cpu_seconds(pid) - cpu_before) / seconds if pid else float("nan")
        return server, client

    tasks = [
        watch(f"{ws_base}/api/sessions/{sid}/stream", resolution, steps, start, stop, rec)
        for sid, rec in zip(ids, records, strict=True)
    ]
    *_, (cpu, client_cpu) = await asyncio.gather(*tasks, measure_cpu())
    for sid in ids:
        await asyncio.to_thread(request, "DELETE", f"{url}/api/sessions/{sid}")
    intervals = sorted(i for rec in records for i in rec if i is not None)
    frames = sum(len(rec) for rec in records)

    def quantile(q: float) -> float:
        if not intervals:
            return float("inf")
        return intervals[min(len(intervals) - 1, int(q * len(intervals)))]

    return Level(
        sessions=sessions,
        resolution=resolution,
        frames=frames,
        expected=int(sessions * FPS * seconds),
        p50=quantile(0.50),
        p99=quantile(0.99),
        worst=intervals[-1] if intervals else float("inf"),
        server_cpu=cpu,
        client_cpu=client_cpu,
        load=os.getloadavg()[0],
    )


def measure(
    levels: list[int], resolution: int, steps: int, seconds: float, url: str | None = None
) -> list[Level]:
    """Run every level against a fresh child server (or `url`); stops at the first failure."""
    process = None
    pid = None
    if url is None:
        process, url = start_server(max(levels) + 10)
        pid = process.pid
    results: list[Level] = []
    try:
        for n in levels:
            level = asyncio.run(run_level(url, pid, n, resolution, steps, seconds))
            results.append(level)
            if not level.ok:
                break
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    return results


def table(results: list[Level]) -> str:
    lines = [
        "| sessions | R | frames received / asked | p50 interval | p99 interval | worst "
        "| server CPU | load client CPU | load average | p99 ≤ 200 ms |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |",
    ]
    for r in results:
        lines.append(
            f"| {r.sessions} | {r.resolution} | {r.frames} / {r.expected} | {r.p50 * 1e3:.0f} ms "
            f"| {r.p99 * 1e3:.0f} ms | {r.worst * 1e3:.0f} ms | {r.server_cpu:.2f} cores "
            f"| {r.client_cpu:.2f} cores | {r.load:.1f} | {'yes' if r.ok else 'no'} |"
        )
    return "\n".join(lines)


def sustained(results: list[Level]) -> int:
    """The largest level that met the target (0 if none did)."""
    return max((r.sessions for r in results if r.ok), default=0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[50, 100, 150, 200])
    parser.add_argument("--resolution", type=int, default=50, help="R of each stream's maps")
    parser.add_argument("--steps-per-frame", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=6.0, help="measured window per level")
    parser.add_argument("--url", default=None, help="a running server (default: start one)")
    args = parser.parse_args(argv)
    results = measure(args.levels, args.resolution, args.steps_per_frame, args.seconds, args.url)
    print(table(results))
    print(f"\nsustained: {sustained(results)} sessions at {FPS:g} frames/s with p99 ≤ 200 ms")


if __name__ == "__main__":
    main()
