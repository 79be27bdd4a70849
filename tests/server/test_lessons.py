"""Lessons (server/library.py, server/routes/lessons.py): scenes copied from sessions and
owning their state, reordered, captioned, removed and opened bit-identically; the
built-in lecture listed first, read-only, opened from server/lecture.py's recipes and
duplicable into a lesson of one's own."""

import numpy as np
import pytest
from fastapi.testclient import TestClient

from server import lecture
from tests.server.conftest import assert_problem
from tests.server.test_experiments import (
    assert_same,
    assert_thumbnail,
    new_session,
    params,
    save,
    train,
)


def new_lesson(client: TestClient, title: str = "Week 3") -> str:
    response = client.post("/api/lessons", json={"title": title})
    assert response.status_code == 201, response.text
    assert response.json()["scenes"] == [] and response.json()["builtin"] is False
    return response.json()["id"]


def add_scene(client: TestClient, lid: str, sid: str, caption: str = "", **more) -> dict:
    body = {"session_id": sid, "caption": caption, **more}
    response = client.post(f"/api/lessons/{lid}/scenes", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def open_scene(client: TestClient, lid: str, scid: str) -> dict:
    response = client.post(f"/api/lessons/{lid}/scenes/{scid}/open")
    assert response.status_code == 201, response.text
    return response.json()


def captions(lesson: dict) -> list[str]:
    return [s["caption"] for s in lesson["scenes"]]


# --- a lesson of one's own ---------------------------------------------------------------


def test_scenes_are_added_in_place_and_listed_in_order(client: TestClient) -> None:
    lid = new_lesson(client)
    sid = new_session(client, steps=5)
    add_scene(client, lid, sid, "first")
    add_scene(client, lid, sid, "last")
    lesson = add_scene(client, lid, sid, "middle", position=1, view={"tab": "matrices"})
    assert captions(lesson) == ["first", "middle", "last"]
    middle = lesson["scenes"][1]
    assert middle["view"] == {"tab": "matrices"} and middle["step"] == 5
    assert middle["summary"]["dataset"] == "spiral"
    assert middle["thumbnail_url"] == f"/api/lessons/{lid}/scenes/{middle['id']}/thumbnail.png"
    lesson = add_scene(client, lid, sid, "zeroth", position=0)
    assert captions(lesson) == ["zeroth", "first", "middle", "last"]
    assert client.get(f"/api/lessons/{lid}").json() == lesson

    listed = client.get("/api/lessons").json()["lessons"]
    mine = next(entry for entry in listed if entry["id"] == lid)
    assert mine == {
        "id": lid,
        "title": "Week 3",
        "builtin": False,
        "scenes": 4,
        "updated_at": lesson["updated_at"],
    }


def test_a_scene_owns_its_state(client: TestClient) -> None:
    """Training on, saving then deleting an experiment, deleting the session: the scene
    opens at the state it was given, and trains on as that session would have."""
    lid = new_lesson(client)
    sid = new_session(client, steps=21)
    at_capture = params(client, sid)
    eid = save(client, sid)["id"]
    scid = add_scene(client, lid, sid, "δ⁽ʰ⁾ = δ⁽ᵒ⁾U", view={"phase": "backward"})["scenes"][0][
        "id"
    ]
    train(client, sid, 50)
    after_50 = params(client, sid)
    client.delete(f"/api/experiments/{eid}")
    client.delete(f"/api/sessions/{sid}")

    opened = open_scene(client, lid, scid)
    assert opened["caption"] == "δ⁽ʰ⁾ = δ⁽ᵒ⁾U" and opened["view"] == {"phase": "backward"}
    assert (opened["index"], opened["count"], opened["step"]) == (0, 1, 21)
    assert_same(params(client, opened["id"]), at_capture)
    train(client, opened["id"], 50)
    assert_same(params(client, opened["id"]), after_50)


def test_reorder_retitle_recaption_and_remove(client: TestClient) -> None:
    lid = new_lesson(client)
    sid = new_session(client)
    for caption in "abc":
        lesson = add_scene(client, lid, sid, caption)
    a, b, c = (s["id"] for s in lesson["scenes"])

    response = client.patch(f"/api/lessons/{lid}", json={"order": [c, a, b], "title": "New"})
    assert response.status_code == 200, response.text
    assert captions(response.json()) == ["c", "a", "b"] and response.json()["title"] == "New"
    assert open_scene(client, lid, b)["index"] == 2

    response = client.patch(
        f"/api/lessons/{lid}/scenes/{a}", json={"caption": "A", "view": {"tab": "curves"}}
    )
    assert response.status_code == 200, response.text
    assert response.json()["scenes"][1]["caption"] == "A"
    assert response.json()["scenes"][1]["view"] == {"tab": "curves"}
    response = client.patch(f"/api/lessons/{lid}/scenes/{a}", json={"view": {}})
    assert response.json()["scenes"][1]["view"] == {}
    assert response.json()["scenes"][1]["caption"] == "A"  # only the view changed

    response = client.delete(f"/api/lessons/{lid}/scenes/{c}")
    assert response.status_code == 200, response.text
    assert captions(response.json()) == ["A", "b"]
    assert open_scene(client, lid, b)["index"] == 1  # renumbered
    assert_problem(client.post(f"/api/lessons/{lid}/scenes/{c}/open"), 404, "scid", c)

    assert client.delete(f"/api/lessons/{lid}").status_code == 204
    assert_problem(client.get(f"/api/lessons/{lid}"), 404, "lid", lid)
    assert lid not in [entry["id"] for entry in client.get("/api/lessons").json()["lessons"]]


def test_a_duplicated_lesson_copies_every_scene(client: TestClient) -> None:
    lid = new_lesson(client, "Original")
    sid = new_session(client, steps=9)
    at_capture = params(client, sid)
    add_scene(client, lid, sid, "one")
    add_scene(client, lid, sid, "two")
    copy = client.post(f"/api/lessons/{lid}/duplicate")
    assert copy.status_code == 201, copy.text
    copy = copy.json()
    assert copy["title"] == "Original (copy)" and captions(copy) == ["one", "two"]
    client.delete(f"/api/lessons/{lid}")
    for scene in copy["scenes"]:
        assert_same(params(client, open_scene(client, copy["id"], scene["id"])["id"]), at_capture)


def test_bad_input_is_refused_naming_the_field(client: TestClient) -> None:
    assert_problem(client.post("/api/lessons", json={"title": "t" * 81}), 422, "title", "80")
    assert_problem(client.post("/api/lessons", json={}), 422, "title", "required")
    lid = new_lesson(client)
    sid = new_session(client)
    lesson = add_scene(client, lid, sid, "a")
    add_scene(client, lid, sid, "b")
    a, b = (s["id"] for s in client.get(f"/api/lessons/{lid}").json()["scenes"])
    scenes = f"/api/lessons/{lid}/scenes"

    assert_problem(
        client.post(scenes, json={"session_id": sid, "position": 3}), 422, "position", "0 and 2"
    )
    assert_problem(client.post(scenes, json={"session_id": sid, "position": -1}), 422, "position")
    assert_problem(
        client.post(scenes, json={"session_id": sid, "caption": "c" * 401}), 422, "caption", "400"
    )
    assert_problem(
        client.post(scenes, json={"session_id": sid, "view": {"zoom": 2}}), 422, "view.zoom"
    )
    assert_problem(client.post(scenes, json={"caption": "x"}), 422, "session_id", "required")
    assert_problem(client.post(scenes, json={"session_id": "gone"}), 404, "session_id", "gone")

    for order, word in [
        ([a], "missing"),
        ([a, b, "zzz"], "unknown"),
        ([a, a], "repeated"),
        ([b, "zzz"], "unknown"),
    ]:
        response = client.patch(f"/api/lessons/{lid}", json={"order": order})
        assert_problem(response, 422, "order", "permutation", word)
    assert captions(client.get(f"/api/lessons/{lid}").json()) == ["a", "b"]  # unchanged

    assert_problem(
        client.patch(f"{scenes}/{a}", json={"caption": "c" * 401}), 422, "caption", "400"
    )
    assert_problem(client.patch(f"{scenes}/{a}", json={"view": {"tab": "x"}}), 422, "view.tab")
    assert_problem(client.patch(f"{scenes}/{a}", json={"title": "no"}), 422, "title")
    for method, path in [
        ("get", "/api/lessons/nope"),
        ("patch", "/api/lessons/nope"),
        ("delete", "/api/lessons/nope"),
        ("post", "/api/lessons/nope/duplicate"),
        ("post", "/api/lessons/nope/scenes"),
        ("post", "/api/lessons/nope/scenes/x/open"),
        ("get", "/api/lessons/nope/scenes/x/thumbnail.png"),
        ("patch", "/api/lessons/nope/scenes/x"),
        ("delete", "/api/lessons/nope/scenes/x"),
    ]:
        body = {"json": {"session_id": sid}} if path.endswith("/scenes") else {}
        if method == "patch":
            body = {"json": {}}
        assert_problem(getattr(client, method)(path, **body), 404, "lid", "lesson", "nope")
    for method in ("post", "patch", "delete"):
        path = f"{scenes}/other" + ("/open" if method == "post" else "")
        body = {"json": {}} if method == "patch" else {}
        assert_problem(getattr(client, method)(path, **body), 404, "scid", "scene", "other")
    assert_problem(client.get(f"{scenes}/other/thumbnail.png"), 404, "scid")
    assert lesson["scenes"][0]["id"] == a


def test_scene_thumbnails_are_pngs(client: TestClient) -> None:
    lid = new_lesson(client)
    lesson = add_scene(client, lid, new_session(client, steps=100))
    assert_thumbnail(client.get(lesson["scenes"][0]["thumbnail_url"]))
    builtin = client.get(f"/api/lessons/{lecture.LECTURE_ID}").json()
    for scene in builtin["scenes"][:3]:
        assert_thumbnail(client.get(scene["thumbnail_url"]))


def test_a_lesson_link_serves_the_page(client: TestClient) -> None:
    assert client.get("/lesson/lecture").content == client.get("/").content


# --- the built-in lecture ----------------------------------------------------------------


def test_the_lecture_is_listed_first_and_describes_every_scene(client: TestClient) -> None:
    new_lesson(client, "Mine")
    listed = client.get("/api/lessons").json()["lessons"]
    assert listed[0]["id"] == lecture.LECTURE_ID and listed[0]["builtin"] is True
    assert listed[0]["title"] == lecture.LECTURE_TITLE
    assert listed[0]["scenes"] == len(lecture.SCENES)
    assert [entry["title"] for entry in listed[1:]] == ["Mine"]

    lesson = client.get(f"/api/lessons/{lecture.LECTURE_ID}").json()
    assert lesson["builtin"] is True
    assert [s["id"] for s in lesson["scenes"]] == [s.id for s in lecture.SCENES]
    for out, scene in zip(lesson["scenes"], lecture.SCENES, strict=True):
        assert out["caption"] == scene.caption and out["view"] == scene.view
        assert out["step"] == scene.steps and out["slide"] == scene.slide
        assert out["shows"] == list(scene.shows)


@pytest.mark.parametrize("scene", lecture.SCENES, ids=[s.id for s in lecture.SCENES])
def test_a_lecture_scene_opens_at_its_recipe(client: TestClient, scene) -> None:
    opened = open_scene(client, lecture.LECTURE_ID, scene.id)
    built = lecture.trainer_of(scene)
    assert_same(params(client, opened["id"]), built.parameters())
    assert opened["phase"] == built.phase and opened["step"] == built.step
    assert opened["view"] == scene.view and opened["caption"] == scene.caption
    assert opened["index"] == lecture.SCENES.index(scene)
    assert opened["count"] == len(lecture.SCENES)
    for key in ("sign", "layout", "bias"):
        if key in scene.view:
            assert opened["convention"][key] == scene.view[key]


def test_the_lecture_is_read_only(client: TestClient) -> None:
    lid = lecture.LECTURE_ID
    first = lecture.SCENES[0].id
    sid = new_session(client)
    for method, path, body in [
        ("patch", f"/api/lessons/{lid}", {"title": "Mine now"}),
        ("delete", f"/api/lessons/{lid}", None),
        ("post", f"/api/lessons/{lid}/scenes", {"session_id": sid}),
        ("patch", f"/api/lessons/{lid}/scenes/{first}", {"caption": "x"}),
        ("delete", f"/api/lessons/{lid}/scenes/{first}", None),
    ]:
        response = getattr(client, method)(path, **({"json": body} if body else {}))
        assert response.status_code == 409, (method, path, response.text)
        assert response.json()["detail"] == "the built-in lecture cannot be changed: duplicate it"
        assert response.json()["field"] == "lid"
    assert client.get(f"/api/lessons/{lid}").json()["title"] == lecture.LECTURE_TITLE


def test_a_duplicated_lecture_stores_each_scene_and_can_be_edited(client: TestClient) -> None:
    response = client.post(f"/api/lessons/{lecture.LECTURE_ID}/duplicate")
    assert response.status_code == 201, response.text
    copy = response.json()
    assert copy["builtin"] is False and copy["title"] == lecture.LECTURE_TITLE + " (copy)"
    assert captions(copy) == [s.caption for s in lecture.SCENES]
    assert [s["view"] for s in copy["scenes"]] == [s.view for s in lecture.SCENES]
    for out, scene in list(zip(copy["scenes"], lecture.SCENES, strict=True))[::4]:
        opened = open_scene(client, copy["id"], out["id"])
        built = lecture.trainer_of(scene)
        assert_same(params(client, opened["id"]), built.parameters())
        assert opened["phase"] == built.phase
        assert_thumbnail(client.get(out["thumbnail_url"]))

    first, *rest = (s["id"] for s in copy["scenes"])
    response = client.patch(f"/api/lessons/{copy['id']}", json={"order": [*rest, first]})
    assert response.status_code == 200, response.text
    response = client.delete(f"/api/lessons/{copy['id']}/scenes/{first}")
    assert len(response.json()["scenes"]) == len(lecture.SCENES) - 1
    assert len(client.get(f"/api/lessons/{lecture.LECTURE_ID}").json()["scenes"]) == len(
        lecture.SCENES
    )
    assert np.array_equal(  # the lecture itself is untouched
        params(client, open_scene(client, lecture.LECTURE_ID, lecture.SCENES[0].id)["id"])["W"],
        lecture.trainer_of(lecture.SCENES[0]).parameters()["W"],
    )
