"""Hidden-layer activations h = f(z), each a pair (output, derivative) looked up by name.

The lecture's network uses ReLU, h = max(z, 0), whose Jacobian is
∂h/∂z = diag(I(z > 0)). The other activations only change that diagonal.
The derivative is written in terms of both z and h because that is cheapest:
tanh' = 1 − h², σ' = h(1 − h), relu' = I(z > 0).

ReLU units start with a small positive bias (0.1, as TF Playground does) so that no unit
is dead from the first step and no z sits exactly on the kink at 0, where ∂h/∂z does not
exist (a unit with only dead inputs and zero bias would have z = 0 exactly).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

ACTIVATIONS: tuple[str, ...] = ("relu", "tanh", "sigmoid", "linear")
"""Names of the hidden activations; "relu" is the lecture's default."""


@dataclass(frozen=True)
class Activation:
    """One activation: ``output(z) = h`` and ``derivative(z, h) = ∂h_i/∂z_i`` (element-wise)."""

    name: str  # key in ACTIVATIONS
    output: Callable[[np.ndarray], np.ndarray]  # h = f(z)
    derivative: Callable[[np.ndarray, np.ndarray], np.ndarray]  # f'(z), given z and h = f(z)
    backprop: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]  # δ^(h) ⊙ f'(z)
    formula: str  # the display form of h = f(z)
    jacobian_formula: str  # the display form of ∂h/∂z
    gain: float  # std multiplier of the initial weights: √2 for ReLU (He), 1 otherwise
    bias: float  # initial hidden bias: 0.1 for ReLU (TF Playground's), 0 otherwise


def sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1 / (1 + exp(−z)), computed without overflow warnings for large |z|."""
    # exp(−|z|) never overflows; the two branches are the same function.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0)


def _relu_der(z: np.ndarray, h: np.ndarray) -> np.ndarray:
    # I(z > 0); at z = 0 the lecture's indicator gives 0.
    return (z > 0).astype(z.dtype)


def _relu_backprop(delta_h: np.ndarray, z: np.ndarray, h: np.ndarray) -> np.ndarray:
    # δ^(z) = δ^(h) diag(I(z > 0)): the diagonal product is an element-wise mask (a bool
    # mask directly, without the float copy of the derivative: this is the hot path).
    return delta_h * (z > 0)


def _times_derivative(
    derivative: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    """δ^(z) = δ^(h) diag(f'(z)) = δ^(h) ⊙ f'(z): a diagonal Jacobian is an element-wise
    product, so the backward step of a smooth activation is its derivative, multiplied."""

    def backprop(delta_h: np.ndarray, z: np.ndarray, h: np.ndarray) -> np.ndarray:
        return delta_h * derivative(z, h)

    return backprop


def _tanh_der(z: np.ndarray, h: np.ndarray) -> np.ndarray:
    return 1.0 - h * h


def _sigmoid_der(z: np.ndarray, h: np.ndarray) -> np.ndarray:
    return h * (1.0 - h)


def _linear(z: np.ndarray) -> np.ndarray:
    return z.copy()


def _linear_der(z: np.ndarray, h: np.ndarray) -> np.ndarray:
    return np.ones_like(z)


ACTIVATION_BY_NAME: dict[str, Activation] = {
    "relu": Activation(
        "relu",
        _relu,
        _relu_der,
        _relu_backprop,
        "h = max(z, 0)",
        "∂h/∂z = diag(I(z > 0))",
        2.0**0.5,
        0.1,
    ),
    "tanh": Activation(
        "tanh",
        np.tanh,
        _tanh_der,
        _times_derivative(_tanh_der),
        "h = tanh(z)",
        "∂h/∂z = diag(1 − h²)",
        1.0,
        0.0,
    ),
    "sigmoid": Activation(
        "sigmoid",
        sigmoid,
        _sigmoid_der,
        _times_derivative(_sigmoid_der),
        "h = σ(z)",
        "∂h/∂z = diag(h(1 − h))",
        1.0,
        0.0,
    ),
    "linear": Activation(
        "linear",
        _linear,
        _linear_der,
        _times_derivative(_linear_der),
        "h = z",
        "∂h/∂z = I",
        1.0,
        0.0,
    ),
}


_ZEROS: dict[tuple[int, np.dtype], np.ndarray] = {}


def _zeros_row(n: int, dtype: np.dtype) -> np.ndarray:
    """A shared read-only row of n zeros: ``np.maximum`` against a scalar runs element by
    element, against an array (broadcast along the rows) it runs in SIMD, ~3× faster."""
    key = (n, dtype)
    row = _ZEROS.get(key)
    if row is None:
        if len(_ZEROS) > 64:  # a handful of sizes recur (grid R², the splits); stay small
            _ZEROS.clear()
        row = np.zeros(n, dtype=dtype)
        row.flags.writeable = False
        _ZEROS[key] = row
    return row


def output_inplace(name: str, z: np.ndarray) -> np.ndarray:
    """h = f(z) written over z, for evaluation passes that need no z afterwards.

    Fresh large arrays cost a page fault per 4 KiB page on first touch; evaluating the
    whole data set every history row is cheaper when it reuses its buffers.
    """
    if name == "relu":
        return np.maximum(z, _zeros_row(z.shape[-1], z.dtype), out=z)
    if name == "tanh":
        return np.tanh(z, out=z)
    if name == "sigmoid":  # 1 / (1 + exp(−z)); exp overflow gives 1/inf = 0, as it should
        np.negative(z, out=z)
        np.exp(z, out=z)
        z += 1.0
        return np.reciprocal(z, out=z)
    return z  # linear


def backprop_inplace(name: str, delta_h: np.ndarray, h: np.ndarray) -> np.ndarray:
    """δ^(z) = δ^(h) ⊙ f'(z) written over δ^(h), with f' expressed through h alone:
    relu' = I(h > 0) (the same as I(z > 0)), tanh' = 1 − h², σ' = h(1 − h), linear' = 1."""
    if name == "relu":
        return np.multiply(delta_h, h > 0, out=delta_h)
    if name == "tanh":
        d = h * h
        np.subtract(1.0, d, out=d)
        delta_h *= d
    elif name == "sigmoid":
        d = 1.0 - h
        d *= h
        delta_h *= d
    return delta_h


def get_activation(name: str) -> Activation:
    """The activation called ``name`` (one of ACTIVATIONS)."""
    return ACTIVATION_BY_NAME[name]
