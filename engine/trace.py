"""Traces: every quantity of the lecture for one example or one minibatch, under its symbol.

A trace runs one forward and one backward pass (J = NLL, row-vector δ, separate bias, as
the engine computes) and then presents the result in the requested
:class:`~engine.conventions.Convention`. Symbols are ASCII keys ("delta_o", "dJ/dW1", …);
each :class:`Quantity` also carries its display form ("δ^(o)", "∂J/∂W₁") and its formula.

Binary logistic regression (one sigmoid output, no hidden layer) is shown as its slide
writes it: w, b, z = wᵀx + b, o = σ(z) = P(y = 1 | x) with y ∈ {0, 1} (y = 1 is class 2),
δ^(o) = ∂J/∂z and ∂J/∂w, ∂J/∂b; it has no W, v, k, K, ∂J/∂W or ∂J/∂z beside them.

Value shapes, for one example (a minibatch adds a leading axis m to per-example values):
vectors x, z, h, v, o, y are 1-D; δ's are 1×n (row layout) or n×1 (column layout);
Jacobians are matrices; ∂J/∂W is (out, in) like W. In a minibatch trace, J and the
gradients ∂J/∂θ are the batch means, and "J[n]", "dJ/dW[n]" hold the per-example values.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.activations import Activation
from engine.conventions import Convention
from engine.display import array_html, fmt, notation_html, table_html
from engine.features import FEATURE_DISPLAY, feature_matrix
from engine.network import Backward, Forward, Layer, backward, bias_names, forward, layer_names
from engine.outputs import Output, softmax_jacobian

_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def display_symbol(symbol: str) -> str:
    """ASCII key → the lecture's notation: "delta_h2" → "δ^(h₂)", "dJ/dW1" → "∂J/∂W₁"."""
    suffix = ""
    if symbol.endswith("[n]"):
        symbol, suffix = symbol[:-3], "ₙ"
    if symbol.startswith("delta_"):
        return f"δ^({symbol[6:].translate(_SUBSCRIPTS)}){suffix}"
    if symbol.startswith("d") and "/d" in symbol:
        num, den = symbol[1:].split("/d", 1)
        return f"∂{num.translate(_SUBSCRIPTS)}/∂{den.translate(_SUBSCRIPTS)}{suffix}"
    return symbol.translate(_SUBSCRIPTS) + suffix


@dataclass
class Quantity:
    """One named quantity of the lecture."""

    symbol: str  # ASCII key, e.g. "delta_o", "dJ/dU", "z2"
    name: str  # what it is, in words
    value: np.ndarray  # its value (float64)
    formula: str  # how it is computed, in the trace's convention
    display: str = ""  # the lecture's notation, e.g. "δ^(o)"
    kind: str = "forward"  # forward | param | label | loss | delta | jacobian | grad | grad_each

    def __post_init__(self) -> None:
        if not self.display:
            self.display = display_symbol(self.symbol)

    def to_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "name": self.name,
            "display": self.display,
            "formula": self.formula,
            "kind": self.kind,
            "value": self.value,
        }


@dataclass(repr=False)
class Trace:
    """The quantities of one forward + backward pass, in one display convention.

    In a minibatch trace (``batch``) the forward values and the δ's are per example, each
    with a leading axis m (δ^(o) row n is o_n − y_n, not divided by m), while J and the
    gradients ∂J/∂θ are batch means, J = (1/m) Σ_n J_n and ∂J/∂W = (1/m) Σ_n ∂J_n/∂W:
    the mean is what the SGD step uses; "J[n]", "dJ/dW[n]", … hold the per example terms.
    """

    quantities: list[Quantity]  # in lecture order: forward, loss, backward, gradients
    convention: Convention  # how signs, layouts and biases are shown
    target: int | np.ndarray  # the label k (an int), or the labels of a minibatch (m,)
    x_raw: np.ndarray  # (2,) the point (x₁, x₂), or (m, 2) for a minibatch
    batch: bool = False  # True for a minibatch trace
    layer_names: list[str] = field(default_factory=list)  # ["W", "U"], ["W1", "W2", "U"], …

    def get(self, symbol: str) -> Quantity:
        """The quantity with this ASCII symbol (KeyError listing the known ones)."""
        for q in self.quantities:
            if q.symbol == symbol:
                return q
        raise KeyError(f"no quantity {symbol!r}; known: {', '.join(self.symbols)}")

    def __getitem__(self, symbol: str) -> np.ndarray:
        return self.get(symbol).value

    def __contains__(self, symbol: str) -> bool:
        return any(q.symbol == symbol for q in self.quantities)

    @property
    def symbols(self) -> list[str]:
        return [q.symbol for q in self.quantities]

    def __repr__(self) -> str:
        """One line: which example(s), J, how many quantities, the convention."""
        c = self.convention
        if self.batch:
            what = f"minibatch of m={len(np.asarray(self.target))}"
        else:
            x = np.asarray(self.x_raw)
            # binary logistic regression names its label y ∈ {0, 1}; the others k ∈ {1, …, K}
            label = f"k={int(self.target) + 1}" if "k" in self else f"y={int(self.target)}"
            what = f"example {label}, x=({fmt(x[0])}, {fmt(x[1])})"
        J = f", J={fmt(self['J'])}" + (" (mean)" if self.batch else "") if "J" in self else ""
        return (
            f"Trace({what}{J}, {len(self.quantities)} quantities, "
            f"{c.sign}/{c.layout}/{c.bias})"
        )

    def _repr_html_(self) -> str:
        """The lecture's equations in order, each with its numbers (Jupyter's display).

        In a minibatch trace J and ∂J/∂θ are batch means and the other values per example
        (leading axis m); arrays of more than 64 entries are shown by shape and first
        entries."""
        rows = [
            (notation_html(q.display), notation_html(q.formula), array_html(q.value))
            for q in self.quantities
        ]
        return table_html(("symbol", "equation", "value"), rows, html.escape(repr(self)))

    def to_dict(self) -> dict[str, Any]:
        target = self.target if isinstance(self.target, np.ndarray) else int(self.target)
        return {
            "quantities": [q.to_dict() for q in self.quantities],
            "convention": self.convention.to_dict(),
            "target": target,
            "x_raw": self.x_raw,
            "batch": self.batch,
            "layer_names": list(self.layer_names),
            "update_rule": self.convention.update_rule,
        }


def _sfx(layer: int, hidden: int) -> str:
    """Layer-number suffix: none when there is a single hidden layer, as on the slides."""
    return "" if hidden == 1 else str(layer)


def _shape_text(symbol: str, W: np.ndarray) -> str:
    """ "W: 8×2 (outputs × inputs)": W maps the layer's inputs to its outputs."""
    return f"{symbol}: {W.shape[0]}×{W.shape[1]} (outputs × inputs)"


def _diag(d: np.ndarray) -> np.ndarray:
    """Stack of diagonal matrices: (m, n) → (m, n, n)."""
    return d[..., :, None] * np.eye(d.shape[-1])


def _augment(a: np.ndarray) -> np.ndarray:
    """Append a constant 1 along the last axis: x → [x; 1]."""
    ones = np.ones((*a.shape[:-1], 1))
    return np.concatenate([a, ones], axis=-1)


def build_trace(
    layers: Sequence[Layer],
    act: Activation,
    output: Output,
    features: Sequence[str],
    x_raw: np.ndarray,
    labels: np.ndarray,
    classes: int,
    convention: Convention = Convention(),  # noqa: B008 - frozen dataclass
    batch: bool = False,
) -> Trace:
    """Forward and backward over ``x_raw`` (m, 2) with ``labels`` (m,); present in ``convention``.

    With ``batch=False`` m must be 1 and the leading axis is dropped from every value.
    """
    # the trace keeps the parameters as quantities: copies, never the trainer's buffers
    layers = [layer.copy() for layer in layers]
    x_raw = np.asarray(x_raw, dtype=np.float64).reshape(-1, 2)  # (m, 2)
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)  # (m,)
    x = feature_matrix(x_raw, features)  # (m, d)
    targets = output.targets(labels, classes)  # (m, K) one-hot, or (m, 1) for sigmoid
    fwd = forward(layers, x, act, output)
    bwd = backward(layers, fwd, targets, act, 1.0, want_delta_x=True)
    b = _TraceBuilder(layers, act, output, convention, batch, fwd, bwd, labels, targets)
    b.forward_quantities(features)
    b.output_quantities(classes)
    b.backward_quantities()
    b.gradient_quantities()
    return b.trace(x_raw)


class _TraceBuilder:
    """Collects the quantities of one trace in lecture order, in one display convention.

    The values come from one engine forward and backward pass (J = NLL, row δ, separate
    bias); each method presents one part of the lecture: the forward pass, the output
    and loss, the error signals and Jacobians, and the parameter gradients.
    """

    def __init__(
        self,
        layers: Sequence[Layer],
        act: Activation,
        output: Output,
        convention: Convention,
        batch: bool,
        fwd: Forward,
        bwd: Backward,
        labels: np.ndarray,
        targets: np.ndarray,
    ) -> None:
        self.layers = layers
        self.act = act
        self.convention = convention
        self.batch = batch
        self.fwd = fwd
        self.bwd = bwd
        self.labels = labels  # (m,)
        self.targets = targets  # (m, K) or (m, 1)
        self.L = len(layers) - 1  # hidden layers
        self.names = layer_names(self.L)
        self.bnames = bias_names(self.L)
        self.loglik = convention.sign == "loglik"
        self.column = convention.layout == "column"
        self.augmented = convention.bias == "augmented"
        self.sgn = -1.0 if self.loglik else 1.0  # every J, δ and ∂J/∂θ flips in loglik
        self.sigmoid_out = output.name == "sigmoid"
        # Binary logistic regression (one sigmoid output, no hidden layer) is written in the
        # slide's own notation: z = wᵀx + b, o = σ(z), y ∈ {0, 1}, ∂J/∂w.
        self.binary = self.sigmoid_out and self.L == 0
        self.rows = np.arange(len(labels))
        self.J_each = output.nll(fwd.v, labels, self.rows)  # (m,) −log o_k
        self.qs: list[Quantity] = []
        self.delta_o_formula = ""  # set by output_quantities, reused for dJ/dz

    # ------------------------------------------------------------ helpers
    def add(self, symbol: str, name: str, value: Any, formula: str, kind: str) -> None:
        self.qs.append(
            Quantity(symbol, name, np.asarray(value, dtype=np.float64), formula, kind=kind)
        )

    def vec(self, a: np.ndarray) -> np.ndarray:
        """Per-example (m, n) row vectors → (m, 1, n) rows or (m, n, 1) columns."""
        return a[:, :, None] if self.column else a[:, None, :]

    def jac(self, a: np.ndarray) -> np.ndarray:
        """A numerator-layout Jacobian; transposed in the column (denominator) layout."""
        return np.swapaxes(a, -1, -2) if self.column else a

    def T(self, s: str) -> str:
        return f"{s}ᵀ" if self.column else s

    def prod(self, delta: str, mat: str) -> str:
        """δ·M in row layout, Mᵀ·δ in column layout."""
        return f"{mat}ᵀ {delta}" if self.column else f"{delta} {mat}"

    def unbiased(self, Wd: str) -> str:
        """A note after a formula that uses the weights W as a Jacobian. In the augmented
        convention W is displayed as [W | b], but the constant 1 it multiplies b by is no
        variable: ∂z/∂x, ∂v/∂h and the δ products use W without its bias column."""
        return f"  ({Wd} without its bias column)" if self.augmented else ""

    def weight_value(self, i: int) -> np.ndarray:
        """Layer i's weights, as [W | b] in the augmented convention."""
        W, b = self.layers[i].W, self.layers[i].b
        return np.concatenate([W, b[:, None]], axis=1) if self.augmented else W

    # ------------------------------------------------------------ forward
    def forward_quantities(self, features: Sequence[str]) -> None:
        """x, then W, b, z, h of every hidden layer, then U, c, v (and logistic's z, w)."""
        fwd, augmented, L = self.fwd, self.augmented, self.L
        feat = ", ".join(FEATURE_DISPLAY[f] for f in features)
        x = fwd.inputs[0]
        self.add(
            "x",
            "input features φ(x₁, x₂)" + (" with a constant 1 for the bias" if augmented else ""),
            _augment(x) if augmented else x,
            f"x = [{feat}{', 1' if augmented else ''}]ᵀ",
            "forward",
        )
        if self.binary:
            self._binary_forward()
            return
        prev = "x"
        for layer in range(1, L + 1):
            self._hidden_layer(layer, prev)
            prev = f"h{_sfx(layer, L)}"
        Uname, cname = self.names[-1], self.bnames[-1]
        Ud, cd = display_symbol(Uname), display_symbol(cname)
        prev_d = display_symbol(prev)
        self.add(
            Uname,
            ("output weights" if L else "weights")
            + (" with the bias as last column" if augmented else ""),
            self.weight_value(L),
            f"{Ud} = [{Ud} | {cd}]" if augmented else _shape_text(Ud, self.layers[-1].W),
            "param",
        )
        if not augmented:
            self.add(cname, "output bias", self.layers[-1].b, f"{cd}: (K,)", "param")
        v_formula = f"v = {Ud}{prev_d}" if augmented else f"v = {Ud}{prev_d} + {cd}"
        self.add("v", "output scores (pre-activation)", fwd.v, v_formula, "forward")
        if L == 0:
            self.add(
                "z",
                "the lecture's z of logistic regression (= v)",
                fwd.v,
                v_formula.replace("v =", "z ="),
                "forward",
            )

    def _binary_forward(self) -> None:
        """w, b and z = wᵀx + b of binary logistic regression, named as the lecture's slide.

        The engine stores the single output unit's weights as a 1×d matrix W (the API's
        parameter "W", so that every model updates the same way); the trace shows its one
        row as the vector w, and the pre-activation as the scalar z, never as W and v: the
        slide has no matrix and no v, and two names for one number confuse a class."""
        W, b = self.layers[0].W, self.layers[0].b
        if self.augmented:
            self.add(
                "w",
                "weight vector with the bias b as its last entry",
                np.concatenate([W[0], b]),
                "w = [w; b]  (x ends in a constant 1, so wᵀx includes b)",
                "param",
            )
        else:
            self.add(
                "w",
                "weight vector, one weight per input feature",
                W[0].copy(),
                f"w: {W.shape[1]} entries, one per input feature",
                "param",
            )
            self.add("b", "bias", b, "b: a single number", "param")
        self.add(
            "z",
            "pre-activation: the log-odds of y = 1",
            self.fwd.v,
            "z = wᵀx" if self.augmented else "z = wᵀx + b",
            "forward",
        )

    def _hidden_layer(self, layer: int, prev: str) -> None:
        """W_l, b_l, z_l = W_l h_{l−1} + b_l and h_l = f(z_l) of hidden layer ``layer``."""
        augmented, L = self.augmented, self.L
        s = _sfx(layer, L)
        W, b = self.names[layer - 1], self.bnames[layer - 1]
        Wd, bd = display_symbol(W), display_symbol(b)
        prev_d = display_symbol(prev)
        self.add(
            W,
            f"weights of hidden layer {layer}"
            + (" with the bias as last column" if augmented else ""),
            self.weight_value(layer - 1),
            f"{Wd} = [{Wd} | {bd}]" if augmented else _shape_text(Wd, self.layers[layer - 1].W),
            "param",
        )
        if not augmented:
            self.add(
                b,
                f"bias of hidden layer {layer}",
                self.layers[layer - 1].b,
                f"{bd}: (units,)",
                "param",
            )
        zd = display_symbol(f"z{s}")
        self.add(
            f"z{s}",
            f"pre-activation of hidden layer {layer}",
            self.fwd.zs[layer - 1],
            f"{zd} = {Wd}{prev_d}" if augmented else f"{zd} = {Wd}{prev_d} + {bd}",
            "forward",
        )
        h_val = self.fwd.inputs[layer]
        self.add(
            f"h{s}",
            f"activation of hidden layer {layer}" + (" with a constant 1" if augmented else ""),
            _augment(h_val) if augmented else h_val,
            self.act.formula.replace("h", display_symbol(f"h{s}"), 1)
            .replace("(z", f"({zd}")
            .replace("= z", f"= {zd}"),
            "forward",
        )

    # ------------------------------------------------------------ output and loss
    def output_quantities(self, classes: int) -> None:
        """o, y, k, K, J (and J[n]); then ∂J/∂o, ∂o/∂v and δ^(o) (and logistic's ∂J/∂z)."""
        fwd, targets, labels, sgn = self.fwd, self.targets, self.labels, self.sgn
        if self.binary:
            self.add(
                "o",
                "P(y = 1 | x), the probability of class 2",
                fwd.o,
                "o = σ(z) = 1 / (1 + exp(−z)) = P(y = 1 | x)",
                "forward",
            )
            self.add(
                "y",
                "the label: y = 1 for class 2, y = 0 for class 1",
                targets,
                "y ∈ {0, 1}",
                "forward",
            )
            J_formula = "J = y log(o) + (1 − y) log(1 − o)"
        else:
            Z = np.exp(fwd.v).sum(axis=1)
            self.add("Z", "the softmax normaliser", Z, "Z = Σᵢ exp(vᵢ)", "forward")
            self.add("o", "class probabilities", fwd.o, "o = softmax(v) = exp(v) / Z", "forward")
            self.add("y", "one-hot target", targets, "yᵢ = I(i = k)", "forward")
            J_formula = "J = yᵀ log(o)"
        # The lecture numbers the classes from 1 (yᵢ = I(i = k), k ∈ {1, …, K}); the data
        # and the API number them from 0, so k is the label plus one. The binary slide has
        # no k and no K: its label is y ∈ {0, 1} itself, and a "k = 1" beside "y = 0" reads
        # as a contradiction.
        if not self.binary:
            k = labels.astype(np.float64) + 1.0
            self.add(
                "k",
                "the target class, numbered from 1" + (" (per example)" if self.batch else ""),
                k if self.batch else np.float64(k[0]),
                "k ∈ {1, …, K}",
                "label",
            )
            self.add("K", "the number of classes", np.float64(classes), "K", "label")
        if not self.loglik:
            J_formula = (
                J_formula.replace("J = ", "J = −[", 1) + "]"
                if self.sigmoid_out
                else "J = −yᵀ log(o)"
            )
        self.add(
            "J",
            "negative log-likelihood" if not self.loglik else "log-likelihood",
            sgn * self.J_each.mean(),
            J_formula + (" (mean over the minibatch)" if self.batch else ""),
            "loss",
        )
        if self.batch:
            self.add("J[n]", "per-example J", sgn * self.J_each, J_formula, "loss_each")
        self._output_error_signal()

    def _output_error_signal(self) -> None:
        """∂J/∂o, ∂o/∂v and δ^(o) = ∂J/∂v = o − y (loss) or y − o (log-likelihood)."""
        o, sgn = self.fwd.o, self.sgn
        pre = "z" if self.binary else "v"  # the slide's name for the output pre-activation
        if self.sigmoid_out:
            y1 = self.targets
            dJ_do = -(y1 / o - (1.0 - y1) / (1.0 - o))  # (m, 1)
            do_dv = (o * (1.0 - o))[:, :, None]  # (m, 1, 1)
            do_dv_formula = f"∂o/∂{pre} = σ({pre})(1 − σ({pre})) = o(1 − o)"
            dJ_do_formula = "∂J/∂o = y/o − (1 − y)/(1 − o)"
        else:
            dJ_do = np.zeros_like(o)
            dJ_do[self.rows, self.labels] = -1.0 / o[self.rows, self.labels]
            do_dv = softmax_jacobian(o)  # (m, K, K)
            do_dv_formula = "∂o/∂v = diag(o) − o oᵀ"
            dJ_do_formula = "∂J/∂o = [0 ⋯ 1/o_k ⋯ 0]"
        delta_o_formula = f"δ^(o) = ∂J/∂{pre} = y − o"
        if not self.loglik:
            lhs, rhs = dJ_do_formula.split(" = ", 1)
            dJ_do_formula = f"{lhs} = −[{rhs}]" if self.sigmoid_out else f"{lhs} = −{rhs}"
            delta_o_formula = f"δ^(o) = ∂J/∂{pre} = o − y"
        self.delta_o_formula = delta_o_formula
        self.add(
            "dJ/do",
            "gradient of J with respect to o",
            self.vec(sgn * dJ_do),
            dJ_do_formula,
            "delta",
        )
        self.add(
            f"do/d{pre}",
            "Jacobian of the output non-linearity",
            self.jac(do_dv),
            do_dv_formula,
            "jacobian",
        )
        shape = "  (n×1 column)" if self.column else "  (1×n row, as on the slides)"
        if self.binary:
            shape = ""  # one output: δ^(o) is a single number in either layout
        self.add(
            "delta_o",
            "error signal of the output layer",
            self.vec(sgn * self.bwd.delta_o),
            delta_o_formula + shape,
            "delta",
        )
        if self.L == 0 and not self.binary:  # δ^(o) is already ∂J/∂z in the binary case
            self.add(
                "dJ/dz",
                "the lecture's ∂J/∂z of logistic regression (= δ^(o))",
                self.vec(sgn * self.bwd.delta_o),
                delta_o_formula.replace("δ^(o) = ∂J/∂v", "∂J/∂z = δ^(o)"),
                "delta",
            )

    # ------------------------------------------------------------ backward
    def backward_quantities(self) -> None:
        """Down through the hidden layers: ∂(above)/∂h_l, δ^(h_l), ∂h_l/∂z_l, δ^(z_l);
        then ∂z₁/∂x and δ^(x)."""
        if self.binary:
            self._binary_input_error_signal()
            return
        upper_delta, upper_W, upper_out = "δ^(o)", self.names[-1], "v"
        for layer in range(self.L, 0, -1):
            self._hidden_error_signals(layer, upper_delta, upper_W, upper_out)
            s = _sfx(layer, self.L)
            upper_delta = f"δ^({display_symbol(f'z{s}')})"
            upper_W = self.names[layer - 1]
            upper_out = f"z{s}"
        self.add(
            f"d{upper_out}/dx",
            f"Jacobian ∂{display_symbol(upper_out)}/∂x",
            self.jac(self.layers[0].W.copy()),
            f"∂{display_symbol(upper_out)}/∂x = {self.T(display_symbol(upper_W))}"
            + self.unbiased(display_symbol(upper_W)),
            "jacobian_const",
        )
        self.add(
            "delta_x",
            "error signal ∂J/∂x",
            self.vec(self.sgn * self.bwd.delta_x),
            f"δ^(x) = ∂J/∂x = {self.prod(upper_delta, display_symbol(upper_W))}"
            + self.unbiased(display_symbol(upper_W)),
            "delta",
        )

    def _binary_input_error_signal(self) -> None:
        """∂z/∂x = wᵀ and δ^(x) = δ^(o) wᵀ (row layout) or w δ^(o) (column layout).

        z is a scalar, so its Jacobian with respect to x is the row wᵀ (numerator layout),
        not a matrix W; the column layout shows its transpose w."""
        note = "  (w without its last entry b)" if self.augmented else ""
        self.add(
            "dz/dx",
            "Jacobian ∂z/∂x",
            self.jac(self.layers[0].W.copy()),
            ("∂z/∂x = w" if self.column else "∂z/∂x = wᵀ") + note,
            "jacobian_const",
        )
        self.add(
            "delta_x",
            "error signal ∂J/∂x",
            self.vec(self.sgn * self.bwd.delta_x),
            ("δ^(x) = ∂J/∂x = w δ^(o)" if self.column else "δ^(x) = ∂J/∂x = δ^(o) wᵀ") + note,
            "delta",
        )

    def _hidden_error_signals(
        self, layer: int, upper_delta: str, upper_W: str, upper_out: str
    ) -> None:
        """δ^(h_l) = δ^(above) W_above and δ^(z_l) = δ^(h_l) diag(f'(z_l)), with their
        Jacobians; ``upper_*`` name the layer above (δ^(o), U, v for the last one)."""
        s = _sfx(layer, self.L)
        h, z = f"h{s}", f"z{s}"
        hd, zd = display_symbol(h), display_symbol(z)
        Wupd = display_symbol(upper_W)
        self.add(
            f"d{upper_out}/d{h}",
            f"Jacobian ∂{display_symbol(upper_out)}/∂{hd}",
            self.jac(self.layers[layer].W.copy()),  # the matrix mapping h_l to the layer above
            f"∂{display_symbol(upper_out)}/∂{hd} = {self.T(Wupd)}" + self.unbiased(Wupd),
            "jacobian_const",
        )
        self.add(
            f"delta_{h}",
            f"error signal ∂J/∂{hd}",
            self.vec(self.sgn * self.bwd.delta_h[layer - 1]),
            f"δ^({hd}) = ∂J/∂{hd} = {self.prod(upper_delta, Wupd)}" + self.unbiased(Wupd),
            "delta",
        )
        der = self.act.derivative(self.fwd.zs[layer - 1], self.fwd.inputs[layer])  # (m, units)
        diag_text = self.act.jacobian_formula.split("= ", 1)[1].replace("z", zd).replace("h", hd)
        self.add(
            f"d{h}/d{z}",
            f"Jacobian ∂{hd}/∂{zd} of the activation",
            _diag(der),
            f"∂{hd}/∂{zd} = {diag_text}",
            "jacobian",
        )
        chain = f"{diag_text} δ^({hd})" if self.column else f"δ^({hd}) {diag_text}"
        self.add(
            f"delta_{z}",
            f"error signal ∂J/∂{zd}",
            self.vec(self.sgn * self.bwd.delta_z[layer - 1]),
            f"δ^({zd}) = ∂J/∂{zd} = {chain}",
            "delta",
        )

    # ------------------------------------------------------------ gradients
    def gradient_quantities(self) -> None:
        """∂J/∂W_l = δ_lᵀ inputᵀ and ∂J/∂b_l = δ_l per layer, U first: the batch mean and,
        in a minibatch trace, every example's own."""
        L = self.L
        for i in range(L, -1, -1):
            dname = "δ^(o)" if i == L else f"δ^({display_symbol(f'z{_sfx(i + 1, L)}')})"
            inp = "x" if i == 0 else display_symbol(f"h{_sfx(i, L)}")
            delta_i = self.bwd.delta_o if i == L else self.bwd.delta_z[i]  # (m, out)
            gW_each = self.sgn * delta_i[:, :, None] * self.fwd.inputs[i][:, None, :]
            gb_each = self.sgn * delta_i  # (m, out)
            if self.augmented:  # [∂J/∂W | ∂J/∂b]; the displayed x and h already end in 1
                gW_each = np.concatenate([gW_each, gb_each[:, :, None]], axis=2)
            if self.binary:
                self._binary_gradients(gW_each[:, 0, :], gb_each)
            else:
                self._gradient_pair(i, dname, inp, gW_each, gb_each)

    def _binary_gradients(self, gw_each: np.ndarray, gb_each: np.ndarray) -> None:
        """∂J/∂w = δ^(o) xᵀ = (o − y) xᵀ (the slide's (y − o) xᵀ in the log-likelihood
        sign) and ∂J/∂b = δ^(o): w's shape, as ∂J/∂W has W's; no ∂J/∂W beside it."""
        err = "y − o" if self.loglik else "o − y"
        self._gradient(
            "w",
            "w",
            gw_each,
            f"∂J/∂w = x δ^(o) = ({err}) x" if self.column else f"∂J/∂w = δ^(o) xᵀ = ({err}) xᵀ",
        )
        if not self.augmented:
            self._gradient("b", "b", gb_each, f"∂J/∂b = δ^(o) = {err}")

    def _gradient_pair(
        self, i: int, dname: str, inp: str, gW_each: np.ndarray, gb_each: np.ndarray
    ) -> None:
        """∂J/∂W_i (m, out, in) and ∂J/∂b_i (m, out) as batch means and per example."""
        Wn, bn = self.names[i], self.bnames[i]
        Wd, bd = display_symbol(Wn), display_symbol(bn)
        gW_formula = f"∂J/∂{Wd} = {dname} {inp}ᵀ" if self.column else f"∂J/∂{Wd} = {dname}ᵀ {inp}ᵀ"
        self._gradient(Wn, Wd, gW_each, gW_formula)
        if not self.augmented:
            self._gradient(bn, bd, gb_each, f"∂J/∂{bd} = {dname}" + ("" if self.column else "ᵀ"))

    def _gradient(self, name: str, display: str, each: np.ndarray, formula: str) -> None:
        """∂J/∂θ as the minibatch mean, and per example (``[n]``) for a minibatch trace."""
        mean_note = " averaged over the minibatch" if self.batch else ""
        self.add(
            f"dJ/d{name}",
            f"gradient of J with respect to {display}{mean_note}",
            each.mean(axis=0),
            formula,
            "grad",
        )
        if self.batch:
            self.add(
                f"dJ/d{name}[n]",
                f"per-example gradient with respect to {display}",
                each,
                formula,
                "grad_each",
            )

    # ------------------------------------------------------------ result
    def trace(self, x_raw: np.ndarray) -> Trace:
        """The Trace; a single example's values lose their minibatch axis."""
        for q in self.qs:
            if q.kind == "jacobian_const":  # the same matrix for every example
                q.kind = "jacobian"
            elif not self.batch and q.kind in ("forward", "delta", "jacobian"):
                q.value = q.value[0]  # drop the minibatch axis of a single example
        labels = self.labels
        target: int | np.ndarray = int(labels[0]) if not self.batch else labels
        return Trace(
            self.qs,
            self.convention,
            target,
            x_raw[0] if not self.batch else x_raw,
            self.batch,
            self.names,
        )
