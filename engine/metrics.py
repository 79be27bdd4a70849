"""Loss, accuracy, gradient norms, dead ReLU units, the confusion matrix, and the history.

Full-set metrics cost a forward pass over every point (about five SGD steps of the
default network), so they are computed only when needed. The trainer records a history
row every :func:`history_interval` SGD steps (100 for up to 500 points, proportionally
less often for more), one at step 0 and one at every update phase. ``train()`` returns
:class:`DeferredMetrics`: the full-set values are computed when first read, from a copy
of the parameters the call ended with. The end of the latest ``train()`` call is a
(pending) history row; when the next row is written, that pending row stays if its
metrics were read and is dropped otherwise. So a server that reads the metrics of every
frame gets a row per frame, as before, while ``for _ in range(n): trainer.train(1)`` costs
about a step per call plus a row every ``history_interval`` steps, and a long ``train()``
call spends well under a tenth of its time on the history. A row holds what
:meth:`Trainer.metrics` reports at that step.

The history is bounded: past :data:`MAX_ROWS` rows it is *thinned*. The rows older than
the newest :data:`RECENT_ROWS` keep one row per *stride* steps (the first row at or after
each multiple of the stride; row 0 always), with the stride doubled until at most half
of MAX_ROWS remain. So however long the run (and however many frames read their rows),
the curves cover it evenly at a resolution that halves as it doubles, the newest rows
stay as recorded (what the health watch smooths over), and thinning costs O(1) per row.
A reader that follows the rows by step (:meth:`History.since`) sees only rows after the
ones it has; one that counts rows sees their number drop, as after a rollback.
"""

from __future__ import annotations

import html
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.display import fmt, table_html

HISTORY_EVERY = 100
"""A history row every this many SGD steps for data sets of up to HISTORY_POINTS points."""

HISTORY_POINTS = 500
"""Data-set size covered by HISTORY_EVERY; larger sets record proportionally less often."""


MAX_ROWS = 2048
"""Rows kept at most; past it the history is thinned (see the module docstring). A row is
about 350 bytes for the default network and 510 for the deepest allowed (seven weight
matrices), so a history holds at most about 1.1 MB, see :data:`MAX_HISTORY_BYTES`."""

RECENT_ROWS = 64
"""The newest rows, kept as they were when the history is thinned."""

MAX_HISTORY_BYTES = 5 * 2**18
"""What a history holds at most, by :attr:`History.nbytes` (1.25 MiB): MAX_ROWS + 1 rows
of the deepest network the bounds allow, with room to spare."""


def history_interval(points: int) -> int:
    """Steps between history rows: 100·⌈N/500⌉, so a row's cost (a forward pass over the
    N points) stays a small share of the training time."""
    return HISTORY_EVERY * max(1, -(-points // HISTORY_POINTS))


@dataclass
class Metrics:
    """Where training stands, on the whole train and test sets."""

    step: int  # SGD updates done
    epoch: float  # examples seen / training-set size
    train_loss: float  # mean NLL over the training set
    train_accuracy: float  # share of training points classified correctly
    test_loss: float  # mean NLL over the test set (nan if the test set is empty)
    test_accuracy: float  # (nan if the test set is empty)
    grad_norms: dict[str, float]  # ‖∂J/∂θ‖ per layer name (W and b), last minibatch gradient
    dead_units: int  # hidden ReLU units with z ≤ 0 for every training point
    confusion: np.ndarray  # (K, K) int, rows = true class, columns = predicted, test set
    diverged: bool  # training stopped because the loss became NaN or inf
    # per hidden layer, units saturated (tanh, sigmoid) or dead (ReLU): engine.health
    stuck_units: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "epoch": self.epoch,
            "train_loss": self.train_loss,
            "train_accuracy": self.train_accuracy,
            "test_loss": self.test_loss,
            "test_accuracy": self.test_accuracy,
            "grad_norms": dict(self.grad_norms),
            "dead_units": self.dead_units,
            "confusion": self.confusion,
            "diverged": self.diverged,
            "stuck_units": list(self.stuck_units),
        }


_DEFERRED = ("train_loss", "train_accuracy", "test_loss", "test_accuracy", "grad_norms",
             "dead_units", "confusion", "stuck_units")  # fmt: skip
"""The fields of :class:`Metrics` that need a pass over the whole data set."""


class DeferredMetrics(Metrics):
    """Metrics whose full-set fields are computed on first read (see the module docstring).

    ``step``, ``epoch`` and ``diverged`` are known at once; reading any other field runs
    ``compute`` (once), which must not depend on state that changes later: the trainer
    hands it a copy of the parameters.
    """

    def __init__(self, step: int, epoch: float, diverged: bool, compute: Callable[[], Metrics]):
        self.step = step
        self.epoch = epoch
        self.diverged = diverged
        self._compute: Callable[[], Metrics] | None = compute

    @property
    def evaluated(self) -> bool:
        """Have the full-set values been computed (read by someone) yet?"""
        return self.__dict__.get("_compute") is None

    def evaluate(self) -> DeferredMetrics:
        """Compute the full-set values now (a no-op once done); returns self."""
        compute = self.__dict__.get("_compute")
        if compute is not None:
            metrics = compute()
            for name in _DEFERRED:
                self.__dict__[name] = getattr(metrics, name)
            self._compute = None
        return self

    @property
    def stuck_units(self) -> tuple[int, ...]:  # type: ignore[override]
        # Metrics has a class-level default for it, which __getattr__ would never see
        return self.evaluate().__dict__["stuck_units"]

    def __getattr__(self, name: str) -> Any:
        # called only for attributes not set yet: the deferred fields before evaluation
        if name in _DEFERRED:
            return self.evaluate().__dict__[name]
        raise AttributeError(name)


@dataclass(repr=False)
class History:
    """Per-row arrays of the metrics recorded during training (see HISTORY_EVERY)."""

    layer_names: list[str]  # keys of grad_norm
    _rows: list[tuple[int, float, float, float, float, float, tuple[float, ...]]] = field(
        default_factory=list
    )
    # the end of the latest train() call, a row once read (see the module docstring)
    _pending: DeferredMetrics | None = field(default=None, compare=False)
    # steps between the rows older than the recent ones once thinned (1: never thinned)
    stride: int = field(default=1, compare=False)

    def record(self, metrics: Metrics) -> None:
        """Append a row, replacing the last one if it is for the same step."""
        self._settle()
        self._append(metrics)

    def record_pending(self, metrics: DeferredMetrics) -> None:
        """Make ``metrics`` the pending last row: it becomes a row if it has been read by
        the time the next row is written (or whenever the history is read)."""
        self._settle()
        self._pending = metrics

    def _settle(self, force: bool = False) -> None:
        """Turn the pending row into a row if it was read (or ``force``), else drop it."""
        pending = self._pending
        if pending is None:
            return
        self._pending = None
        if force or pending.evaluated:
            self._append(pending.evaluate())

    def _append(self, metrics: Metrics) -> None:
        row = (
            metrics.step,
            metrics.epoch,
            metrics.train_loss,
            metrics.test_loss,
            metrics.train_accuracy,
            metrics.test_accuracy,
            tuple(metrics.grad_norms[name] for name in self.layer_names),
        )
        if self._rows and self._rows[-1][0] == metrics.step:
            self._rows[-1] = row
        else:
            self._rows.append(row)
            if len(self._rows) > MAX_ROWS:
                self._thin()

    def _thin(self) -> None:
        """Keep the first row of every stride steps, doubling the stride until at most
        MAX_ROWS / 2 rows remain, and the newest RECENT_ROWS as they are."""
        rows = self._rows
        old, recent = rows[: len(rows) - RECENT_ROWS], rows[len(rows) - RECENT_ROWS :]
        stride = self.stride
        while True:
            kept = _first_per_stride(old, stride)
            if len(kept) + len(recent) <= MAX_ROWS // 2:
                break
            stride *= 2
        self.stride = stride
        self._rows = kept + recent

    @property
    def nbytes(self) -> int:
        """Memory held by the rows (Python objects, counted with sys.getsizeof)."""
        size = sys.getsizeof(self._rows)
        for row in self._rows:
            size += sys.getsizeof(row) + sum(sys.getsizeof(v) for v in row[:6])
            size += sys.getsizeof(row[6]) + sum(sys.getsizeof(g) for g in row[6])
        return size

    def truncate(self, step: int) -> None:
        """Forget rows after ``step`` (after a divergence rollback)."""
        self._settle()
        self._rows = [r for r in self._rows if r[0] <= step]

    def until(self, step: int) -> History:
        """A new history of the rows up to ``step`` (the curves as they were then)."""
        self._settle(force=True)
        rows = self._rows
        end = len(rows)
        while end > 0 and rows[end - 1][0] > step:
            end -= 1
        return History(list(self.layer_names), rows[:end], stride=self.stride)

    def clear(self) -> None:
        self._rows = []
        self._pending = None

    def __len__(self) -> int:
        """Rows, the pending one included (counting needs no evaluation)."""
        return len(self._rows) + self._pending_is_extra()

    def _pending_is_extra(self) -> bool:
        p = self._pending
        return p is not None and not (self._rows and self._rows[-1][0] == p.step)

    def _column(self, i: int, dtype: type = np.float64) -> np.ndarray:
        self._settle(force=True)
        return np.array([r[i] for r in self._rows], dtype=dtype)

    @property
    def step(self) -> np.ndarray:
        return self._column(0, np.int64)

    @property
    def epoch(self) -> np.ndarray:
        return self._column(1)

    @property
    def train_loss(self) -> np.ndarray:
        return self._column(2)

    @property
    def test_loss(self) -> np.ndarray:
        return self._column(3)

    @property
    def train_accuracy(self) -> np.ndarray:
        return self._column(4)

    @property
    def test_accuracy(self) -> np.ndarray:
        return self._column(5)

    @property
    def grad_norm(self) -> dict[str, np.ndarray]:
        """‖∂J/∂θ‖ per layer name, one value per row."""
        self._settle(force=True)
        return {
            name: np.array([r[6][j] for r in self._rows], dtype=np.float64)
            for j, name in enumerate(self.layer_names)
        }

    def __repr__(self) -> str:
        """One line: rows, steps and how the training loss went."""
        n = len(self)
        if n == 0:
            return "History(0 rows)"
        loss = self.train_loss
        return (
            f"History({n} row{'s' if n != 1 else ''}, steps {self.step_of(0)}–{self.step_of(-1)}, "
            f"train J {fmt(loss[0])} → {fmt(loss[-1])})"
        )

    HTML_ROWS = 40
    """Rows shown by :meth:`_repr_html_`: the first 10 and the last 30 of a longer history."""

    def _repr_html_(self) -> str:
        """A table of the rows (Jupyter's display); a long history is cut in the middle."""
        self._settle(force=True)
        rows = [
            (str(r[0]), fmt(r[1]), fmt(r[2]), fmt(r[3]), fmt(r[4]), fmt(r[5]))
            for r in self._rows
        ]
        if len(rows) > self.HTML_ROWS:
            rows = [*rows[:10], ("…",) * 6, *rows[-(self.HTML_ROWS - 10) :]]
        header = ("step", "epoch", "train J", "test J", "train accuracy", "test accuracy")
        return table_html(header, rows, html.escape(repr(self)))

    def step_of(self, i: int) -> int:
        """The step of row ``i`` (negative counts from the end), without building a column
        (or evaluating a pending row)."""
        n = len(self)
        if self._pending is not None and i in (n - 1, -1):
            return self._pending.step
        return self._rows[i][0]

    def since(self, step: int) -> dict[str, Any]:
        """The rows with a step after ``step``, in the layout of :meth:`to_dict`.

        Rows are in increasing step order, so this scans back from the newest row only as
        far as it has to: the cost is proportional to the rows returned, not to the
        history's length (a server sending the new rows of a long session each frame).
        """
        if self._pending is not None and self._pending.step > step:
            self._settle(force=True)
        rows = self._rows
        start = len(rows)
        while start > 0 and rows[start - 1][0] > step:
            start -= 1
        return _columns(rows[start:], self.layer_names)

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "epoch": self.epoch,
            "train_loss": self.train_loss,
            "test_loss": self.test_loss,
            "train_accuracy": self.train_accuracy,
            "test_accuracy": self.test_accuracy,
            "grad_norm": self.grad_norm,
        }

    def to_state(self) -> dict[str, Any]:
        """Plain JSON data; NaN and ±inf (an empty test set, a diverged loss) as strings."""
        self._settle(force=True)
        return {
            "layer_names": self.layer_names,
            "rows": [
                [r[0], *map(_json_float, r[1:6]), [_json_float(g) for g in r[6]]]
                for r in self._rows
            ],
        }

    @classmethod
    def from_state(cls, d: dict[str, Any]) -> History:
        """The inverse of :meth:`to_state`; a longer history (saved before the bound) is
        thinned as it would have been."""
        rows = [(int(r[0]), *map(float, r[1:6]), tuple(map(float, r[6]))) for r in d["rows"]]
        history = cls(list(d["layer_names"]), rows)  # type: ignore[arg-type]
        if len(rows) > MAX_ROWS:
            history._thin()
        return history


def _first_per_stride(rows: list[tuple], stride: int) -> list[tuple]:
    """The first row at or after each multiple of ``stride`` steps (rows in step order)."""
    kept: list[tuple] = []
    bucket = -1
    for row in rows:
        if row[0] // stride != bucket:
            bucket = row[0] // stride
            kept.append(row)
    return kept


def _columns(rows: list[tuple], layer_names: list[str]) -> dict[str, Any]:
    """Rows → the columns of :meth:`History.to_dict` (the same dtypes)."""
    fields = list(zip(*rows, strict=True)) if rows else [()] * 7
    return {
        "step": np.array(fields[0], dtype=np.int64),
        "epoch": np.array(fields[1], dtype=np.float64),
        "train_loss": np.array(fields[2], dtype=np.float64),
        "test_loss": np.array(fields[3], dtype=np.float64),
        "train_accuracy": np.array(fields[4], dtype=np.float64),
        "test_accuracy": np.array(fields[5], dtype=np.float64),
        "grad_norm": {
            name: np.array([g[j] for g in fields[6]], dtype=np.float64)
            for j, name in enumerate(layer_names)
        },
    }


def _json_float(value: float) -> float | str:
    """A float JSON can carry: finite values as numbers, NaN/±inf as "nan"/"inf"/"-inf"."""
    return value if math.isfinite(value) else repr(float(value))


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, classes: int) -> np.ndarray:
    """(K, K) counts: entry [i, j] = points of class i predicted as j."""
    counts = np.bincount(y_true * classes + y_pred, minlength=classes * classes)
    return counts.reshape(classes, classes).astype(np.int64)
