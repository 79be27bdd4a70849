"""The join code opens the class's read-only routes and nothing else; "Make it mine" is an
exact copy; the QR code is the join link."""

import re

import numpy as np
import segno
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from server.encoding import decode_typed_array

from .test_classes import open_class, weights
from .test_stream import Viewer, connect

BODIES = {  # a body each route would accept with a session id: only the id is wrong
    "/api/sessions/{id}/config": {"train": {"learning_rate": 1.0}},
    "/api/sessions/{id}/step": {"steps": 5},
    "/api/sessions/{id}/points": {"x": [[0.1, 0.2]], "y": [1]},
    "/api/sessions/{id}/class/poll": {"text": "?", "options": ["a", "b"]},
}


def session_routes(client: TestClient) -> list[tuple[str, str]]:
    """Every (method, path) of the HTTP API that names a session by its id (OpenAPI lists
    every HTTP route the app has)."""
    paths = client.get("/openapi.json").json()["paths"]
    return [
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith("/api/sessions/{id}")
        for method in operations
    ]


def test_the_code_is_no_session_id_on_any_session_route(client: TestClient, sid: str):
    code = open_class(client, sid)["code"]
    client.post(f"/api/sessions/{sid}/step", json={"steps": 10})
    before = client.get(f"/api/sessions/{sid}").json()
    routes = session_routes(client)
    paths = {path for _, path in routes}
    for needed in ("/step", "/reset", "/config", "/branch", "/class", "/export", "/points"):
        assert f"/api/sessions/{{id}}{needed}" in paths, needed
    assert ("DELETE", "/api/sessions/{id}") in routes and ("PATCH", "/api/sessions/{id}/config")
    for method, path in routes:
        url = path.replace("{id}", code).replace("{name}", "x")
        body = BODIES.get(path, {}) if method in ("POST", "PATCH", "PUT") else None
        response = client.request(method, url, json=body)
        assert response.status_code == 404, (method, path, response.status_code, response.text)
        assert response.json()["field"] == "id", (method, path, response.text)
    after = client.get(f"/api/sessions/{sid}").json()
    assert after["step"] == before["step"] == 10 and after["config"] == before["config"]
    assert all(np.array_equal(a, b) for a, b in zip(weights(before), weights(after), strict=True))
    assert client.get(f"/api/classes/{code}").status_code == 200  # the class goes on


def test_the_code_opens_no_session_stream(client: TestClient, sid: str):
    code = open_class(client, sid)["code"]
    with connect(client, code) as ws:
        viewer = Viewer(ws)
        assert code in viewer.message("closed")["detail"]
        try:
            ws.receive_text()
            raise AssertionError("the stream stayed open")
        except WebSocketDisconnect as ended:
            assert ended.code == 4404
    assert client.get(f"/api/sessions/{sid}").json()["step"] == 0


def test_make_it_mine_with_momentum_mid_run_continues_exactly(client: TestClient, sid: str):
    """The velocity of momentum is state too: a copy without it would drift at once."""
    client.post(f"/api/sessions/{sid}/step", json={"steps": 40})
    client.patch(f"/api/sessions/{sid}/config", json={"train": {"momentum": 0.9}})
    client.post(f"/api/sessions/{sid}/step", json={"steps": 73})
    code = open_class(client, sid)["code"]
    mine = client.post(f"/api/classes/{code}/fork").json()
    assert mine["config"]["train"]["momentum"] == 0.9 and mine["step"] == 113
    rows = client.get(f"/api/sessions/{sid}/history").json()["rows"]
    for _ in range(10):  # 100 steps, ten requests: ten new rows of the curves each
        for who in (sid, mine["id"]):
            assert client.post(f"/api/sessions/{who}/step", json={"steps": 10}).status_code == 200
    lecturer = client.get(f"/api/sessions/{sid}").json()
    own = client.get(f"/api/sessions/{mine['id']}").json()
    assert own["step"] == lecturer["step"] == 213
    assert all(np.array_equal(a, b) for a, b in zip(weights(own), weights(lecturer), strict=True))
    curves = [client.get(f"/api/sessions/{who}/history").json() for who in (sid, mine["id"])]
    assert curves[0]["rows"] == curves[1]["rows"] >= rows + 10
    for name in ("step", "train_loss", "test_loss", "train_accuracy", "epoch"):
        a, b = (decode_typed_array(c[name]) for c in curves)
        assert np.array_equal(a, b, equal_nan=True), name
    for layer in curves[0]["grad_norm"]:
        a, b = (decode_typed_array(c["grad_norm"][layer]) for c in curves)
        assert np.array_equal(a, b, equal_nan=True), layer


def svg_modules(svg: str) -> np.ndarray:
    """The dark modules a segno-style SVG path draws ("M x y", "h n", "m dx dy"), as a
    boolean grid of the drawing's size (border included)."""
    size = int(re.search(r'd="M0 0h(\d+)v', svg).group(1))
    (path,) = re.findall(r'class="qrline"[^>]*d="([^"]+)"', svg)
    grid = np.zeros((size, size), dtype=bool)
    x = y = 0.0
    for op, args in re.findall(r"([MmHh])([^MmHh]+)", path):
        numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", args)]
        if op == "M":
            x, y = numbers
        elif op == "m":
            x, y = x + numbers[0], y + numbers[1]
        else:
            grid[int(y), int(x) : int(x + numbers[0])] = True
            x += numbers[0]
    return grid


def test_the_qr_code_is_the_join_link(client: TestClient, sid: str):
    room = open_class(client, sid)
    drawn = svg_modules(room["qr_svg"])
    expected = np.array(segno.make(room["join_url"], error="m").matrix, dtype=bool)
    border = (drawn.shape[0] - expected.shape[0]) // 2
    assert border >= 2 and not drawn[:border].any() and not drawn[:, :border].any()
    assert np.array_equal(drawn[border:-border, border:-border], expected)
    other = room["join_url"][:-1] + str((int(room["join_url"][-1]) + 1) % 10)
    wrong = np.array(segno.make(other, error="m").matrix, dtype=bool)
    assert not np.array_equal(drawn[border:-border, border:-border], wrong)
