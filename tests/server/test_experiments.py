"""Saved experiments (server/library.py, server/routes/experiments.py): saving keeps the
session's exact state, opening gives a new session that trains on bit-identically, the
edits, export and import between two servers, refusals that name the field, the
thumbnail, and the storage: a data dir survives a restart, no data dir keeps them in
memory."""

import asyncio
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from server.main import create_app
from server.persist import Database
from server.settings import Settings
from server.thumbnail import SIZE
from tests.server.conftest import LOCAL, SETTINGS, assert_problem

CONFIG = {
    "model": {"hidden": [6, 5], "activation": "tanh"},
    "train": {"momentum": 0.9, "batch_size": 7},
    "data": {"dataset": "spiral", "classes": 3},
}


# --- helpers (test_lessons.py uses them too) ---------------------------------------------


def new_session(client: TestClient, steps: int = 0, config: dict | None = None) -> str:
    response = client.post("/api/sessions", json=CONFIG if config is None else config)
    assert response.status_code == 201, response.text
    sid = response.json()["id"]
    if steps:
        train(client, sid, steps)
    return sid


def train(client: TestClient, sid: str, steps: int) -> None:
    response = client.post(f"/api/sessions/{sid}/step", json={"steps": steps})
    assert response.status_code == 200, response.text


def params(client: TestClient, sid: str) -> dict[str, np.ndarray]:
    """The session's parameters as the engine holds them (float64, exactly)."""
    return client.app.state.store.get(sid).trainer.parameters()


def assert_same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert list(a) == list(b)
    for name in a:
        assert np.array_equal(a[name], b[name]), name


def save(client: TestClient, sid: str, name: str = "spiral", view: dict | None = None) -> dict:
    body: dict = {"name": name}
    if view is not None:
        body["view"] = view
    response = client.post(f"/api/sessions/{sid}/experiments", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def open_experiment(client: TestClient, eid: str) -> dict:
    response = client.post(f"/api/experiments/{eid}/open")
    assert response.status_code == 201, response.text
    return response.json()


def read_png(data: bytes) -> np.ndarray:
    """Decode an 8-bit RGB, non-interlaced PNG (filter 0 rows), checking every chunk's CRC:
    (height, width, 3) uint8."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, kind
        chunks.append((kind, body))
        pos += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, colour, interlace) == (8, 2, 0)
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(height, 1 + 3 * width)
    assert (rows[:, 0] == 0).all()
    return rows[:, 1:].reshape(height, width, 3)


def assert_thumbnail(response) -> np.ndarray:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    pixels = read_png(response.content)
    assert pixels.shape == (SIZE, SIZE, 3)
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 2  # a boundary and points
    return pixels


def on_disk(data_dir: Path, **changes) -> Settings:
    return Settings(**{**SETTINGS.__dict__, "data_dir": str(data_dir), **changes})


# --- saving and opening ------------------------------------------------------------------


def test_saving_returns_the_experiment_described(client: TestClient) -> None:
    sid = new_session(client, steps=40)
    view = {"tab": "matrices", "selected": 3, "presentation": True, "hide": ["data"]}
    experiment = save(client, sid, "  Three arms  ", view)
    eid = experiment["id"]
    assert experiment["name"] == "Three arms"  # spaces at the ends dropped
    assert experiment["step"] == 40 and experiment["epoch"] > 0
    assert 0 < experiment["loss"] < 5 and 0 <= experiment["accuracy"] <= 1
    assert experiment["summary"] == {
        "dataset": "spiral",
        "classes": 3,
        "hidden": [6, 5],
        "activation": "tanh",
        "model": "mlp",
    }
    assert experiment["view"] == view
    assert experiment["created_at"].endswith("Z") and "T" in experiment["created_at"]
    assert experiment["thumbnail_url"] == f"/api/experiments/{eid}/thumbnail.png"
    assert experiment["share_url"] == f"/e/{eid}"
    assert experiment["export_url"] == f"/api/experiments/{eid}/export"
    assert client.get(f"/api/experiments/{eid}").json() == experiment
    assert save(client, sid, "plain")["view"] == {}


def test_an_opened_experiment_has_the_saved_parameters_and_trains_on_identically(
    client: TestClient,
) -> None:
    sid = new_session(client, steps=37)
    at_save = params(client, sid)
    eid = save(client, sid)["id"]
    train(client, sid, 50)  # the original goes on: the experiment keeps step 37
    after_50 = params(client, sid)

    opened = open_experiment(client, eid)
    copy = opened["id"]
    assert copy != sid and opened["step"] == 37
    assert opened["experiment"]["id"] == eid and opened["view"] == {}
    assert_same(params(client, copy), at_save)
    train(client, copy, 50)
    assert_same(params(client, copy), after_50)  # same minibatches, momentum, RNG
    assert client.get(f"/api/experiments/{eid}").json()["step"] == 37  # not changed


def test_a_state_saved_mid_step_opens_mid_step(client: TestClient) -> None:
    sid = new_session(client, steps=12)
    client.post(f"/api/sessions/{sid}/step", json={"phase": "forward"})
    convention = {"sign": "loglik", "layout": "column", "bias": "augmented"}
    client.patch(f"/api/sessions/{sid}/config", json={"convention": convention})
    eid = save(client, sid)["id"]
    opened = open_experiment(client, eid)
    assert opened["phase"] == "forward" and opened["convention"] == convention
    for sid_ in (sid, opened["id"]):
        for phase in ("backward", "update"):
            client.post(f"/api/sessions/{sid_}/step", json={"phase": phase})
        train(client, sid_, 20)
    assert_same(params(client, opened["id"]), params(client, sid))


def test_experiments_are_listed_newest_first(client: TestClient) -> None:
    sid = new_session(client)
    names = [save(client, sid, f"run {i}")["name"] for i in range(3)]
    listed = client.get("/api/experiments").json()["experiments"]
    assert [e["name"] for e in listed] == names[::-1]


# --- rename, duplicate, delete -----------------------------------------------------------


def test_rename_duplicate_and_delete(client: TestClient) -> None:
    sid = new_session(client, steps=25)
    at_save = params(client, sid)
    original = save(client, sid, "first", {"tab": "curves"})
    eid = original["id"]

    renamed = client.patch(f"/api/experiments/{eid}", json={"name": "renamed"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "renamed"
    assert renamed.json()["updated_at"] >= original["updated_at"]
    assert client.get(f"/api/experiments/{eid}").json()["name"] == "renamed"

    copy = client.post(f"/api/experiments/{eid}/duplicate")
    assert copy.status_code == 201, copy.text
    copy = copy.json()
    assert copy["id"] != eid and copy["name"] == "renamed (copy)"
    assert copy["view"] == {"tab": "curves"} and copy["step"] == 25
    named = client.post(f"/api/experiments/{eid}/duplicate", json={"name": "mine"}).json()
    assert named["name"] == "mine"
    long = client.patch(f"/api/experiments/{eid}", json={"name": "x" * 80}).json()
    assert len(client.post(f"/api/experiments/{long['id']}/duplicate").json()["name"]) == 80

    assert client.delete(f"/api/experiments/{eid}").status_code == 204
    assert_problem(client.get(f"/api/experiments/{eid}"), 404, "eid", eid)
    listed = [e["id"] for e in client.get("/api/experiments").json()["experiments"]]
    assert eid not in listed and copy["id"] in listed
    assert_same(params(client, open_experiment(client, copy["id"])["id"]), at_save)


# --- export and import -------------------------------------------------------------------


def test_export_then_import_on_another_server_is_bit_identical(client: TestClient) -> None:
    sid = new_session(client, steps=30)
    view = {"tab": "matrices", "edge_mode": "gradient"}
    eid = save(client, sid, "to take home", view)["id"]
    opened_here = open_experiment(client, eid)["id"]
    exported = client.get(f"/api/experiments/{eid}/export")
    assert exported.status_code == 200
    assert "attachment" in exported.headers["content-disposition"]
    assert "to-take-home.json" in exported.headers["content-disposition"]
    file = exported.json()
    assert file["format"] == "backprop-lab/1" and file["experiment"]["name"] == "to take home"

    with TestClient(create_app(SETTINGS), client=LOCAL) as other:
        imported = other.post("/api/experiments/import", json=file)
        assert imported.status_code == 201, imported.text
        assert imported.json()["name"] == "to take home" and imported.json()["view"] == view
        assert imported.json()["step"] == 30
        opened_there = open_experiment(other, imported.json()["id"])["id"]
        assert_same(params(other, opened_there), params(client, opened_here))
        train(other, opened_there, 50)
        train(client, opened_here, 50)
        assert_same(params(other, opened_there), params(client, opened_here))

        # a session's export (no "experiment") is kept as "Imported model"
        plain = client.get(f"/api/sessions/{sid}/export").json()
        imported = other.post("/api/experiments/import", json=plain)
        assert imported.status_code == 201, imported.text
        assert imported.json()["name"] == "Imported model"
        # and the experiment's file is also a session export
        assert other.post("/api/sessions/import", json=file).status_code == 201


# --- refusals ----------------------------------------------------------------------------


def test_bad_input_is_refused_naming_the_field(client: TestClient) -> None:
    sid = new_session(client)
    saves = f"/api/sessions/{sid}/experiments"
    assert_problem(client.post(saves, json={"name": "x" * 81}), 422, "name", "80")
    assert_problem(client.post(saves, json={"name": "   "}), 422, "name", "1")
    assert_problem(client.post(saves, json={}), 422, "name", "required")
    assert_problem(
        client.post(saves, json={"name": "a", "view": {"colour": "red"}}), 422, "view.colour"
    )
    assert_problem(
        client.post(saves, json={"name": "a", "view": {"selected": 100_001}}),
        422,
        "view.selected",
        "100000",
    )
    assert_problem(
        client.post(saves, json={"name": "a", "view": {"tab": "network"}}), 422, "view.tab"
    )
    assert_problem(
        client.post(saves, json={"name": "a", "view": {"hide": ["everything"]}}),
        422,
        "view.hide.0",
    )
    assert_problem(client.post(saves, json={"name": "a", "extra": 1}), 422, "extra")
    assert_problem(client.post("/api/sessions/nope/experiments", json={"name": "a"}), 404, "id")

    eid = save(client, sid)["id"]
    assert_problem(client.patch(f"/api/experiments/{eid}", json={"name": ""}), 422, "name")
    assert_problem(
        client.post(f"/api/experiments/{eid}/duplicate", json={"name": "y" * 81}), 422, "name"
    )
    for method, path in [
        ("get", "/api/experiments/missing"),
        ("patch", "/api/experiments/missing"),
        ("delete", "/api/experiments/missing"),
        ("post", "/api/experiments/missing/duplicate"),
        ("post", "/api/experiments/missing/open"),
        ("get", "/api/experiments/missing/export"),
        ("get", "/api/experiments/missing/thumbnail.png"),
    ]:
        body = {"json": {"name": "n"}} if method == "patch" else {}
        response = getattr(client, method)(path, **body)
        assert_problem(response, 404, "eid", "experiment", "missing")
    assert client.get("/api/experiments/" + "z" * 65).status_code == 422

    bad_state = {"format": "backprop-lab/1", "state": {"config": {}}}
    assert_problem(client.post("/api/experiments/import", json=bad_state), 422, "state.version")
    bad_state["state"]["version"] = 1
    assert_problem(client.post("/api/experiments/import", json=bad_state), 422, "state")
    assert_problem(client.post("/api/experiments/import", json={"state": {}}), 422, "format")
    file = client.get(f"/api/experiments/{eid}/export").json()
    file["experiment"]["view"] = {"unknown": 1}
    assert_problem(
        client.post("/api/experiments/import", json=file), 422, "experiment.view.unknown"
    )


# --- the thumbnail -----------------------------------------------------------------------


def test_the_thumbnail_is_a_png_of_the_boundary_and_points(client: TestClient) -> None:
    sid = new_session(client, steps=200)
    experiment = save(client, sid)
    response = client.get(experiment["thumbnail_url"])
    pixels = assert_thumbnail(response)
    colours = {tuple(int(v) for v in p) for p in pixels.reshape(-1, 3)}
    page_palette = {(0xE6, 0x9F, 0x00), (0x00, 0x72, 0xB2), (0x00, 0x9E, 0x73)}
    assert page_palette <= colours  # the three classes' points, in the page's colours
    assert "max-age" in response.headers["cache-control"]
    again = client.get(
        experiment["thumbnail_url"], headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""
    train(client, sid, 100)  # drawn once, when saved: training on changes nothing
    assert client.get(experiment["thumbnail_url"]).content == response.content


# --- the page and the storage ------------------------------------------------------------


def test_a_share_link_serves_the_page(client: TestClient) -> None:
    page = client.get("/")
    shared = client.get("/e/anything")
    assert shared.status_code == 200 and shared.content == page.content
    assert shared.headers["etag"] == page.headers["etag"]


def test_without_a_data_dir_experiments_live_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = create_app(SETTINGS)
    with TestClient(app, client=LOCAL) as first:
        assert app.state.library.db.memory
        sid = new_session(first, steps=10)
        eid = save(first, sid)["id"]
    with TestClient(app, client=LOCAL) as again:  # the same app served again keeps them
        assert again.get(f"/api/experiments/{eid}").status_code == 200
    with TestClient(create_app(SETTINGS), client=LOCAL) as other:  # another server has its own
        assert other.get("/api/experiments").json() == {"experiments": []}
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_experiments_and_lessons_survive_a_restart(tmp_path: Path) -> None:
    with TestClient(create_app(on_disk(tmp_path)), client=LOCAL) as first:
        sid = new_session(first, steps=33)
        at_save = params(first, sid)
        eid = save(first, sid, "kept", {"tab": "curves"})["id"]
        lid = first.post("/api/lessons", json={"title": "Monday"}).json()["id"]
        added = first.post(f"/api/lessons/{lid}/scenes", json={"session_id": sid, "caption": "c"})
        assert added.status_code == 201, added.text
        scid = added.json()["scenes"][0]["id"]
        thumbnail = first.get(f"/api/experiments/{eid}/thumbnail.png").content

    with TestClient(create_app(on_disk(tmp_path)), client=LOCAL) as second:
        listed = second.get("/api/experiments").json()["experiments"]
        assert [(e["id"], e["name"], e["view"]) for e in listed] == [
            (eid, "kept", {"tab": "curves"})
        ]
        assert second.get(f"/api/experiments/{eid}/thumbnail.png").content == thumbnail
        assert_same(params(second, open_experiment(second, eid)["id"]), at_save)
        lesson = second.get(f"/api/lessons/{lid}").json()
        assert lesson["title"] == "Monday" and [s["id"] for s in lesson["scenes"]] == [scid]
        opened = second.post(f"/api/lessons/{lid}/scenes/{scid}/open")
        assert opened.status_code == 201, opened.text
        assert_same(params(second, opened.json()["id"]), at_save)


def test_the_database_is_never_used_on_the_event_loop(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every library call reaches the database from a worker thread (no running loop)."""
    used: list[bool] = []
    original = Database.transaction

    def checked(self: Database):
        try:
            asyncio.get_running_loop()
            used.append(False)
        except RuntimeError:
            used.append(True)
        return original(self)

    monkeypatch.setattr(Database, "transaction", checked)
    sid = new_session(client, steps=3)
    eid = save(client, sid)["id"]
    client.get("/api/experiments")
    client.patch(f"/api/experiments/{eid}", json={"name": "b"})
    client.post(f"/api/experiments/{eid}/duplicate")
    open_experiment(client, eid)
    file = client.get(f"/api/experiments/{eid}/export").json()
    client.post("/api/experiments/import", json=file)
    client.get(f"/api/experiments/{eid}/thumbnail.png")
    lid = client.post("/api/lessons", json={"title": "t"}).json()["id"]
    client.post(f"/api/lessons/{lid}/scenes", json={"session_id": sid})
    client.get("/api/lessons")
    client.post(f"/api/lessons/{lid}/duplicate")
    client.delete(f"/api/lessons/{lid}")
    client.delete(f"/api/experiments/{eid}")
    assert len(used) >= 14 and all(used), used
