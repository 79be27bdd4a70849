"""Gradient check: backprop's ∂J/∂θ against central finite differences, parameter by parameter.

For every entry θ_i, the numerical derivative is (J(θ + εe_i) − J(θ − εe_i)) / 2ε, whose
error is O(ε²); in float64 with ε = 1e-5 it agrees with a correct backprop to ~1e-9 or
better, so a relative error above 1e-6 means a bug (or a ReLU kink within ε of some z).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.activations import Activation
from engine.network import Layer, backward, bias_names, forward, layer_names
from engine.outputs import Output

TOLERANCE = 1e-6
"""Largest relative error that passes."""

MAX_ENTRIES = 200
"""Entries checked per parameter array. Each costs two forward passes, so arrays with more
entries (a 64×64 W has 4096) are checked on a seeded sample of this many, as is usual for
big networks; ``numeric`` is NaN at the entries left out."""


@dataclass
class LayerCheck:
    """The check of one parameter array."""

    analytic: np.ndarray  # backprop's ∂J/∂θ
    numeric: np.ndarray  # central differences (NaN at entries not sampled)
    relative_error: float  # ‖analytic − numeric‖ / (‖analytic‖ + ‖numeric‖), checked entries
    max_abs_error: float  # max |analytic − numeric| over the checked entries
    checked: int = 0  # how many entries were checked (all, up to MAX_ENTRIES)

    def to_dict(self) -> dict[str, Any]:
        return {
            "analytic": self.analytic,
            "numeric": self.numeric,
            "relative_error": self.relative_error,
            "max_abs_error": self.max_abs_error,
            "checked": self.checked,
        }


@dataclass
class GradCheck:
    """Per parameter name ("W", "b", "U", "c", "W1", …): backprop against finite differences."""

    layers: dict[str, LayerCheck] = field(default_factory=dict)  # keyed by parameter name
    eps: float = 1e-5  # ε of the central differences
    tolerance: float = TOLERANCE  # pass threshold of the relative error
    examples: int = 0  # how many training examples J averages over

    @property
    def passed(self) -> bool:
        """True when every parameter's relative error is below the tolerance."""
        return all(c.relative_error < self.tolerance for c in self.layers.values())

    def __getitem__(self, name: str) -> LayerCheck:
        return self.layers[name]

    def to_dict(self) -> dict[str, Any]:
        return {
            "layers": {k: c.to_dict() for k, c in self.layers.items()},
            "eps": self.eps,
            "tolerance": self.tolerance,
            "examples": self.examples,
            "passed": self.passed,
        }


def mean_nll(
    layers: Sequence[Layer],
    x: np.ndarray,
    labels: np.ndarray,
    act: Activation,
    output: Output,
) -> float:
    """J(θ) = −(1/m) Σ log P(y_n | x_n), the training loss (exact in log space)."""
    v = forward(layers, x, act, output).v
    return float(output.nll(v, labels, np.arange(len(labels))).mean())


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """‖a − b‖ / (‖a‖ + ‖b‖), and 0 when both are zero."""
    denom = float(np.linalg.norm(a) + np.linalg.norm(b))
    return float(np.linalg.norm(a - b)) / denom if denom > 0 else 0.0


def central_differences(
    J: Callable[[], float], param: np.ndarray, entries: np.ndarray, eps: float
) -> np.ndarray:
    """(J(θ + εe_j) − J(θ − εe_j)) / 2ε for each flat index j in ``entries`` of ``param``,
    perturbed in place and restored; NaN at the entries not in ``entries``."""
    flat = param.reshape(-1)  # a view: writing it perturbs the parameter J reads
    numeric = np.full(param.shape, np.nan)
    num_flat = numeric.reshape(-1)
    for j in entries:
        saved = flat[j]
        flat[j] = saved + eps
        j_plus = J()
        flat[j] = saved - eps
        j_minus = J()
        flat[j] = saved
        num_flat[j] = (j_plus - j_minus) / (2.0 * eps)
    return numeric


def gradient_check(
    layers: Sequence[Layer],
    x: np.ndarray,
    targets: np.ndarray,
    act: Activation,
    output: Output,
    eps: float = 1e-5,
    max_entries: int = MAX_ENTRIES,
) -> GradCheck:
    """Compare backprop with central differences for every W and b (every entry, or a
    seeded sample of ``max_entries`` entries of a bigger array)."""
    layers = [layer.copy() for layer in layers]  # perturb copies, never the caller's
    fwd = forward(layers, x, act, output)
    bwd = backward(layers, fwd, targets, act, scale=1.0 / len(x))
    # the class of each example: the 0/1 column of the sigmoid, the one-hot's index
    labels = targets[:, 0].astype(np.int64) if output.name == "sigmoid" else targets.argmax(1)
    L = len(layers) - 1
    rng = np.random.default_rng(0)
    result = GradCheck(eps=eps, examples=len(x))

    def J() -> float:  # the loss at the current (perturbed) parameters
        return mean_nll(layers, x, labels, act, output)

    for i, (wname, bname) in enumerate(zip(layer_names(L), bias_names(L), strict=True)):
        for name, param, analytic in (
            (wname, layers[i].W, bwd.weight_grads[i]),
            (bname, layers[i].b, bwd.bias_grads[i]),
        ):
            if param.size > max_entries:
                entries = np.sort(rng.choice(param.size, max_entries, replace=False))
            else:
                entries = np.arange(param.size)
            numeric = central_differences(J, param, entries, eps)
            a = analytic.reshape(-1)[entries]
            n = numeric.reshape(-1)[entries]
            result.layers[name] = LayerCheck(
                analytic=analytic.copy(),
                numeric=numeric,
                relative_error=relative_error(a, n),
                max_abs_error=float(np.max(np.abs(a - n))),
                checked=len(entries),
            )
    return result
