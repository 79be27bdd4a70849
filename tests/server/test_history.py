"""Learning curves as JSON and CSV; export → import continues bit-identically."""

import csv
import io

import numpy as np
from fastapi.testclient import TestClient

from server.encoding import decode_typed_array

from .conftest import assert_problem


def test_history_json_series(client: TestClient, sid: str) -> None:
    client.post(f"/api/sessions/{sid}/step", json={"steps": 35})
    client.post(f"/api/sessions/{sid}/step", json={"steps": 5})
    body = client.get(f"/api/sessions/{sid}/history").json()
    steps = decode_typed_array(body["step"]).tolist()
    # A row at the start and at the end of every call, more in between on the engine's cadence.
    assert steps[0] == 0 and 35 in steps and steps[-1] == 40
    assert steps == sorted(set(steps))
    assert body["rows"] == len(steps)
    loss = decode_typed_array(body["train_loss"])
    assert loss.shape == (len(steps),) and np.isfinite(loss).all()
    assert set(body["grad_norm"]) == {"W", "U"}


def test_history_csv_has_a_header_and_one_line_per_row(client: TestClient, sid: str) -> None:
    client.post(f"/api/sessions/{sid}/step", json={"steps": 20})
    response = client.get(f"/api/sessions/{sid}/history", params={"format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == [
        "step", "epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy",
        "grad_norm_W", "grad_norm_U",
    ]  # fmt: skip
    json_steps = decode_typed_array(client.get(f"/api/sessions/{sid}/history").json()["step"])
    assert [int(r[0]) for r in rows[1:]] == json_steps.tolist()
    json_loss = decode_typed_array(client.get(f"/api/sessions/{sid}/history").json()["train_loss"])
    np.testing.assert_array_equal([float(r[2]) for r in rows[1:]], json_loss)


def test_history_format_bound(client: TestClient, sid: str) -> None:
    assert_problem(
        client.get(f"/api/sessions/{sid}/history?format=xml"), 422, "format", "json", "csv"
    )


def parameters(client: TestClient, sid: str) -> list[np.ndarray]:
    layers = client.get(f"/api/sessions/{sid}").json()["layers"]
    return [decode_typed_array(layer[key]) for layer in layers for key in ("W", "b")]


def test_export_import_then_100_steps_gives_identical_parameters(client: TestClient) -> None:
    config = {
        "data": {"dataset": "spiral", "classes": 3, "points": 300, "seed": 4},
        "model": {"hidden": [6, 5], "activation": "tanh"},
        "train": {"learning_rate": 0.05, "batch_size": 7, "momentum": 0.9, "l2": 0.001},
    }
    original = client.post("/api/sessions", json=config).json()["id"]
    client.post(f"/api/sessions/{original}/step", json={"steps": 37})
    added = {"points": [{"x1": 0.1, "x2": 0.2, "label": 2}]}
    assert client.post(f"/api/sessions/{original}/points", json=added).status_code == 200
    client.post(f"/api/sessions/{original}/step", json={"phase": "forward"})  # mid-step
    exported = client.get(f"/api/sessions/{original}/export")
    assert exported.status_code == 200
    response = client.post("/api/sessions/import", json=exported.json())
    assert response.status_code == 201, response.text
    copy = response.json()["id"]
    assert copy != original
    for a, b in zip(parameters(client, original), parameters(client, copy), strict=True):
        np.testing.assert_array_equal(a, b)
    start = parameters(client, original)
    client.post(f"/api/sessions/{original}/step", json={"steps": 100})
    client.post(f"/api/sessions/{copy}/step", json={"steps": 100})
    after_original = parameters(client, original)
    after_copy = parameters(client, copy)
    for a, b in zip(after_original, after_copy, strict=True):
        np.testing.assert_array_equal(a, b)  # bit-identical, not merely close
    assert not all(np.array_equal(a, b) for a, b in zip(start, after_original, strict=True))
    state_o = client.get(f"/api/sessions/{original}").json()
    state_c = client.get(f"/api/sessions/{copy}").json()
    assert state_o["step"] == state_c["step"]
    assert state_o["metrics"] == state_c["metrics"]


def test_import_rejects_what_is_not_an_export(client: TestClient) -> None:
    assert_problem(client.post("/api/sessions/import", json={"state": {}}), 422, "format")
    response = client.post(
        "/api/sessions/import", json={"format": "backprop-lab/1", "state": {"nonsense": 1}}
    )
    assert 400 <= response.status_code < 500
    assert response.json()["field"] is not None


def test_history_answer_matches_its_documented_model(client: TestClient, sid: str) -> None:
    from server.routes.history import HistoryOut

    client.post(f"/api/sessions/{sid}/step", json={"steps": 3})
    parsed = HistoryOut.model_validate(client.get(f"/api/sessions/{sid}/history").json())
    assert parsed.rows == len(decode_typed_array(parsed.step.model_dump()))


def test_a_long_history_is_thinned_and_still_reads_and_follows(
    client: TestClient, sid: str, monkeypatch
) -> None:
    """Past MAX_ROWS rows the engine thins the history (a smaller bound here, so that a
    few calls reach it): GET …/history gives the thinned rows from step 0 to now, the
    CSV the same rows, and each frame still brings exactly the rows after its start."""
    import engine.metrics as metrics

    monkeypatch.setattr(metrics, "MAX_ROWS", 64)
    monkeypatch.setattr(metrics, "RECENT_ROWS", 8)
    steps_seen = []
    for _ in range(150):  # a row per call (the frame reads its metrics), more in between
        before = client.get(f"/api/sessions/{sid}").json()["step"]
        frame = client.post(f"/api/sessions/{sid}/step", json={"steps": 30}).json()
        new = decode_typed_array(frame["history"]["step"]).tolist()
        assert new and all(step > before for step in new) and new[-1] == before + 30
        steps_seen += new
    body = client.get(f"/api/sessions/{sid}/history").json()
    steps = decode_typed_array(body["step"]).tolist()
    assert body["rows"] == len(steps) <= 64
    assert steps[0] == 0 and steps[-1] == 4500 and steps == sorted(set(steps))
    assert steps[-8:] == steps_seen[-8:]  # the newest rows, as the frames brought them
    assert len(steps_seen) > 64  # so it was thinned
    table = client.get(f"/api/sessions/{sid}/history", params={"format": "csv"}).text
    assert [int(line.split(",")[0]) for line in table.splitlines()[1:]] == steps


def test_a_stream_follower_s_curves_stay_the_history_through_thinning(
    client: TestClient, sid: str, monkeypatch
) -> None:
    """The page's curves (frontend/js/views/curves.js) drop what they hold on
    `history_reset` and append rows after their last step otherwise. Following the frames
    that way through several thinnings must give exactly GET …/history."""
    import engine.metrics as metrics

    from .test_stream import Viewer, connect

    monkeypatch.setattr(metrics, "MAX_ROWS", 64)
    monkeypatch.setattr(metrics, "RECENT_ROWS", 8)
    curve: list[int] = []
    resets = 0
    with connect(client, sid) as ws:
        viewer = Viewer(ws)
        for i in range(200):
            if i:
                viewer.send(type="step", steps=7)
            frame = viewer.frame()
            if frame["history_reset"]:
                resets += 1
                curve = []
            for step in frame["_arrays"].get("history.step", np.zeros(0)).tolist():
                if not curve or step > curve[-1]:
                    curve.append(step)
    assert resets >= 3  # the first frame, then one per thinning
    body = client.get(f"/api/sessions/{sid}/history").json()
    assert curve == decode_typed_array(body["step"]).tolist()
    assert len(curve) <= 64 and curve[0] == 0 and curve[-1] == 7 * 199
