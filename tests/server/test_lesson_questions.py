"""Predict, then reveal, in lessons: a scene may carry a question about its next phase; the
built-in lecture's are answered by the numbers their reveal shows."""

from fastapi.testclient import TestClient

from server import lecture
from tests.server.test_experiments import new_session
from tests.server.test_lessons import add_scene, new_lesson, open_scene

QUESTION = {
    "text": "Which sign will δ⁽ʰ⁾₁ have?",
    "options": ["positive", "negative", "zero"],
    "answer": 1,
    "reveal": "backward",
}


def scene_of(lesson: dict, scid: str) -> dict:
    return next(s for s in lesson["scenes"] if s["id"] == scid)


def test_the_lectures_questions_come_with_their_answers(client: TestClient) -> None:
    lesson = client.get(f"/api/lessons/{lecture.LECTURE_ID}").json()
    asked = {s["id"]: s["question"] for s in lesson["scenes"] if s["question"]}
    assert set(asked) == {"predict-delta-o", "predict-relu-mask"}
    # δ⁽ᵒ⁾_k = 1 − o_k > 0 for the log-likelihood; 3 of the 4 units have z ≤ 0 there
    expected = {"predict-delta-o": 0, "predict-relu-mask": 3}
    for scid, question in asked.items():
        assert question["answer"] == expected[scid] and question["reveal"] == "backward"
        opened = open_scene(client, lecture.LECTURE_ID, scid)
        assert opened["question"] == question and opened["view"]["phase"] == "loss"
    assert scene_of(lesson, "delta-h")["question"] is None


def test_a_scene_of_ones_own_takes_a_question_and_loses_it(client: TestClient) -> None:
    lid = new_lesson(client)
    sid = new_session(client, steps=3)
    lesson = add_scene(client, lid, sid, "guess first", question=QUESTION)
    scid = lesson["scenes"][0]["id"]
    assert lesson["scenes"][0]["question"] == QUESTION
    assert open_scene(client, lid, scid)["question"] == QUESTION
    # a caption edit leaves the question; a new question replaces it; null removes it
    edited = client.patch(f"/api/lessons/{lid}/scenes/{scid}", json={"caption": "now"}).json()
    assert scene_of(edited, scid)["question"] == QUESTION
    poll = {"text": "Will the loss fall?", "options": ["yes", "no"]}
    edited = client.patch(f"/api/lessons/{lid}/scenes/{scid}", json={"question": poll}).json()
    assert scene_of(edited, scid)["question"] == {**poll, "answer": None, "reveal": "backward"}
    copy = client.post(f"/api/lessons/{lid}/duplicate").json()
    assert copy["scenes"][0]["question"]["text"] == "Will the loss fall?"
    edited = client.patch(f"/api/lessons/{lid}/scenes/{scid}", json={"question": None}).json()
    assert scene_of(edited, scid)["question"] is None


def test_a_bad_question_is_refused_naming_the_field(client: TestClient) -> None:
    lid = new_lesson(client)
    sid = new_session(client)
    scid = add_scene(client, lid, sid)["scenes"][0]["id"]
    for question, field in (
        ({**QUESTION, "answer": 3}, "answer"),
        ({**QUESTION, "options": ["one"]}, "options"),
        ({**QUESTION, "reveal": "loss"}, "reveal"),
        ({**QUESTION, "text": ""}, "text"),
        ({**QUESTION, "hint": "no"}, "hint"),
    ):
        response = client.patch(f"/api/lessons/{lid}/scenes/{scid}", json={"question": question})
        assert response.status_code == 422, (question, response.text)
        assert field in response.text, (field, response.text)
    assert client.get(f"/api/lessons/{lid}").json()["scenes"][0]["question"] is None
