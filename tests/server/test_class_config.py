"""A class's followers learn every change of the configuration, hear from the server at
least every few seconds, and see the frames of one stream only."""

import time
from collections.abc import Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

import server.routes.classes as class_routes
from server.classes import FORKS_PER_MINUTE
from server.main import create_app
from server.sessions import SessionStore

from .conftest import LOCAL, SETTINGS
from .test_classes import follow, open_class
from .test_stream import Viewer, connect


def version(client: TestClient, code: str) -> int:
    response = client.get(f"/api/classes/{code}")
    assert response.status_code == 200, response.text
    return response.json()["config_version"]


def test_every_change_of_configuration_reaches_the_followers(client: TestClient, sid: str):
    code = open_class(client, sid)["code"]
    with follow(client, code) as ws:
        follower = Viewer(ws)
        start = follower.message("config")["version"]  # a follower who joins gets it
        assert start == version(client, code)
        changes = (
            ("patch", {"train": {"learning_rate": 0.3}}),  # η: no new parameters
            ("patch", {"model": {"activation": "tanh"}}),  # the network's labels
            ("patch", {"data": {"noise": 0.2}}),  # new points
            ("reset", None),
        )
        for n, (kind, body) in enumerate(changes, start=1):
            if kind == "patch":
                response = client.patch(f"/api/sessions/{sid}/config", json=body)
            else:
                response = client.post(f"/api/sessions/{sid}/reset")
            assert response.status_code == 200, response.text
            assert follower.message("config")["version"] == start + n, kind
            assert version(client, code) == start + n
        state = client.get(f"/api/classes/{code}").json()
        assert state["config"]["train"]["learning_rate"] == 0.3
        assert state["config"]["model"]["activation"] == "tanh"
        # training is not a change of configuration: the version stays
        client.post(f"/api/sessions/{sid}/step", json={"steps": 20})
        assert version(client, code) == start + len(changes)


def test_a_change_on_the_lecturers_stream_reaches_the_followers(client: TestClient, sid: str):
    code = open_class(client, sid)["code"]
    with connect(client, sid) as lecturer_ws, follow(client, code) as ws:
        lecturer, follower = Viewer(lecturer_ws), Viewer(ws)
        lecturer.frame()
        start = follower.message("config")["version"]
        lecturer.send(type="config", config={"train": {"learning_rate": 0.05}})
        assert lecturer.message("ack")["config"]["train"]["learning_rate"] == 0.05
        assert follower.message("config")["version"] == start + 1
        lecturer.send(type="config", config={"model": {"features": ["x1", "x2", "x1^2"]}})
        lecturer.message("ack")
        assert follower.message("config")["version"] == start + 2
        state = client.get(f"/api/classes/{code}").json()
        assert state["config_version"] == start + 2
        assert state["config"]["model"]["features"] == ["x1", "x2", "x1^2"]


def test_moving_the_class_is_a_new_configuration(client: TestClient, sid: str):
    code = open_class(client, sid)["code"]
    other = client.post("/api/sessions", json={"data": {"dataset": "xor"}}).json()["id"]
    with follow(client, code) as ws:
        follower = Viewer(ws)
        start = follower.message("config")["version"]
        client.post(f"/api/sessions/{sid}/class/move", json={"session_id": other})
        follower.message("moved")
        assert follower.message("config")["version"] == start + 1
        # the old session is not the class's any more: its changes tell nobody
        client.patch(f"/api/sessions/{sid}/config", json={"train": {"learning_rate": 0.5}})
        client.patch(f"/api/sessions/{other}/config", json={"train": {"learning_rate": 0.2}})
        assert follower.message("config")["version"] == start + 2
    assert version(client, code) == start + 2


def test_a_quiet_class_says_it_is_alive(client: TestClient, sid: str, monkeypatch):
    monkeypatch.setattr(class_routes, "ALIVE_SECONDS", 0.05)
    code = open_class(client, sid)["code"]
    with follow(client, code) as ws:
        follower = Viewer(ws)
        first = [follower.receive() for _ in range(4)]
        kinds = [m["type"] for m in first]
        assert kinds[0] == "config" and kinds[1:] == ["alive"] * 3, kinds


def test_only_one_stream_of_the_session_reaches_the_followers(client: TestClient, sid: str):
    code = open_class(client, sid)["code"]
    room = client.app.state.classes.of_session(sid)
    with (
        connect(client, sid) as lecturer_ws,
        connect(client, sid) as notebook_ws,
        follow(client, code) as ws,
    ):
        lecturer, notebook, follower = Viewer(lecturer_ws), Viewer(notebook_ws), Viewer(ws)
        lecturer.send(type="resolution", resolution=16)
        lecturer.send(type="view", tab="network")  # the lecturer's page: the publisher
        lecturer.frame()
        lecturer.frame()
        notebook.send(type="resolution", resolution=8)
        while notebook.frame()["stream"]["resolution"] != 8:
            pass  # its first frame, at the default resolution
        published = room.seq
        for _ in range(3):
            notebook.send(type="step", steps=2)
            assert notebook.frame()["stream"]["resolution"] == 8  # sent to the notebook…
        assert room.seq == published  # …and to no follower
        lecturer.send(type="step", steps=1)
        sent = lecturer.frame()
        assert room.seq == published + 1 and sent["step"] == 7
        frame = follower.frame()
        while frame["step"] < 7:
            assert frame["stream"]["resolution"] != 8, "a notebook frame reached the class"
            frame = follower.frame()
        assert frame["stream"]["resolution"] == 16 and frame["seq"] == sent["seq"]
        # the notebook shows something on purpose (a view): the class follows it now
        notebook.send(type="view", tab="matrices")
        assert follower.message("view")["tab"] == "matrices"
        taken = notebook.frame()  # its frame after taking over: the curves start again
        assert taken["history_reset"] is True
        lecturer.send(type="step", steps=1)
        lecturer.frame()
        notebook.send(type="step", steps=1)
        notebook.frame()
        frame = follower.frame()
        while frame["step"] < 9:
            frame = follower.frame()
        assert frame["stream"]["resolution"] == 8
    assert room.publisher is None  # both closed: the next stream to send a frame claims it


def test_a_closed_publisher_hands_over_to_the_next_stream(client: TestClient, sid: str):
    code = open_class(client, sid)["code"]
    room = client.app.state.classes.of_session(sid)
    with connect(client, sid) as second_ws, follow(client, code) as ws:
        second, follower = Viewer(second_ws), Viewer(ws)
        second.frame()
        with connect(client, sid) as first_ws:
            first = Viewer(first_ws)
            first.send(type="view", tab="curves")
            first.frame()
            mine = room.publisher
        for _ in range(500):  # the server notices the close a moment after the client
            if room.publisher is None:
                break
            time.sleep(0.01)
        assert room.publisher is None, "the closed stream still publishes"
        published = room.seq
        second.send(type="step", steps=3)
        assert second.frame()["step"] == 3  # built before it took over: not the followers'
        assert second.frame()["history_reset"]  # the takeover's own frame: the curves whole
        for _ in range(500):  # published just after it is sent
            if room.seq > published:
                break
            time.sleep(0.01)
        assert room.seq > published and room.publisher not in (None, mine)
        frame = follower.frame()
        while frame["step"] < 3:
            frame = follower.frame()
        # the first frame of the new publisher the followers get sends the curves whole:
        # none with rows counted from the new stream's own position comes before it
        assert frame["history_reset"]
        rows = client.get(f"/api/sessions/{sid}/history").json()["rows"]
        assert len(frame["_arrays"]["history.step"]) == rows  # every row, from step 0


@pytest.fixture
def clock() -> list[float]:
    return [1000.0]


@pytest.fixture
def timed(clock: list[float]) -> Iterator[TestClient]:
    """A client of an app whose class registry and session store run on `clock`."""
    app = create_app(SETTINGS)
    app.state.store = SessionStore(  # room for a minute's worth of forks
        2 * FORKS_PER_MINUTE, SETTINGS.session_ttl_seconds, clock=lambda: clock[0]
    )
    app.state.classes = type(app.state.classes)(clock=lambda: clock[0])
    with TestClient(app, client=LOCAL) as client:
        yield client


def test_an_expired_session_ends_its_class(timed: TestClient, clock, monkeypatch):
    monkeypatch.setattr(class_routes, "ALIVE_SECONDS", 0.05)
    sid = timed.post("/api/sessions", json={}).json()["id"]
    code = open_class(timed, sid)["code"]
    with follow(timed, code) as ws:
        follower = Viewer(ws)
        follower.message("alive")
        clock[0] += SETTINGS.session_ttl_seconds + 1
        assert timed.app.state.store.expire() == 1  # as the background sweep does
        assert "ended" in follower.message("closed")["detail"]
        with pytest.raises(WebSocketDisconnect) as ended:
            ws.receive_text()
        assert ended.value.code == 4410
    assert timed.get(f"/api/classes/{code}").status_code == 404


def test_the_guessing_limit_lifts_after_a_minute(timed: TestClient, clock, monkeypatch):
    monkeypatch.setattr("server.classes.GUESSES_PER_MINUTE", 4)
    sid = timed.post("/api/sessions", json={}).json()["id"]
    code = open_class(timed, sid)["code"]
    for i in range(4):
        assert timed.get(f"/api/classes/9000000{i}").status_code == 404
    clock[0] += 59.5
    refused = timed.get(f"/api/classes/{code}")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    assert "4 a minute" in refused.json()["detail"]
    clock[0] += 0.5  # a minute after the misses: they no longer count
    assert timed.get(f"/api/classes/{code}").status_code == 200
    for i in range(3):
        assert timed.get(f"/api/classes/9100000{i}").status_code == 404
    assert timed.get("/api/classes/91000009").status_code == 404  # the 4th in this minute
    assert timed.get(f"/api/classes/{code}").status_code == 429


def test_make_it_mine_is_limited_per_address(timed: TestClient, clock):
    sid = timed.post("/api/sessions", json={}).json()["id"]
    code = open_class(timed, sid)["code"]
    sessions = len(timed.app.state.store)
    for _ in range(FORKS_PER_MINUTE):
        assert timed.post(f"/api/classes/{code}/fork").status_code == 201
    clock[0] += 30
    refused = timed.post(f"/api/classes/{code}/fork")
    assert refused.status_code == 429, refused.text
    assert f"{FORKS_PER_MINUTE} a minute" in refused.json()["detail"]
    assert refused.headers["Retry-After"] == "30"
    # the refused one made nothing
    assert len(timed.app.state.store) == sessions + FORKS_PER_MINUTE
    clock[0] += 30
    assert timed.post(f"/api/classes/{code}/fork").status_code == 201


def test_the_class_state_names_its_version_and_no_id(client: TestClient, sid: str):
    code = open_class(client, sid)["code"]
    state = client.get(f"/api/classes/{code}").json()
    assert "id" not in state and isinstance(state["config_version"], int)
    assert np.isfinite(state["metrics"]["train_loss"])
