"""Bytes of a streamed frame at the page's default view, and the ways to make them fewer.

    .venv/bin/python -m benchmarks.bench_frames

The page's default view: the default network (circle, 2-8-2 ReLU, softmax), the maps at
R = 100 without the δ maps (the curves tab is open), the hidden units' h maps as 50×50
thumbnails, training example 0 traced, and playing at 5 SGD steps a frame (the page's
default speed) and 30 frames a second. The frames are those of a stream (server/frames.py
`frame_dict`, what server/stream.py sends), made one after another while training, from
step 0 for FRAMES frames; the first WARMUP are left out of the figures.

1. What one such frame holds, part by part: header JSON and each group of arrays, raw and
   deflated on their own.
2. The options side by side, on the same frames, in one run:
   - bytes a frame (median and largest), and how many times fewer than today;
   - server ms a frame: building and encoding it (engine included: train excluded),
     median wall time on this process, which the machine's other load shows in;
   - browser ms a frame: turning the message into the frame the views draw (the page's
     own typed.js, headless Chromium): median over every frame, each parsed three times
     ("warm"), and the first parse in a fresh page ("cold": nothing compiled yet; what the
     page's first frame pays);
   - what 100 browsers at 30 frames a second need, Mbit/s.
   The options: today's message; deflated as a whole (zlib levels 1 and 6); only what
   changed (each map as its difference from the previous frame's, then deflated; needs
   each viewer's last frame on the server); the parameters only (the frame without maps:
   the browser evaluates them, here with a forward pass written for this benchmark, ReLU
   and softmax only); and the maps as residuals of a prediction, deflated (what the
   stream sends, server/payloads.py), inflated by typed.js or by the browser's
   DecompressionStream (asynchronous).
3. How the browser's evaluation scales: the same forward pass for bigger networks, beside
   the engine's grid pass for the same network.

Figures, not assertions.
"""

import base64
import statistics
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from engine import Config, Trainer
from server.background import BackgroundServer
from server.encoding import (
    ArrayPacker,
    binary_message,
    compress_message,
    decode_binary_array,
    split_binary_message,
)
from server.frames import Selection, frame_dict
from server.sessions import Session
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

R = 100
THUMBNAILS = 50
STEPS = 5
FPS = 30
FRAMES = 60
WARMUP = 10
BROWSERS = 100
TARGET_BYTES = 12_000


def frame_of(session: Session, seq: int, after: int, metrics: Any, **options: Any) -> tuple:
    """(frame dict, packer) of the default view, as the stream makes it."""
    pack = ArrayPacker(binary=True)
    frame = frame_dict(
        session,
        pack,
        seq=seq,
        history_after=after,
        resolution=options.pop("resolution", R),
        selection=Selection(index=0),
        quantized=True,
        metrics=metrics,
        deltas=False,
        thumbnails=THUMBNAILS,
        **options,
    )
    frame["history_reset"] = seq == 0
    frame["stream"] = {
        "playing": True,
        "fps": float(FPS),
        "steps_per_frame": STEPS,
        "resolution": R,
        "target": None,
        "deltas": False,
        "thumbnails": THUMBNAILS,
    }
    return frame, pack


def map_specs(header: dict) -> list[dict]:
    b = header["boundary"]
    specs = [*b["probabilities"], b["predicted"]]
    for layer in b["layers"]:
        specs += layer["activations"] + (layer["deltas"] or [])
    return specs


def timed(fn) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, (time.perf_counter() - t0) * 1e3


def make_frames() -> tuple[dict[str, list[bytes]], dict[str, list[float]], list[bytes]]:
    """Every option's message for each frame, and its server ms."""
    trainer = Trainer(Config())
    session = Session(id="bench", trainer=trainer)
    messages: dict[str, list[bytes]] = {}
    ms: dict[str, list[float]] = {}
    today_all: list[bytes] = []

    def note(name: str, message: bytes, spent: float) -> None:
        messages.setdefault(name, []).append(message)
        ms.setdefault(name, []).append(spent)

    def frame_options(seq: int, after: int, metrics: Any, previous: Any) -> list[np.ndarray]:
        """Note every option's message for this frame; return its maps (for the next)."""

        def today() -> bytes:
            return binary_message(*frame_of(session, seq, after, metrics, predict=False))

        def predicted(level: int) -> bytes:
            frame, pack = frame_of(session, seq, after, metrics)
            return zlib.compress(binary_message(frame, pack), level)

        def parameters() -> bytes:
            frame, pack = frame_of(session, seq, after, metrics, resolution=None)
            frame["boundary"] = {
                "resolution": R,
                "extent": list(trainer._extent),
                "features": list(trainer._features),
                "activation": "relu",
                "output": "softmax",
                "thumbnails": THUMBNAILS,
            }
            return binary_message(frame, pack)

        raw, t_raw = timed(today)
        today_all.append(raw)
        note("today: the maps, u1", raw, t_raw)
        for level in (1, 6):
            out, t = timed(lambda: zlib.compress(raw, level))  # noqa: B023 (called at once)
            note(f"deflated, zlib {level}", out, t_raw + t)
        header, buffers = split_binary_message(raw)
        maps = [decode_binary_array(s, buffers) for s in map_specs(header)]

        def changed() -> bytes:
            body = bytearray(raw)
            (n,) = np.frombuffer(raw[:4], dtype="<u4")
            for spec, now, before in zip(map_specs(header), maps, previous, strict=True):
                start = 4 + int(n) + spec["offset"]
                diff = (now.astype(np.int16) - before).astype(np.uint8)
                body[start : start + spec["nbytes"]] = diff.tobytes()
            return zlib.compress(bytes(body), 1)

        if previous is not None:
            out, t = timed(changed)
            note("only what changed, zlib 1", out, t_raw + t)
        current = [m.astype(np.int16) for m in maps]
        params, t = timed(parameters)
        note("parameters (browser evaluates)", params, t)
        out, t2 = timed(lambda: zlib.compress(params, 1))
        note("parameters, zlib 1", out, t + t2)
        for level in (1, 6):
            out, t = timed(lambda: predicted(level))  # noqa: B023
            note(f"predicted maps, zlib {level}", out, t)
        note(
            "predicted maps, zlib 1, DecompressionStream",
            messages["predicted maps, zlib 1"][-1],
            ms["predicted maps, zlib 1"][-1],
        )
        return current

    after = -1
    previous: list[np.ndarray] | None = None
    for seq in range(FRAMES):
        metrics = trainer.train(STEPS) if seq else None
        previous = frame_options(seq, after, metrics, previous)
        after = trainer.step
    assert compress_message(b"x")[0] == 0x78
    return messages, ms, today_all


BROWSER_JS = """
async ({messages, how, previous}) => {
  const typed = await import("/static/js/typed.js");
  const bytes = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0)).buffer;
  const buffers = messages.map(bytes);
  const prev = previous ? bytes(previous) : null;
  const quantise = (a, lo, hi) => {
    const q = new Uint8Array(a.length), s = 255 / (hi > lo ? hi - lo : 1);
    for (let i = 0; i < a.length; i++) q[i] = Math.min(255, Math.max(0, (a[i] - lo) * s + 0.5));
    return q;
  };
  const evaluate = (frame) => {  // the forward pass over the grid, ReLU and softmax only
    const b = frame.boundary, R = b.resolution, [x0, x1, y0, y1] = b.extent;
    const layers = frame.layers.map((l) => ({W: typed.decode(l.W), b: typed.decode(l.b)}));
    const stride = Math.ceil(R / b.thumbnails);
    const K = layers.at(-1).W.shape[0];
    const probs = Array.from({length: K}, () => new Float32Array(R * R));
    const pred = new Uint8Array(R * R);
    const side = Math.ceil(R / stride);
    const hidden = layers.slice(0, -1).map((l) => new Float32Array(l.W.shape[0] * side * side));
    let a = new Float64Array(64), z = new Float64Array(64);
    for (let i = 0; i < R; i++) for (let j = 0; j < R; j++) {
      a[0] = x0 + (x1 - x0) * j / (R - 1); a[1] = y0 + (y1 - y0) * i / (R - 1);
      let n = 2;
      const thumb = i % stride === 0 && j % stride === 0;
      const t = (i / stride) * side + j / stride;
      layers.forEach((l, li) => {
        const [m, d] = l.W.shape, W = l.W.data;
        for (let u = 0; u < m; u++) {
          let s = l.b.data[u];
          for (let k = 0; k < d; k++) s += W[u * d + k] * a[k];
          z[u] = li < layers.length - 1 ? Math.max(s, 0) : s;
          if (thumb && li < layers.length - 1) hidden[li][u * side * side + t] = z[u];
        }
        [a, z] = [z, a]; n = m;
      });
      let mx = -Infinity, sum = 0, best = 0;
      for (let k = 0; k < K; k++) mx = Math.max(mx, a[k]);
      for (let k = 0; k < K; k++) { a[k] = Math.exp(a[k] - mx); sum += a[k]; }
      for (let k = 0; k < K; k++) {
        probs[k][i * R + j] = a[k] / sum;
        if (a[k] > a[best]) best = k;
      }
      pred[i * R + j] = best;
    }
    const out = probs.map((p) => quantise(p, 0, 1));
    for (const h of hidden) {
      let lo = Infinity, hi = -Infinity;
      for (const v of h) { if (v < lo) lo = v; if (v > hi) hi = v; }
      out.push(quantise(h, lo, hi));
    }
    return [out, pred];
  };
  const inflateNative = async (buf) =>
    new Response(new Blob([buf]).stream().pipeThrough(new DecompressionStream("deflate")))
      .arrayBuffer();
  const run = async (buf) => {
    if (how === "native") return typed.parseBinaryFrame(await inflateNative(buf));
    const frame = typed.parseBinaryFrame(buf);
    if (how === "evaluate") evaluate(frame);
    if (how === "changed") {  // add the previous frame's map bytes back
      const b = frame.boundary;
      const specs = [...b.probabilities, b.predicted, ...b.layers.flatMap((l) => l.activations)];
      for (const s of specs) {
        const q = new Uint8Array(s.bdata), p = new Uint8Array(prev, 0, q.length);
        for (let i = 0; i < q.length; i++) q[i] += p[i];
      }
    }
    return frame;
  };
  let t0 = performance.now();
  await run(buffers[0].slice(0));
  const cold = performance.now() - t0;
  const warm = [];
  for (let pass = 0; pass < 5; pass++) {  // whole passes: the clock ticks in 0.1 ms steps
    const copies = buffers.map((buf) => buf.slice(0));
    t0 = performance.now();
    for (const copy of copies) await run(copy);
    warm.push((performance.now() - t0) / copies.length);
  }
  warm.sort((x, y) => x - y);
  return {cold, warm: warm[warm.length >> 1]};
}
"""


def browser_ms(browser: Any, url: str, messages: list[bytes], how: str) -> dict[str, float]:
    """Cold and warm ms to turn one message into a frame, in a fresh page."""
    page = browser.new_page()
    try:
        page.goto(url + "/api/health")
        encoded = [base64.b64encode(m).decode() for m in messages]
        previous = encoded[0] if how == "changed" else None
        return page.evaluate(BROWSER_JS, {"messages": encoded, "how": how, "previous": previous})
    finally:
        page.close()


SCALE_JS = """
async ({hidden, R}) => {
  const layers = [];
  let d = 2;
  for (const m of [...hidden, 2]) {
    const W = Float64Array.from({length: m * d}, () => Math.random() - 0.5);
    layers.push({W, b: new Float64Array(m), m, d});
    d = m;
  }
  const a0 = new Float64Array(64), z0 = new Float64Array(64);
  const t0 = performance.now();
  for (let i = 0; i < R * R; i++) {
    let a = a0, z = z0;
    a[0] = i % R; a[1] = i / R;
    for (const [li, l] of layers.entries()) {
      for (let u = 0; u < l.m; u++) {
        let s = l.b[u];
        for (let k = 0; k < l.d; k++) s += l.W[u * l.d + k] * a[k];
        z[u] = li < layers.length - 1 ? Math.tanh(s) : s;
      }
      [a, z] = [z, a];
    }
  }
  return performance.now() - t0;
}
"""


def scaling(browser: Any, url: str) -> list[tuple[str, float, float]]:
    rows = []
    page = browser.new_page()
    page.goto(url + "/api/health")
    for hidden in ([8], [8, 8], [32, 32, 32], [64] * 6):
        trainer = Trainer(Config.from_dict({"model": {"hidden": hidden, "activation": "tanh"}}))
        trainer.grid(R)
        engine = statistics.median(
            timed(lambda: trainer.grid(R, deltas=False))[1]  # noqa: B023
            for _ in range(5)
        )
        page.evaluate(SCALE_JS, {"hidden": hidden, "R": R})  # compile
        js = statistics.median(
            page.evaluate(SCALE_JS, {"hidden": hidden, "R": R}) for _ in range(3)
        )
        name = "2-" + "-".join(map(str, hidden)) + "-2 tanh"
        rows.append((name, engine, js))
    page.close()
    return rows


def contents(raw: bytes) -> list[tuple[str, int, int]]:
    """(part, raw bytes, deflated alone) of one message of today's form."""
    header, buffers = split_binary_message(raw)
    (n,) = np.frombuffer(raw[:4], dtype="<u4")
    rows = [
        (
            "header JSON (names, formulas, specs)",
            4 + int(n),
            len(zlib.compress(raw[: 4 + int(n)], 1)),
        )
    ]
    groups: dict[str, bytearray] = {}

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            if "offset" in value and "dtype" in value:
                parts = path.split(".")
                key = ".".join(parts[:2]) if parts[0] == "boundary" else parts[0]
                if key == "boundary.layers":
                    key = "boundary.layers (h thumbnails)"
                chunk = buffers[value["offset"] : value["offset"] + value["nbytes"]]
                groups.setdefault(key, bytearray()).extend(chunk)
                return
            for k, v in value.items():
                walk(v, f"{path}.{k}" if path else k)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{path}.{i}")

    walk(header, "")
    for key, data in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        rows.append((f"arrays: {key}", len(data), len(zlib.compress(bytes(data), 1))))
    return rows


def main() -> None:
    messages, ms, today = make_frames()
    sample = today[-1]
    print(
        f"Frames at the page's default view: default net, R = {R}, thumbnails {THUMBNAILS}, "
        f"no δ maps, example 0 traced, {STEPS} steps a frame; frames {WARMUP}–{FRAMES - 1}"
    )
    print()
    print(
        f"1. One frame of today's form (step {split_binary_message(sample)[0]['step']}), "
        "part by part"
    )
    for name, size, deflated in contents(sample):
        print(f"   {name:<42} {size:>7,} B   deflated alone {deflated:>6,} B")
    print(f"   {'total':<42} {len(sample):>7,} B")
    print()

    how = {
        "parameters (browser evaluates)": "evaluate",
        "parameters, zlib 1": "evaluate",
        "only what changed, zlib 1": "changed",
        "predicted maps, zlib 1, DecompressionStream": "native",
    }
    browser_rows: dict[str, dict[str, float]] = {}
    scale_rows: list[tuple[str, float, float]] = []
    if CHROMIUM.exists():
        from playwright.sync_api import sync_playwright

        with BackgroundServer() as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            for name, msgs in messages.items():
                browser_rows[name] = browser_ms(
                    browser, server.url, msgs[WARMUP - 1 :], how.get(name, "parse")
                )
            scale_rows = scaling(browser, server.url)
            browser.close()
    else:
        print(f"   ({CHROMIUM} is missing: no browser figures)")

    base = statistics.median(len(m) for m in messages["today: the maps, u1"][WARMUP:])
    print("2. The options, on the same frames (median; bytes also largest)")
    head = (
        f"   {'option':<44} {'bytes':>7} {'largest':>7} {'fewer':>6} {'server ms':>9} "
        f"{'browser ms warm':>15} {'cold':>6} {'Mbit/s for ' + str(BROWSERS):>16}"
    )
    print(head)
    for name, msgs in messages.items():
        sizes = (
            [len(m) for m in msgs[WARMUP - 1 :]]
            if name.startswith("only")
            else [len(m) for m in msgs[WARMUP:]]
        )
        size = statistics.median(sizes)
        server_ms = statistics.median(ms[name][WARMUP - 1 :])
        b = browser_rows.get(name)
        warm = f"{b['warm']:.2f}" if b else "–"
        cold = f"{b['cold']:.1f}" if b else "–"
        mbit = size * 8 * FPS * BROWSERS / 1e6
        print(
            f"   {name:<44} {size:>7,.0f} {max(sizes):>7,} {base / size:>5.1f}× "
            f"{server_ms:>9.2f} {warm:>15} {cold:>6} {mbit:>16,.0f}"
        )
    print(f"   target: ≤ {TARGET_BYTES:,} bytes a frame ({base / TARGET_BYTES:.1f}× fewer)")
    if scale_rows:
        print()
        print(f"3. Evaluating the maps of bigger networks at R = {R} (forward pass only, ms)")
        print(f"   {'network':<28} {'engine (NumPy)':>14} {'browser (JS)':>13}")
        for name, engine, js in scale_rows:
            print(f"   {name:<28} {engine:>14.2f} {js:>13.1f}")


if __name__ == "__main__":
    if not Path("engine").is_dir():
        sys.exit("run from the repository root: .venv/bin/python -m benchmarks.bench_frames")
    main()
