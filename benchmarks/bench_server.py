"""Server benchmark: one run, every figure of issue 4 beside its target.

    .venv/bin/python -m benchmarks.bench_server [--quick]

1. CPU time to build and encode one frame: the default net, 10 SGD steps, the boundary at
   R = 100 with every neuron map (the median of many frames, process CPU time), split into
   the engine's part (train + grid + gradients) and the server's (packing). Measured with
   the allocator tuned as `create_app` tunes the server process (server/memory.py).
2. Bytes of that frame, as sent on the stream (binary) and as JSON text.
3. Frames per second delivered to one WebSocket client on loopback at R = 100, with the
   frame rate uncapped, with per-message deflate off (the CLI's setting) and on.
4. Concurrent sessions streaming at 10 frames/s each with p99 interval ≤ 200 ms
   (benchmarks/load_streams.py against a `backprop-lab` child process).

Figures, not assertions: the machine's load average is printed with them.
"""

import argparse
import json
import multiprocessing
import os
import statistics
import time

from websockets.sync.client import connect

from benchmarks import load_streams
from engine import Config, Trainer
from server.encoding import ArrayPacker, binary_message
from server.frames import encode_frame, frame_dict
from server.memory import keep_freed_memory
from server.payloads import (
    batch_gradients,
    boundary_dict,
    history_dict,
    layers_list,
    metrics_dict,
)
from server.sessions import Session

R = 100


def cpu_ms(fn, repeat: int, between=None) -> float:
    """Median process CPU time of fn() in ms, over `repeat` calls in batches of 10.

    `between` runs untimed before each batch.
    """
    fn()
    samples = []
    for _ in range(max(1, repeat // 10)):
        if between is not None:
            between()
        t0 = time.process_time()
        for _ in range(10):
            fn()
        samples.append((time.process_time() - t0) / 10 * 1e3)
    return statistics.median(samples)


def frame_cost(repeat: int) -> dict[str, float]:
    keep_freed_memory()  # as in the server process (create_app does it)
    trainer = Trainer(Config())
    session = Session(id="bench", trainer=trainer)

    def build(binary: bool, steps: int = 10) -> bytes:
        metrics = trainer.train(steps)
        pack = ArrayPacker(binary=binary)
        frame = frame_dict(
            session,
            pack,
            seq=1,
            history_after=trainer.step - steps,
            resolution=R,
            quantized=True,
            metrics=metrics,
        )
        return encode_frame(frame, pack)

    # Every train() call records a history row. A frame sends only the new rows
    # (History.since), so its cost should not grow with the session's age: the frame is
    # measured on a young session (history cleared between batches), and the history part
    # of a frame of a session with thousands of rows is reported on its own line.
    young = trainer.history.clear
    total = cpu_ms(lambda: build(True), repeat, between=young)
    train = cpu_ms(lambda: trainer.train(10), repeat, between=young)
    grid = cpu_ms(lambda: trainer.grid(R), repeat, between=young)
    gradients = cpu_ms(lambda: batch_gradients(trainer), repeat)
    # The server's own work: packing what the engine computed into one binary message.
    metrics = trainer.train(10)
    maps = trainer.grid(R)
    grads = batch_gradients(trainer)

    def pack_only() -> bytes:
        pack = ArrayPacker(binary=True)
        frame = {
            "metrics": metrics_dict(metrics, pack),
            "history": history_dict(trainer.history, pack, trainer.step - 10),
            "layers": layers_list(trainer, pack, grads),
            "boundary": boundary_dict(maps, pack, quantized=True),
        }
        return binary_message(frame, pack)

    packing = cpu_ms(pack_only, repeat, between=young)
    young()
    for _ in range(5000):
        trainer.train(1)
    last = trainer.step - 1  # one new row, as in a frame
    long_history = cpu_ms(lambda: history_dict(trainer.history, ArrayPacker(True), last), 50)
    return {
        "long_history": long_history,
        "history_rows": len(trainer.history),
        "total": total,
        "train": train,
        "grid": grid,
        "gradients": gradients,
        "packing": packing,
        "bytes_binary": len(build(True)),
        "bytes_json": len(build(False)),
    }


def _serve(port: int, deflate: bool) -> None:  # in a child process
    import uvicorn

    from server.main import create_app
    from server.settings import Settings

    uvicorn.run(
        create_app(Settings(max_fps=10_000)),
        host="127.0.0.1",
        port=port,
        ws_per_message_deflate=deflate,
        log_level="warning",
    )


def ws_rate(deflate: bool, seconds: float) -> tuple[float, float]:
    """Frames/s and mean message bytes delivered to one client, fps uncapped, R = 100."""
    port = load_streams.free_port()
    server = multiprocessing.get_context("fork").Process(target=_serve, args=(port, deflate))
    server.start()
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                sid = load_streams.request("POST", f"{url}/api/sessions", {})["id"]
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        with connect(
            f"ws://127.0.0.1:{port}/api/sessions/{sid}/stream",
            compression="deflate" if deflate else None,
            max_size=None,
            proxy=None,
        ) as ws:
            ws.send(json.dumps({"type": "resolution", "resolution": R}))
            ws.send(json.dumps({"type": "play", "fps": 10_000, "steps_per_frame": 10}))
            warm = time.monotonic() + 1.0
            frames = 0
            size = 0
            start = None
            while True:
                message = ws.recv(timeout=10)
                now = time.monotonic()
                if isinstance(message, str):
                    continue
                if now < warm:
                    continue
                if start is None:
                    start = now
                    continue
                frames += 1
                size += len(message)
                if now - start >= seconds:
                    break
        return frames / (now - start), size / max(frames, 1)
    finally:
        server.terminate()
        server.join(10)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Server benchmark (issue 4's table).")
    parser.add_argument("--quick", action="store_true", help="shorter windows, fewer levels")
    parser.add_argument("--levels", type=int, nargs="+", default=None)
    args = parser.parse_args(argv)
    quick = args.quick
    load_before = os.getloadavg()

    cost = frame_cost(repeat=100 if quick else 400)
    rate_off, _ = ws_rate(deflate=False, seconds=2 if quick else 4)
    rate_on, _ = ws_rate(deflate=True, seconds=2 if quick else 4)
    levels = args.levels or ([50, 100] if quick else [50, 70, 85, 100, 125, 150])
    results = load_streams.measure(levels, resolution=50, steps=1, seconds=4 if quick else 6)
    sustained = load_streams.sustained(results)

    def mark(ok: bool) -> str:
        return "met" if ok else "NOT met"

    print("## Backprop Lab server benchmark\n")
    print(f"load average before: {load_before[0]:.2f} (2-core machine)\n")
    print("| what | measured | target | |")
    print("| --- | ---: | ---: | --- |")
    print(
        f"| build + encode one frame (default net, 10 steps, R={R}, every neuron map), CPU "
        f"| {cost['total']:.2f} ms | ≤ 1 ms | {mark(cost['total'] <= 1)} |"
    )
    print(
        f"| … measured apart: engine train(10) / grid(R={R}) / minibatch ∂J/∂θ / "
        f"server packing and encoding | {cost['train']:.2f} / {cost['grid']:.2f} / "
        f"{cost['gradients']:.2f} / {cost['packing']:.2f} ms | | |"
    )
    print(
        f"| … the new history rows of a frame, in a session with {cost['history_rows']} rows "
        f"| {cost['long_history']:.2f} ms | | |"
    )
    kb = cost["bytes_binary"] / 1000
    print(f"| bytes of that frame (binary message) | {kb:.0f} KB | ≤ 200 KB | {mark(kb <= 200)} |")
    print(f"| … the same frame as JSON text (base64) | {cost['bytes_json'] / 1000:.0f} KB | | |")
    print(
        f"| WebSocket frames/s to one client, loopback, R={R}, deflate off "
        f"| {rate_off:.0f} | ≥ 60 | {mark(rate_off >= 60)} |"
    )
    print(f"| … with per-message deflate on (off in the CLI) | {rate_on:.0f} | | |")
    print(
        f"| sessions streaming at 10 frames/s with p99 interval ≤ 200 ms (R=50, 1 step/frame) "
        f"| {sustained} | ≥ 100 | {mark(sustained >= 100)} |"
    )
    print("\n### Load levels\n")
    print(load_streams.table(results))
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
