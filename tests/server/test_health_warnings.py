"""Health warnings in stream frames and in the REST state: a loss that grows without
overflowing (tanh at η = 10), and layers of stuck units, next to the overflow `diverged`."""

from fastapi.testclient import TestClient

from server.schemas.session import HealthWarning, SessionState

from .test_stream import Viewer, connect

RUNAWAY = {
    "data": {"dataset": "spiral", "classes": 3},
    "model": {"activation": "tanh", "hidden": [8, 8]},
    "train": {"learning_rate": 10.0},
}


def test_a_stream_frame_carries_the_diverging_warning(client: TestClient) -> None:
    sid = client.post("/api/sessions", json=RUNAWAY).json()["id"]
    with connect(client, sid) as ws:
        viewer = Viewer(ws)
        first = viewer.frame()
        assert first["health"] == []
        viewer.send(type="play", steps_per_frame=10, fps=60)
        for _ in range(30):
            frame = viewer.frame()
            if "diverging" in [w["kind"] for w in frame["health"]]:
                break
        kinds = [w["kind"] for w in frame["health"]]
        assert "diverging" in kinds, (frame["step"], frame["metrics"]["train_loss"])
        assert frame["step"] <= 200
        assert frame["diverged"] is False  # not an overflow: training goes on
        warning = frame["health"][kinds.index("diverging")]
        assert warning["loss"] > 2 * warning["best"] and warning["loss"] > warning["start"]
        assert "growing" in warning["message"] and warning["since_step"] <= frame["step"]
        for w in frame["health"]:
            HealthWarning.model_validate(w)  # the documented schema holds
        viewer.send(type="pause")
        assert viewer.message("ack")["command"] == "pause"
        viewer.send(type="reset")
        assert viewer.message("ack")["command"] == "reset"
        assert viewer.frame()["health"] == []


def test_the_rest_state_and_step_carry_the_warnings(client: TestClient) -> None:
    sid = client.post("/api/sessions", json=RUNAWAY).json()["id"]
    state = client.get(f"/api/sessions/{sid}").json()
    assert state["health"] == []
    frame = client.post(f"/api/sessions/{sid}/step", json={"steps": 300}).json()
    assert "diverging" in [w["kind"] for w in frame["health"]]
    state = client.get(f"/api/sessions/{sid}").json()
    kinds = {(w["kind"], w.get("layer")) for w in state["health"]}
    assert ("diverging", None) in kinds and ("saturated", 1) in kinds, kinds
    saturated = next(w for w in state["health"] if w["kind"] == "saturated")
    assert saturated["of"] == 8 and saturated["activation"] == "tanh"
    assert SessionState.model_validate(state).health[0].kind == "diverging"


def test_the_default_session_trains_without_warnings(client: TestClient, sid: str) -> None:
    for _ in range(4):
        frame = client.post(f"/api/sessions/{sid}/step", json={"steps": 500}).json()
        assert frame["health"] == [], frame["health"]
