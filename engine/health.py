"""Training health: is the loss running away, are hidden units stuck?

The optimiser's own check (:func:`engine.optimizer.diverged`) fires only when the loss
overflows, which with ReLU is how a too-large learning rate shows. tanh and sigmoid
units are bounded, so with them the same mistake never overflows: the weights grow, the
units pin at ±1 (or 0/1), and the loss settles far above where it started. This module
judges both symptoms at the frame (metrics) cadence, never per SGD step:

- **diverging**: the full-set training loss of the latest history rows (their median
  over the last :data:`SMOOTH_STEPS` steps, and at least :data:`SMOOTH_ROWS` rows, so a
  spike that SGD recovers from within a few dozen steps is not enough) is above both
  :data:`GROWTH` × its best so far and its value at step 0, after at least
  :data:`MIN_STEPS` steps. Both conditions matter. Noisy SGD that has learnt well moves
  its loss by several times its (tiny) best, but stays far below the loss it started
  from; a loss above its start but below twice its best has never learnt anything and
  is not growing. The training loss at a row is over the whole training set, not one
  minibatch, so it is already much smoother than the loss of a step.
- **saturated** (tanh, sigmoid): a unit is saturated when, for more than
  :data:`SATURATED_SHARE` of the training inputs, |h| > :data:`SATURATION` (tanh) or
  h < 1 − SATURATION or h > SATURATION (sigmoid); there f'(z) < 0.02, so δ^(z) = δ^(h) ⊙
  f'(z) is all but zero and the unit stops learning. A layer is reported when more than
  :data:`LAYER_SHARE` of its units are saturated.
- **dead** (ReLU): a unit is dead when z ≤ 0 for every training input (it passes no
  gradient, ever, on this data), reported the same way.

Every threshold is a module constant so tests, the API documentation and the page can
quote it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MIN_STEPS = 20
"""No loss judgement before this many steps: the first updates can be rough."""

SMOOTH_STEPS = 100
"""The loss judged is the median of the history rows of this many latest steps. Noisy SGD
on the 3-class spiral at the default η = 0.1 has spikes above the starting loss that last
about 20 steps; a loss that diverges stays up."""

SMOOTH_ROWS = 3
"""… and of at least this many rows (a script's history has a row every 100 steps)."""

GROWTH = 2.0
"""Diverging means the smoothed loss is above GROWTH × the best loss so far (and above the
loss at step 0)."""

SATURATION = 0.99
"""|tanh| above this (sigmoid above it or below 1 − it) is saturated: f'(z) < 0.02."""

SATURATED_SHARE = 0.9
"""A unit is saturated when it is saturated for more than this share of training inputs."""

LAYER_SHARE = 0.5
"""A layer is reported when more than this share of its units are saturated (or dead)."""


@dataclass(frozen=True)
class HealthWarning:
    """One thing wrong with training, in words and as numbers a page can word itself."""

    kind: str  # "diverging", "saturated" or "dead"
    message: str  # what happened and what to do, in plain words
    since_step: int  # the step at which it was first seen (in this episode)
    layer: int | None = None  # hidden layer, from 1 (saturated, dead)
    units: int | None = None  # units of that layer that are stuck
    of: int | None = None  # units in that layer
    activation: str | None = None  # the layer's activation
    loss: float | None = None  # the smoothed training loss now (diverging)
    best: float | None = None  # the best training loss so far
    best_step: int | None = None  # the step of that best
    start: float | None = None  # the training loss at step 0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data, fields that do not apply to this kind left out."""
        return {k: v for k, v in self.__dict__.items() if v is not None}


def stuck_units(hs: Sequence[np.ndarray], activation: str) -> tuple[int, ...]:
    """Per hidden layer, how many units are stuck: saturated for tanh and sigmoid (see
    the module docstring), dead for ReLU; () for an activation that cannot get stuck
    (linear). ``hs`` are the hidden activations over the training set, (units, n) each.

    One comparison and one mean per layer on arrays that the metrics pass has computed
    already, so it costs a fraction of that pass."""
    counts = []
    for h in hs:
        if h.shape[1] == 0:
            counts.append(0)
            continue
        if activation == "tanh":
            stuck = np.abs(h) > SATURATION  # (units, n)
        elif activation == "sigmoid":
            stuck = np.abs(h - 0.5) > SATURATION - 0.5  # (units, n): h < 0.01 or h > 0.99
        elif activation == "relu":
            counts.append(int((h <= 0).all(axis=1).sum()))
            continue
        else:
            return ()
        counts.append(int((stuck.mean(axis=1) > SATURATED_SHARE).sum()))
    return tuple(counts)


def loss_is_diverging(start: float, best: float, smoothed: float) -> bool:
    """The rule of the module docstring: above GROWTH × best and above the start. A NaN
    or infinite loss is the optimiser's divergence, reported by it, not here."""
    if not all(np.isfinite((start, best, smoothed))):
        return False
    return smoothed > GROWTH * best and smoothed > start


@dataclass
class HealthWatch:
    """Follows one trainer's history incrementally and judges its health on demand.

    It reads only the rows added since its last call (``History.since``), so a frame
    costs the same after an hour of training as after a minute. It starts over when the
    history is a new one (a reset) or was cut back (a divergence rollback).
    """

    _history: Any = None  # the History followed
    _rows: int = 0  # rows of it seen
    _last_step: int = -1  # step of the last row seen
    _start: float = float("nan")  # training loss of the first row
    _best: float = float("inf")
    _best_step: int = 0
    _recent: list[tuple[int, float]] = field(default_factory=list)  # the rows smoothed
    _since: dict[tuple[str, int | None], int] = field(default_factory=dict)  # episode starts

    def _follow(self, history: Any) -> None:
        if history is not self._history or len(history) < self._rows:
            self.__init__()  # type: ignore[misc]  # start over: a new or truncated history
            self._history = history
        columns = history.since(self._last_step)
        for step, loss in zip(columns["step"], columns["train_loss"], strict=True):
            step, loss = int(step), float(loss)
            if not np.isfinite(self._start):
                self._start = loss
            if loss < self._best:
                self._best, self._best_step = loss, step
            self._recent.append((step, loss))
            self._last_step = step
        recent, oldest = self._recent, self._last_step - SMOOTH_STEPS
        keep = 0  # drop the rows older than SMOOTH_STEPS, keeping at least SMOOTH_ROWS
        while len(recent) - keep > SMOOTH_ROWS and recent[keep][0] <= oldest:
            keep += 1
        del recent[:keep]
        self._rows = len(history)

    def judge(
        self,
        history: Any,
        stuck: Sequence[int],
        widths: Sequence[int],
        activation: str,
        learning_rate: float,
        step: int,
    ) -> list[HealthWarning]:
        """The warnings that hold now: diverging first, then stuck layers from the first.

        ``stuck`` is :func:`stuck_units` of the current parameters (Metrics.stuck_units),
        ``widths`` the hidden layer sizes, ``step`` the trainer's step.
        """
        self._follow(history)
        found: list[tuple[tuple[str, int | None], dict[str, Any]]] = []
        if step >= MIN_STEPS and len(self._recent) >= SMOOTH_ROWS:
            smoothed = float(np.median([loss for _, loss in self._recent]))
            if loss_is_diverging(self._start, self._best, smoothed):
                found.append(
                    (
                        ("diverging", None),
                        {
                            "message": (
                                f"The training loss is growing: {smoothed:.3g} now, up from "
                                f"{self._start:.3g} at step 0 (best {self._best:.3g} at step "
                                f"{self._best_step}). With learning rate {learning_rate:g} "
                                "the updates overshoot: lower it, then reset."
                            ),
                            "loss": smoothed,
                            "best": self._best,
                            "best_step": self._best_step,
                            "start": self._start,
                        },
                    )
                )
        kind = "dead" if activation == "relu" else "saturated"
        for i, (count, width) in enumerate(zip(stuck, widths, strict=False)):
            if width and count > LAYER_SHARE * width:
                found.append(((kind, i + 1), _stuck_fields(kind, i + 1, count, width, activation)))
        since = {key: self._since.get(key, step) for key, _ in found}
        self._since = since
        return [
            HealthWarning(kind=key[0], since_step=since[key], layer=key[1], **fields)
            for key, fields in found
        ]


def _stuck_fields(kind: str, layer: int, count: int, width: int, activation: str) -> dict:
    """The message and numbers of a saturated or dead layer."""
    if kind == "dead":
        what = (
            f"Hidden layer {layer}: {count} of {width} ReLU units are dead (z ≤ 0 for every "
            "training input), so no gradient passes through them. Reset for new weights, "
            "with a lower learning rate if a large one killed them."
        )
    else:
        near = "|h| > 0.99" if activation == "tanh" else "h < 0.01 or h > 0.99"
        what = (
            f"Hidden layer {layer}: {count} of {width} {activation} units are saturated "
            f"({near} for most inputs), so the gradients through them vanish. Lower the "
            "learning rate, then reset."
        )
    return {"message": what, "units": count, "of": width, "activation": activation}
