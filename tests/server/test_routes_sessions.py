"""Sessions: create, read, PATCH config (live vs reinitialise), step, phases, reset, delete."""

import numpy as np
from fastapi.testclient import TestClient

from server.encoding import decode_typed_array
from server.schemas.config import ConfigChange
from server.schemas.frame import Frame
from server.schemas.session import SessionState

from .conftest import assert_problem


def test_create_with_empty_body_is_the_lecture_network(client: TestClient) -> None:
    response = client.post("/api/sessions", json={})
    assert response.status_code == 201
    state = SessionState.model_validate(response.json())
    assert state.config.model["hidden"] == [8]
    assert state.config.model["activation"] == "relu"
    assert state.config.model["model"] == "mlp"
    assert state.config.data["classes"] == 2
    assert state.layer_names == ["W", "U"]
    assert state.step == 0 and state.phase == "ready"
    W = decode_typed_array(state.layers[0].W.model_dump())
    U = decode_typed_array(state.layers[1].W.model_dump())
    assert W.shape == (8, 2) and U.shape == (2, 8)


def test_create_without_body_and_with_partial_config(client: TestClient) -> None:
    assert client.post("/api/sessions").status_code == 201
    response = client.post(
        "/api/sessions",
        json={"data": {"dataset": "spiral", "classes": 3}, "model": {"hidden": [4, 5]}},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["layer_names"] == ["W1", "W2", "U"]
    assert body["dataset"]["classes"] == 3


def test_read_session_returns_config_step_metrics_parameters(client: TestClient, sid: str) -> None:
    client.post(f"/api/sessions/{sid}/step", json={"steps": 5})
    body = client.get(f"/api/sessions/{sid}").json()
    state = SessionState.model_validate(body)
    assert state.id == sid and state.step == 5 and state.metrics.step == 5
    assert 0.0 <= state.metrics.train_accuracy <= 1.0


def test_unknown_session_is_404_naming_the_id(client: TestClient) -> None:
    for method, path in [
        ("get", "/api/sessions/nope"),
        ("post", "/api/sessions/nope/reset"),
        ("delete", "/api/sessions/nope"),
        ("get", "/api/sessions/nope/trace"),
        ("get", "/api/sessions/nope/boundary"),
        ("get", "/api/sessions/nope/history"),
        ("get", "/api/sessions/nope/export"),
        ("get", "/api/sessions/nope/gradcheck"),
    ]:
        response = getattr(client, method)(path)
        assert_problem(response, 404, "id", "nope")


def test_patch_learning_rate_is_live(client: TestClient, sid: str) -> None:
    client.post(f"/api/sessions/{sid}/step", json={"steps": 20})
    before = client.get(f"/api/sessions/{sid}").json()
    response = client.patch(
        f"/api/sessions/{sid}/config",
        json={"train": {"learning_rate": 0.05, "momentum": 0.5}, "convention": {"sign": "loglik"}},
    )
    assert response.status_code == 200, response.text
    change = ConfigChange.model_validate(response.json())
    assert change.reinitialised is False
    assert set(change.changed) == {"train.learning_rate", "train.momentum", "convention.sign"}
    after = client.get(f"/api/sessions/{sid}").json()
    assert after["step"] == 20
    assert after["layers"][0]["W"] == before["layers"][0]["W"]  # parameters untouched
    assert after["convention"]["sign"] == "loglik"
    assert after["config"]["train"]["learning_rate"] == 0.05


def test_patch_model_reinitialises(client: TestClient, sid: str) -> None:
    client.post(f"/api/sessions/{sid}/step", json={"steps": 20})
    response = client.patch(f"/api/sessions/{sid}/config", json={"model": {"hidden": [3]}})
    assert response.status_code == 200
    assert response.json()["reinitialised"] is True
    state = client.get(f"/api/sessions/{sid}").json()
    assert state["step"] == 0
    assert decode_typed_array(state["layers"][0]["W"]).shape == (3, 2)


def test_step_returns_a_frame_with_history_and_optional_maps(client: TestClient, sid: str) -> None:
    response = client.post(f"/api/sessions/{sid}/step", json={"steps": 25, "resolution": 30})
    assert response.status_code == 200
    frame = Frame.model_validate(response.json())
    assert frame.step == 25 and frame.metrics.step == 25
    steps = decode_typed_array(frame.history["step"]).tolist()
    full = decode_typed_array(client.get(f"/api/sessions/{sid}/history").json()["step"])
    assert steps == [s for s in full.tolist() if 0 < s <= 25]  # the rows this call recorded
    assert steps[-1] == 25
    assert frame.boundary is not None and frame.boundary.resolution == 30
    assert decode_typed_array(frame.boundary.probabilities[0].model_dump()).shape == (30, 30)
    assert len(frame.boundary.layers[0].activations) == 8
    dW = decode_typed_array(frame.layers[0].dW.model_dump())
    assert dW.shape == (8, 2)
    no_maps = client.post(f"/api/sessions/{sid}/step", json={"steps": 1}).json()
    assert no_maps["boundary"] is None
    history = decode_typed_array(no_maps["history"]["step"])
    assert history.tolist() == [26]  # only the rows recorded by this call


def test_phases_in_order_then_409_out_of_order(client: TestClient, sid: str) -> None:
    url = f"/api/sessions/{sid}/step"
    assert client.post(url, json={"phase": "forward"}).json()["phase"] == "forward"
    response = client.post(url, json={"phase": "update"})
    assert response.status_code == 409
    assert "backward" in response.json()["detail"]
    assert client.post(url, json={"phase": "backward"}).json()["phase"] == "backward"
    frame = client.post(url, json={"phase": "update"}).json()
    assert frame["phase"] == "ready" and frame["step"] == 1


def test_step_with_both_steps_and_phase_is_422(client: TestClient, sid: str) -> None:
    response = client.post(f"/api/sessions/{sid}/step", json={"steps": 2, "phase": "forward"})
    assert response.status_code == 422
    assert "steps" in response.json()["detail"] and "phase" in response.json()["detail"]


def test_reset_keeps_config_and_restarts_from_the_same_seed(client: TestClient, sid: str) -> None:
    initial = client.get(f"/api/sessions/{sid}").json()
    client.post(f"/api/sessions/{sid}/step", json={"steps": 30})
    response = client.post(f"/api/sessions/{sid}/reset")
    assert response.status_code == 200
    state = response.json()
    assert state["step"] == 0
    assert state["layers"] == initial["layers"]


def test_delete_then_gone(client: TestClient, sid: str) -> None:
    assert client.delete(f"/api/sessions/{sid}").status_code == 204
    assert client.get(f"/api/sessions/{sid}").status_code == 404


def _diverged_session(client: TestClient) -> str:
    sid = client.post("/api/sessions", json={"train": {"learning_rate": 10.0}}).json()["id"]
    frame = client.post(f"/api/sessions/{sid}/step", json={"steps": 300}).json()
    assert frame["diverged"] is True
    assert frame["metrics"]["diverged"] is True
    assert "learning rate" in frame["divergence"]
    for layer in frame["layers"]:
        assert np.isfinite(decode_typed_array(layer["W"])).all()
    return sid


def test_diverged_session_reports_and_recovers_with_smaller_rate(client: TestClient) -> None:
    sid = _diverged_session(client)
    client.patch(f"/api/sessions/{sid}/config", json={"train": {"learning_rate": 0.01}})
    frame = client.post(f"/api/sessions/{sid}/step", json={"steps": 20}).json()
    assert frame["diverged"] is False and frame["divergence"] is None
    assert frame["metrics"]["train_loss"] is not None


def test_diverged_session_recovers_after_reset(client: TestClient) -> None:
    sid = _diverged_session(client)
    state = client.post(f"/api/sessions/{sid}/reset").json()
    assert state["diverged"] is False and state["step"] == 0
    client.patch(f"/api/sessions/{sid}/config", json={"train": {"learning_rate": 0.1}})
    frame = client.post(f"/api/sessions/{sid}/step", json={"steps": 20}).json()
    assert frame["diverged"] is False and frame["step"] == 20


def test_frame_gradients_are_those_of_the_batch_trace(client: TestClient) -> None:
    """dW, db of a frame: the current minibatch's ∂J/∂W, ∂J/∂b, as the batch trace has them."""
    sid = client.post("/api/sessions", json={"model": {"hidden": [4, 3]}}).json()["id"]
    url = f"/api/sessions/{sid}/step"
    for body in ({"steps": 17}, {"phase": "forward"}, {"phase": "backward"}, {"phase": "update"}):
        frame = client.post(url, json=body).json()
        trace = client.get(f"/api/sessions/{sid}/trace", params={"batch": "true"}).json()
        q = {x["symbol"]: x["value"] for x in trace["quantities"]}
        for layer, bias in zip(frame["layers"], ["b1", "b2", "c"], strict=True):
            np.testing.assert_allclose(
                decode_typed_array(layer["dW"]),
                decode_typed_array(q[f"dJ/d{layer['name']}"]),
                rtol=1e-12,
                atol=1e-15,
            )
            np.testing.assert_allclose(
                decode_typed_array(layer["db"]),
                decode_typed_array(q[f"dJ/d{bias}"]),
                rtol=1e-12,
                atol=1e-15,
            )
