"""The page's figures from Python: plotly ``Figure``s drawn from a local :class:`Trainer`.

Each function reads the trainer (parameters, gradients, history, one batched pass over a
grid) and returns a ``plotly.graph_objects.Figure`` that looks like the page's view of the
same quantity: the Okabe–Ito class colours and marker shapes of ``frontend/js/views/
colors.js`` and its violet (−) / green (+) scale for signed values, classes numbered 1 … K as
in the lecture, and the lecture's symbols (W, U, b, c, h, z, o, δ^(o), ∂J/∂W) with Plotly's
``<sup>``/``<sub>`` text markup. The figures are data, not pictures: a heatmap's ``z`` is the
engine's number, so a test (or a student) can read the values back.

Figures work offline: ``fig.to_html(include_plotlyjs=True)`` embeds the plotly.js that the
``plotly`` package ships, and Jupyter's renderers use the same bundled file.

Layers are numbered as the page numbers them: hidden layer 1 … L, and ``"output"`` for o
(the only layer logistic regression has).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from engine import Trainer
from engine.features import FEATURE_DISPLAY

__all__ = [
    "CLASS_COLORS",
    "CLASS_SYMBOLS",
    "DIVERGING",
    "NEGATIVE",
    "POSITIVE",
    "ZERO",
    "boundary",
    "curves",
    "delta_maps",
    "heatmap",
    "network",
    "neuron_maps",
]

# ---------------------------------------------------------------- the page's palette
CLASS_COLORS = ("#E69F00", "#0072B2", "#009E73", "#CC79A7", "#D55E00", "#56B4E9")
"""Class k's colour (Okabe–Ito, safe for the common colour-vision deficiencies), as colors.js."""
CLASS_SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "star")
"""A second cue beside colour, one marker shape per class, as colors.js."""
# Signed values (weights, gradients, δ) have a scale of their own that shares no colour with
# the classes, as colors.js explains (and tests/notebook/test_palette.py measures): dark
# violet −, light grey 0, dark green +.
NEGATIVE = "#4400A0"  # violet: a negative weight, gradient or δ
ZERO = "#F7F7F7"
POSITIVE = "#0A4100"  # green: a positive one
DIVERGING = [
    [0.000, NEGATIVE],
    [0.125, "#6E37FF"],
    [0.250, "#936BD7"],
    [0.375, "#B1AEBA"],
    [0.500, ZERO],
    [0.625, "#87DC69"],
    [0.750, "#6F8F53"],
    [0.875, "#3C692D"],
    [1.000, POSITIVE],
]
"""The signed colour scale of colors.js (heatmaps, maps, edges): violet −, grey 0, green +."""
BLUE, VERMILLION = "#0072B2", "#D55E00"  # Okabe–Ito, the curves' train and test lines
FONT = {"family": "system-ui, DejaVu Sans, sans-serif", "size": 14, "color": "#222"}
# The boundary's lightness: a = 0.08 where the classes tie (p = 1/K), 0.70 where the model
# is sure (p = 1), linear in between, as boundary.js's colour table.
TIE_ALPHA, SURE_ALPHA = 0.08, 0.70

Layer = int | Literal["output"]
_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _sub(name: str) -> str:
    """ "W1" → "W₁", as the slides write a layer's index."""
    head = name.rstrip("0123456789")
    return head + name[len(head) :].translate(_SUBSCRIPTS)


def _class_colour(k: int) -> str:
    """Class k's colour (k = 0 … K − 1, as the engine counts), as colors.js's CLASS_COLORS."""
    return CLASS_COLORS[k % len(CLASS_COLORS)]


def _blend(hex_colour: str, alpha: float) -> str:
    """The class colour laid at opacity ``alpha`` over white, as an rgb() string."""
    rgb = [int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]
    r, g, b = (round(255 + (c - 255) * alpha) for c in rgb)
    return f"rgb({r},{g},{b})"


def _layout(**extra: Any) -> dict[str, Any]:
    """The page's plain look: white paper, no grid lines, the system font."""
    return {
        "font": FONT,
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "margin": {"l": 60, "r": 20, "t": 60, "b": 50},
        **extra,
    }


def _max_abs(values: np.ndarray) -> float:
    """max |v| over the finite values, 1 when there are none or all are 0 (a colour range
    centred on 0 must not collapse to a point)."""
    finite = np.abs(values[np.isfinite(values)])
    m = float(finite.max()) if finite.size else 0.0
    return m if m > 0 else 1.0


# ---------------------------------------------------------------- decision boundary
def boundary(trainer: Trainer, resolution: int = 100, *, show_test: bool = True) -> go.Figure:
    """P(class k | x) over the input plane with the training (filled) and test (hollow) points.

    As on the page, each grid cell takes the colour of its most likely class, lighter where
    the classes tie and stronger where the model is sure. That is drawn as one heatmap per
    class whose ``z`` is the engine's P(class k | x) where k is the predicted class and NaN
    (a gap) elsewhere, so ``z`` is the engine's number, not a colour, and hovering reads it.
    The cells of trace k are ``trainer.grid(resolution).predicted == k``.
    """
    grid = trainer.grid(resolution, deltas=False)
    K = grid.probabilities.shape[0]
    fig = go.Figure()
    for k in range(K):
        colour = CLASS_COLORS[k % len(CLASS_COLORS)]
        z = np.where(grid.predicted == k, grid.probabilities[k], np.float32(np.nan))  # (R, R)
        fig.add_trace(
            go.Heatmap(
                z=z,
                x=grid.x1,
                y=grid.x2,
                zmin=1.0 / K,
                zmax=1.0,
                colorscale=[[0.0, _blend(colour, TIE_ALPHA)], [1.0, _blend(colour, SURE_ALPHA)]],
                showscale=False,
                name=f"P(class {k + 1})",
                meta=f"probability class {k + 1}",
                hovertemplate=(
                    f"x₁ = %{{x:.3f}}, x₂ = %{{y:.3f}}<br>P(class {k + 1} | x) = %{{z:.3f}}"
                    "<extra></extra>"
                ),
            )
        )
    ds = trainer.dataset
    splits = [("train", ds.x_train, ds.y_train)]
    if show_test:
        splits.append(("test", ds.x_test, ds.y_test))
    for split, xy, labels in splits:
        test = split == "test"
        for k in range(K):
            colour = CLASS_COLORS[k % len(CLASS_COLORS)]
            mine = labels == k
            name = f"class {k + 1}"
            fig.add_trace(
                go.Scatter(
                    x=xy[mine, 0],
                    y=xy[mine, 1],
                    mode="markers",
                    name=f"{name} test" if test else name,
                    meta=split,
                    legendgroup=str(k),
                    showlegend=not test,
                    customdata=np.flatnonzero(mine),
                    marker={
                        "symbol": CLASS_SYMBOLS[k % len(CLASS_SYMBOLS)] + ("-open" if test else ""),
                        "size": 8,
                        "color": colour,
                        "line": {"width": 2 if test else 1, "color": colour if test else "#fff"},
                    },
                    hovertemplate=(
                        f"{split} #%{{customdata}}, {name}<br>x₁ = %{{x:.3f}}, x₂ = %{{y:.3f}}"
                        + ("<br>held out (never trained on)" if test else "")
                        + "<extra></extra>"
                    ),
                )
            )
    if show_test:
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                name="hollow = test",
                hoverinfo="skip",
                marker={"symbol": "circle-open", "size": 8, "color": "#555555"},
            )
        )
    x1min, x1max, x2min, x2max = grid.extent
    fig.update_layout(
        _layout(
            title={"text": f"Decision boundary, step {trainer.step}"},
            legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
            width=640,
            height=620,
        )
    )
    fig.update_xaxes(title_text="x₁", range=[x1min, x1max], showgrid=False, zeroline=False)
    fig.update_yaxes(
        title_text="x₂",
        range=[x2min, x2max],
        showgrid=False,
        zeroline=False,
        scaleanchor="x",
        constrain="domain",
    )
    return fig


# ---------------------------------------------------------------- the network diagram
EDGE_LEVELS = 8  # edge widths are quantised into this many steps per sign: one trace each
MAX_EDGE_WIDTH = 8.0


def _input_labels(trainer: Trainer) -> list[str]:
    return [FEATURE_DISPLAY.get(f, f) for f in trainer.config.model.features]


def _unit_labels(trainer: Trainer, column: int) -> list[str]:
    """Node labels of one column: the features, then h's of each hidden layer, then o's."""
    sizes = _sizes(trainer)
    if column == 0:
        return _input_labels(trainer)
    n = sizes[column]
    depth = len(sizes) - 2
    if column == len(sizes) - 1:
        return ["o"] if n == 1 else [f"o{j + 1}".translate(_SUBSCRIPTS) for j in range(n)]
    if depth == 1:
        return [f"h{j + 1}".translate(_SUBSCRIPTS) for j in range(n)]
    return [f"h<sup>({column})</sup>{str(j + 1).translate(_SUBSCRIPTS)}" for j in range(n)]


def _sizes(trainer: Trainer) -> list[int]:
    layers = trainer.layers
    return [layers[0].W.shape[1], *(layer.W.shape[0] for layer in layers)]


def _column_title(trainer: Trainer, column: int) -> str:
    sizes = _sizes(trainer)
    if column == 0:
        return "x"
    if column == len(sizes) - 1:
        return "o"
    return "h" if len(sizes) == 3 else f"h<sup>({column})</sup>"


def network(trainer: Trainer, edges: Literal["weights", "gradients"] = "weights") -> go.Figure:
    """The network diagram: inputs, hidden units and outputs, an edge per weight.

    As on the page an edge's colour is its sign (green +, violet −) and its width is
    proportional to its magnitude: |w| against the largest weight of the whole network, or,
    with ``edges="gradients"``, |∂J/∂w| (the minibatch mean of :meth:`Trainer.grads`)
    against the largest of its own layer, because gradients of different layers differ by
    orders of magnitude (that is the vanishing-gradient demo) and one scale would hide all
    but the last layer. Hovering the middle of an edge shows its number.
    """
    if edges not in ("weights", "gradients"):
        raise ValueError(f'edges must be "weights" or "gradients" (got {edges!r})')
    names = list(trainer.layer_names)
    if edges == "weights":
        params = trainer.parameters()
        mats = [np.asarray(params[n], dtype=np.float64) for n in names]
        overall = max(_max_abs(m) for m in mats)
        scales = [overall] * len(mats)
        symbols = [_sub(n) for n in names]
    else:
        grads = trainer.grads()
        mats = [np.asarray(grads[n], dtype=np.float64) for n in names]
        scales = [_max_abs(m) for m in mats]
        symbols = [f"∂J/∂{_sub(n)}" for n in names]
    sizes = _sizes(trainer)
    ys = [np.arange(n)[::-1] - (n - 1) / 2 for n in sizes]  # centred columns, unit 1 on top
    fig = go.Figure()
    for layer, (M, scale, symbol) in enumerate(zip(mats, scales, symbols, strict=True)):
        x0, x1 = float(layer), float(layer + 1)
        out_units, in_units = M.shape
        level = np.minimum(EDGE_LEVELS - 1, (np.abs(M) / scale * EDGE_LEVELS).astype(int))
        for positive in (True, False):
            colour = POSITIVE if positive else NEGATIVE
            for lev in range(EDGE_LEVELS):
                sel = np.argwhere((level == lev) & ((M >= 0) if positive else (M < 0)))
                if not len(sel):
                    continue
                xs: list[float | None] = []
                yv: list[float | None] = []
                for i, j in sel:
                    xs += [x0, x1, None]
                    yv += [float(ys[layer][j]), float(ys[layer + 1][i]), None]
                fig.add_trace(
                    go.Scatter(
                        x=xs,
                        y=yv,
                        mode="lines",
                        line={
                            "color": colour,
                            "width": 0.5 + MAX_EDGE_WIDTH * (lev + 1) / EDGE_LEVELS,
                        },
                        hoverinfo="skip",
                        showlegend=False,
                        meta=f"edges {symbol}",
                    )
                )
        # invisible markers at the edges' middles carry the numbers for hovering
        i_idx, j_idx = np.divmod(np.arange(out_units * in_units), in_units)
        fig.add_trace(
            go.Scatter(
                x=np.full(i_idx.size, (x0 + x1) / 2),
                y=(ys[layer][j_idx] + ys[layer + 1][i_idx]) / 2,
                mode="markers",
                marker={"size": 10, "opacity": 0},
                customdata=np.stack([i_idx + 1, j_idx + 1, M.ravel()], axis=1),
                hovertemplate=(
                    f"{symbol}[%{{customdata[0]}}, %{{customdata[1]}}] = %{{customdata[2]:.4g}}"
                    "<extra></extra>"
                ),
                showlegend=False,
                meta=f"values {symbol}",
            )
        )
        fig.add_annotation(
            x=(x0 + x1) / 2,
            y=max(len(c) for c in ys) / 2 + 0.3,
            text=f"<b>{symbol}</b>",
            showarrow=False,
            font={"size": 16},
        )
    for column, n in enumerate(sizes):
        labels = _unit_labels(trainer, column)
        fig.add_trace(
            go.Scatter(
                x=np.full(n, float(column)),
                y=ys[column],
                mode="markers+text",
                text=labels,
                textposition="middle left" if column == 0 else "middle right",
                marker={"size": 26, "color": "#ffffff", "line": {"width": 2, "color": "#555"}},
                hovertemplate="%{text}<extra></extra>",
                showlegend=False,
                meta=f"units {column}",
            )
        )
        fig.add_annotation(
            x=float(column),
            y=-max(len(c) for c in ys) / 2 - 0.2,
            text=f"<b>{_column_title(trainer, column)}</b>",
            showarrow=False,
            font={"size": 16},
        )
    if edges == "weights":
        note = f"edges: weights; green +, violet −<br>width ∝ |w| (max {scales[0]:.3g})"
    else:
        maxima = ", ".join(f"{s} {m:.3g}" for s, m in zip(symbols, scales, strict=True))
        note = (
            "edges: ∂J/∂w (minibatch mean, J = NLL); green +, violet −<br>"
            f"width ∝ |∂J/∂w| within each layer (max {maxima})"
        )
    fig.update_layout(
        _layout(
            title={"text": f"Network, step {trainer.step}<br><sup>{note}</sup>"},
            margin={"l": 40, "r": 40, "t": 100, "b": 30},
            width=max(480, 200 * len(sizes)),
            height=max(360, 46 * max(sizes) + 160),
            showlegend=False,
        )
    )
    fig.update_xaxes(visible=False, range=[-0.6, len(sizes) - 0.4])
    fig.update_yaxes(visible=False)
    return fig


# ---------------------------------------------------------------- maps over the plane
def _check_layer(trainer: Trainer, layer: Layer) -> int | None:
    """The hidden layer's index from 0, or None for "output"; a clear error otherwise."""
    depth = len(trainer.config.model.hidden)
    if layer == "output":
        return None
    if isinstance(layer, int) and not isinstance(layer, bool) and 1 <= layer <= depth:
        return layer - 1
    if depth == 0:
        raise ValueError(f'this model has no hidden layer: layer must be "output" (got {layer!r})')
    raise ValueError(f'layer must be 1 … {depth} (a hidden layer) or "output" (got {layer!r})')


def _per_map(colorscale: Any, n: int) -> bool:
    """Whether ``colorscale`` lists one scale per map rather than being one scale: a list of
    n lists of [position, colour] stops."""
    return (
        isinstance(colorscale, list)
        and len(colorscale) == n
        and all(isinstance(scale, list) and isinstance(scale[0], list) for scale in colorscale)
    )


def _small_multiples(
    maps: np.ndarray,
    x1: np.ndarray,
    x2: np.ndarray,
    titles: Sequence[str],
    zrange: tuple[float, float],
    colorscale: Any,
    bar_title: str | None,
    figure_title: str,
) -> go.Figure:
    """One heatmap per map, in a grid of panels sharing one colour range (so the units of a
    layer compare by colour, as on the page).

    ``colorscale`` is one scale for every panel, or a list with one scale per map (the
    output's maps, each in its class's colour); ``bar_title`` None draws no colour bar (a
    single bar cannot explain several scales)."""
    scales = colorscale if _per_map(colorscale, n=maps.shape[0]) else [colorscale] * maps.shape[0]
    n = maps.shape[0]
    cols = min(n, 4)
    rows = math.ceil(n / cols)
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=list(titles),
        horizontal_spacing=0.04,
        vertical_spacing=0.08 if rows > 1 else 0.0,
    )
    for u in range(n):
        r, c = divmod(u, cols)
        fig.add_trace(
            go.Heatmap(
                z=maps[u],
                x=x1,
                y=x2,
                zmin=zrange[0],
                zmax=zrange[1],
                colorscale=scales[u],
                showscale=u == 0 and bar_title is not None,
                colorbar={"title": {"text": bar_title or ""}, "thickness": 12},
                name=titles[u],
                hovertemplate=(
                    f"{titles[u]}: x₁ = %{{x:.2f}}, x₂ = %{{y:.2f}}<br>%{{z:.4g}}<extra></extra>"
                ),
            ),
            row=r + 1,
            col=c + 1,
        )
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False)
    for u in range(n):
        fig.update_yaxes(scaleanchor=f"x{u + 1 if u else ''}", row=u // cols + 1, col=u % cols + 1)
    fig.update_layout(
        _layout(
            title={"text": figure_title},
            width=180 * cols + 160,
            height=180 * rows + 110,
        )
    )
    return fig


def neuron_maps(trainer: Trainer, layer: Layer = 1, resolution: int = 50) -> go.Figure:
    """Each unit's value over the input plane: hᵢ of a hidden layer, or o_k of the output.

    The page draws these maps inside the network's nodes. A hidden layer's maps share one
    symmetric range on the signed scale (ReLU's h ≥ 0 shows its positive half); the output's
    o_k = P(class k | x) is a probability, not a sign: 0 … 1 from white to class k's colour,
    as the page's output thumbnails and the boundary (a single sigmoid output o = P(y = 1 | x)
    is class 2's probability, in class 2's colour).
    """
    index = _check_layer(trainer, layer)
    grid = trainer.grid(resolution, deltas=False)
    if index is None:
        maps = grid.probabilities
        if maps.shape[0] == 2 and trainer.config.output == "sigmoid":
            maps = maps[1:]  # binary logistic regression: o = σ(z) = P(y = 1 | x) only
            titles = ["o = P(y = 1 | x)"]
            classes = [1]
        else:
            titles = [f"o<sub>{k + 1}</sub> = P(class {k + 1} | x)" for k in range(len(maps))]
            classes = list(range(len(maps)))
        scales = [[[0.0, "#FFFFFF"], [1.0, _class_colour(k)]] for k in classes]
        return _small_multiples(
            maps,
            grid.x1,
            grid.x2,
            titles,
            (0.0, 1.0),
            scales,
            None,
            f"o over the plane (white 0, the class's colour 1), step {trainer.step}",
        )
    maps = grid.activations[index]
    depth = len(grid.activations)
    name = "h" if depth == 1 else f"h<sup>({layer})</sup>"
    titles = [f"{name}<sub>{j + 1}</sub>" for j in range(maps.shape[0])]
    m = _max_abs(maps)
    return _small_multiples(
        maps,
        grid.x1,
        grid.x2,
        titles,
        (-m, m),
        DIVERGING,
        "h",
        f"Hidden layer {layer}: {name} over the plane, step {trainer.step}",
    )


def delta_maps(
    trainer: Trainer, layer: Layer = 1, resolution: int = 50, target: int | None = None
) -> go.Figure:
    """The error signal each unit would receive at every point of the plane.

    For a hidden layer, δ^(z)ⱼ = ∂J/∂zⱼ (J = NLL, the loss sign); for ``"output"``,
    δ^(o) = o − y. J is the loss of class ``target`` (0 … K − 1, as the engine counts) or,
    by default, of the class the network predicts at each point, as the page's delta maps.
    Green means raising that unit's input raises J, violet lowers it; one symmetric range
    per figure, 0 in the middle.
    """
    index = _check_layer(trainer, layer)
    grid = trainer.grid(resolution, target=target, deltas=index is not None)
    K = grid.probabilities.shape[0]
    k = grid.predicted if target is None else np.full_like(grid.predicted, target)  # (R, R)
    who = "the predicted class" if target is None else f"class {target + 1}"
    if index is None:
        if trainer.config.output == "sigmoid":
            maps = grid.probabilities[1:] - (k == 1)  # (1, R, R) δ^(o) = o − y
            titles = ["δ<sup>(o)</sup> = o − y"]
        else:
            y = k[None] == np.arange(K)[:, None, None]  # (K, R, R) one-hot
            maps = grid.probabilities - y  # (K, R, R) δ^(o) = o − y
            titles = [f"δ<sup>(o)</sup><sub>{j + 1}</sub>" for j in range(K)]
        bar, label = "∂J/∂v<br>J = NLL", "o"
    else:
        assert grid.deltas is not None
        maps = grid.deltas[index]
        depth = len(grid.deltas)
        label = "z" if depth == 1 else f"z{layer}".translate(_SUBSCRIPTS)
        titles = [f"δ<sup>({label})</sup><sub>{j + 1}</sub>" for j in range(maps.shape[0])]
        bar = "∂J/∂z<br>J = NLL"
    m = _max_abs(maps)
    return _small_multiples(
        maps,
        grid.x1,
        grid.x2,
        titles,
        (-m, m),
        DIVERGING,
        bar,
        f"δ<sup>({label})</sup> over the plane for {who}, step {trainer.step}",
    )


# ---------------------------------------------------------------- learning curves
def curves(trainer: Trainer) -> go.Figure:
    """Training and test loss and accuracy at the history's rows (see ``trainer.history``).

    Train is blue and solid, test vermillion and dashed, as on the page's Curves tab.
    """
    h = trainer.history
    step = h.step
    fig = make_subplots(
        rows=1, cols=2, subplot_titles=["Loss J (mean NLL)", "Accuracy"], horizontal_spacing=0.1
    )
    series = [
        (1, "train", h.train_loss, BLUE, None),
        (1, "test", h.test_loss, VERMILLION, "dash"),
        (2, "train", h.train_accuracy, BLUE, None),
        (2, "test", h.test_accuracy, VERMILLION, "dash"),
    ]
    for col, name, values, colour, dash in series:
        fig.add_trace(
            go.Scatter(
                x=step,
                y=values,
                mode="lines",
                name=name,
                legendgroup=name,
                showlegend=col == 1,
                line={"color": colour, "dash": dash, "width": 2},
                meta=f"{'loss' if col == 1 else 'accuracy'} {name}",
                hovertemplate=f"{name}, step %{{x}}: %{{y:.4g}}<extra></extra>",
            ),
            row=1,
            col=col,
        )
    fig.update_xaxes(title_text="step")
    fig.update_yaxes(title_text="loss", row=1, col=1)
    fig.update_yaxes(title_text="share correct", range=[0, 1.02], row=1, col=2)
    fig.update_layout(_layout(title={"text": "Learning curves"}, width=900, height=400))
    return fig


# ---------------------------------------------------------------- matrices
def _gradient_name(name: str) -> str | None:
    """ "dJ/dW" or "∂J/∂W" → "W"; None for a plain parameter name."""
    for prefix in ("dJ/d", "∂J/∂"):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return None


def heatmap(trainer: Trainer, name: str) -> go.Figure:
    """One parameter ("W", "b", "U", "c", "W1", …) or its gradient ("dJ/dW", "∂J/∂U", …) as
    a heatmap with its numbers in the cells, rows and columns labelled by the units they
    connect, as the page's Matrices tab shows them.

    A gradient is :meth:`Trainer.grads`: the mean over the minibatch the next step uses,
    with J = NLL. A bias vector is shown as a column. One symmetric colour range, 0 light grey.
    """
    names = trainer.parameter_names
    param = _gradient_name(name)
    key = param if param is not None else name
    if key not in names:
        valid = ", ".join([*names, *(f"dJ/d{n}" for n in names)])
        raise ValueError(f"unknown matrix {name!r}: choose one of {valid}")
    value = trainer.grads()[key] if param is not None else trainer.parameters()[key]
    Z = np.asarray(value, dtype=np.float64)
    if Z.ndim == 1:
        Z = Z[:, None]  # a bias as a column, one row per unit
    position = names.index(key) // 2  # the layer: weights and biases alternate
    is_bias = names.index(key) % 2 == 1
    rows = _unit_labels(trainer, position + 1)
    cols = ["1"] if is_bias else _unit_labels(trainer, position)
    title = f"∂J/∂{_sub(key)}" if param is not None else _sub(key)
    m = _max_abs(Z)
    small = Z.size <= 256
    fig = go.Figure(
        go.Heatmap(
            z=Z,
            x=cols,
            y=rows,
            zmin=-m,
            zmax=m,
            zmid=0.0,
            colorscale=DIVERGING,
            xgap=1,
            ygap=1,
            texttemplate="%{z:.3g}" if small else None,
            name=title,
            hovertemplate=f"{title}[%{{y}}, %{{x}}] = %{{z:.4g}}<extra></extra>",
            colorbar={"thickness": 12},
        )
    )
    note = " (minibatch mean, J = NLL)" if param is not None else ""
    r, c = Z.shape
    fig.update_layout(
        _layout(
            title={"text": f"<b>{title}</b>  {r}×{c}{note}, step {trainer.step}"},
            width=max(360, 48 * c + 220),
            height=max(260, 34 * r + 140),
        )
    )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category", side="bottom")
    return fig
