"""Time travel over HTTP and the stream: GET …?step=t, POST …/branch, the `seek` command.

Values at a past step are compared with a second session trained exactly that far, so
the server is checked against the engine's run, not against itself.
"""

import numpy as np
from fastapi.testclient import TestClient

from server.encoding import decode_typed_array

from .conftest import assert_problem
from .test_stream import Viewer, connect


def train(client: TestClient, sid: str, steps: int) -> None:
    while steps > 0:
        n = min(steps, 500)
        response = client.post(f"/api/sessions/{sid}/step", json={"steps": n})
        assert response.status_code == 200, response.text
        steps -= n


def weights(state: dict) -> list[np.ndarray]:
    return [
        decode_typed_array(array)
        for layer in state["layers"]
        for array in (layer["W"], layer["b"])
    ]


def same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_a_past_step_reads_as_a_session_trained_exactly_that_far(client: TestClient, sid: str):
    train(client, sid, 1500)
    other = client.post("/api/sessions", json={}).json()["id"]
    train(client, other, 734)
    past = client.get(f"/api/sessions/{sid}", params={"step": 734}).json()
    assert past["step"] == 734
    assert past["timeline"] == {"first": 0, "now": 1500, "at": 734, "data": now_data(client, sid)}
    assert same(weights(past), weights(client.get(f"/api/sessions/{other}").json()))
    now = client.get(f"/api/sessions/{sid}").json()
    assert now["step"] == 1500 and now["timeline"]["at"] is None


def now_data(client: TestClient, sid: str) -> int:
    return client.get(f"/api/sessions/{sid}").json()["timeline"]["data"]


def test_a_step_before_a_points_edit_says_its_points_differ(client: TestClient, sid: str):
    train(client, sid, 100)
    before = now_data(client, sid)
    point = {"x1": 0.5, "x2": 0.5, "label": 1}
    added = client.post(f"/api/sessions/{sid}/points", json={"points": [point]})
    assert added.status_code == 200, added.text
    train(client, sid, 100)
    after = now_data(client, sid)
    assert after != before
    past = client.get(f"/api/sessions/{sid}", params={"step": 50}).json()
    assert past["timeline"]["data"] == before
    n_now = len(decode_typed_array(client.get(f"/api/sessions/{sid}").json()["dataset"]["y_train"]))
    assert len(decode_typed_array(past["dataset"]["y_train"])) == n_now - 1
    later = client.get(f"/api/sessions/{sid}", params={"step": 150}).json()
    assert later["timeline"]["data"] == after


def test_boundary_and_trace_at_a_past_step(client: TestClient, sid: str):
    train(client, sid, 600)
    other = client.post("/api/sessions", json={}).json()["id"]
    train(client, other, 250)
    for route, query in (("boundary", {"resolution": 20}), ("trace", {"index": 3})):
        past = client.get(f"/api/sessions/{sid}/{route}", params={**query, "step": 250})
        then = client.get(f"/api/sessions/{other}/{route}", params=query)
        assert past.status_code == 200, past.text
        assert past.json() == then.json()


def test_a_step_outside_the_run_names_the_field_and_the_range(client: TestClient, sid: str):
    train(client, sid, 100)
    for route in ("", "/boundary", "/trace"):
        response = client.get(f"/api/sessions/{sid}{route}", params={"step": 101})
        assert_problem(response, 422, "step", "between 0 and 100")


def test_a_branch_repeats_the_original_then_goes_its_own_way(client: TestClient, sid: str):
    train(client, sid, 1000)
    response = client.post(f"/api/sessions/{sid}/branch", json={"step": 400})
    assert response.status_code == 201, response.text
    branch = response.json()
    assert branch["id"] != sid and branch["step"] == 400
    train(client, branch["id"], 100)
    original = client.get(f"/api/sessions/{sid}", params={"step": 500}).json()
    assert same(weights(client.get(f"/api/sessions/{branch['id']}").json()), weights(original))
    # the original is untouched, and the branch changes on its own
    assert client.get(f"/api/sessions/{sid}").json()["step"] == 1000
    patch = {"train": {"learning_rate": 1.0}}
    assert client.patch(f"/api/sessions/{branch['id']}/config", json=patch).status_code == 200
    train(client, branch["id"], 10)
    assert client.get(f"/api/sessions/{sid}").json()["config"]["train"]["learning_rate"] == 0.1


def step_by_step(client: TestClient, sid: str, steps: int) -> list[list[np.ndarray]]:
    """Train one step per call; the parameters each call's frame reports."""
    seen = []
    for _ in range(steps):
        response = client.post(f"/api/sessions/{sid}/step", json={"steps": 1})
        assert response.status_code == 200, response.text
        seen.append(weights(response.json()))
    return seen


def branch(client: TestClient, sid: str, body: dict) -> dict:
    response = client.post(f"/api/sessions/{sid}/branch", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_branch_without_a_change_equals_the_original_at_every_step(
    client: TestClient, sid: str
):
    train(client, sid, 300)
    recorded = step_by_step(client, sid, 100)  # the original's live values, step by step
    same_run = branch(client, sid, {"step": 300, "config": {}})
    assert same_run["step"] == 300
    for i, (mine, theirs) in enumerate(
        zip(step_by_step(client, same_run["id"], 100), recorded, strict=True)
    ):
        assert same(mine, theirs), 301 + i


def test_a_branch_with_another_learning_rate_diverges_from_the_original(
    client: TestClient, sid: str
):
    train(client, sid, 300)
    recorded = step_by_step(client, sid, 50)
    faster = branch(client, sid, {"step": 300, "config": {"train": {"learning_rate": 0.5}}})
    assert faster["config"]["train"]["learning_rate"] == 0.5
    assert faster["step"] == 300
    mine = step_by_step(client, faster["id"], 50)
    assert not same(mine[0], recorded[0]) and not same(mine[-1], recorded[-1])
    assert client.get(f"/api/sessions/{sid}").json()["config"]["train"]["learning_rate"] == 0.1


def test_a_branch_with_another_activation_keeps_the_parameters_of_its_step(
    client: TestClient, sid: str
):
    train(client, sid, 600)
    then = client.get(f"/api/sessions/{sid}", params={"step": 250}).json()
    tanh = branch(client, sid, {"step": 250, "config": {"model": {"activation": "tanh"}}})
    assert tanh["config"]["model"]["activation"] == "tanh"
    assert tanh["config"]["model"]["hidden"] == then["config"]["model"]["hidden"]
    assert tanh["step"] == 250 and tanh["timeline"]["first"] == 0
    assert same(weights(tanh), weights(then))
    train(client, tanh["id"], 100)
    later = client.get(f"/api/sessions/{sid}", params={"step": 350}).json()
    assert not same(weights(client.get(f"/api/sessions/{tanh['id']}").json()), weights(later))
    # the branch's own past reaches back through the change
    past = client.get(f"/api/sessions/{tanh['id']}", params={"step": 250}).json()
    assert same(weights(past), weights(then))
    assert client.get(f"/api/sessions/{sid}").json()["config"]["model"]["activation"] == "relu"


def test_a_branch_refuses_a_change_of_shape_or_data_naming_the_field(
    client: TestClient, sid: str
):
    train(client, sid, 100)
    sessions = len(client.app.state.store)
    for change, field in (
        ({"model": {"hidden": [16]}}, "config.model.hidden"),
        ({"model": {"features": ["x1", "x2", "x1^2"]}}, "config.model.features"),
        ({"data": {"classes": 3, "dataset": "spiral"}}, "config.data.dataset"),
    ):
        response = client.post(
            f"/api/sessions/{sid}/branch", json={"step": 50, "config": change}
        )
        assert_problem(response, 422, field, "keeps the network's shape and data")
    # every error of `config` is named by its path in the body, whoever finds it
    bad = client.post(f"/api/sessions/{sid}/branch", json={"config": {"model": {"depth": 2}}})
    assert_problem(bad, 422, "config.model.depth")
    out_of_range = {"step": 50, "config": {"train": {"learning_rate": -1}}}
    response = client.post(f"/api/sessions/{sid}/branch", json=out_of_range)
    assert_problem(response, 422, "config.train.learning_rate", "between")
    assert len(client.app.state.store) == sessions  # a refused branch makes no session


def test_branch_refuses_a_bad_step(client: TestClient, sid: str):
    train(client, sid, 10)
    response = client.post(f"/api/sessions/{sid}/branch", json={"step": 11})
    assert_problem(response, 422, "step", "between 0 and 10")
    response = client.post(f"/api/sessions/{sid}/branch", json={"step": 3, "when": 1})
    assert response.status_code == 422


def test_the_stream_seeks_steps_and_replays_phases_in_the_past(client: TestClient, sid: str):
    train(client, sid, 300)
    reference = client.post("/api/sessions", json={}).json()["id"]
    train(client, reference, 120)
    with connect(client, sid) as ws:
        viewer = Viewer(ws)
        data = now_data(client, sid)
        assert viewer.frame()["timeline"] == {"first": 0, "now": 300, "at": None, "data": data}
        viewer.send(type="seek", step=120)
        frame = viewer.frame()
        assert frame["step"] == 120 and frame["timeline"]["at"] == 120
        expected = weights(client.get(f"/api/sessions/{reference}").json())
        shown = [frame["_arrays"][f"layers.{i}.{k}"] for i in range(2) for k in ("W", "b")]
        assert same(shown, expected)
        # replay update 121 phase by phase: the same as the reference taking it
        for phase in ("forward", "backward", "update"):
            viewer.send(type="phase", phase=phase)
            frame = viewer.frame()
            assert frame["phase"] == phase if phase != "update" else frame["step"] == 121
        train(client, reference, 1)
        expected = weights(client.get(f"/api/sessions/{reference}").json())
        shown = [frame["_arrays"][f"layers.{i}.{k}"] for i in range(2) for k in ("W", "b")]
        assert same(shown, expected)
        viewer.send(type="step", steps=500)  # never past the live step: back to live
        frame = viewer.frame()
        assert frame["step"] == 300 and frame["timeline"]["at"] is None
        viewer.send(type="seek", step=301)
        error = viewer.message("error")
        assert error["field"] == "step" and "between 0 and 300" in error["detail"]
    # the live session never moved
    assert client.get(f"/api/sessions/{sid}").json()["step"] == 300


def test_play_returns_to_live(client: TestClient, sid: str):
    train(client, sid, 50)
    with connect(client, sid) as ws:
        viewer = Viewer(ws)
        viewer.frame()
        viewer.send(type="seek", step=10)
        assert viewer.frame()["timeline"]["at"] == 10
        viewer.send(type="play", fps=30)
        frame = viewer.frame()
        while frame["step"] <= 50:
            frame = viewer.frame()
        assert frame["timeline"]["at"] is None
        viewer.send(type="pause")


def test_a_reset_elsewhere_returns_a_seeking_viewer_to_live(client: TestClient, sid: str):
    train(client, sid, 80)
    with connect(client, sid) as ws:
        viewer = Viewer(ws)
        viewer.frame()
        viewer.send(type="seek", step=40)
        assert viewer.frame()["timeline"]["at"] == 40
        assert client.post(f"/api/sessions/{sid}/reset").status_code == 200
        viewer.send(type="refresh")
        frame = viewer.frame()
        assert frame["step"] == 0 and frame["timeline"]["at"] is None
