"""The lecture's MLP, forward and backward, for a minibatch of row vectors.

Shapes: a minibatch is m examples stacked as rows, so every vector of the lecture becomes
an (m, n) array whose rows are that vector for each example. With weights W of shape
(out, in), the lecture's z = Wx reads ``z = x @ W.T`` row by row, and its row-vector
error signals compose exactly as on the slides: δ^(h) = δ^(o) U is ``delta_o @ U``.

Like mnielsen's ``network.py``, :func:`forward` returns what :func:`backward` needs:
the input of every layer (x, h₁, …, h_L), every pre-activation z_l, v and o.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.activations import Activation, output_inplace
from engine.outputs import Output

_sum = np.add.reduce  # the ufunc itself: ndarray.sum adds a Python wrapper per call


@dataclass
class Layer:
    """One affine map z = Wx + b. The last layer is the lecture's v = Uh (+ c)."""

    W: np.ndarray  # (out, in) float64; row i is W_{i*}
    b: np.ndarray  # (out,) float64 bias (the lecture folds it into W; see Convention)

    def to_dict(self) -> dict[str, Any]:
        return {"W": self.W, "b": self.b}

    def copy(self) -> Layer:
        return Layer(self.W.copy(), self.b.copy())


def layer_names(hidden_layers: int) -> list[str]:
    """The lecture's weight names: ["W", "U"] for one hidden layer, ["W1", "W2", "U"] for
    two, ["W"] for none (logistic regression's z = Wx + b)."""
    if hidden_layers == 0:
        return ["W"]
    if hidden_layers == 1:
        return ["W", "U"]
    return [f"W{i + 1}" for i in range(hidden_layers)] + ["U"]


def bias_names(hidden_layers: int) -> list[str]:
    """Bias names matching :func:`layer_names`: b (b1, b2, …), and c in v = Uh + c."""
    if hidden_layers == 0:
        return ["b"]
    if hidden_layers == 1:
        return ["b", "c"]
    return [f"b{i + 1}" for i in range(hidden_layers)] + ["c"]


OUTPUT_GAIN = 0.1
"""Std multiplier of the output layer's initial weights (instead of the hidden gain).

Small output scores v give o ≈ uniform, so training starts at J ≈ ln K, the loss of a
network that knows nothing: the teacher's first sanity check. The output layer still
starts random (not zero), so δ^(h) = δ^(o) U is non-zero from the first step."""


def input_rms(x: np.ndarray) -> np.ndarray:
    """The root mean square of each input feature over the examples, x (n, d) → (d,).

    A feature that is 0 at every example (RMS 0) gets 1: its weights cannot matter yet."""
    rms = np.sqrt(np.mean(x * x, axis=0)) if len(x) else np.ones(x.shape[1])  # (d,)
    rms[~(rms > 0)] = 1.0
    return rms


def init_layers(
    sizes: Sequence[int],
    gain: float,
    seed: int,
    hidden_bias: float = 0.0,
    input_scale: np.ndarray | None = None,
    output_gain: float | None = None,
) -> list[Layer]:
    """Weights ~ N(0, gain²/fan_in) (He for ReLU, LeCun otherwise); hidden biases
    ``hidden_bias``, output bias 0.

    ``sizes`` = [d, hidden…, outputs]. The scaling keeps the variance of z about constant
    from layer to layer, so deep stacks neither explode nor vanish at the start. That
    argument assumes inputs of unit mean square; the lecture's x is the raw features
    (spanning about ±6), so ``input_scale`` = their RMS (:func:`input_rms`) divides the
    first layer's column j: then Var(z_i) = gain² · (1/d) Σ_j E[x_j²]/rms_j² = gain², as
    for normalised inputs, while x itself stays the user's x. ``output_gain`` (default
    ``gain``) replaces the gain of the output layer (see :data:`OUTPUT_GAIN`).
    """
    rng = np.random.default_rng(seed)
    layers = []
    last = len(sizes) - 2
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        g = gain if i < last or output_gain is None else output_gain
        W = rng.normal(0.0, g / np.sqrt(fan_in), (fan_out, fan_in))  # (out, in)
        if i == 0 and input_scale is not None:
            W /= input_scale  # column j divided by rms_j
        bias = hidden_bias if i < last else 0.0
        layers.append(Layer(W, np.full(fan_out, bias)))
    return layers


@dataclass
class Forward:
    """Everything the forward pass computed (and backward needs)."""

    inputs: list[np.ndarray]  # [x, h₁, …, h_L]: the input of each layer, (m, in_l)
    zs: list[np.ndarray]  # [z₁, …, z_L]: hidden pre-activations, (m, units_l)
    v: np.ndarray  # (m, K) output scores v = U h_L + c
    o: np.ndarray  # (m, K) output probabilities

    @property
    def hs(self) -> list[np.ndarray]:
        """[h₁, …, h_L], the hidden activations."""
        return self.inputs[1:]


@dataclass
class Backward:
    """The error signals and the gradients of one backward pass."""

    delta_o: np.ndarray  # (m, K) δ^(o) = ∂J/∂v
    delta_h: list[np.ndarray]  # [δ^(h₁), …] = ∂J/∂h_l, (m, units_l)
    delta_z: list[np.ndarray]  # [δ^(z₁), …] = ∂J/∂z_l, (m, units_l)
    delta_x: np.ndarray | None  # (m, d) δ^(x) = ∂J/∂x, when asked for
    weight_grads: list[np.ndarray]  # ∂J/∂W_l per layer (U last), (out, in): Σ over rows × scale
    bias_grads: list[np.ndarray]  # ∂J/∂b_l per layer, (out,)
    factor: float = 1.0  # the gradients above are factor × ∂J/∂θ (η when η was folded in)


def forward(layers: Sequence[Layer], x: np.ndarray, act: Activation, output: Output) -> Forward:
    """x (m, d) → z_l = h_{l−1} W_lᵀ + b_l, h_l = f(z_l) → v = h_L Uᵀ + c → o."""
    inputs = [x]
    zs = []
    a = x  # (m, in)
    for layer in layers[:-1]:
        z = a @ layer.W.T  # (m, units)
        z += layer.b
        a = act.output(z)  # (m, units)
        zs.append(z)
        inputs.append(a)
    last = layers[-1]
    v = a @ last.W.T  # (m, K)
    v += last.b
    return Forward(inputs, zs, v, output.probabilities(v))


def backward(
    layers: Sequence[Layer],
    fwd: Forward,
    targets: np.ndarray,
    act: Activation,
    scale: float = 1.0,
    want_delta_x: bool = False,
) -> Backward:
    """Backpropagate δ^(o) = o − y through the layers (J = NLL, so descent).

    Per layer, with row-vector δ as on the slides:
    ∂J/∂U = δ^(o)ᵀ hᵀ, δ^(h) = δ^(o) U, δ^(z) = δ^(h) diag(f'(z)), ∂J/∂W = δ^(z)ᵀ xᵀ,
    δ^(x) = δ^(z) W. For a minibatch the products δᵀh sum over the rows; ``scale`` = 1/m
    turns the sum into the batch mean. With scale ≠ 1 the returned deltas are scaled too.
    """
    delta = fwd.o - targets  # (m, K) δ^(o) = o − y
    if scale != 1.0:
        delta *= scale
    delta_o = delta
    n = len(layers)
    weight_grads: list[np.ndarray] = [None] * n  # type: ignore[list-item]
    bias_grads: list[np.ndarray] = [None] * n  # type: ignore[list-item]
    delta_h: list[np.ndarray] = [None] * (n - 1)  # type: ignore[list-item]
    delta_z: list[np.ndarray] = [None] * (n - 1)  # type: ignore[list-item]
    inputs = fwd.inputs
    for i in range(n - 1, -1, -1):
        weight_grads[i] = delta.T @ inputs[i]  # (out, in) = δᵀ xᵀ summed over the batch
        bias_grads[i] = _sum(delta, axis=0)  # (out,) Σ over the batch
        if i > 0:
            dh = delta @ layers[i].W  # (m, in) δ^(h) = δ U
            delta_h[i - 1] = dh
            delta = act.backprop(dh, fwd.zs[i - 1], inputs[i])  # (m, in) δ^(z)
            delta_z[i - 1] = delta
    delta_x = delta @ layers[0].W if want_delta_x else None  # (m, d) δ^(x) = δ^(z) W
    return Backward(delta_o, delta_h, delta_z, delta_x, weight_grads, bias_grads)


def evaluate(
    layers: Sequence[Layer],
    xT: np.ndarray,
    act: Activation,
    output: Output,
    buffers: dict[tuple[int, int], np.ndarray],
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Forward pass for evaluation only, in column layout: xT (d, m) →
    (o (K, m), [h₁ (units, m), …]); no z is kept.

    Columns make each reduction of the softmax run along contiguous rows, which is much
    faster than along the short rows of an (m, K) array. Each layer's result goes into
    ``buffers[(layer, m)]``, reused from call to call, so that evaluating every point for
    a history row allocates (and page-faults) nothing new. The returned arrays are
    overwritten by the next call with the same buffers.
    """
    m = xT.shape[1]
    a = xT  # (in, m)
    hs = []
    for i, layer in enumerate(layers):
        buf = buffers.get((i, m))
        if buf is None or buf.shape[0] != layer.W.shape[0]:
            buf = buffers[(i, m)] = np.empty((layer.W.shape[0], m))
        np.matmul(layer.W, a, out=buf)  # (out, m) z = W a
        buf += layer.b[:, None]
        if i < len(layers) - 1:
            a = output_inplace(act.name, buf)  # (units, m) h
            hs.append(a)
        else:
            a = buf
    if output.name == "sigmoid":
        return output_inplace("sigmoid", a), hs  # (1, m)
    a -= a.max(axis=0)  # softmax in place, shifted for stability
    np.exp(a, out=a)
    a /= a.sum(axis=0)
    return a, hs
