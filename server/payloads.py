"""Engine results → response dicts, with every array as a typed array.

One `ArrayPacker` per message decides where the bytes go: inline base64 (REST and JSON
frames) or a binary tail (binary WebSocket frames). These functions run in a worker
thread under the session's lock; none of them touches the event loop.
"""

import math
from typing import Any

import numpy as np

from server.encoding import (
    ArrayPacker,
    argmax_residual,
    complement_residual,
    plane_residual,
    quantize,
)


def _num(value: Any) -> float | None:
    """A JSON-safe float: NaN and ±inf (a diverged or empty split) become null."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def metrics_dict(metrics: Any, pack: ArrayPacker) -> dict[str, Any]:
    return {
        "step": int(metrics.step),
        "epoch": float(metrics.epoch),
        "train_loss": _num(metrics.train_loss),
        "train_accuracy": _num(metrics.train_accuracy),
        "test_loss": _num(metrics.test_loss),
        "test_accuracy": _num(metrics.test_accuracy),
        "grad_norms": {k: _num(v) for k, v in metrics.grad_norms.items()},
        "dead_units": int(metrics.dead_units),
        "confusion": pack.add(np.asarray(metrics.confusion)),
        "diverged": bool(metrics.diverged),
    }


def health_list(trainer: Any, metrics: Any = None) -> list[dict[str, Any]]:
    """The trainer's health warnings (engine/health.py): a loss growing well past its
    start and best, saturated or dead hidden layers; [] when training is healthy. JSON
    numbers only: a non-finite loss never gets here (that is `diverged`)."""
    return [warning.to_dict() for warning in trainer.health(metrics)]


def batch_gradients(trainer: Any) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """∂J/∂W and ∂J/∂b of every layer (batch mean, loss sign) on the current minibatch:
    the one being stepped mid-phase, otherwise the one the next update will use.

    `Trainer.gradients()` computes them with one forward and backward pass over the
    minibatch: the same numbers as the batch trace's dJ/dW, dJ/db, … at a fraction of
    the cost.
    """
    return dict(zip(trainer.layer_names, trainer.gradients(), strict=True))


def layers_list(
    trainer: Any, pack: ArrayPacker, grads: dict[str, tuple[np.ndarray, np.ndarray]] | None = None
) -> list[dict[str, Any]]:
    """W, b and their gradients (see `batch_gradients`) of every layer, named as on the
    slides."""
    grads = grads if grads is not None else batch_gradients(trainer)
    out = []
    for name, layer in zip(trainer.layer_names, trainer.layers, strict=True):
        dW, db = grads.get(name, (None, None))
        out.append(
            {
                "name": name,
                "W": pack.add(layer.W),
                "b": pack.add(layer.b),
                "dW": pack.add(dW) if dW is not None else None,
                "db": pack.add(db) if db is not None else None,
            }
        )
    return out


def dataset_dict(dataset: Any, pack: ArrayPacker) -> dict[str, Any]:
    return {
        "x_train": pack.add(np.asarray(dataset.x_train, dtype=np.float64)),
        "y_train": pack.add(np.asarray(dataset.y_train, dtype=np.int32)),
        "x_test": pack.add(np.asarray(dataset.x_test, dtype=np.float64)),
        "y_test": pack.add(np.asarray(dataset.y_test, dtype=np.int32)),
        "extent": [float(v) for v in dataset.extent],
        "classes": int(dataset.classes),
    }


def history_dict(history: Any, pack: ArrayPacker, after_step: int = -1) -> dict[str, Any]:
    """The history rows with step > `after_step`, each series as a 1-D typed array.

    `History.since` scans back from the newest row, so a frame's cost is proportional to
    the rows it sends, not to the length of the session's history.
    """
    columns = history.since(after_step)
    out: dict[str, Any] = {"rows": int(columns["step"].size)}
    for key, value in columns.items():
        if isinstance(value, dict):
            out[key] = {name: pack.add(v) for name, v in value.items()}
        else:
            out[key] = pack.add(value)
    return out


def _value(value: Any, pack: ArrayPacker) -> Any:
    array = np.asarray(value)
    if array.ndim == 0:
        return _num(array)
    return pack.add(array)


def trace_dict(
    trace: Any, pack: ArrayPacker, kind: str, index: int | None = None, split: str = "train"
) -> dict[str, Any]:
    """A Trace with its quantities in lecture order and a symbol → position index.

    For kind "example", `index` is the example's index in its `split` ("train" or "test");
    other kinds have neither."""
    quantities = []
    for q in trace.quantities:
        quantities.append(
            {
                "symbol": q.symbol,
                "display": getattr(q, "display", q.symbol),
                "name": q.name,
                "formula": q.formula,
                "kind": getattr(q, "kind", None),
                "value": _value(q.value, pack),
            }
        )
    target = trace.target
    if isinstance(target, np.ndarray):
        target = pack.add(target.astype(np.int32)) if target.ndim else int(target)
    elif target is not None and not isinstance(target, list):
        target = int(target)
    x_raw = getattr(trace, "x_raw", None)
    if x_raw is not None:
        x_raw = np.asarray(x_raw, dtype=np.float64)
        x_raw = [float(v) for v in x_raw] if x_raw.ndim == 1 else pack.add(x_raw)
    return {
        "kind": kind,
        "index": index,
        "split": split if kind == "example" else None,
        "x_raw": x_raw,
        "target": target,
        "convention": trace.convention.to_dict(),
        "layer_names": list(getattr(trace, "layer_names", []) or []),
        "quantities": quantities,
        "symbols": {q["symbol"]: i for i, q in enumerate(quantities)},
    }


def _map_range(maps: np.ndarray, symmetric: bool) -> tuple[float, float, bool]:
    """[low, high] of a stack of maps ignoring non-finite values (symmetric: [−m, m]),
    and whether every value was finite."""
    low, high = float(maps.min()), float(maps.max())
    finite = math.isfinite(low) and math.isfinite(high)  # min/max propagate NaN
    if not finite:
        values = maps[np.isfinite(maps)]
        if values.size == 0:
            return (0.0, 1.0, False)
        low, high = float(values.min()), float(values.max())
    if symmetric:
        m = max(-low, high)
        return ((-m, m) if m > 0 else (-1.0, 1.0)) + (finite,)
    return ((low, high) if high > low else (low, low + 1.0)) + (finite,)


def boundary_dict(
    grid: Any,
    pack: ArrayPacker,
    quantized: bool,
    thumbnails: int | None = None,
    predict: bool | None = None,
) -> dict[str, Any]:
    """Probabilities and neuron maps; with `quantized`, every map as u1 plus its range.

    With `thumbnails`, the hidden units' h maps (which are drawn only as thumbnails in the
    network's nodes) are the grid sampled every ⌈R / thumbnails⌉-th point in both
    directions: a quarter of their bytes or less, and no visible difference at node size.

    Quantised maps share one range per layer (so units of a layer compare by colour), and
    delta maps use a symmetric range so that 0 sits in the middle of a diverging scale.

    Quantised maps in a binary message (stream frames, which are deflated as a whole) go as
    residuals of a prediction, marked by `predict` (docs/api.md, "Binary frames"): each map
    of its plane (left + up − up-left), the last class's probability of 255 minus the
    others', the predicted class of the largest probability. The bytes are the same once
    restored; deflated, they take a third as many as the maps themselves. `predict=False`
    sends the maps themselves (for comparison, in benchmarks/bench_frames.py).
    """
    predict = quantized and pack.binary and predict is not False

    def maps(stack: np.ndarray, fixed: tuple[float, float] | None, symmetric: bool) -> list:
        if not quantized:
            return pack.add_stack(np.asarray(stack, dtype=np.float32))
        low, high, finite = _map_range(stack, symmetric)
        if fixed is not None:
            low, high = fixed
        q = quantize(stack, low, high, finite=finite)
        if predict:
            return pack.add_stack(plane_residual(q), range=[low, high], predict="plane")
        return pack.add_stack(q, range=[low, high])

    stride = max(1, math.ceil(grid.resolution / thumbnails)) if thumbnails else 1
    layers = []
    for i, acts in enumerate(grid.activations):
        acts = acts[:, ::stride, ::stride]
        deltas = None if grid.deltas is None else maps(grid.deltas[i], None, symmetric=True)
        layers.append(
            {"layer": i + 1, "activations": maps(acts, None, symmetric=False), "deltas": deltas}
        )
    predicted = np.asarray(grid.predicted, dtype=np.uint8)
    if predict:
        q = quantize(grid.probabilities, 0.0, 1.0)  # (K, R, R), K ≥ 2
        probabilities = pack.add_stack(plane_residual(q[:-1]), range=[0.0, 1.0], predict="plane")
        others = [spec["offset"] for spec in probabilities]
        last = complement_residual(q[-1], q[:-1])
        probabilities.append(pack.add(last, range=[0.0, 1.0], predict={"complement": others}))
        every = [spec["offset"] for spec in probabilities]
        predicted_spec = pack.add(argmax_residual(predicted, q), predict={"argmax": every})
    else:
        probabilities = maps(grid.probabilities, (0.0, 1.0), symmetric=False)
        predicted_spec = pack.add(predicted)
    return {
        "resolution": int(grid.resolution),
        "extent": [float(v) for v in grid.extent],
        "x1": pack.add(np.asarray(grid.x1, dtype=np.float32)),
        "x2": pack.add(np.asarray(grid.x2, dtype=np.float32)),
        "target": getattr(grid, "target", None),
        "probabilities": probabilities,
        "predicted": predicted_spec,
        "layers": layers,
    }
