"""Engine benchmark: training steps per second and grid time, side by side from one run.

Run with ``python -m benchmarks.bench_engine`` (``make bench``). Columns:

* engine: ``Trainer.train`` for the 2-D shapes (history rows included); for 784-128-10,
  which no 2-D data set can feed, the engine's own step loop ``engine.optimizer.sgd_steps``
  on random MNIST-shaped data;
* reference: a tight, hand-written NumPy step of the same network (same data, same
  epoch-permutation sampling, same loss), float64;
* the notebook loop: ``for _ in range(n): trainer.train(1)`` against ``trainer.train(n)``
  on the default network, and their ratio (full-set metrics are computed only when read
  or at a history row, so a call should cost about a step);
* torch: PyTorch eager (``nn.Sequential``, ``CrossEntropyLoss``, ``optim.SGD``), float64
  like the engine, when torch is importable; otherwise "absent".

Each figure is the best of several timed runs (the least disturbed by other processes).
Every contender runs its linear algebra on one thread (``BENCH_THREADS``, default 1), set
before NumPy loads: the same footing for NumPy's BLAS and for torch, and figures that do
not collapse when other processes keep the cores busy (a multi-threaded GEMM waits for its
slowest thread). Nothing here is an assertion: the targets are printed beside the figures.
"""

from __future__ import annotations

import os

THREADS = os.environ.get("BENCH_THREADS", "1")
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, THREADS)

import math  # noqa: E402 - the thread settings must precede NumPy's import
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

from engine import Config, Trainer  # noqa: E402
from engine.activations import get_activation  # noqa: E402
from engine.network import init_layers  # noqa: E402
from engine.optimizer import SGD, MinibatchSampler, sgd_steps  # noqa: E402
from engine.outputs import SoftmaxOutput  # noqa: E402

ROUNDS = 7
"""Timed rounds; each round runs every contender once, interleaved, so that a burst of
load from other processes hits all of them alike. The best round counts."""

RUN_SECONDS = 0.04
"""Target length of one timed run (the step count is calibrated to it)."""

LEARNING_RATE = 0.05


def calibrate(run: Callable[[int], None]) -> int:
    """Steps that take about RUN_SECONDS (after a warm-up)."""
    steps = 1
    while True:
        start = time.perf_counter()
        run(steps)
        elapsed = time.perf_counter() - start
        if elapsed > RUN_SECONDS / 4 or steps > 10**6:
            return max(1, int(steps * RUN_SECONDS / elapsed))
        steps *= 4


def best_rates(runs: dict[str, Callable[[int], None] | None]) -> dict[str, float | None]:
    """Best steps per second of each contender over ROUNDS interleaved rounds."""
    live = {name: run for name, run in runs.items() if run is not None}
    steps = {name: calibrate(run) for name, run in live.items()}
    best = dict.fromkeys(live, math.inf)
    for _ in range(ROUNDS):
        for name, run in live.items():
            start = time.perf_counter()
            run(steps[name])
            best[name] = min(best[name], (time.perf_counter() - start) / steps[name])
    return {name: (1.0 / best[name] if name in live else None) for name in runs}


def best_time(fn: Callable[[], object]) -> float:
    """Best mean seconds per call over ROUNDS rounds of about RUN_SECONDS each."""
    calls = calibrate(lambda n: [fn() for _ in range(n)])
    best = math.inf
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def reference_runner(
    x_train: np.ndarray, labels: np.ndarray, sizes: list[int], batch: int, seed: int = 0
) -> Callable[[int], None]:
    """A tight hand-written NumPy SGD step of a one-hidden-layer ReLU/softmax MLP."""
    d, hidden, K = sizes
    rng = np.random.default_rng(seed)
    W = rng.normal(0, math.sqrt(2 / d), (hidden, d))
    b = np.zeros(hidden)
    U = rng.normal(0, math.sqrt(2 / hidden), (K, hidden))
    c = np.zeros(K)
    n = len(labels)
    Y = np.zeros((n, K))
    Y[np.arange(n), labels] = 1.0
    m = min(batch, n)
    rows = np.arange(m)
    lr = LEARNING_RATE
    state = {"order": None, "cursor": n}

    def run(steps: int) -> None:
        nonlocal W, b, U, c
        order, cursor = state["order"], state["cursor"]
        for _ in range(steps):
            if cursor + m > n:
                order = rng.permutation(n)
                cursor = 0
            idx = order[cursor : cursor + m]
            cursor += m
            x, y, k = x_train[idx], Y[idx], labels[idx]
            z = x @ W.T
            z += b
            h = np.maximum(z, 0.0)
            v = h @ U.T
            v += c
            e = np.exp(v - v.max(axis=1, keepdims=True))
            e /= e.sum(axis=1, keepdims=True)
            J = -float(np.log(e[rows, k]).sum()) / m
            if not math.isfinite(J):
                break
            d_o = e - y
            d_o *= 1.0 / m
            gU = d_o.T @ h
            gc = d_o.sum(axis=0)
            d_z = (d_o @ U) * (z > 0)
            gW = d_z.T @ x
            gb = d_z.sum(axis=0)
            W -= lr * gW
            b -= lr * gb
            U -= lr * gU
            c -= lr * gc
        state["order"], state["cursor"] = order, cursor

    return run


def torch_runner(
    x_train: np.ndarray, labels: np.ndarray, sizes: list[int], batch: int
) -> Callable[[int], None] | None:
    """PyTorch eager, float64, the same network and sampling; None without torch."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(int(THREADS))
    torch.manual_seed(0)
    d, hidden, K = sizes
    model = torch.nn.Sequential(
        torch.nn.Linear(d, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, K)
    ).double()
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    X = torch.from_numpy(x_train)
    y = torch.from_numpy(labels)
    n = len(labels)
    m = min(batch, n)
    state = {"order": None, "cursor": n}

    def run(steps: int) -> None:
        order, cursor = state["order"], state["cursor"]
        for _ in range(steps):
            if cursor + m > n:
                order = torch.randperm(n)
                cursor = 0
            idx = order[cursor : cursor + m]
            cursor += m
            opt.zero_grad()
            loss = loss_fn(model(X[idx]), y[idx])
            loss.backward()
            opt.step()
        state["order"], state["cursor"] = order, cursor

    return run


def engine_trainer_runner(trainer: Trainer) -> Callable[[int], None]:
    def run(steps: int) -> None:
        trainer.train(steps)

    return run


def engine_loop_runner(
    x_train: np.ndarray, labels: np.ndarray, sizes: list[int], batch: int
) -> Callable[[int], None]:
    """The engine's step loop on arbitrary arrays (what Trainer.train runs inside)."""
    act = get_activation("relu")
    sgd = SGD(init_layers(sizes, act.gain, 0), LEARNING_RATE)
    sampler = MinibatchSampler(len(labels), 0)
    targets = SoftmaxOutput.targets(labels, sizes[-1])

    def run(steps: int) -> None:
        sgd_steps(sgd, sampler, batch, steps, x_train, targets, labels, act, SoftmaxOutput)

    return run


def small_trainer(dataset: str, classes: int, hidden: int, points: int, batch: int) -> Trainer:
    return Trainer(
        Config.from_dict(
            {
                "data": {"dataset": dataset, "classes": classes, "points": points},
                "model": {"hidden": [hidden]},
                "train": {"learning_rate": LEARNING_RATE, "batch_size": batch},
            }
        )
    )


def loop_runner(trainer: Trainer) -> Callable[[int], None]:
    """The notebook's loop: one ``train(1)`` call per step, its result unread."""

    def run(steps: int) -> None:
        for _ in range(steps):
            trainer.train(1)

    return run


def print_loop_table() -> None:
    """``for _ in range(n): train(1)`` against ``train(n)``, interleaved in one run."""
    print("\nOne step per call: for _ in range(n): train(1) against train(n), 2-8-2 on circle")
    rates = best_rates(
        {
            "train(n)": engine_trainer_runner(small_trainer("circle", 2, 8, 400, 10)),
            "train(1) loop": loop_runner(small_trainer("circle", 2, 8, 400, 10)),
        }
    )
    lheader = f"{'call':<14} {'steps/s':>9} {'µs/step':>8} {'÷ train(n)':>11} {'target':>7}"
    print(lheader)
    print("-" * len(lheader))
    base = rates["train(n)"]
    assert base is not None
    for name, rate in rates.items():
        assert rate is not None
        target = "≤ 1.5×" if name != "train(n)" else "—"
        print(
            f"{name:<14} {fmt_rate(rate):>9} {1e6 / rate:>8.1f} {base / rate:>10.2f}× {target:>7}"
        )


def fmt_rate(rate: float | None) -> str:
    return "absent" if rate is None else f"{rate:,.0f}"


def main() -> None:
    import platform

    try:
        import torch

        torch_version = f"torch {torch.__version__}"
    except ImportError:
        torch_version = "torch absent"
    print(
        f"Backprop Lab engine benchmark — Python {platform.python_version()}, "
        f"NumPy {np.__version__}, {torch_version}"
    )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"{os.cpu_count()} CPUs, load average {load}; BLAS/torch threads: "
        f"{os.environ['OPENBLAS_NUM_THREADS']}"
    )
    print(
        f"best of {ROUNDS} interleaved rounds of ~{RUN_SECONDS * 1e3:.0f} ms per contender; "
        "float64 training; steps/s (higher is better)\n"
    )

    rows = []
    # 2-8-2, batch 10: the default network on the circle (320 training points)
    t282 = small_trainer("circle", 2, 8, 400, 10)
    # 2-64-4, batch 64: four blobs, 1600 training points
    t2644 = small_trainer("blobs", 4, 64, 2000, 64)
    rng = np.random.default_rng(0)
    x784 = rng.normal(0.0, 1.0, (2048, 784))
    y784 = rng.integers(0, 10, 2048)
    cases = [
        ("2-8-2", 10, [2, 8, 2], t282),
        ("2-64-4", 64, [2, 64, 4], t2644),
        ("784-128-10", 128, [784, 128, 10], None),
    ]
    for name, batch, sizes, trainer in cases:
        if trainer is not None:
            x, labels = trainer._phi_train, trainer.dataset.y_train
            engine_run = engine_trainer_runner(trainer)
        else:
            x, labels = x784, y784
            engine_run = engine_loop_runner(x, labels, sizes, batch)
        rates = best_rates(
            {
                "engine": engine_run,
                "reference": reference_runner(x, labels, sizes, batch),
                "torch": torch_runner(x, labels, sizes, batch),
            }
        )
        rows.append((name, batch, rates["engine"], rates["reference"], rates["torch"]))

    header = (
        f"{'shape':<11} {'batch':>5} {'engine':>9} {'µs/step':>8} {'reference':>10} "
        f"{'torch':>9}   {'engine÷ref':>15} {'target':>7}   {'torch÷engine':>17} "
        f"{'target':>7}"
    )
    print(header)
    print("-" * len(header))
    for name, batch, engine_rate, ref_rate, torch_rate in rows:
        ratio_ref = ref_rate / engine_rate  # engine time / reference time
        small = name != "784-128-10"
        torch_target = "≥ 5×" if small else "≥ 1×"
        torch_ratio = "absent" if torch_rate is None else f"{engine_rate / torch_rate:.2f}×"
        ref_target = "≤ 1.5×" if name == "2-8-2" else "—"
        print(
            f"{name:<11} {batch:>5} {fmt_rate(engine_rate):>9} {1e6 / engine_rate:>8.1f} "
            f"{fmt_rate(ref_rate):>10} {fmt_rate(torch_rate):>9}   "
            f"{ratio_ref:>14.2f}× {ref_target:>7}   {torch_ratio:>17} {torch_target:>7}"
        )
    print(
        "\nengine÷ref: engine time per step ÷ hand-written reference time per step;\n"
        "torch÷engine: PyTorch eager time per step ÷ engine time per step (how many times "
        "faster the engine is)."
    )

    print_loop_table()

    print("\nGrid evaluation: one batched pass, probabilities + all activation and delta maps")
    gheader = f"{'network':<9} {'grid':>9} {'ms':>8} {'target':>8} {'ms/target':>10}"
    print(gheader)
    print("-" * len(gheader))
    for label, trainer in (("2-8-2", t282), ("2-64-4", t2644)):
        for R in (100, 200):
            ms = best_time(lambda t=trainer, r=R: t.grid(r)) * 1e3
            targeted = label == "2-8-2" and R == 100
            target = "< 1 ms" if targeted else "—"
            ratio = f"{ms / 1.0:.2f}×" if targeted else "—"
            print(f"{label:<9} {f'{R}×{R}':>9} {ms:>8.3f} {target:>8} {ratio:>10}")


if __name__ == "__main__":
    main()
