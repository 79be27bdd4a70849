"""Predict, then reveal: the lecturer asks, followers answer on their screens, the lecturer
sees the tally, the reveal shows everyone the answer and how the class chose."""

import json

from fastapi.testclient import TestClient

from .conftest import assert_problem
from .test_classes import follow, open_class
from .test_stream import Viewer

QUESTION = {
    "text": "What sign will δ⁽ʰ⁾₁ have?",
    "options": ["positive", "negative", "zero"],
    "answer": 1,
}


def ask(client: TestClient, sid: str, body: dict = QUESTION) -> dict:
    response = client.put(f"/api/sessions/{sid}/class/poll", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def answer(viewer: Viewer, poll_id, option) -> dict:
    viewer.send(type="answer", poll=poll_id, option=option)
    for _ in range(20):
        message = viewer.receive()
        if message.get("command") == "answer":
            return message
    raise AssertionError("no reply to the answer")


def test_followers_answer_and_the_lecturer_sees_the_tally(client: TestClient, sid: str):
    code = open_class(client, sid)["code"]
    with follow(client, code) as w1, follow(client, code) as w2, follow(client, code) as w3:
        f1, f2, f3 = Viewer(w1), Viewer(w2), Viewer(w3)
        poll = ask(client, sid)
        assert poll["tally"] == [0, 0, 0] and not poll["revealed"]
        assert poll["reveal"] == "backward"  # the default: the numbers veiled until then
        for viewer in (f1, f2, f3):
            shown = viewer.message("poll")
            assert shown["text"] == QUESTION["text"] and shown["options"] == QUESTION["options"]
            assert shown["reveal"] == "backward"
            assert not {"answer", "tally", "answered"} & set(shown), "no hint before the reveal"
        assert answer(f1, poll["id"], 1)["type"] == "ack"
        assert answer(f2, poll["id"], 0)["type"] == "ack"
        assert answer(f3, poll["id"], 0)["type"] == "ack"
        assert answer(f3, poll["id"], 1)["type"] == "ack"  # changed its mind: counted once
        tally = client.get(f"/api/sessions/{sid}/class/poll").json()
        assert tally["tally"] == [1, 2, 0] and tally["answered"] == 3
        revealed = client.post(f"/api/sessions/{sid}/class/poll/reveal", json={}).json()
        assert revealed["revealed"] and revealed["answer"] == 1
        shown = f2.message("poll")
        while not shown["revealed"]:  # the answer counts came first
            shown = f2.message("poll")
        assert shown["answer"] == 1 and shown["tally"] == [1, 2, 0]
        late = answer(f1, poll["id"], 0)
        assert late["type"] == "error" and late["field"] == "poll" and "revealed" in late["detail"]
    assert client.get(f"/api/sessions/{sid}/class/poll").json()["tally"] == [1, 2, 0]


def test_an_answer_names_what_is_wrong_and_nothing_else_is_allowed(client: TestClient, sid):
    code = open_class(client, sid)["code"]
    with follow(client, code) as ws:
        follower = Viewer(ws)
        nothing = answer(follower, 1, 0)
        assert nothing["type"] == "error" and nothing["field"] == "poll"
        poll = ask(client, sid)
        for poll_id, option, field in (
            (poll["id"], 3, "option"),
            (poll["id"], -1, "option"),
            (poll["id"], "1", "option"),
            (poll["id"] + 1000, 0, "poll"),
            (None, 0, "poll"),
        ):
            error = answer(follower, poll_id, option)
            assert error["type"] == "error" and error["field"] == field, error
        ws.send_text(json.dumps({"type": "step", "steps": 1}))
        refused = follower.message("error")
        assert refused["status"] == 403 and "read-only" in refused["detail"]
    assert client.get(f"/api/sessions/{sid}/class/poll").json()["answered"] == 0
    assert client.get(f"/api/sessions/{sid}").json()["step"] == 0


def test_a_new_question_replaces_the_last_and_can_be_withdrawn(client: TestClient, sid: str):
    open_class(client, sid)
    first = ask(client, sid)
    second = ask(client, sid, {"text": "How many units will pass no error back?",
                               "options": ["0", "1", "2", "3", "4"]})  # fmt: skip
    assert second["id"] != first["id"] and second["answer"] is None
    revealed = client.post(f"/api/sessions/{sid}/class/poll/reveal", json={"answer": 3}).json()
    assert revealed["answer"] == 3
    assert client.delete(f"/api/sessions/{sid}/class/poll").status_code == 204
    assert_problem(client.get(f"/api/sessions/{sid}/class/poll"), 404, "poll")


def test_a_bad_question_is_refused_with_the_field_named(client: TestClient, sid: str):
    assert_problem(client.put(f"/api/sessions/{sid}/class/poll", json=QUESTION), 404, "id")
    open_class(client, sid)
    for body, field in (
        ({**QUESTION, "options": ["only one"]}, "options"),
        ({**QUESTION, "options": [str(i) for i in range(7)]}, "options"),
        ({**QUESTION, "text": ""}, "text"),
        ({**QUESTION, "answer": 3}, "answer"),  # 3 options: 0 to 2
        ({**QUESTION, "colour": "red"}, "colour"),
        ({**QUESTION, "reveal": "loss"}, "reveal"),
    ):
        response = client.put(f"/api/sessions/{sid}/class/poll", json=body)
        assert response.status_code == 422, (body, response.text)
        assert field in response.text, (field, response.text)
    ask(client, sid)
    bad = client.post(f"/api/sessions/{sid}/class/poll/reveal", json={"answer": 5})
    assert bad.status_code == 422 and "answer" in bad.text


def test_a_follower_joining_late_gets_the_question(client: TestClient, sid: str):
    code = open_class(client, sid)["code"]
    poll = ask(client, sid)
    with follow(client, code) as ws:
        shown = Viewer(ws).message("poll")
        assert shown["id"] == poll["id"] and not shown["revealed"]


def test_the_class_follows_the_lecturer_to_the_next_session(client: TestClient, sid: str):
    """A lesson's next scene, an opened experiment, a branch: a new session, the same class."""
    code = open_class(client, sid)["code"]
    poll = ask(client, sid)
    nxt = client.post("/api/sessions", json={"data": {"dataset": "xor"}}).json()["id"]
    with follow(client, code) as ws:
        follower = Viewer(ws)
        follower.message("poll")
        moved = client.post(f"/api/sessions/{sid}/class/move", json={"session_id": nxt})
        assert moved.status_code == 200 and moved.json()["code"] == code
        follower.message("moved")
        state = client.get(f"/api/classes/{code}").json()
        assert state["config"]["data"]["dataset"] == "xor"
        assert answer(follower, poll["id"], 1)["type"] == "ack", "the question stays asked"
        assert client.get(f"/api/sessions/{nxt}/class/poll").json()["answered"] == 1
    assert client.get(f"/api/sessions/{nxt}/class").json()["code"] == code
    assert_problem(client.get(f"/api/sessions/{sid}/class"), 404, "id")


def test_a_follower_counts_once_however_often_it_reconnects(client: TestClient, sid: str):
    """A reload is a new connection: the answer given before it leaves with the old one."""
    code = open_class(client, sid)["code"]
    poll = ask(client, sid)
    for _ in range(3):
        with follow(client, code) as ws:
            follower = Viewer(ws)
            follower.message("poll")
            assert answer(follower, poll["id"], 0)["type"] == "ack"
            assert client.get(f"/api/sessions/{sid}/class/poll").json()["tally"] == [1, 0, 0]
    assert client.get(f"/api/sessions/{sid}/class/poll").json()["answered"] == 0
    with follow(client, code) as ws:
        follower = Viewer(ws)
        follower.message("poll")
        answer(follower, poll["id"], 2)
        client.post(f"/api/sessions/{sid}/class/poll/reveal", json={})
    # after the reveal the tally stays as it was shown
    assert client.get(f"/api/sessions/{sid}/class/poll").json()["tally"] == [0, 0, 1]


def test_a_move_names_what_is_wrong(client: TestClient, sid: str):
    other = client.post("/api/sessions", json={}).json()["id"]
    assert_problem(
        client.post(f"/api/sessions/{sid}/class/move", json={"session_id": other}), 404, "id"
    )
    open_class(client, sid)
    assert_problem(
        client.post(f"/api/sessions/{sid}/class/move", json={"session_id": "nope"}),
        404,
        "session_id",
    )
    open_class(client, other)
    assert_problem(
        client.post(f"/api/sessions/{sid}/class/move", json={"session_id": other}),
        409,
        "session_id",
    )
