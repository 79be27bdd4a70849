"""Save and load the complete training state as JSON-serialisable data.

Floats are stored as JSON numbers: Python writes the shortest repr that reads back to the
same float64, so parameters round-trip bit for bit. The sampling RNG (PCG64) has 128-bit
integers in its state, which not every JSON library accepts, so its state is stored as a
JSON string.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.config import Config
from engine.datasets import Dataset
from engine.metrics import History
from engine.network import Layer

if TYPE_CHECKING:
    from engine.trainer import Trainer

STATE_VERSION = 1


def _layers_to_state(layers: list[Layer]) -> list[dict[str, Any]]:
    return [{"W": la.W.tolist(), "b": la.b.tolist()} for la in layers]


def _layers_from_state(items: list[dict[str, Any]]) -> list[Layer]:
    return [
        Layer(np.array(it["W"], dtype=np.float64), np.array(it["b"], dtype=np.float64))
        for it in items
    ]


def trainer_to_state(t: Trainer) -> dict[str, Any]:
    """Config, parameters (and the previous ones, for a divergence rollback), optimiser
    velocity, RNG state, epoch permutation, data set with custom points, step, history."""
    ds = t.dataset
    return {
        "version": STATE_VERSION,
        "config": t.config.to_dict(),
        "dataset": {
            "x_train": ds.x_train.tolist(),
            "y_train": ds.y_train.tolist(),
            "x_test": ds.x_test.tolist(),
            "y_test": ds.y_test.tolist(),
            "classes": ds.classes,
        },
        "parameters": _layers_to_state(t._front),
        "previous_parameters": _layers_to_state(t._back),
        "velocity": _layers_to_state(t._vel_front),
        "previous_velocity": _layers_to_state(t._vel_back),
        "velocity_live": t._velocity_live,
        "can_rollback": t._can_rollback,
        "last_used_velocity": t._last_used_velocity,
        "last_batch_size": t._last_batch_size,
        "rng": json.dumps(t._rng.bit_generator.state),
        "order": t._order.tolist() if t._order is not None else None,
        "cursor": t._cursor,
        "step": t.step,
        "examples_seen": t._examples_seen,
        "phase": t.phase,
        "pending_indices": t._pending_idx.tolist() if t._pending_idx is not None else None,
        "last_indices": t._last_idx.tolist() if t._last_idx is not None else None,
        "diverged": t.diverged,
        "divergence": t.divergence,
        "history": t.history.to_state(),
    }


def trainer_from_state(cls: type[Trainer], d: dict[str, Any]) -> Trainer:
    """Inverse of :func:`trainer_to_state`; a step saved mid-phase is recomputed exactly."""
    if d.get("version") != STATE_VERSION:
        raise ValueError(f"state.version must be {STATE_VERSION} (got {d.get('version')!r})")
    t = cls(Config.from_dict(d["config"]))
    data = d["dataset"]
    t.dataset = Dataset(
        x_train=np.array(data["x_train"], dtype=np.float64).reshape(-1, 2),
        y_train=np.array(data["y_train"], dtype=np.int64),
        x_test=np.array(data["x_test"], dtype=np.float64).reshape(-1, 2),
        y_test=np.array(data["y_test"], dtype=np.int64),
        classes=int(data["classes"]),
    )
    t._data_changed()
    t._front = _layers_from_state(d["parameters"])
    t._back = _layers_from_state(d["previous_parameters"])
    t._vel_front = _layers_from_state(d["velocity"])
    t._vel_back = _layers_from_state(d["previous_velocity"])
    t._velocity_live = bool(d["velocity_live"])
    t._can_rollback = bool(d["can_rollback"])
    t._last_used_velocity = bool(d["last_used_velocity"])
    t._last_batch_size = int(d["last_batch_size"])
    t._rng.bit_generator.state = json.loads(d["rng"])
    t._order = np.array(d["order"], dtype=np.int64) if d["order"] is not None else None
    t._cursor = int(d["cursor"])
    t.step = int(d["step"])
    t._examples_seen = int(d["examples_seen"])
    t.diverged = bool(d["diverged"])
    t.divergence = d["divergence"]
    t.history = History.from_state(d["history"])
    if d["last_indices"] is not None:
        t._last_idx = np.array(d["last_indices"], dtype=np.int64)
    phase = d["phase"]
    if phase in ("forward", "backward"):
        idx = np.array(d["pending_indices"], dtype=np.int64)
        fwd, J = t._forward(idx)
        t._pending_idx, t._pending_fwd, t._pending_J = idx, fwd, J
        t.phase = "forward"
        if phase == "backward":
            t._pending_bwd = t._backward(idx, fwd)
            t.phase = "backward"
    return t
