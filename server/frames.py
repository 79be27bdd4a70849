"""Assembling a frame: run the requested work on a trainer, then describe the result.

Everything here runs in a worker thread while the session's lock is held.
"""

from dataclasses import dataclass
from typing import Any

from engine import Convention
from server.encoding import ArrayPacker, binary_message, compress_message, dumps
from server.payloads import (
    boundary_dict,
    health_list,
    history_dict,
    layers_list,
    metrics_dict,
    trace_dict,
)
from server.sessions import Session
from server.timeline import timeline_dict


@dataclass
class Selection:
    """Which example a viewer traces: an example by index (of the training set, or of the
    test set when `split` is "test"), any point, or the minibatch."""

    index: int | None = None
    split: str = "train"
    x1: float | None = None
    x2: float | None = None
    target: int | None = None
    batch: bool = False

    @property
    def empty(self) -> bool:
        return self.index is None and self.x1 is None and not self.batch


def run_trace(trainer: Any, selection: Selection, convention: Convention) -> tuple[Any, str]:
    """The engine Trace of `selection` and its kind."""
    if selection.batch:
        return trainer.trace_batch(convention=convention), "batch"
    if selection.index is not None:
        if selection.split == "test":
            # A held-out example: traced like any point, with its own label; nothing trains on it.
            x1, x2 = trainer.dataset.x_test[selection.index]
            target = int(trainer.dataset.y_test[selection.index])
            trace = trainer.trace_point(float(x1), float(x2), target, convention=convention)
            return trace, "example"
        return trainer.trace_example(selection.index, convention=convention), "example"
    target = selection.target
    if target is None:
        target = 0
    return trainer.trace_point(selection.x1, selection.x2, target, convention=convention), "point"


def frame_dict(
    session: Session,
    pack: ArrayPacker,
    *,
    seq: int,
    history_after: int,
    resolution: int | None,
    grid_target: int | None = None,
    selection: Selection | None = None,
    quantized: bool = False,
    metrics: Any = None,
    deltas: bool = True,
    thumbnails: int | None = None,
    shown: Any = None,
    predict: bool | None = None,
) -> dict[str, Any]:
    """Step, metrics, new history rows, layers, optional maps and trace of the selection.

    `metrics` may be the Metrics that `train()` or `update_phase()` just returned, to save
    computing them again. Without `deltas` the maps leave out δ^(z) (null per layer); with
    `thumbnails`, the h maps are sampled down to about that side (see boundary_dict).
    `shown` is a past trainer of the session (server/timeline.py) to describe instead of
    the live one; the history rows stay the live run's, so the curves keep every step.
    `predict=False` keeps binary maps unpredicted (see boundary_dict); so does a stream's
    first frame (`seq` 0), which `encode_frame` does not deflate either: see there.
    """
    if seq == 0:
        predict = False
    live = session.trainer
    trainer = shown if shown is not None else live
    if metrics is None or metrics.step != trainer.step:
        metrics = trainer.metrics()
    frame: dict[str, Any] = {
        "type": "frame",
        "seq": seq,
        "step": int(trainer.step),
        "epoch": float(trainer.epoch),
        "phase": trainer.phase,
        "metrics": metrics_dict(metrics, pack),
        "history": history_dict(live.history, pack, after_step=history_after),
        "layers": layers_list(trainer, pack),
        "boundary": None,
        "trace": None,
        "diverged": bool(trainer.diverged),
        "divergence": trainer.divergence,
        "health": health_list(trainer, metrics),
        "timeline": timeline_dict(live, trainer),
    }
    if resolution:
        grid = trainer.grid(resolution, target=grid_target, deltas=deltas)
        frame["boundary"] = boundary_dict(
            grid, pack, quantized=quantized, thumbnails=thumbnails, predict=predict
        )
    if selection is not None and not selection.empty:
        convention = Convention(**session.convention)
        trace, kind = run_trace(trainer, selection, convention)
        frame["trace"] = trace_dict(trace, pack, kind, selection.index, selection.split)
    return frame


def encode_frame(frame: dict[str, Any], pack: ArrayPacker) -> bytes:
    """The frame as bytes: JSON text (inline base64), or a binary message deflated (its
    maps as residuals of a prediction, see boundary_dict): a sixth of its bytes.

    A stream's first frame (`seq` 0) goes as it is: the page draws it before its code has
    been compiled, when inflating and restoring the maps cost it 10–30 ms instead of under
    one (benchmarks/bench_frames.py, "cold"); one frame a connection weighs nothing on the
    network.
    """
    if not pack.binary:
        return dumps(frame)
    message = binary_message(frame, pack)
    return message if frame.get("seq") == 0 else compress_message(message)
