"""Persistence benchmark: the cost of one write, and training with persistence on vs off.

Run with ``python -m benchmarks.bench_persist`` (``make bench``).

1. One write of a session (server/persist.py ``Persister.save``), split into its parts: the
   copy of the state taken under the session's lock (``Trainer.to_state()``), encoding
   (JSON + zlib) and the SQLite transaction; median of WRITES writes, and the row's size.
   For the default network and a large one (6×64 ReLU on 2,000 points).
2. Training throughput with the writer thread running (every session changed after each
   frame of STEPS_PER_FRAME steps, written behind every 2 s) and without it, for 1, 10 and
   100 sessions trained in turn as a busy server would: steps per second and process CPU
   (all threads, the writer's included) per 1,000 steps, with the ratio on/off. The two
   are interleaved in one run (off, on, off, on) so that machine noise hits both.
3. Through a real server: `backprop-lab` started with `--data-dir` (persistence on) and with
   `--no-persist`, in turn (off, on, off, on), with 10 and 50 sessions each streaming at
   10 frames/s over its WebSocket (benchmarks/load_streams.py): the interval between a
   session's consecutive frames (p50, p99 over all sessions) and the server process's CPU.
Targets are printed beside the figures; nothing here is an assertion.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import asyncio  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from benchmarks.load_streams import run_level, start_server  # noqa: E402
from engine import Config, Trainer  # noqa: E402
from server.persist import Persister, encode, payload_of  # noqa: E402
from server.sessions import SessionStore  # noqa: E402

WRITES = 30
WINDOW_SECONDS = 4.0
STEPS_PER_FRAME = 2  # the page's default play speed is a step or two per frame
TARGET_CPU_RATIO = 1.05  # ≤ 5 % more CPU with persistence on
STREAM_LEVELS = (10, 50)  # sessions streaming at once through one server
STREAM_SECONDS = 12.0  # shorter windows leave the CPU ratio at 10 sessions to noise (±10 %)
STREAM_RESOLUTION = 50
NETWORKS = {
    "2-8-2 ReLU (default)": {},
    "6×64 ReLU, 2000 points": {"data": {"points": 2000}, "model": {"hidden": [64] * 6}},
}


def write_costs(config: dict, directory: Path) -> dict[str, float]:
    store = SessionStore(10, 3600.0)
    persister = Persister(store, directory)
    trainer = Trainer(Config.from_dict(config))
    trainer.train(2000)
    session = store.add(trainer)
    copy, encoding, total = [], [], []
    size = 0
    for _ in range(WRITES):
        trainer.train(1)
        session.changed()
        started = time.perf_counter()
        with session.lock:
            payload = payload_of(session)
        copied = time.perf_counter()
        size = len(encode(payload)[1])
        encoded = time.perf_counter()
        copy.append(copied - started)
        encoding.append(encoded - copied)
        started = time.perf_counter()
        persister.save(session)  # copies and encodes again, then the transaction
        total.append(time.perf_counter() - started)
    persister.stop()
    return {
        "copy_ms": 1e3 * statistics.median(copy),
        "encode_ms": 1e3 * statistics.median(encoding),
        "total_ms": 1e3 * statistics.median(total),
        "bytes": size,
    }


def throughput(sessions: int, persist: bool, directory: Path) -> tuple[float, float]:
    """Steps per second and CPU milliseconds per 1,000 steps over one window."""
    store = SessionStore(max(sessions, 1), 3600.0)
    persister = Persister(store, directory) if persist else None
    live = [store.add(Trainer(Config.from_dict({}))) for _ in range(sessions)]
    if persister is not None:
        persister.flush(force=True)  # the first write of a new session is not the cadence
        persister.start()
    steps = 0
    wall, cpu = time.perf_counter(), time.process_time()
    deadline = wall + WINDOW_SECONDS
    while time.perf_counter() < deadline:
        for session in live:
            with session.lock:
                session.trainer.train(STEPS_PER_FRAME)
            session.changed()
            steps += STEPS_PER_FRAME
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if persister is not None:
        persister.stop()
    return steps / wall, 1e3 * cpu / (steps / 1000)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-persist-") as tmp:
        root = Path(tmp)
        print(f"\nPersistence: one write of a session (median of {WRITES})")
        header = (
            f"{'network':<24}{'copy (lock held)':>18}{'encode':>10}{'whole write':>13}"
            f"{'row size':>11}"
        )
        print(header)
        print("-" * len(header))
        for i, (name, config) in enumerate(NETWORKS.items()):
            c = write_costs(config, root / f"write{i}")
            print(
                f"{name:<24}{c['copy_ms']:>15.2f} ms{c['encode_ms']:>7.2f} ms"
                f"{c['total_ms']:>10.2f} ms{c['bytes'] / 1024:>8.0f} KiB"
            )

        print(
            f"\nTraining with persistence off vs on (default network, {STEPS_PER_FRAME} steps "
            f"per frame, writes every 2 s; {WINDOW_SECONDS:.0f} s windows, off/on interleaved)"
        )
        header = (
            f"{'sessions':>8}{'steps/s off':>13}{'steps/s on':>12}{'CPU ms/1k off':>15}"
            f"{'CPU ms/1k on':>14}{'CPU on/off':>12}   target"
        )
        print(header)
        print("-" * len(header))
        for count in (1, 10, 100):
            rates: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
            for round_ in range(2):
                for persist in (False, True):
                    directory = root / f"run{count}-{round_}-{persist}"
                    rates[persist].append(throughput(count, persist, directory))
            off = [statistics.mean(v) for v in zip(*rates[False], strict=True)]
            on = [statistics.mean(v) for v in zip(*rates[True], strict=True)]
            ratio = on[1] / off[1]
            print(
                f"{count:>8}{off[0]:>13,.0f}{on[0]:>12,.0f}{off[1]:>15.1f}{on[1]:>14.1f}"
                f"{ratio:>12.3f}   ≤ {TARGET_CPU_RATIO:.2f} "
                f"{'ok' if ratio <= TARGET_CPU_RATIO else 'MISSED'}"
            )
        print_streamed(root)


def streamed(sessions: int, persist: bool, directory: Path) -> tuple[float, float, float]:
    """Frame-interval p50 and p99 (ms) and the server's CPU (cores) with `sessions` streams."""
    storage = ("--data-dir", str(directory)) if persist else ("--no-persist",)
    process, url = start_server(sessions + 10, storage)
    try:
        level = asyncio.run(
            run_level(url, process.pid, sessions, STREAM_RESOLUTION, 2, STREAM_SECONDS)
        )
    finally:
        process.terminate()
        process.wait(timeout=20)
    return 1e3 * level.p50, 1e3 * level.p99, level.server_cpu


def print_streamed(root: Path) -> None:
    print(
        f"\nThrough a server: frame intervals with persistence off vs on ({STREAM_SECONDS:.0f} s "
        f"windows at 10 frames/s, R = {STREAM_RESOLUTION}; off/on interleaved, means of 2)"
    )
    header = (
        f"{'sessions':>8}{'p50 off':>10}{'p50 on':>9}{'p99 off':>10}{'p99 on':>9}"
        f"{'p99 on/off':>12}{'CPU off':>10}{'CPU on':>9}{'CPU on/off':>12}"
    )
    print(header)
    print("-" * len(header))
    for count in STREAM_LEVELS:
        runs: dict[bool, list[tuple[float, float, float]]] = {False: [], True: []}
        for round_ in range(2):
            for persist in (False, True):
                runs[persist].append(streamed(count, persist, root / f"srv{count}-{round_}"))
        off = [statistics.mean(v) for v in zip(*runs[False], strict=True)]
        on = [statistics.mean(v) for v in zip(*runs[True], strict=True)]
        print(
            f"{count:>8}{off[0]:>7.0f} ms{on[0]:>6.0f} ms{off[1]:>7.0f} ms{on[1]:>6.0f} ms"
            f"{on[1] / off[1]:>12.2f}{off[2]:>10.2f}{on[2]:>9.2f}{on[2] / off[2]:>12.3f}"
        )
    print("(CPU in cores: process CPU seconds per second of the window)")


if __name__ == "__main__":
    main()
