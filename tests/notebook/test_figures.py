"""backprop_lab.figures: every figure builds for the models a notebook meets, and its data
are the engine's numbers, the same the server sends for the same state."""

import base64

import numpy as np
import plotly.graph_objects as go
import pytest
from fastapi.testclient import TestClient

from backprop_lab import figures
from engine import Config, DataConfig, ModelConfig, Trainer
from server.main import create_app
from tests.notebook.test_palette import js_palette

MODELS = {
    "mlp depth 1": Config(),
    "mlp depth 2": Config(model=ModelConfig(hidden=[5, 3], activation="tanh")),
    "binary logistic": Config(model=ModelConfig(model="logistic")),
    "3-class logistic": Config(
        data=DataConfig(dataset="blobs", classes=3), model=ModelConfig(model="logistic")
    ),
}


@pytest.fixture(params=list(MODELS), scope="module")
def trainer(request: pytest.FixtureRequest) -> Trainer:
    tr = Trainer(MODELS[request.param])
    tr.train(40)
    return tr


def all_figures(tr: Trainer) -> dict[str, go.Figure]:
    figs = {
        "boundary": figures.boundary(tr, resolution=30),
        "network weights": figures.network(tr),
        "network gradients": figures.network(tr, edges="gradients"),
        "output maps": figures.neuron_maps(tr, "output", resolution=20),
        "output deltas": figures.delta_maps(tr, "output", resolution=20),
        "curves": figures.curves(tr),
    }
    for name in tr.parameter_names:
        figs[f"heatmap {name}"] = figures.heatmap(tr, name)
        figs[f"heatmap dJ/d{name}"] = figures.heatmap(tr, f"dJ/d{name}")
    for layer in range(1, len(tr.config.model.hidden) + 1):
        figs[f"neuron maps {layer}"] = figures.neuron_maps(tr, layer, resolution=20)
        figs[f"delta maps {layer}"] = figures.delta_maps(tr, layer, resolution=20)
    return figs


def test_every_figure_builds_and_serialises(trainer: Trainer) -> None:
    figs = all_figures(trainer)
    for name, fig in figs.items():
        assert isinstance(fig, go.Figure), name
        assert fig.data, f"{name} has no traces"
        fig.to_json()  # every value is something plotly.js can read
    depth = len(trainer.config.model.hidden)
    assert len(figs) == 6 + 2 * len(trainer.parameter_names) + 2 * depth


def test_exported_html_embeds_plotly_js_and_fetches_nothing() -> None:
    html = figures.boundary(Trainer(), resolution=10).to_html(include_plotlyjs=True)
    assert len(html) > 1_000_000  # plotly.js itself is inside
    assert '<script src="http' not in html and "<script src='http" not in html


def test_boundary_z_is_the_engines_probability_of_the_predicted_class(trainer: Trainer) -> None:
    fig = figures.boundary(trainer, resolution=30)
    grid = trainer.grid(30, deltas=False)
    maps = [t for t in fig.data if t.type == "heatmap"]
    assert len(maps) == grid.probabilities.shape[0]
    for k, trace in enumerate(maps):
        z = np.asarray(trace.z)
        shown = ~np.isnan(z)
        assert (shown == (grid.predicted == k)).all()
        assert np.array_equal(z[shown], grid.probabilities[k][shown])
        assert np.array_equal(np.asarray(trace.x), grid.x1)
        assert np.array_equal(np.asarray(trace.y), grid.x2)
    # the maps tile the plane: every cell painted by exactly one class
    assert (sum((~np.isnan(np.asarray(t.z))).astype(int) for t in maps) == 1).all()


def test_boundary_points_use_the_pages_colours_and_class_numbers() -> None:
    tr = Trainer()
    fig = figures.boundary(tr, resolution=10)
    points = {t.name: t for t in fig.data if t.type == "scatter" and t.meta == "train"}
    assert list(points) == ["class 1", "class 2"]
    assert points["class 1"].marker.color == "#E69F00"
    assert points["class 2"].marker.color == "#0072B2"
    assert points["class 2"].marker.symbol == "square"
    n = sum(len(t.x) for t in points.values())
    assert n == len(tr.dataset.y_train)
    assert np.array_equal(
        np.sort(np.asarray(points["class 2"].customdata)), np.flatnonzero(tr.dataset.y_train == 1)
    )


def test_network_edges_carry_the_weights_and_widths_grow_with_them() -> None:
    tr = Trainer()
    tr.train(20)
    fig = figures.network(tr)
    values = {
        t.meta: np.asarray(t.customdata) for t in fig.data if str(t.meta).startswith("values")
    }
    assert set(values) == {"values W", "values U"}
    W = tr.parameters()["W"]
    for i, j, v in values["values W"]:
        assert v == W[int(i) - 1, int(j) - 1]
    edges = [t for t in fig.data if str(t.meta).startswith("edges")]
    assert {t.line.color for t in edges} <= {figures.POSITIVE, figures.NEGATIVE}
    # the heaviest weight of the network is drawn with the widest line, in its sign's colour
    weights = np.concatenate([tr.parameters()[n].ravel() for n in ("W", "U")])
    colour = figures.POSITIVE if weights[np.abs(weights).argmax()] >= 0 else figures.NEGATIVE
    widest = max(t.line.width for t in edges if t.line.color == colour)
    assert widest == pytest.approx(0.5 + figures.MAX_EDGE_WIDTH)

    grads = figures.network(tr, edges="gradients")
    gvalues = {
        t.meta: np.asarray(t.customdata) for t in grads.data if str(t.meta).startswith("values")
    }
    assert np.array_equal(gvalues["values ∂J/∂U"][:, 2], tr.grads()["U"].ravel())
    with pytest.raises(ValueError, match="edges"):
        figures.network(tr, edges="deltas")  # type: ignore[arg-type]


def test_maps_and_heatmaps_show_the_engines_numbers() -> None:
    tr = Trainer(Config(model=ModelConfig(hidden=[4, 3])))
    tr.train(15)
    grid = tr.grid(20, target=1)
    fig = figures.delta_maps(tr, 2, resolution=20, target=1)
    assert len(fig.data) == 3
    assert np.array_equal(np.asarray(fig.data[2].z), grid.deltas[1][2])
    assert "δ<sup>(z₂)</sup><sub>3</sub>" in [a.text for a in fig.layout.annotations]
    fig = figures.neuron_maps(tr, 1, resolution=20)
    assert np.array_equal(np.asarray(fig.data[0].z), grid.activations[0][0])
    out = figures.delta_maps(tr, "output", resolution=20, target=1)
    y = np.array([0.0, 1.0])[:, None, None]
    assert np.allclose(np.asarray(out.data[1].z), grid.probabilities[1] - y[1])

    fig = figures.heatmap(tr, "dJ/dU")
    assert np.array_equal(np.asarray(fig.data[0].z), tr.grads()["U"])
    assert "∂J/∂U" in fig.layout.title.text
    b = figures.heatmap(tr, "b2")
    assert np.asarray(b.data[0].z).shape == (3, 1)
    with pytest.raises(ValueError, match="choose one of W1, b1"):
        figures.heatmap(tr, "V")
    with pytest.raises(ValueError, match="1 … 2"):
        figures.neuron_maps(tr, 3)
    with pytest.raises(ValueError, match="no hidden layer"):
        figures.neuron_maps(Trainer(Config(model=ModelConfig(model="logistic"))), 1)


def test_curves_follow_the_history() -> None:
    tr = Trainer()
    tr.train(300)
    fig = figures.curves(tr)
    by_meta = {t.meta: t for t in fig.data}
    assert np.array_equal(np.asarray(by_meta["loss train"].x), tr.history.step)
    assert np.array_equal(np.asarray(by_meta["loss test"].y), tr.history.test_loss)
    assert np.array_equal(np.asarray(by_meta["accuracy train"].y), tr.history.train_accuracy)


def decode(spec: dict) -> np.ndarray:
    """A typed-array spec of the API, read here independently of backprop_lab.client."""
    shape = [int(s) for s in spec["shape"].split(",") if s]
    data = np.frombuffer(base64.b64decode(spec["bdata"]), dtype=np.dtype(spec["dtype"]))
    return data.reshape(shape)


@pytest.mark.parametrize("model", ["mlp depth 2", "3-class logistic"])
def test_boundary_figure_equals_the_servers_boundary_of_the_same_state(model: str) -> None:
    tr = Trainer(MODELS[model])
    tr.train(37)
    R = 40
    with TestClient(create_app()) as client:
        body = {"format": "backprop-lab/1", "state": tr.to_state()}
        answer = client.post("/api/sessions/import", json=body)
        assert answer.status_code == 201, answer.text
        sid = answer.json()["id"]
        assert answer.json()["step"] == 37
        served = client.get(f"/api/sessions/{sid}/boundary", params={"resolution": R}).json()
    fig = figures.boundary(tr, resolution=R)
    maps = [t for t in fig.data if t.type == "heatmap"]
    probabilities = [decode(p) for p in served["probabilities"]]
    predicted = decode(served["predicted"])
    assert len(maps) == len(probabilities)
    assert np.array_equal(np.asarray(maps[0].x), decode(served["x1"]))
    assert np.array_equal(np.asarray(maps[0].y), decode(served["x2"]))
    for k, trace in enumerate(maps):
        z = np.asarray(trace.z)
        mine = predicted == k
        assert np.array_equal(~np.isnan(z), mine)
        assert np.array_equal(z[mine], probabilities[k][mine])
    if model == "mlp depth 2":
        h = figures.neuron_maps(tr, 2, resolution=R)
        served_h = [decode(a) for a in served["layers"][1]["activations"]]
        for j, trace in enumerate(h.data):
            assert np.array_equal(np.asarray(trace.z), served_h[j])


# ------------------------------------------------------------ the page's palette, read from JS


def same_scale(scale: object, expected: list) -> bool:
    """A plotly colorscale (tuples once inside a figure) equals [[at, "#hex"], …]."""
    return [[float(at), str(c).upper()] for at, c in scale] == [
        [at, c.upper()] for at, c in expected
    ]


def test_figures_use_the_pages_signed_palette_and_class_colours() -> None:
    js = js_palette()
    for name in ("POSITIVE", "NEGATIVE", "ZERO"):
        assert getattr(figures, name).upper() == str(js[name]).upper(), name
    assert same_scale(figures.DIVERGING, js["DIVERGING"])
    assert [c.upper() for c in figures.CLASS_COLORS] == [c.upper() for c in js["CLASS_COLORS"]]

    tr = Trainer(Config(model=ModelConfig(hidden=[4], activation="tanh")))
    tr.train(10)
    signed = {
        "heatmap W": figures.heatmap(tr, "W"),
        "heatmap dJ/dU": figures.heatmap(tr, "dJ/dU"),
        "delta maps": figures.delta_maps(tr, 1, resolution=10),
        "output deltas": figures.delta_maps(tr, "output", resolution=10),
        "neuron maps": figures.neuron_maps(tr, 1, resolution=10),
    }
    for name, fig in signed.items():
        for trace in fig.data:
            assert same_scale(trace.colorscale, js["DIVERGING"]), name
    for edges in ("weights", "gradients"):
        lines = [
            t for t in figures.network(tr, edges=edges).data if str(t.meta).startswith("edges")
        ]
        colours = {t.line.color.upper() for t in lines}
        assert colours == {str(js["POSITIVE"]).upper(), str(js["NEGATIVE"]).upper()}, colours
    # Class colours stay the classes': the boundary's points and maps use no signed colour.
    boundary = figures.boundary(tr, resolution=10)
    points = [t for t in boundary.data if t.type == "scatter" and t.meta == "train"]
    assert [p.marker.color.upper() for p in points] == [c.upper() for c in js["CLASS_COLORS"][:2]]


@pytest.mark.parametrize("model", ["3-class logistic", "binary logistic", "mlp depth 1"])
def test_each_output_map_is_drawn_in_its_classs_colour(model: str) -> None:
    """o_k = P(class k | x) from white (0) to class k's colour (1), as the page's output
    thumbnails; a single sigmoid output is P(y = 1 | x), the probability of class 2."""
    js = js_palette()
    tr = Trainer(MODELS[model])
    fig = figures.neuron_maps(tr, "output", resolution=10)
    K = len(fig.data)
    classes = [1] if K == 1 else list(range(K))
    assert K == 1 or tr.config.data.classes == K, K
    for trace, k in zip(fig.data, classes, strict=True):
        assert same_scale(trace.colorscale, [[0.0, "#FFFFFF"], [1.0, js["CLASS_COLORS"][k]]]), k
        assert f"class {k + 1}" in trace.name or (K == 1 and "y = 1" in trace.name), trace.name
    assert len({str(t.colorscale) for t in fig.data}) == K, "one colour per class"
    assert not any(t.showscale for t in fig.data), "no single colour bar for several scales"
