"""Every bound, crossed once: the answer is a 4xx whose message names the field and range."""

import pytest
from fastapi.testclient import TestClient

from engine import BOUNDS

from .conftest import SETTINGS, assert_problem

# dotted field → (a config that breaks it, words the message must contain)
CONFIG_CASES: dict[str, tuple[dict, tuple[str, ...]]] = {
    "data.dataset": ({"data": {"dataset": "swirl"}}, ("circle", "spiral")),
    "data.classes": ({"data": {"dataset": "spiral", "classes": 7}}, ("2", "6")),
    "data.noise": ({"data": {"noise": 1.5}}, ("0", "1")),
    "data.points": ({"data": {"points": 5}}, ("10", "2000")),
    "data.train_ratio": ({"data": {"train_ratio": 0.95}}, ("0.1", "0.9")),
    "data.seed": ({"data": {"seed": -1}}, ("0",)),
    "model.model": ({"model": {"model": "cnn"}}, ("mlp", "logistic")),
    "model.hidden": ({"model": {"hidden": [4] * 7}}, ("0", "6")),
    "model.hidden.units": ({"model": {"hidden": [65]}}, ("1", "64")),
    "model.activation": ({"model": {"activation": "gelu"}}, ("relu", "tanh")),
    "model.features": ({"model": {"features": ["x3"]}}, ("x1", "x2")),
    "model.init_seed": ({"model": {"init_seed": 2**33}}, ("0",)),
    "train.learning_rate": ({"train": {"learning_rate": 50}}, ("1e-05", "10")),
    "train.batch_size": ({"train": {"batch_size": 0}}, ("1", "2000")),
    "train.l2": ({"train": {"l2": 2}}, ("0", "1")),
    "train.momentum": ({"train": {"momentum": 1.0}}, ("0", "0.99")),
    "train.seed": ({"train": {"seed": -5}}, ("0",)),
}
# model.hidden.units is reported under model.hidden, the list that holds the widths.
REPORTED_AS = {"model.hidden.units": "model.hidden"}
# Bounds checked through a route other than the config (see the tests below).
ROUTE_CASES = {"grid.resolution", "grid.target", "trace.index", "points.total"}


def test_every_engine_bound_has_a_case_here() -> None:
    assert set(BOUNDS) == set(CONFIG_CASES) | ROUTE_CASES


@pytest.mark.parametrize("field", sorted(CONFIG_CASES))
def test_config_bound_on_create_names_field_and_range(client: TestClient, field: str) -> None:
    body, words = CONFIG_CASES[field]
    response = client.post("/api/sessions", json=body)
    assert_problem(response, 422, REPORTED_AS.get(field, field), *words)


@pytest.mark.parametrize("field", sorted(CONFIG_CASES))
def test_config_bound_on_patch_names_field_and_range(
    client: TestClient, sid: str, field: str
) -> None:
    body, words = CONFIG_CASES[field]
    response = client.patch(f"/api/sessions/{sid}/config", json=body)
    assert_problem(response, 422, REPORTED_AS.get(field, field), *words)
    assert client.get(f"/api/sessions/{sid}").json()["config"]["train"]["learning_rate"] == 0.1


def test_route_bounds(client: TestClient, sid: str) -> None:
    base = f"/api/sessions/{sid}"
    assert_problem(client.get(f"{base}/boundary?resolution=500"), 422, "resolution", "2", "120")
    assert_problem(client.get(f"{base}/boundary?target=9"), 422, "target", "0", "1")
    assert_problem(client.get(f"{base}/trace?index=9999"), 422, "index", "0", "319")
    points = {"points": [{"x1": 0, "x2": 0, "label": 0}] * 1601}
    assert_problem(client.post(f"{base}/points", json=points), 422, "points.total", "2000")


@pytest.mark.parametrize("steps", [0, -3, SETTINGS.max_steps_per_call + 1])
def test_steps_per_call_bound(client: TestClient, sid: str, steps: int) -> None:
    response = client.post(f"/api/sessions/{sid}/step", json={"steps": steps})
    assert_problem(response, 422, "steps", "1", str(SETTINGS.max_steps_per_call))


def test_step_resolution_bound(client: TestClient, sid: str) -> None:
    response = client.post(f"/api/sessions/{sid}/step", json={"steps": 1, "resolution": 121})
    assert_problem(response, 422, "resolution", "120")


def test_request_size_bound_is_413_naming_the_body(client: TestClient) -> None:
    huge = b'{"data": {"dataset": "' + b"x" * (SETTINGS.max_request_bytes + 1) + b'"}}'
    response = client.post(
        "/api/sessions", content=huge, headers={"content-type": "application/json"}
    )
    assert_problem(response, 413, "body", str(SETTINGS.max_request_bytes))


def test_request_size_bound_without_content_length(client: TestClient) -> None:
    def chunks():
        yield b'{"data": {"dataset": "'
        for _ in range(30):
            yield b"x" * 10_000
        yield b'"}}'

    response = client.post(
        "/api/sessions", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_problem(response, 413, "body", str(SETTINGS.max_request_bytes))


def test_wrong_types_name_their_field(client: TestClient) -> None:
    response = client.post("/api/sessions", json={"train": {"learning_rate": "fast"}})
    assert_problem(response, 422, "train.learning_rate")
    response = client.post("/api/sessions", json={"train": {"speed": 1}})
    assert_problem(response, 422, "train.speed", "not a known field")
    response = client.post("/api/sessions", json={"optimizer": {}})
    assert_problem(response, 422, "optimizer")
