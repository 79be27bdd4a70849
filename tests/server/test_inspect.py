"""Trace, boundary and gradient check; the trace against an independent NumPy recomputation."""

import numpy as np
import pytest
from fastapi.testclient import TestClient

from server.encoding import decode_typed_array
from server.schemas.frame import BoundaryOut, TraceOut

from .conftest import assert_problem


def quantities(trace: dict) -> dict[str, np.ndarray | float]:
    """symbol → value, arrays decoded."""
    out = {}
    for q in trace["quantities"]:
        value = q["value"]
        out[q["symbol"]] = value if isinstance(value, float) else decode_typed_array(value)
    return out


def recompute(W, b, U, c, x, k):
    """The lecture's forward and backward pass for one example, written out by hand."""
    z = W @ x + b
    h = np.maximum(z, 0.0)
    v = U @ h + c
    e = np.exp(v - v.max())
    o = e / e.sum()
    y = np.eye(len(o))[k]
    J = -np.log(o[k])
    delta_o = o - y  # ∂J/∂v, J = NLL
    delta_h = delta_o @ U
    relu_jacobian = np.diag((z > 0).astype(float))
    delta_z = delta_h @ relu_jacobian
    delta_x = delta_z @ W
    return {
        "z": z, "h": h, "v": v, "o": o, "y": y, "J": J,
        "delta_o": delta_o, "delta_h": delta_h, "delta_z": delta_z, "delta_x": delta_x,
        "dJ/dU": np.outer(delta_o, h), "dJ/dW": np.outer(delta_z, x),
        "dJ/dc": delta_o, "dJ/db": delta_z,
        "do/dv": np.diag(o) - np.outer(o, o), "dh/dz": relu_jacobian,
        "dv/dh": U, "dz/dx": W,
    }  # fmt: skip


def test_trace_matches_independent_numpy_recomputation(client: TestClient, sid: str) -> None:
    client.post(f"/api/sessions/{sid}/step", json={"steps": 40})
    state = client.get(f"/api/sessions/{sid}").json()
    index = 7
    response = client.get(f"/api/sessions/{sid}/trace", params={"index": index})
    assert response.status_code == 200
    trace = response.json()
    TraceOut.model_validate(trace)
    assert trace["kind"] == "example" and trace["index"] == index
    q = quantities(trace)
    # The weights the trace reports are the session's current ones.
    np.testing.assert_array_equal(q["W"], decode_typed_array(state["layers"][0]["W"]))
    np.testing.assert_array_equal(q["U"], decode_typed_array(state["layers"][1]["W"]))
    x_train = decode_typed_array(state["dataset"]["x_train"])
    y_train = decode_typed_array(state["dataset"]["y_train"])
    np.testing.assert_array_equal(q["x"], x_train[index])
    assert trace["target"] == int(y_train[index])
    expected = recompute(q["W"], q["b"], q["U"], q["c"], q["x"], trace["target"])
    for symbol, value in expected.items():
        got = np.asarray(q[symbol], dtype=float)
        np.testing.assert_allclose(
            got.reshape(np.shape(value)), value, rtol=1e-10, atol=1e-12, err_msg=symbol
        )
    # Row layout: δ's are 1×n as on the slides.
    assert np.shape(q["delta_o"]) == (1, 2)
    displays = {item["symbol"]: item["display"] for item in trace["quantities"]}
    assert displays["delta_o"] == "δ^(o)" and displays["dJ/dU"] == "∂J/∂U"
    assert trace["symbols"]["delta_o"] == [i["symbol"] for i in trace["quantities"]].index(
        "delta_o"
    )


def test_loglik_sign_and_column_layout(client: TestClient, sid: str) -> None:
    loss = quantities(client.get(f"/api/sessions/{sid}/trace?index=3").json())
    shown = client.get(f"/api/sessions/{sid}/trace?index=3&sign=loglik&layout=column").json()
    assert shown["convention"] == {"sign": "loglik", "layout": "column", "bias": "separate"}
    q = quantities(shown)
    assert q["J"] == pytest.approx(-loss["J"])
    np.testing.assert_allclose(q["delta_o"], -loss["delta_o"].T)  # y − o, as a column
    assert np.shape(q["delta_o"]) == (2, 1)
    np.testing.assert_allclose(q["dJ/dW"], -loss["dJ/dW"])
    np.testing.assert_allclose(q["o"], loss["o"])


def test_session_convention_applies_to_traces(client: TestClient, sid: str) -> None:
    client.patch(f"/api/sessions/{sid}/config", json={"convention": {"bias": "augmented"}})
    trace = client.get(f"/api/sessions/{sid}/trace?index=0").json()
    assert trace["convention"]["bias"] == "augmented"
    q = quantities(trace)
    assert np.shape(q["W"]) == (8, 3)  # [W | b]


def test_trace_of_any_point_and_of_the_batch(client: TestClient, sid: str) -> None:
    point = client.get(f"/api/sessions/{sid}/trace", params={"x1": 0.5, "x2": -1, "target": 1})
    assert point.status_code == 200
    body = point.json()
    assert body["kind"] == "point" and body["target"] == 1
    np.testing.assert_allclose(quantities(body)["x"], [0.5, -1.0])
    batch = client.get(f"/api/sessions/{sid}/trace", params={"batch": "true"}).json()
    assert batch["kind"] == "batch"
    q = quantities(batch)
    assert np.shape(q["x"]) == (10, 2)  # the default minibatch m = 10
    np.testing.assert_allclose(q["dJ/dW"], q["dJ/dW[n]"].mean(axis=0))


def test_trace_bounds_name_their_field(client: TestClient, sid: str) -> None:
    url = f"/api/sessions/{sid}/trace"
    assert_problem(client.get(url, params={"index": 320}), 422, "index", "0", "319")
    assert_problem(client.get(url, params={"index": -1}), 422, "index")
    assert_problem(client.get(url, params={"x1": 1e6, "x2": 0}), 422, "x1", "1000")
    assert_problem(client.get(url, params={"x1": 0.0}), 422, "x2")
    assert_problem(client.get(url, params={"x1": 0, "x2": 0, "target": 2}), 422, "target", "1")
    assert_problem(client.get(url, params={"sign": "up"}), 422, "sign", "loss", "loglik")
    assert_problem(client.get(url, params={"index": 1, "batch": True}), 422, "index")


def test_boundary_has_probabilities_and_every_neuron_map(client: TestClient, sid: str) -> None:
    response = client.get(f"/api/sessions/{sid}/boundary", params={"resolution": 40})
    assert response.status_code == 200
    body = response.json()
    BoundaryOut.model_validate(body)
    probabilities = np.stack([decode_typed_array(p) for p in body["probabilities"]])
    assert probabilities.shape == (2, 40, 40)
    np.testing.assert_allclose(probabilities.sum(axis=0), 1.0, atol=1e-5)
    predicted = decode_typed_array(body["predicted"])
    np.testing.assert_array_equal(predicted, probabilities.argmax(axis=0))
    assert len(body["layers"]) == 1
    activations = [decode_typed_array(a) for a in body["layers"][0]["activations"]]
    assert len(activations) == 8 and all(a.shape == (40, 40) for a in activations)
    assert min(a.min() for a in activations) >= 0.0  # ReLU


def test_boundary_uint8_maps_carry_their_range(client: TestClient, sid: str) -> None:
    exact = client.get(f"/api/sessions/{sid}/boundary?resolution=25").json()
    small = client.get(f"/api/sessions/{sid}/boundary?resolution=25&precision=uint8").json()
    pairs = zip(exact["layers"][0]["activations"], small["layers"][0]["activations"], strict=True)
    for f32, u8 in pairs:
        low, high = u8["range"]
        assert u8["dtype"] == "u1"
        recovered = low + (high - low) * decode_typed_array(u8).astype(float) / 255
        np.testing.assert_allclose(recovered, decode_typed_array(f32), atol=(high - low) / 255)


def test_boundary_bounds(client: TestClient, sid: str) -> None:
    url = f"/api/sessions/{sid}/boundary"
    assert_problem(client.get(url, params={"resolution": 1}), 422, "resolution", "2", "120")
    assert_problem(client.get(url, params={"resolution": 121}), 422, "resolution", "120")
    assert_problem(client.get(url, params={"target": 5}), 422, "target", "1")
    assert_problem(client.get(url, params={"precision": "f16"}), 422, "precision")


def test_gradcheck_passes_for_the_default_network(client: TestClient, sid: str) -> None:
    body = client.get(f"/api/sessions/{sid}/gradcheck").json()
    assert body["passed"] is True
    names = {layer["name"] for layer in body["layers"]}
    assert {"W", "U"} <= names
    for layer in body["layers"]:
        analytic = decode_typed_array(layer["analytic"])
        numeric = decode_typed_array(layer["numeric"])
        np.testing.assert_allclose(analytic, numeric, atol=1e-6)
        assert layer["relative_error"] < 1e-6


def test_gradcheck_eps_bound(client: TestClient, sid: str) -> None:
    assert_problem(client.get(f"/api/sessions/{sid}/gradcheck?eps=0.5"), 422, "eps", "0.01")


def test_gradcheck_answer_matches_its_documented_model(client: TestClient, sid: str) -> None:
    from server.routes.inspect import GradCheckOut

    parsed = GradCheckOut.model_validate(client.get(f"/api/sessions/{sid}/gradcheck").json())
    assert parsed.eps == 1e-5 and len(parsed.layers) >= 4  # W, b, U, c


LECTURE_SYMBOLS = {
    "x", "z", "h", "v", "o", "y", "J", "delta_o", "delta_h", "delta_z", "delta_x",
    "dJ/dU", "dJ/dW", "do/dv", "dh/dz", "dv/dh", "dz/dx", "W", "U",
}  # fmt: skip


def test_every_quantity_of_the_lecture_is_in_the_trace(client: TestClient, sid: str) -> None:
    trace = client.get(f"/api/sessions/{sid}/trace?index=0").json()
    assert set(trace["symbols"]) >= LECTURE_SYMBOLS


def test_binary_logistic_regression_trace(client: TestClient) -> None:
    sid = client.post("/api/sessions", json={"model": {"model": "logistic", "hidden": []}}).json()[
        "id"
    ]
    trace = client.get(f"/api/sessions/{sid}/trace?index=0").json()
    q = quantities(trace)
    # the slide's names: w (a vector), z = wᵀx + b, o = σ(z); no W, v or ∂J/∂W beside them
    assert not {"W", "v", "dJ/dW", "k"} & set(q)
    x, w, b, o = q["x"], q["w"], q["b"], q["o"]
    z = float(w @ x + np.ravel(b)[0])
    assert float(np.ravel(q["z"])[0]) == pytest.approx(z)
    sigma = 1 / (1 + np.exp(-z))
    assert float(np.ravel(o)[0]) == pytest.approx(sigma)
    y = trace["target"]  # y ∈ {0, 1}: the API's class index
    assert float(np.ravel(q["y"])[0]) == y
    # The lecture's closed form, in the loss sign: ∂J/∂w = (o − y) xᵀ.
    np.testing.assert_allclose(q["dJ/dw"], (sigma - y) * x, rtol=1e-10)
