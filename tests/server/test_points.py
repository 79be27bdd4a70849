"""Custom labelled points: add, remove by index, remove near a point, bounds."""

import numpy as np
from fastapi.testclient import TestClient

from server.encoding import decode_typed_array

from .conftest import assert_problem


def train_set(state: dict) -> tuple[np.ndarray, np.ndarray]:
    return (
        decode_typed_array(state["dataset"]["x_train"]),
        decode_typed_array(state["dataset"]["y_train"]),
    )


def test_add_points_appends_to_the_training_set(client: TestClient, sid: str) -> None:
    client.post(f"/api/sessions/{sid}/step", json={"steps": 5})
    body = {"points": [{"x1": 0.25, "x2": -0.5, "label": 1}, {"x1": 3, "x2": 3, "label": 0}]}
    response = client.post(f"/api/sessions/{sid}/points", json=body)
    assert response.status_code == 200, response.text
    state = response.json()
    x, y = train_set(state)
    assert len(y) == 322
    np.testing.assert_array_equal(x[-2:], [[0.25, -0.5], [3.0, 3.0]])
    assert y[-2:].tolist() == [1, 0]
    assert state["step"] == 5  # parameters and progress kept


def test_add_to_test_split(client: TestClient, sid: str) -> None:
    body = {"points": [{"x1": 1, "x2": 1, "label": 0}], "split": "test"}
    state = client.post(f"/api/sessions/{sid}/points", json=body).json()
    assert len(decode_typed_array(state["dataset"]["y_test"])) == 81


def test_remove_by_index_and_near(client: TestClient, sid: str) -> None:
    before = client.get(f"/api/sessions/{sid}").json()
    x, _ = train_set(before)
    response = client.request("DELETE", f"/api/sessions/{sid}/points", json={"indices": [0, 1]})
    assert response.status_code == 200, response.text
    x2, _ = train_set(response.json())
    np.testing.assert_array_equal(x2, x[2:])
    centre = x2[10]
    response = client.request(
        "DELETE",
        f"/api/sessions/{sid}/points",
        json={"x1": float(centre[0]), "x2": float(centre[1]), "radius": 0.5},
    )
    assert response.status_code == 200, response.text
    x3, _ = train_set(response.json())
    assert len(x3) < len(x2)
    assert (np.hypot(*(x3 - centre).T) > 0.5).all()


def test_points_bounds_name_their_field(client: TestClient, sid: str) -> None:
    url = f"/api/sessions/{sid}/points"
    bad_label = {"points": [{"x1": 0, "x2": 0, "label": 2}]}
    assert_problem(client.post(url, json=bad_label), 422, "points.0.label", "0", "1")
    far = {"points": [{"x1": 5000, "x2": 0, "label": 0}]}
    assert_problem(client.post(url, json=far), 422, "points.0.x1", "1000")
    too_many = {"points": [{"x1": 0, "x2": 0, "label": 0}] * 1700}
    assert_problem(client.post(url, json=too_many), 422, "points.total", "2000")
    assert_problem(client.post(url, json={"points": []}), 422, "points")
    response = client.request("DELETE", url, json={"indices": [320]})
    assert_problem(response, 422, "indices.0", "319")
    response = client.request("DELETE", url, json={"x1": 0, "x2": 0, "radius": -1})
    assert_problem(response, 422, "radius")
    response = client.request("DELETE", url, json={"x1": 0})
    assert_problem(response, 422, "body", "indices", "radius")
