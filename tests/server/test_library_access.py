"""Served to a room (--host 0.0.0.0), the library is the lecturer's: another device opens
what it has a link to, and cannot list, rename, delete or add to saved experiments and
lessons; the computer the server runs on can (known by the request's address), and
--shared-library lets every device."""

from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from server import lecture
from server.main import create_app

from .conftest import SETTINGS

ROOM = replace(SETTINGS, bind_host="0.0.0.0")
STUDENT = ("192.168.1.57", 52000)
LECTURER = ("127.0.0.1", 52001)


@pytest.fixture
def app():
    return create_app(ROOM)


def prepare(lecturer: TestClient) -> tuple[str, str, str]:
    """A session, an experiment of it and a one-scene lesson, made on this computer."""
    sid = lecturer.post("/api/sessions", json={}).json()["id"]
    saved = lecturer.post(f"/api/sessions/{sid}/experiments", json={"name": "after 0 steps"})
    assert saved.status_code == 201, saved.text
    lid = lecturer.post("/api/lessons", json={"title": "Week 3"}).json()["id"]
    added = lecturer.post(f"/api/lessons/{lid}/scenes", json={"session_id": sid})
    assert added.status_code == 201, added.text
    return sid, saved.json()["id"], lid


def test_another_device_opens_by_link_and_changes_nothing(app) -> None:
    with TestClient(app, client=LECTURER) as lecturer, TestClient(app, client=STUDENT) as student:
        _, eid, lid = prepare(lecturer)
        scid = lecturer.get(f"/api/lessons/{lid}").json()["scenes"][0]["id"]
        # what a share link needs works
        assert student.get(f"/api/experiments/{eid}").status_code == 200
        assert student.get(f"/api/experiments/{eid}/thumbnail.png").status_code == 200
        assert student.get(f"/api/experiments/{eid}/export").status_code == 200
        assert student.post(f"/api/experiments/{eid}/open").status_code == 201
        assert student.get(f"/api/lessons/{lid}").status_code == 200
        assert student.post(f"/api/lessons/{lid}/scenes/{scid}/open").status_code == 201
        assert student.get(f"/api/lessons/{lecture.LECTURE_ID}").status_code == 200
        # listing and changing do not
        own = student.post("/api/sessions", json={}).json()["id"]
        exported = lecturer.get(f"/api/experiments/{eid}/export").json()
        for method, path, body in (
            ("GET", "/api/experiments", None),
            ("GET", "/api/lessons", None),
            ("PATCH", f"/api/experiments/{eid}", {"name": "mine now"}),
            ("DELETE", f"/api/experiments/{eid}", None),
            ("POST", f"/api/experiments/{eid}/duplicate", {}),
            ("POST", f"/api/sessions/{own}/experiments", {"name": "x"}),
            ("POST", "/api/experiments/import", exported),
            ("POST", "/api/lessons", {"title": "x"}),
            ("PATCH", f"/api/lessons/{lid}", {"title": "x"}),
            ("DELETE", f"/api/lessons/{lid}", None),
            ("POST", f"/api/lessons/{lid}/duplicate", None),
            ("POST", f"/api/lessons/{lid}/scenes", {"session_id": own}),
            ("PATCH", f"/api/lessons/{lid}/scenes/{scid}", {"caption": "x"}),
            ("DELETE", f"/api/lessons/{lid}/scenes/{scid}", None),
        ):
            response = student.request(method, path, json=body)
            assert response.status_code == 403, (method, path, response.text)
            assert "--shared-library" in response.json()["detail"]
        # nothing changed, and this computer still can
        assert lecturer.get(f"/api/experiments/{eid}").json()["name"] == "after 0 steps"
        assert [e["id"] for e in lecturer.get("/api/experiments").json()["experiments"]] == [eid]
        assert lecturer.get(f"/api/lessons/{lid}").json()["title"] == "Week 3"
        assert lecturer.patch(f"/api/experiments/{eid}", json={"name": "y"}).status_code == 200


def test_a_shared_library_is_every_devices() -> None:
    app = create_app(replace(ROOM, shared_library=True))
    with TestClient(app, client=STUDENT) as student:
        _, eid, lid = prepare(student)
        assert student.get("/api/experiments").json()["experiments"][0]["id"] == eid
        assert student.delete(f"/api/lessons/{lid}").status_code == 204


def test_this_computer_is_known_by_the_request_not_the_bind_address() -> None:
    """Started any way (here bound to loopback in the settings), a request from another
    address is another device's; an IPv6 server sees this computer as ::ffff:127.0.0.1."""
    app = create_app(SETTINGS)
    with TestClient(app, client=STUDENT) as student:
        assert student.get("/api/lessons").status_code == 403
    with TestClient(app, client=("::ffff:127.0.0.1", 52002)) as mapped:
        prepare(mapped)
        assert mapped.get("/api/lessons").status_code == 200
    with TestClient(app, client=("::1", 52003)) as ipv6:
        assert ipv6.get("/api/experiments").status_code == 200


def test_the_library_is_bounded_and_says_so(client_app_limits) -> None:
    client, sid = client_app_limits
    for name in ("one", "two"):
        assert (
            client.post(f"/api/sessions/{sid}/experiments", json={"name": name}).status_code == 201
        )
    full = client.post(f"/api/sessions/{sid}/experiments", json={"name": "three"})
    assert full.status_code == 422 and full.json()["field"] == "experiments", full.text
    assert "at most 2" in full.json()["detail"]
    eid = client.get("/api/experiments").json()["experiments"][0]["id"]
    assert client.post(f"/api/experiments/{eid}/duplicate", json={}).status_code == 422
    lid = client.post("/api/lessons", json={"title": "a"}).json()["id"]
    client.post("/api/lessons", json={"title": "b"})
    assert client.post("/api/lessons", json={"title": "c"}).json()["field"] == "lessons"
    assert client.post(f"/api/lessons/{lid}/duplicate").json()["field"] == "lessons"
    for _ in range(2):
        added = client.post(f"/api/lessons/{lid}/scenes", json={"session_id": sid})
        assert added.status_code == 201
    third = client.post(f"/api/lessons/{lid}/scenes", json={"session_id": sid})
    assert third.status_code == 422 and third.json()["field"] == "scenes"
    # deleting makes room again
    assert client.delete(f"/api/experiments/{eid}").status_code == 204
    assert client.post(f"/api/sessions/{sid}/experiments", json={"name": "x"}).status_code == 201


@pytest.fixture
def client_app_limits(monkeypatch):
    import server.library as library

    monkeypatch.setattr(library, "MAX_EXPERIMENTS", 2)
    monkeypatch.setattr(library, "MAX_LESSONS", 2)
    monkeypatch.setattr(library, "MAX_SCENES", 2)
    with TestClient(create_app(SETTINGS), client=LECTURER) as client:
        yield client, client.post("/api/sessions", json={}).json()["id"]
