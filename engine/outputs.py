"""Output layers and the loss: o = softmax(v) with NLL, or o = σ(v) for binary logistic.

Both pair with the negative log-likelihood so that the output error signal is the same
simple expression, δ^(o) = ∂J/∂v = o − y (the lecture's y − o, with J = log P instead of
−log P). For softmax, y is the one-hot vector with y_i = I(i = k); for the binary sigmoid,
y ∈ {0, 1} is a single number.
"""

from __future__ import annotations

import numpy as np

from engine.activations import sigmoid

_max = np.maximum.reduce
_sum = np.add.reduce


def softmax(v: np.ndarray) -> np.ndarray:
    """o_k = exp(v_k) / Z with Z = Σ_i exp(v_i), row-wise; shifted by max v for stability.

    The ufunc reductions are called directly (not ``v.max()``): for minibatch-sized
    arrays the method wrappers cost as much as the arithmetic."""
    e = np.exp(v - _max(v, axis=-1, keepdims=True))  # (batch, K)
    e /= _sum(e, axis=-1, keepdims=True)
    return e


def argmax_columns(o: np.ndarray) -> np.ndarray:
    """The row index of the largest entry of each column of o (K, n), the first on ties:
    ``o.argmax(axis=0)`` as uint8 (K ≤ 255), computed row against row.

    NumPy reduces along axis 0 of a short, wide array one strided column at a time, many
    times slower than K − 1 contiguous comparisons. A column holding NaN falls back to
    argmax itself, so NaN columns give argmax's answer (the first NaN) too.
    """
    K, n = o.shape
    if K == 1:
        return np.zeros(n, dtype=np.uint8)
    best = o[0]
    index = np.zeros(n, dtype=np.uint8)
    for k in range(1, K):
        better = np.greater(o[k], best).view(np.uint8)  # strictly: a tie keeps the earlier
        if k == 1:
            index = better.copy()
        else:
            index += better * (np.uint8(k) - index)  # k where better, else unchanged
        best = np.maximum(best, o[k])
    if np.isnan(best).any():  # max propagates NaN, so this finds any NaN column
        return o.argmax(axis=0).astype(np.uint8)
    return index


def softmax_jacobian(o: np.ndarray) -> np.ndarray:
    """∂o/∂v = diag(o) − o oᵀ, i.e. [o_j I(i = j) − o_i o_j]_ij; o (K,) or (batch, K)."""
    eye = np.eye(o.shape[-1])
    return o[..., :, None] * eye - o[..., :, None] * o[..., None, :]


class SoftmaxOutput:
    """o = softmax(v), J = −yᵀ log(o) = −log o_k."""

    name = "softmax"

    @staticmethod
    def units(classes: int) -> int:
        """Number of output units: K."""
        return classes

    @staticmethod
    def probabilities(v: np.ndarray) -> np.ndarray:
        return softmax(v)

    @staticmethod
    def targets(y: np.ndarray, classes: int) -> np.ndarray:
        """The one-hot y, (n, K) float64."""
        out = np.zeros((len(y), classes))
        out[np.arange(len(y)), y] = 1.0
        return out

    @staticmethod
    def true_class_probability(o: np.ndarray, y: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """o_k for each example, the probability the model gives its label k."""
        return o[rows, y]

    @staticmethod
    def nll(v: np.ndarray, y: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """J_n = −log o_k = log Z − v_k = max v + log Σ_i exp(v_i − max v) − v_k, (m,).

        Exact for any finite v: −log o_k itself is inf once o_k underflows to 0, which a
        confidently wrong network with finite parameters reaches at v_i − v_k ≈ 745."""
        top = _max(v, axis=-1)  # (m,)
        return top + np.log(_sum(np.exp(v - top[:, None]), axis=-1)) - v[rows, y]


class SigmoidOutput:
    """Binary logistic output o = σ(v) = P(y = 1 | x), J = −[y log o + (1 − y) log(1 − o)].

    y = 1 is the second class (label 1 in the API, "class 2" on the page). The engine's v
    is the slide's z = wᵀx + b; the trace names it z (see :mod:`engine.trace`)."""

    name = "sigmoid"

    @staticmethod
    def units(classes: int) -> int:
        """Number of output units: 1."""
        return 1

    @staticmethod
    def probabilities(v: np.ndarray) -> np.ndarray:
        return sigmoid(v)

    @staticmethod
    def targets(y: np.ndarray, classes: int) -> np.ndarray:
        """y ∈ {0, 1} as an (n, 1) float64 column."""
        return y.astype(np.float64)[:, None]

    @staticmethod
    def true_class_probability(o: np.ndarray, y: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """o if y = 1, 1 − o if y = 0."""
        o = o[:, 0]
        return np.where(y == 1, o, 1.0 - o)

    @staticmethod
    def nll(v: np.ndarray, y: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """J_n = −log σ(v) = log(1 + e^(−v)) if y = 1, −log(1 − σ(v)) = log(1 + e^v) if
        y = 0, (m,): the softplus of s = ∓v, written max(s, 0) + log(1 + e^(−|s|)) so it
        is exact for any finite v (−log o is inf once o rounds to 0 or 1)."""
        s = np.where(y == 1, -v[:, 0], v[:, 0])  # (m,)
        return np.maximum(s, 0.0) + np.log1p(np.exp(-np.abs(s)))


Output = SoftmaxOutput | SigmoidOutput
OUTPUTS: dict[str, type[SoftmaxOutput] | type[SigmoidOutput]] = {
    "softmax": SoftmaxOutput,
    "sigmoid": SigmoidOutput,
}
