"""Sessions on disk (server/persist.py): schema and migrations, bit-exact round trips, the
write-behind cadence, crashes mid-write, restarts, --no-persist, expiry then deletion."""

import json
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from engine import Config, Trainer
from server import persist
from server.cli import parse_args, settings_from
from server.main import create_app
from server.persist import DB_NAME, Database, Persister, PersistError, default_data_dir
from server.sessions import SessionNotFoundError, SessionStore
from server.settings import Settings
from tests.server.conftest import SETTINGS

ROOT = Path(__file__).resolve().parents[2]
CONFIG = {"model": {"hidden": [6, 5], "activation": "tanh"}, "train": {"momentum": 0.9}}


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def settings(data_dir: Path, **changes) -> Settings:
    values = {**SETTINGS.__dict__, "data_dir": str(data_dir), **changes}
    return Settings(**values)


def stored(data_dir: Path) -> dict[str, int]:
    """The rows on disk: id → step (read as another process would)."""
    with sqlite3.connect(data_dir / DB_NAME) as conn:
        return dict(conn.execute("SELECT id, step FROM sessions"))


def trained(steps: int, config: dict | None = None) -> Trainer:
    trainer = Trainer(Config.from_dict(config or CONFIG))
    trainer.train(steps)
    return trainer


# --- the schema ------------------------------------------------------------------------


def test_a_new_database_is_created_at_the_latest_version_in_wal_mode(tmp_path: Path) -> None:
    db = Database(tmp_path / "new" / DB_NAME)  # the directory is created too
    assert db.version == len(persist.MIGRATIONS) >= 1
    with sqlite3.connect(db.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == db.version
        columns = {row[1] for row in conn.execute("PRAGMA table_info(sessions)")}
    assert {"id", "step", "encoding", "state", "created_at", "saved_at", "used_at"} <= columns
    db.close()
    assert Database(db.path).version == db.version  # reopening migrates nothing


def test_a_version_1_database_is_migrated_to_2_and_keeps_its_sessions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file written by a version-1 Backprop Lab (MIGRATIONS[:1]) gains the library's
    tables and keeps every session bit-identically."""
    latest = list(persist.MIGRATIONS)
    monkeypatch.setattr(persist, "MIGRATIONS", latest[:1])
    store = SessionStore(10, 600.0)
    first = Persister(store, tmp_path)
    assert first.db.version == 1
    session = store.add(trained(20))
    first.flush()
    first.stop()
    with sqlite3.connect(tmp_path / DB_NAME) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "experiments" not in tables

    monkeypatch.setattr(persist, "MIGRATIONS", latest)
    second = Persister(SessionStore(10, 600.0), tmp_path)
    assert second.db.version == 2
    with sqlite3.connect(tmp_path / DB_NAME) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert conn.execute("SELECT count(*) FROM experiments").fetchone() == (0,)
    assert {"sessions", "experiments", "lessons", "scenes"} <= tables
    loaded = second.load(session.id)
    assert loaded is not None and loaded.trainer.to_state() == session.trainer.to_state()
    second.stop()


def test_a_later_migration_is_applied_once_and_a_newer_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SessionStore(10, 600.0)
    first = Persister(store, tmp_path)
    session = store.add(trained(20))
    first.flush()
    first.stop()
    latest = len(persist.MIGRATIONS)

    def later(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE sessions ADD COLUMN title TEXT NOT NULL DEFAULT ''")

    monkeypatch.setattr(persist, "MIGRATIONS", [*persist.MIGRATIONS, later])
    second = Persister(SessionStore(10, 600.0), tmp_path)
    assert second.db.version == latest + 1
    with sqlite3.connect(tmp_path / DB_NAME) as conn:
        assert conn.execute("SELECT title FROM sessions").fetchall() == [("",)]
    loaded = second.load(session.id)
    assert loaded is not None and loaded.trainer.to_state() == session.trainer.to_state()
    second.stop()

    # a database from a newer version is refused, and left as it is
    monkeypatch.setattr(persist, "MIGRATIONS", persist.MIGRATIONS[:latest])
    with pytest.raises(PersistError, match="newer"):
        Database(tmp_path / DB_NAME)
    with sqlite3.connect(tmp_path / DB_NAME) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == latest + 1


def test_an_in_memory_database_has_the_same_schema() -> None:
    db = Database(persist.MEMORY)
    assert db.version == len(persist.MIGRATIONS)
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO lessons (id, title, created_at, updated_at) VALUES ('a', 't', 0, 0)"
        )
    with pytest.raises(RuntimeError), db.transaction() as conn:  # rolled back as a whole
        conn.execute("DELETE FROM lessons")
        raise RuntimeError("undo")
    with db.transaction() as conn:
        assert conn.execute("SELECT id FROM lessons").fetchall() == [("a",)]
    db.close()


# --- what is written is what comes back --------------------------------------------------


@pytest.mark.parametrize("phase", [None, "forward", "backward"])
def test_a_session_reads_back_bit_identically_and_trains_on_identically(
    tmp_path: Path, phase: str | None
) -> None:
    store = SessionStore(10, 600.0)
    persister = Persister(store, tmp_path)
    trainer = trained(137)
    trainer.add_points([[0.25, -0.5]], [1], split="train")  # a custom point
    trainer.train(3)
    if phase is not None:
        trainer.forward_phase()
        if phase == "backward":
            trainer.backward_phase()
    session = store.add(trainer)
    session.convention = {"sign": "loglik", "layout": "column", "bias": "augmented"}
    session.view = {"tab": "curves", "selected": 3}
    assert persister.flush() == 1
    persister.stop()

    loaded = Persister(SessionStore(10, 600.0), tmp_path).load(session.id)
    assert loaded is not None and loaded.id == session.id
    assert loaded.trainer.to_state() == trainer.to_state()  # every float, bit for bit
    assert loaded.convention == session.convention and loaded.view == session.view
    assert not loaded.dirty
    for t in (trainer, loaded.trainer):  # finish the step begun before saving
        if t.phase == "forward":
            t.backward_phase()
        if t.phase == "backward":
            t.update_phase()
    trainer.train(100)
    loaded.trainer.train(100)
    assert loaded.trainer.to_state() == trainer.to_state()  # optimiser and RNG too


# --- the write-behind cadence ------------------------------------------------------------


def test_sessions_are_written_after_a_change_and_while_training_every_interval_only(
    tmp_path: Path,
) -> None:
    app = create_app(settings(tmp_path, save_interval_seconds=2.0))
    clock = Clock()
    app.state.store._clock = clock
    persister: Persister = app.state.persist
    client = TestClient(app)  # no lifespan: no writer thread; the test ticks by hand
    sid = client.post("/api/sessions", json={}).json()["id"]
    assert persister.flush() == 1  # a new session is written at the next tick
    assert stored(tmp_path) == {sid: 0}
    assert persister.flush() == 0  # nothing changed: nothing written

    # 400 steps, one request each, 50 ms apart, a tick after each: 20 s of training
    for _ in range(400):
        assert client.post(f"/api/sessions/{sid}/step", json={"steps": 1}).status_code == 200
        clock.now += 0.05
        persister.flush()
    writes = persister.writes - 1
    assert 9 <= writes <= 11, writes  # one per 2 s of training, not one per step
    clock.now += 2.0
    persister.flush()  # the last steps follow within the interval
    assert stored(tmp_path) == {sid: 400}
    assert persister.flush() == 0

    # a change after a quiet spell is written at the next tick; so is each kind of change
    config = f"/api/sessions/{sid}/config"
    changes = [
        lambda: client.patch(config, json={"train": {"l2": 0.01}}),
        lambda: client.patch(config, json={"convention": {"sign": "loglik"}}),
        lambda: client.post(
            f"/api/sessions/{sid}/points", json={"points": [{"x1": 0, "x2": 0, "label": 1}]}
        ),
        lambda: client.request(
            "DELETE", f"/api/sessions/{sid}/points", json={"indices": [0], "split": "train"}
        ),
        lambda: client.post(f"/api/sessions/{sid}/step", json={"phase": "forward"}),
        lambda: client.post(f"/api/sessions/{sid}/reset"),
    ]
    for change in changes:
        assert change().status_code == 200
        clock.now += 5.0
        assert persister.flush() == 1
    reads = [f"/api/sessions/{sid}", f"/api/sessions/{sid}/boundary?resolution=10"]
    for path in reads:
        assert client.get(path).status_code == 200
    clock.now += 5.0
    assert persister.flush() == 0  # reading changes nothing

    # the stream: commands and played frames mark the session; no write per frame either
    with client.websocket_connect(f"/api/sessions/{sid}/stream?encoding=json") as ws:
        ws.send_json({"type": "step", "steps": 5})
        while ws.receive_json().get("type") != "frame":
            pass
    clock.now += 5.0
    assert persister.flush() == 1
    assert stored(tmp_path)[sid] == 5
    with client.websocket_connect(f"/api/sessions/{sid}/stream?encoding=json") as ws:
        ws.send_json({"type": "play", "fps": 60, "steps_per_frame": 1})
        frames = 0
        while frames < 60:
            frames += ws.receive_json().get("type") == "frame"
        ws.send_json({"type": "pause"})
    clock.now += 5.0
    assert persister.flush() == 1  # 60 frames of training: one write
    client.close()


# --- crashes ------------------------------------------------------------------------------

KILLED_MID_WRITE = """
import os, sys
from server.persist import Persister
from server.sessions import SessionStore

class DiesOnCommit:  # the process is killed between the INSERT and the COMMIT
    def __init__(self, conn):
        self.conn = conn
    def execute(self, sql, *args):
        if sql == "COMMIT":
            os._exit(9)
        return self.conn.execute(sql, *args)

store = SessionStore(10, 600.0)
persister = Persister(store, sys.argv[1])
session = store.get(sys.argv[2])
session.trainer.train(50)
session.changed()
persister.db._conn = DiesOnCommit(persister.db._conn)
persister.flush(force=True)
"""


def test_a_writer_killed_mid_write_leaves_the_previous_complete_state(tmp_path: Path) -> None:
    store = SessionStore(10, 600.0)
    persister = Persister(store, tmp_path)
    session = store.add(trained(10))
    persister.flush()
    before = session.trainer.to_state()
    persister.stop()

    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(KILLED_MID_WRITE), str(tmp_path), session.id],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 9, done.stderr

    db = Database(tmp_path / DB_NAME)
    assert db.integrity() == "ok"
    row = db.load(session.id)
    assert row is not None and row.step == 10
    assert row.payload["trainer"] == before


def test_a_failed_write_keeps_the_previous_row_and_is_retried(tmp_path: Path) -> None:
    store = SessionStore(10, 600.0)
    persister = Persister(store, tmp_path)
    session = store.add(trained(10))
    persister.flush()
    session.trainer.train(5)
    session.changed()
    real = persister.db._conn

    class FailsOnCommit:
        def execute(self, sql: str, *args):
            if sql == "COMMIT":
                raise sqlite3.OperationalError("disk I/O error")
            return real.execute(sql, *args)

    persister.db._conn = FailsOnCommit()
    assert persister.flush(force=True) == 0
    assert persister.failures == 1 and session.dirty
    persister.db._conn = real
    assert stored(tmp_path) == {session.id: 10}  # rolled back: the old row is whole
    assert persister.flush(force=True) == 1
    assert stored(tmp_path) == {session.id: 15}
    persister.stop()


# --- a restart ------------------------------------------------------------------------------


def test_a_restarted_server_serves_the_session_under_its_id(tmp_path: Path) -> None:
    with TestClient(create_app(settings(tmp_path))) as client:
        sid, twin = (client.post("/api/sessions", json=CONFIG).json()["id"] for _ in range(2))
        for session_id in (sid, twin):
            client.post(f"/api/sessions/{session_id}/step", json={"steps": 50})
        client.patch(f"/api/sessions/{sid}/config", json={"convention": {"sign": "loglik"}})
        before = client.get(f"/api/sessions/{sid}/export").json()
        client.post(f"/api/sessions/{twin}/step", json={"steps": 100})  # never restarted
        expected = client.get(f"/api/sessions/{twin}/export").json()["state"]
    assert stored(tmp_path) == {sid: 50, twin: 150}  # shutting down wrote everything

    app = create_app(settings(tmp_path))
    with TestClient(app) as client:
        assert sid in app.state.store  # loaded at startup, before the first request
        state = client.get(f"/api/sessions/{sid}").json()
        assert (state["id"], state["step"], state["convention"]["sign"]) == (sid, 50, "loglik")
        assert client.get(f"/api/sessions/{sid}/export").json() == before
        client.post(f"/api/sessions/{sid}/step", json={"steps": 100})
        after = client.get(f"/api/sessions/{sid}/export").json()["state"]
    assert after == expected  # the next 100 steps are those it would have taken anyway


def test_a_deleted_session_is_deleted_from_disk(tmp_path: Path) -> None:
    with TestClient(create_app(settings(tmp_path))) as client:
        sid = client.post("/api/sessions", json={}).json()["id"]
        client.app.state.persist.flush()
        assert sid in stored(tmp_path)
        client.post(f"/api/sessions/{sid}/step", json={"steps": 3})  # unsaved change
        assert client.delete(f"/api/sessions/{sid}").status_code == 204
        assert stored(tmp_path) == {}
    assert stored(tmp_path) == {}  # the shutdown flush does not bring it back
    with TestClient(create_app(settings(tmp_path))) as client:
        assert client.get(f"/api/sessions/{sid}").status_code == 404


# --- --no-persist and the data directory ---------------------------------------------------


def test_no_persist_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(persist.DATA_DIR_ENV, str(tmp_path / "data"))
    assert settings_from(parse_args([])).data_dir == str(tmp_path / "data")
    quiet = settings_from(parse_args(["--no-persist"]))
    assert quiet.data_dir is None
    app = create_app(quiet)
    assert app.state.persist is None
    with TestClient(app) as client:
        sid = client.post("/api/sessions", json={}).json()["id"]
        client.post(f"/api/sessions/{sid}/step", json={"steps": 20})
    assert not (tmp_path / "data").exists()
    assert list(tmp_path.iterdir()) == []


def test_the_data_dir_follows_the_platform_convention(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(persist.DATA_DIR_ENV, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_data_dir() == tmp_path / "xdg" / "backprop-lab"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert default_data_dir() == tmp_path / ".local" / "share" / "backprop-lab"
    monkeypatch.setenv(persist.DATA_DIR_ENV, str(tmp_path / "chosen"))
    assert default_data_dir() == tmp_path / "chosen"
    args = parse_args(["--data-dir", str(tmp_path / "flag"), "--keep-days", "2"])
    assert settings_from(args).data_dir == str(tmp_path / "flag")
    assert settings_from(args).keep_seconds == 2 * 86400


def test_an_unusable_data_dir_is_refused_with_its_path(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(PersistError, match="a-file"):
        create_app(settings(blocker))


# --- memory and disk: expiry, eviction, deletion after the keep time -----------------------


def test_an_expired_session_stays_on_disk_then_is_deleted_after_the_keep_time(
    tmp_path: Path,
) -> None:
    clock, wall = Clock(), Clock(1.7e9)
    store = SessionStore(10, 100.0, clock=clock)
    persister = Persister(store, tmp_path, keep_seconds=1000.0, wall=wall)
    session = store.add(trained(10))
    persister.flush()
    session.trainer.train(5)  # changed, then dropped from memory before the next tick
    session.changed()

    clock.now += 101
    wall.now += 101
    assert store.expire() == 1 and session.id not in store  # memory freed…
    persister.flush()  # …after its last change was written
    assert stored(tmp_path) == {session.id: 15}
    assert persister.purge() == 0  # within the keep time

    back = store.get(session.id)  # asked for: loaded back from disk
    assert back is not session and back.trainer.to_state() == session.trainer.to_state()
    clock.now += 999
    wall.now += 999
    assert store.expire() == 1
    persister.flush()  # loading it back was a use: recorded
    assert persister.purge() == 0  # last used 999 s ago: kept
    wall.now += 2
    assert persister.purge() == 1
    assert stored(tmp_path) == {}
    with pytest.raises(SessionNotFoundError):
        store.get(session.id)


def test_an_evicted_session_is_loaded_back_when_asked_for(tmp_path: Path) -> None:
    clock = Clock()
    store = SessionStore(2, 600.0, clock=clock)
    persister = Persister(store, tmp_path)
    first = store.add(trained(7))
    clock.now += 1
    store.add(trained(1))
    clock.now += 1
    store.add(trained(2))  # full: the first goes, with its unsaved state
    assert first.id not in store
    back = store.get(first.id)  # before any tick: the retired object itself
    assert back is first
    persister.flush()
    assert stored(tmp_path)[first.id] == 7
    persister.stop()


def test_startup_restores_the_sessions_live_at_shutdown_not_older_ones(tmp_path: Path) -> None:
    clock, wall = Clock(), Clock(1.7e9)
    store = SessionStore(10, 100.0, clock=clock)
    persister = Persister(store, tmp_path, wall=wall)
    old = store.add(trained(1))
    clock.now += 500  # `old` idle for 500 s when the others were last used
    wall.now += 500
    recent = store.add(trained(2))
    clock.now += 30
    wall.now += 30
    persister.stop()

    wall.now += 86400  # the server was off for a day: downtime is not idle time
    clock2 = Clock(50.0)
    store2 = SessionStore(10, 100.0, clock=clock2)
    assert Persister(store2, tmp_path, wall=wall).restore() == 1
    assert recent.id in store2 and old.id not in store2
    assert clock2.now - store2.get(recent.id).last_used == 0  # get marks it used
    assert store2.get(old.id).trainer.step == 1  # the older one loads when asked for


def test_a_stream_opens_on_a_session_evicted_from_memory(tmp_path: Path) -> None:
    """The page's stream, not only REST, brings a saved session back into memory."""
    full = settings(tmp_path, max_sessions=1)
    app = create_app(full)
    with TestClient(app) as client:
        first = client.post("/api/sessions", json=CONFIG).json()["id"]
        client.post(f"/api/sessions/{first}/step", json={"steps": 12})
        client.post("/api/sessions", json=CONFIG)  # full: the first leaves memory
        assert first not in app.state.store
        with client.websocket_connect(f"/api/sessions/{first}/stream?encoding=json") as ws:
            message = json.loads(ws.receive_text())
            while message["type"] != "frame":
                message = json.loads(ws.receive_text())
        assert message["step"] == 12
