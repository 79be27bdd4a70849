"""Save and load the complete training state as JSON-serialisable data.

Floats are stored as JSON numbers: Python writes the shortest repr that reads back to the
same float64, so parameters round-trip bit for bit. The sampling RNG (PCG64) has 128-bit
integers in its state, which not every JSON library accepts, so its state is stored as a
JSON string.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from engine.bounds import ConfigError
from engine.config import Config
from engine.datasets import Dataset
from engine.metrics import History
from engine.network import backward, forward

if TYPE_CHECKING:
    from engine.trainer import Trainer

STATE_VERSION = 1


def trainer_to_state(t: Trainer) -> dict[str, Any]:
    """Config, parameters (and the previous ones, for a divergence rollback), optimiser
    velocity, sampling RNG and epoch permutation, data set with custom points, step,
    history."""
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
        "optimizer": t._sgd.to_state(),
        "sampler": t._sampler.to_state(),
        "step": t.step,
        "examples_seen": t._examples_seen,
        "last_batch_size": t._last_batch_size,
        "phase": t.phase,
        "pending_indices": t._pending_idx.tolist() if t._pending_idx is not None else None,
        "last_indices": t._last_idx.tolist() if t._last_idx is not None else None,
        "diverged": t.diverged,
        "divergence": t.divergence,
        "history": t.history.to_state(),
    }


def trainer_from_state(cls: type[Trainer], d: dict[str, Any]) -> Trainer:
    """Inverse of :func:`trainer_to_state`; a step saved mid-phase is recomputed exactly.

    A malformed state raises ConfigError: "state.version" for another version, the config
    field for an invalid config, "state" for anything else missing or mistyped.
    """
    if not isinstance(d, dict) or d.get("version") != STATE_VERSION:
        version = d.get("version") if isinstance(d, dict) else None
        raise ConfigError(
            "state.version", f"state.version must be {STATE_VERSION} (got {version!r})"
        )
    try:
        return _load(cls, d)
    except ConfigError:
        raise
    except (KeyError, TypeError, ValueError, IndexError) as error:
        raise ConfigError(
            "state", f"state is not a saved Backprop Lab session ({error!r})"
        ) from None


def _load(cls: type[Trainer], d: dict[str, Any]) -> Trainer:
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
    t._sgd.load_state(d["optimizer"])
    t._sampler.load_state(d["sampler"])
    t.step = int(d["step"])
    t._examples_seen = int(d["examples_seen"])
    t._last_batch_size = int(d["last_batch_size"])
    t.diverged = bool(d["diverged"])
    t.divergence = d["divergence"]
    t.history = History.from_state(d["history"])
    if d["last_indices"] is not None:
        # the last minibatch gradient (for the history's gradient norms) is not stored;
        # it is recomputed from the previous parameters, exactly as it was
        idx = np.array(d["last_indices"], dtype=np.int64)
        t._last_idx = idx
        if t._sgd.can_rollback:
            prev = t._sgd.previous
            fwd = forward(prev, t._phi_train[idx], t._act, t._output)
            t._last_bwd = backward(prev, fwd, t._Y_train[idx], t._act, 1.0 / len(idx))
    phase = d["phase"]
    if phase in ("forward", "backward"):
        idx = np.array(d["pending_indices"], dtype=np.int64)
        fwd, _ = t._forward(idx)
        t._pending_idx, t._pending_fwd = idx, fwd
        t.phase = "forward"
        if phase == "backward":
            t._pending_bwd = t._backward(idx, fwd)
            t.phase = "backward"
    t.timeline.restart(t)  # the loaded step is the first that can be revisited
    return t
