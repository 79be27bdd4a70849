"""Traces: every quantity of the lecture for one example or one minibatch, under its symbol.

A trace runs one forward and one backward pass (J = NLL, row-vector δ, separate bias, as
the engine computes) and then presents the result in the requested
:class:`~engine.conventions.Convention`. Symbols are ASCII keys ("delta_o", "dJ/dW1", …);
each :class:`Quantity` also carries its display form ("δ^(o)", "∂J/∂W₁") and its formula.

Value shapes, for one example (a minibatch adds a leading axis m to per-example values):
vectors x, z, h, v, o, y are 1-D; δ's are 1×n (row layout) or n×1 (column layout);
Jacobians are matrices; ∂J/∂W is (out, in) like W. In a minibatch trace, J and the
gradients ∂J/∂θ are the batch means, and "J[n]", "dJ/dW[n]" hold the per-example values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.activations import Activation
from engine.conventions import Convention
from engine.features import FEATURE_DISPLAY, feature_matrix
from engine.network import Layer, backward, bias_names, forward, layer_names
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


@dataclass
class Trace:
    """The quantities of one forward + backward pass, in one display convention."""

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
    x_raw = np.asarray(x_raw, dtype=np.float64).reshape(-1, 2)  # (m, 2)
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)  # (m,)
    m = len(labels)
    L = len(layers) - 1  # hidden layers
    names = layer_names(L)
    bnames = bias_names(L)
    x = feature_matrix(x_raw, features)  # (m, d)
    targets = output.targets(labels, classes)  # (m, K) one-hot, or (m, 1) for sigmoid
    fwd = forward(layers, x, act, output)
    bwd = backward(layers, fwd, targets, act, 1.0, want_delta_x=True)
    rows = np.arange(m)
    J_each = output.nll(fwd.v, labels, rows)  # (m,) −log o_k

    loglik = convention.sign == "loglik"
    column = convention.layout == "column"
    augmented = convention.bias == "augmented"
    sgn = -1.0 if loglik else 1.0
    sigmoid_out = output.name == "sigmoid"
    qs: list[Quantity] = []

    def add(symbol: str, name: str, value: np.ndarray, formula: str, kind: str) -> None:
        qs.append(Quantity(symbol, name, np.asarray(value, dtype=np.float64), formula, kind=kind))

    def vec(a: np.ndarray) -> np.ndarray:
        """Per-example (m, n) row vectors → (m, 1, n) rows or (m, n, 1) columns."""
        return a[:, :, None] if column else a[:, None, :]

    def jac(a: np.ndarray) -> np.ndarray:
        """A numerator-layout Jacobian; transposed in the column (denominator) layout."""
        return np.swapaxes(a, -1, -2) if column else a

    def T(s: str) -> str:
        return f"{s}ᵀ" if column else s

    def prod(delta: str, mat: str) -> str:
        """δ·M in row layout, Mᵀ·δ in column layout."""
        return f"{mat}ᵀ {delta}" if column else f"{delta} {mat}"

    feat = ", ".join(FEATURE_DISPLAY[f] for f in features)
    x_val = _augment(x) if augmented else x
    add(
        "x",
        "input features φ(x₁, x₂)" + (" with a constant 1 for the bias" if augmented else ""),
        x_val,
        f"x = [{feat}{', 1' if augmented else ''}]ᵀ",
        "forward",
    )

    def weight_value(i: int) -> np.ndarray:
        W, b = layers[i].W, layers[i].b
        return np.concatenate([W, b[:, None]], axis=1) if augmented else W

    prev = "x"
    for layer in range(1, L + 1):
        s = _sfx(layer, L)
        W, b = names[layer - 1], bnames[layer - 1]
        Wd, bd = display_symbol(W), display_symbol(b)
        prev_d = display_symbol(prev)
        add(
            W,
            f"weights of hidden layer {layer}"
            + (" with the bias as last column" if augmented else ""),
            weight_value(layer - 1),
            f"{Wd} = [{Wd} | {bd}]" if augmented else _shape_text(Wd, layers[layer - 1].W),
            "param",
        )
        if not augmented:
            add(b, f"bias of hidden layer {layer}", layers[layer - 1].b, f"{bd}: (units,)", "param")
        zd = display_symbol(f"z{s}")
        add(
            f"z{s}",
            f"pre-activation of hidden layer {layer}",
            fwd.zs[layer - 1],
            f"{zd} = {Wd}{prev_d}" if augmented else f"{zd} = {Wd}{prev_d} + {bd}",
            "forward",
        )
        h_val = fwd.inputs[layer]
        add(
            f"h{s}",
            f"activation of hidden layer {layer}" + (" with a constant 1" if augmented else ""),
            _augment(h_val) if augmented else h_val,
            act.formula.replace("h", display_symbol(f"h{s}"), 1)
            .replace("(z", f"({zd}")
            .replace("= z", f"= {zd}"),
            "forward",
        )
        prev = f"h{s}"

    Uname, cname = names[-1], bnames[-1]
    Ud, cd = display_symbol(Uname), display_symbol(cname)
    prev_d = display_symbol(prev)
    add(
        Uname,
        ("output weights" if L else "weights")
        + (" with the bias as last column" if augmented else ""),
        weight_value(L),
        f"{Ud} = [{Ud} | {cd}]" if augmented else _shape_text(Ud, layers[-1].W),
        "param",
    )
    if not augmented:
        add(cname, "output bias", layers[-1].b, f"{cd}: (K,)", "param")
    v_formula = f"v = {Ud}{prev_d}" if augmented else f"v = {Ud}{prev_d} + {cd}"
    add("v", "output scores (pre-activation)", fwd.v, v_formula, "forward")
    if L == 0:
        add(
            "z",
            "the lecture's z of logistic regression (= v)",
            fwd.v,
            v_formula.replace("v =", "z ="),
            "forward",
        )
        if sigmoid_out:
            add(
                "w",
                "the lecture's weight vector w of binary logistic regression",
                weight_value(0)[0],
                "w = W₁* (the single row of W), so Wx = wᵀx"
                + (", with b appended" if augmented else ""),
                "param",
            )
    if sigmoid_out:
        add("o", "P(y = 1 | x)", fwd.o, "o = σ(v) = 1 / (1 + exp(−v))", "forward")
        add("y", "the label y ∈ {0, 1}", targets, "y ∈ {0, 1}", "forward")
        J_formula = "J = y log(o) + (1 − y) log(1 − o)"
    else:
        add("Z", "the softmax normaliser", np.exp(fwd.v).sum(axis=1), "Z = Σᵢ exp(vᵢ)", "forward")
        add("o", "class probabilities", fwd.o, "o = softmax(v) = exp(v) / Z", "forward")
        add("y", "one-hot target", targets, "yᵢ = I(i = k)", "forward")
        J_formula = "J = yᵀ log(o)"
    add(
        "k",
        "the target label" + ("s" if batch else ""),
        labels.astype(np.float64) if batch else np.float64(labels[0]),
        "k ∈ {0, …, K − 1}",
        "label",
    )
    add("K", "the number of classes", np.float64(classes), "K", "label")
    if not loglik:
        J_formula = (
            J_formula.replace("J = ", "J = −[", 1) + "]" if sigmoid_out else "J = −yᵀ log(o)"
        )
    add(
        "J",
        "negative log-likelihood" if not loglik else "log-likelihood",
        sgn * J_each.mean(),
        J_formula + (" (mean over the minibatch)" if batch else ""),
        "loss",
    )
    if batch:
        add("J[n]", "per-example J", sgn * J_each, J_formula, "loss_each")

    # ∂J/∂o and ∂o/∂v
    o = fwd.o
    if sigmoid_out:
        y1 = targets
        dJ_do = -(y1 / o - (1.0 - y1) / (1.0 - o))  # (m, 1)
        do_dv = (o * (1.0 - o))[:, :, None]  # (m, 1, 1)
        do_dv_formula = "∂o/∂v = σ(v)(1 − σ(v)) = o(1 − o)"
        dJ_do_formula = "∂J/∂o = y/o − (1 − y)/(1 − o)"
        delta_o_formula = "δ^(o) = ∂J/∂v = y − o"
    else:
        dJ_do = np.zeros_like(o)
        dJ_do[rows, labels] = -1.0 / o[rows, labels]
        do_dv = softmax_jacobian(o)  # (m, K, K)
        do_dv_formula = "∂o/∂v = diag(o) − o oᵀ"
        dJ_do_formula = "∂J/∂o = [0 ⋯ 1/o_k ⋯ 0]"
        delta_o_formula = "δ^(o) = ∂J/∂v = y − o"
    if not loglik:
        lhs, rhs = dJ_do_formula.split(" = ", 1)
        dJ_do_formula = f"{lhs} = −[{rhs}]" if sigmoid_out else f"{lhs} = −{rhs}"
        delta_o_formula = "δ^(o) = ∂J/∂v = o − y"
    add("dJ/do", "gradient of J with respect to o", vec(sgn * dJ_do), dJ_do_formula, "delta")
    add("do/dv", "Jacobian of the output non-linearity", jac(do_dv), do_dv_formula, "jacobian")
    add(
        "delta_o",
        "error signal of the output layer",
        vec(sgn * bwd.delta_o),
        delta_o_formula + ("  (n×1 column)" if column else "  (1×n row, as on the slides)"),
        "delta",
    )
    if L == 0:
        add(
            "dJ/dz",
            "the lecture's ∂J/∂z of logistic regression (= δ^(o))",
            vec(sgn * bwd.delta_o),
            delta_o_formula.replace("δ^(o) = ∂J/∂v", "∂J/∂z = δ^(o)"),
            "delta",
        )

    # backward through the hidden layers
    upper_delta = "δ^(o)"
    upper_W = names[-1]
    upper_out = "v"
    for layer in range(L, 0, -1):
        s = _sfx(layer, L)
        h, z = f"h{s}", f"z{s}"
        hd, zd = display_symbol(h), display_symbol(z)
        Wup = layers[layer].W  # the matrix mapping h_l to the layer above
        Wupd = display_symbol(upper_W)
        add(
            f"d{upper_out}/d{h}",
            f"Jacobian ∂{display_symbol(upper_out)}/∂{hd}",
            jac(Wup.copy()),
            f"∂{display_symbol(upper_out)}/∂{hd} = {T(Wupd)}",
            "jacobian_const",
        )
        dh_sym = f"delta_{h}"
        add(
            dh_sym,
            f"error signal ∂J/∂{hd}",
            vec(sgn * bwd.delta_h[layer - 1]),
            f"δ^({hd}) = ∂J/∂{hd} = {prod(upper_delta, Wupd)}",
            "delta",
        )
        der = act.derivative(fwd.zs[layer - 1], fwd.inputs[layer])  # (m, units)
        diag_text = act.jacobian_formula.split("= ", 1)[1].replace("z", zd).replace("h", hd)
        add(
            f"d{h}/d{z}",
            f"Jacobian ∂{hd}/∂{zd} of the activation",
            _diag(der),
            f"∂{hd}/∂{zd} = {diag_text}",
            "jacobian",
        )
        dz_sym = f"delta_{z}"
        chain = f"{diag_text} δ^({hd})" if column else f"δ^({hd}) {diag_text}"
        add(
            dz_sym,
            f"error signal ∂J/∂{zd}",
            vec(sgn * bwd.delta_z[layer - 1]),
            f"δ^({zd}) = ∂J/∂{zd} = {chain}",
            "delta",
        )
        upper_delta = f"δ^({zd})"
        upper_W = names[layer - 1]
        upper_out = z
    W1 = layers[0].W
    add(
        f"d{upper_out}/dx",
        f"Jacobian ∂{display_symbol(upper_out)}/∂x",
        jac(W1.copy()),
        f"∂{display_symbol(upper_out)}/∂x = {T(display_symbol(upper_W))}",
        "jacobian_const",
    )
    add(
        "delta_x",
        "error signal ∂J/∂x",
        vec(sgn * bwd.delta_x),
        f"δ^(x) = ∂J/∂x = {prod(upper_delta, display_symbol(upper_W))}",
        "delta",
    )

    # gradients of the parameters, per example and averaged
    for i in range(L, -1, -1):
        Wn, bn = names[i], bnames[i]
        Wd, bd = display_symbol(Wn), display_symbol(bn)
        dname = "δ^(o)" if i == L else f"δ^({display_symbol(f'z{_sfx(i + 1, L)}')})"
        inp = "x" if i == 0 else display_symbol(f"h{_sfx(i, L)}")
        delta_i = bwd.delta_o if i == L else bwd.delta_z[i]  # (m, out)
        gW_each = sgn * delta_i[:, :, None] * fwd.inputs[i][:, None, :]  # (m, out, in)
        gb_each = sgn * delta_i  # (m, out)
        if augmented:  # [∂J/∂W | ∂J/∂b]; the displayed x and h already end in 1
            gW_each = np.concatenate([gW_each, gb_each[:, :, None]], axis=2)
        gW_formula = f"∂J/∂{Wd} = {dname} {inp}ᵀ" if column else f"∂J/∂{Wd} = {dname}ᵀ {inp}ᵀ"
        mean_note = " averaged over the minibatch" if batch else ""
        add(
            f"dJ/d{Wn}",
            f"gradient of J with respect to {Wd}{mean_note}",
            gW_each.mean(axis=0),
            gW_formula,
            "grad",
        )
        if batch:
            add(
                f"dJ/d{Wn}[n]",
                f"per-example gradient with respect to {Wd}",
                gW_each,
                gW_formula,
                "grad_each",
            )
        if not augmented:
            b_formula = f"∂J/∂{bd} = {dname}" + ("" if column else "ᵀ")
            add(
                f"dJ/d{bn}",
                f"gradient of J with respect to {bd}{mean_note}",
                gb_each.mean(axis=0),
                b_formula,
                "grad",
            )
            if batch:
                add(
                    f"dJ/d{bn}[n]",
                    f"per-example gradient with respect to {bd}",
                    gb_each,
                    b_formula,
                    "grad_each",
                )
        if L == 0 and sigmoid_out:
            g = gW_each[:, 0, :]
            add(
                "dJ/dw",
                "the lecture's ∂J/∂w of binary logistic regression",
                g.mean(axis=0),
                "∂J/∂w = (o − y) xᵀ" if not loglik else "∂J/∂w = (y − o) xᵀ",
                "grad",
            )

    for q in qs:
        if q.kind == "jacobian_const":  # the same matrix for every example
            q.kind = "jacobian"
        elif not batch and q.kind in ("forward", "delta", "jacobian"):
            q.value = q.value[0]  # drop the minibatch axis of a single example
    target: int | np.ndarray = int(labels[0]) if not batch else labels
    return Trace(qs, convention, target, x_raw[0] if not batch else x_raw, batch, names)
