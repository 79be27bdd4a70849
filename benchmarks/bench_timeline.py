"""Time-travel benchmark: seeking to random steps of a 100,000-step run, and its memory.

Run with ``python -m benchmarks.bench_timeline`` (``make bench``). For each network, one
session trains 100,000 steps; then ``Trainer.at(t)`` rebuilds SEEKS random past steps
(uniform over the run) and the table gives the median, 95th percentile and worst time.
The worst case is a step just before a regular checkpoint: spacing − 1 steps of replay.

End to end: the same default run in a server session (the app in process, through
FastAPI's TestClient: routing, the session's lock, the worker thread, the JSON answer),
then ``GET …/boundary?step=t&resolution=50`` for the same random steps, what the page
asks for when it shows a past step. The ≤ 50 ms target is for this row's worst case.

Memory: the timeline (checkpoints, data snapshots, configs: what time travel adds), and
everything the session holds after the run (trainer, data, history, timeline), measured
with tracemalloc.
The cost of keeping the checkpoints while training is the ratio of ``train(100_000)``
with the timeline to the same run with checkpoints switched off, interleaved in one run.
Targets are printed beside the figures; nothing here is an assertion.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import random  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

from engine import Config, Trainer  # noqa: E402
from engine.timeline import Timeline  # noqa: E402

STEPS = 100_000
SEEKS = 200
TARGET_WORST_MS = 50.0
NETWORKS = {
    "2-8-2 ReLU (default)": {},
    "2-8-8-8-2 tanh": {"model": {"hidden": [8, 8, 8], "activation": "tanh"}},
    "6×64 ReLU, 4 features": {
        "model": {"hidden": [64] * 6, "features": ["x1", "x2", "x1^2", "x2^2"]}
    },
}


class _NoCheckpoints(Timeline):
    """The same trainer without checkpoints: the baseline for their cost while training."""

    def passed(self, trainer: Trainer) -> None:
        return None

    def steps_to_next(self, step: int) -> int:
        return 1 << 62


def train_seconds(config: Config, steps: int, timeline: bool) -> float:
    trainer = Trainer(config)
    if not timeline:
        trainer.timeline = _NoCheckpoints()
    start = time.perf_counter()
    trainer.train(steps)
    return time.perf_counter() - start


def measure(name: str, partial: dict) -> dict:
    config = Config.from_dict(partial)
    big = partial.get("model", {}).get("hidden") == [64] * 6
    steps = STEPS // 5 if big else STEPS  # a 6×64 step costs ~20× the default's
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    trainer = Trainer(config)
    trainer.train(steps)
    session_bytes = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    rng = random.Random(0)
    targets = [rng.randrange(0, steps + 1) for _ in range(SEEKS)]
    targets.append(trainer.timeline.spacing - 1)  # a worst case: a full spacing of replay
    times = []
    for t in targets:
        start = time.perf_counter()
        trainer.at(t)
        times.append(1000 * (time.perf_counter() - start))
    times.sort()
    # checkpoint cost while training: best of 3 interleaved pairs on a shorter run
    short = min(steps, 20_000)
    pairs = [
        (train_seconds(config, short, True), train_seconds(config, short, False)) for _ in range(3)
    ]
    with_tl = min(p[0] for p in pairs)
    without = min(p[1] for p in pairs)
    return {
        "name": name,
        "steps": steps,
        "checkpoints": len(trainer.timeline.checkpoints),
        "spacing": trainer.timeline.spacing,
        "median": statistics.median(times),
        "p95": times[int(0.95 * (len(times) - 1))],
        "worst": times[-1],
        "timeline_kb": trainer.timeline.nbytes / 1024,
        "session_kb": session_bytes / 1024,
        "overhead": with_tl / without,
    }


def measure_end_to_end(spacing: int, resolution: int = 50) -> dict:
    """Median and worst ms of GET …/boundary?step=t on a 100,000-step default session."""
    from fastapi.testclient import TestClient

    from server.main import create_app
    from server.settings import Settings

    with TestClient(create_app(Settings()), client=("127.0.0.1", 50000)) as client:
        sid = client.post("/api/sessions", json={}).json()["id"]
        per_call = Settings().max_steps_per_call
        for _ in range(STEPS // per_call):
            client.post(f"/api/sessions/{sid}/step", json={"steps": per_call})
        state = client.get(f"/api/sessions/{sid}").json()
        assert state["step"] == STEPS, state["step"]
        rng = random.Random(0)
        targets = [rng.randrange(0, STEPS + 1) for _ in range(SEEKS)]
        targets.append(spacing - 1)  # a worst case: a full spacing of replay
        times = []
        for t in targets:
            start = time.perf_counter()
            response = client.get(
                f"/api/sessions/{sid}/boundary", params={"step": t, "resolution": resolution}
            )
            times.append(1000 * (time.perf_counter() - start))
            assert response.status_code == 200, response.text
        live = client.get(f"/api/sessions/{sid}/boundary", params={"resolution": resolution})
        assert live.status_code == 200
        start = time.perf_counter()
        client.get(f"/api/sessions/{sid}/boundary", params={"resolution": resolution})
        now_ms = 1000 * (time.perf_counter() - start)
    times.sort()
    return {"median": statistics.median(times), "worst": times[-1], "live": now_ms}


def main() -> None:
    rows = [measure(name, partial) for name, partial in NETWORKS.items()]
    e2e = measure_end_to_end(rows[0]["spacing"])
    print(
        f"\nTime travel in the engine: Trainer.at(t) for {SEEKS} random steps of a run (plus a "
        "worst case); steps: the run's length"
    )
    header = (
        f"{'network':<24} {'steps':>8} {'ckpts':>6} {'spacing':>8} {'median ms':>10} "
        f"{'p95 ms':>8} {'worst ms':>9} {'timeline KB':>12} {'session KB':>11} "
        f"{'train ×':>8}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['name']:<24} {r['steps']:>8,} {r['checkpoints']:>6} {r['spacing']:>8} "
            f"{r['median']:>10.2f} {r['p95']:>8.2f} {r['worst']:>9.2f} "
            f"{r['timeline_kb']:>12,.0f} {r['session_kb']:>11,.0f} {r['overhead']:>8.3f}"
        )
    print(
        "train ×: time of train() with checkpoints / without, best of 3 interleaved pairs "
        "(20,000 steps). session KB: everything the trainer holds after the run (tracemalloc)."
    )
    print(
        f"\nEnd to end, 2-8-2 default, {STEPS:,} steps: GET …/boundary?step=t&resolution=50 "
        f"for the same {SEEKS} steps: median {e2e['median']:.2f} ms, worst "
        f"{e2e['worst']:.2f} ms (target ≤ {TARGET_WORST_MS:g}); the live step "
        f"{e2e['live']:.2f} ms."
    )


if __name__ == "__main__":
    main()
