"""Class mode: a join code lets a browser watch a session, and nothing else."""

import json

import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

import server.classes as classes_module
from server.encoding import decode_typed_array

from .conftest import assert_problem
from .test_stream import Viewer, connect


def open_class(client: TestClient, sid: str) -> dict:
    response = client.post(f"/api/sessions/{sid}/class")
    assert response.status_code == 201, response.text
    return response.json()


def follow(client: TestClient, code: str):
    return client.websocket_connect(f"/api/classes/{code}/stream")


def weights(state: dict) -> list[np.ndarray]:
    return [decode_typed_array(la[k]) for la in state["layers"] for k in ("W", "b")]


def test_opening_a_class_gives_a_code_a_link_and_a_qr_code(client: TestClient, sid: str):
    room = open_class(client, sid)
    assert len(room["code"]) == 8 and room["code"].isdigit()
    assert room["code_display"] == f"{room['code'][:4]} {room['code'][4:]}"
    assert room["join_path"] == f"/join/{room['code']}"
    assert room["join_url"].endswith(room["join_path"])
    assert room["qr_svg"].startswith("<svg") and "path" in room["qr_svg"]
    assert room["followers"] == 0
    assert open_class(client, sid)["code"] == room["code"]  # one class per session
    assert client.get(f"/api/sessions/{sid}/class").json()["code"] == room["code"]


def test_the_code_reads_the_state_without_the_session_id(client: TestClient, sid: str):
    client.post(f"/api/sessions/{sid}/step", json={"steps": 30})
    code = open_class(client, sid)["code"]
    response = client.get(f"/api/classes/{code[:4]} {code[4:]}")  # as typed, with a space
    assert response.status_code == 200, response.text
    state = response.json()
    assert "id" not in state and sid not in response.text
    assert state["step"] == 30 and state["class"]["code"] == code
    history = client.get(f"/api/classes/{code}/history")
    assert history.status_code == 200 and sid not in history.text


def test_followers_see_the_lecturers_frames_and_view(client: TestClient, sid: str):
    code = open_class(client, sid)["code"]
    with (
        connect(client, sid) as lecturer_ws,
        follow(client, code) as f1,
        follow(client, code) as f2,
    ):
        lecturer = Viewer(lecturer_ws)
        lecturer.frame()
        lecturer.send(type="view", tab="matrices", phase="backward", selected=5)
        lecturer.send(type="step", steps=7)
        sent = lecturer.frame()
        for ws in (f1, f2):
            follower = Viewer(ws)
            view = follower.message("view")
            assert (view["tab"], view["phase"], view["selected"]) == ("matrices", "backward", 5)
            frame = follower.frame()
            while frame["seq"] < sent["seq"]:
                frame = follower.frame()
            assert frame["seq"] == sent["seq"] and frame["step"] == sent["step"] == 7
        assert client.get(f"/api/sessions/{sid}/class").json()["followers"] == 2


def test_a_follower_can_change_nothing(client: TestClient, sid: str):
    code = open_class(client, sid)["code"]
    before = client.get(f"/api/sessions/{sid}").json()
    with follow(client, code) as ws:
        follower = Viewer(ws)
        for command in (
            {"type": "step", "steps": 5},
            {"type": "play"},
            {"type": "phase", "phase": "forward"},
            {"type": "config", "config": {"train": {"learning_rate": 1.0}}},
            {"type": "reset"},
            {"type": "seek", "step": 0},
        ):
            ws.send_text(json.dumps(command))
            error = follower.message("error")
            assert error["status"] == 403 and "read-only" in error["detail"]
    for method, path in (
        ("post", f"/api/classes/{code}/step"),
        ("post", f"/api/classes/{code}/reset"),
        ("patch", f"/api/classes/{code}/config"),
        ("delete", f"/api/classes/{code}"),
        ("delete", f"/api/classes/{code}/class"),
        ("post", f"/api/classes/{code}/points"),
    ):
        response = client.request(method.upper(), path, json={})
        assert 400 <= response.status_code < 500, (method, path, response.status_code)
    after = client.get(f"/api/sessions/{sid}").json()
    assert after["step"] == before["step"] and after["config"] == before["config"]
    assert all(np.array_equal(a, b) for a, b in zip(weights(before), weights(after), strict=True))


def test_closing_the_class_ends_every_followers_view(client: TestClient, sid: str):
    code = open_class(client, sid)["code"]
    with follow(client, code) as ws:
        follower = Viewer(ws)
        assert client.delete(f"/api/sessions/{sid}/class").status_code == 204
        closed = follower.message("closed")
        assert "closed the class" in closed["detail"]
        with pytest.raises(WebSocketDisconnect) as ended:
            ws.receive_text()
        assert ended.value.code == 4410
    assert_problem(client.get(f"/api/classes/{code}"), 404, "code", "no open class")
    assert client.get(f"/api/sessions/{sid}").status_code == 200  # the session goes on


def test_a_closed_code_and_an_unknown_one_get_the_same_answer(client: TestClient, sid: str):
    code = open_class(client, sid)["code"]
    client.delete(f"/api/sessions/{sid}/class")
    closed = client.get(f"/api/classes/{code}")
    unknown = client.get("/api/classes/12345678")
    assert closed.status_code == unknown.status_code == 404
    assert closed.json() == unknown.json()


def test_a_deleted_session_ends_its_class(client: TestClient, sid: str):
    code = open_class(client, sid)["code"]
    with follow(client, code) as ws:
        follower = Viewer(ws)
        assert client.delete(f"/api/sessions/{sid}").status_code == 204
        assert "ended" in follower.message("closed")["detail"]
        with pytest.raises(WebSocketDisconnect) as ended:
            ws.receive_text()
        assert ended.value.code == 4410
    assert client.get(f"/api/classes/{code}").status_code == 404


def test_guessing_codes_is_rate_limited(client: TestClient, sid: str, monkeypatch):
    monkeypatch.setattr(classes_module, "GUESSES_PER_MINUTE", 5)
    code = open_class(client, sid)["code"]
    for i in range(5):
        assert client.get(f"/api/classes/9000000{i}").status_code == 404
    refused = client.get("/api/classes/90000009")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["field"] == "code"
    # past the limit even the right code gets no answer: a guess learns nothing
    assert client.get(f"/api/classes/{code}").status_code == 429


def test_make_it_mine_continues_exactly_as_the_lecturers_would(client: TestClient, sid: str):
    client.post(f"/api/sessions/{sid}/step", json={"steps": 250})
    code = open_class(client, sid)["code"]
    response = client.post(f"/api/classes/{code}/fork")
    assert response.status_code == 201, response.text
    mine = response.json()
    assert mine["id"] != sid and mine["step"] == 250
    for who in (sid, mine["id"]):
        assert client.post(f"/api/sessions/{who}/step", json={"steps": 100}).status_code == 200
    lecturer = client.get(f"/api/sessions/{sid}").json()
    own = client.get(f"/api/sessions/{mine['id']}").json()
    assert own["step"] == lecturer["step"] == 350
    pairs = zip(weights(own), weights(lecturer), strict=True)
    assert all(np.array_equal(a, b) for a, b in pairs)
    # and it is independent: a change to mine leaves the lecturer's alone
    client.patch(f"/api/sessions/{mine['id']}/config", json={"train": {"learning_rate": 2.0}})
    assert client.get(f"/api/sessions/{sid}").json()["config"]["train"]["learning_rate"] == 0.1


def test_a_late_follower_gets_the_newest_frame_at_once(client: TestClient, sid: str):
    code = open_class(client, sid)["code"]
    with connect(client, sid) as lecturer_ws:
        lecturer = Viewer(lecturer_ws)
        lecturer.frame()
        lecturer.send(type="step", steps=12)
        assert lecturer.frame()["step"] == 12
        with follow(client, code) as ws:  # joins after the frame was sent
            assert Viewer(ws).frame()["step"] == 12


def test_the_join_link_is_an_address_students_can_reach(monkeypatch) -> None:
    import server.routes.classes as routes
    from server.main import create_app

    from .conftest import SETTINGS

    # served on this computer only: the link is given, with what to do about it
    with TestClient(create_app(SETTINGS)) as local:
        sid = local.post("/api/sessions", json={}).json()["id"]
        room = open_class(local, sid)
        assert "HOST=0.0.0.0" in room["hint"]
    # served to the network, page opened at localhost: the link carries the LAN address
    monkeypatch.setattr(routes, "lan_address", lambda: "10.1.2.3")
    shared = SETTINGS.__class__(**{**SETTINGS.__dict__, "bind_host": "0.0.0.0"})
    with TestClient(create_app(shared), base_url="http://localhost:8000") as lecturer:
        sid = lecturer.post("/api/sessions", json={}).json()["id"]
        room = open_class(lecturer, sid)
        assert room["join_url"] == f"http://10.1.2.3:8000/join/{room['code']}"
        assert room["hint"] is None
