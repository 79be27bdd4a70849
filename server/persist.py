"""Sessions on disk: an embedded SQLite database, written behind the live sessions.

One file, `sessions.sqlite3`, in the data directory (`default_data_dir()`, or
`--data-dir`). The schema is versioned with `PRAGMA user_version` and the ordered
`MIGRATIONS`: a database of any older version is brought up to date when opened, one
migration per transaction; a database from a newer Backprop Lab is refused, never touched.

What is stored per session: the trainer's complete state (`Trainer.to_state()`: config,
data with custom points, parameters, optimiser, sampler RNG, step, history), the display
convention and the view, as JSON, zlib-compressed when larger than a few kilobytes.

The same file holds the saved experiments and lessons (schema version 2: tables
`experiments`, `lessons` and `scenes`; server/library.py reads and writes them through
its own `Database` connection). Unlike a session row, an experiment or a scene is kept
until it is deleted: it is something a user chose to keep. Without a data directory the
library uses `Database(MEMORY)`, an in-memory database with the same schema.

Writing. Every change marks the session (`Session.changed()`); a writer thread looks every
`TICK_SECONDS` for changed sessions and writes each one at most every `interval` seconds
(2 s by default): a single change is on disk within a tick, a session training at 60
frames a second is written every 2 s, never once per step. The state is copied under the
session's lock (a few milliseconds at most), then encoded, compressed and written outside
it, each write one transaction that replaces the row, in WAL mode: a crash at any moment
leaves the previous complete row (SIGKILL loses at most the last `interval` seconds; a
clean shutdown writes everything). Nothing here runs on the event loop.

Memory and disk. Idle expiry and eviction free memory only: a session dropped with unsaved
changes is written first, and is loaded back when next asked for (`SessionStore.get`). A
row unused for `keep_seconds` is deleted; DELETE /api/sessions/{id} deletes it at once.
At startup the sessions that were live when the server stopped (used within a TTL of the
last use recorded) are loaded back into memory before the first request, with the idle
time they had then, so a page whose stream reconnects finds its session under its id.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from engine import Trainer
from server.sessions import Session, SessionStore

log = logging.getLogger("backprop_lab.persist")

APP_DIR = "backprop-lab"
DATA_DIR_ENV = "BACKPROP_LAB_DATA_DIR"  # overrides the platform's default (tests, Docker)
DB_NAME = "sessions.sqlite3"
FORMAT = 1  # the payload's own version, inside the row
COMPRESS_ABOVE = 4096  # bytes of JSON; below this zlib saves little
TICK_SECONDS = 0.25  # how often the writer looks for changed sessions
TOUCH_SECONDS = 60.0  # how stale a row's recorded last use may get before it is updated
PURGE_SECONDS = 600.0  # how often rows past the keep time are looked for


class PersistError(RuntimeError):
    """The database cannot be used (unwritable directory, a newer schema, not SQLite)."""


def default_data_dir() -> Path:
    """Where a user's data lives by the platform's convention: $BACKPROP_LAB_DATA_DIR if
    set; Linux and other Unix: $XDG_DATA_HOME/backprop-lab (~/.local/share/backprop-lab);
    macOS: ~/Library/Application Support/backprop-lab; Windows: %LOCALAPPDATA%\\backprop-lab.
    """
    explicit = os.environ.get(DATA_DIR_ENV)
    if explicit:
        return Path(explicit).expanduser()
    home = Path.home()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(home / "AppData" / "Local")
        return Path(base) / APP_DIR
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / APP_DIR
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".local" / "share") / APP_DIR


# --- the schema ------------------------------------------------------------------------


def _v1(conn: sqlite3.Connection) -> None:
    """Version 1: one row per session, its state as an encoded blob."""
    conn.execute(
        """CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            step INTEGER NOT NULL,        -- for people reading the file; the state has it
            encoding TEXT NOT NULL,       -- 'json' or 'json+zlib'
            state BLOB NOT NULL,          -- {format, trainer, convention, view}
            created_at REAL NOT NULL,     -- wall-clock seconds (Unix time)
            saved_at REAL NOT NULL,
            used_at REAL NOT NULL         -- last use: restore order and the keep time
        )"""
    )
    conn.execute("CREATE INDEX sessions_used_at ON sessions (used_at)")


def _v2(conn: sqlite3.Connection) -> None:
    """Version 2: saved experiments and lessons (server/library.py). A scene owns a copy
    of its state, so deleting an experiment or a session never changes a lesson."""
    conn.execute(
        """CREATE TABLE experiments (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            step INTEGER NOT NULL,
            meta TEXT NOT NULL,           -- JSON: epoch, loss, accuracy, summary, view
            encoding TEXT NOT NULL,       -- 'json' or 'json+zlib'
            state BLOB NOT NULL,          -- {format, trainer, convention}
            thumbnail BLOB NOT NULL,      -- PNG, drawn once when saved
            created_at REAL NOT NULL,     -- wall-clock seconds (Unix time)
            updated_at REAL NOT NULL
        )"""
    )
    conn.execute("CREATE INDEX experiments_created_at ON experiments (created_at)")
    conn.execute(
        """CREATE TABLE lessons (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        )"""
    )
    conn.execute(
        """CREATE TABLE scenes (
            id TEXT PRIMARY KEY,
            lesson_id TEXT NOT NULL REFERENCES lessons (id),
            position INTEGER NOT NULL,    -- 0, 1, … within its lesson
            caption TEXT NOT NULL,
            step INTEGER NOT NULL,
            meta TEXT NOT NULL,           -- JSON: summary, view
            encoding TEXT NOT NULL,
            state BLOB NOT NULL,          -- {format, trainer, convention}
            thumbnail BLOB NOT NULL
        )"""
    )
    conn.execute("CREATE INDEX scenes_lesson ON scenes (lesson_id, position)")


# MIGRATIONS[i] takes a database from version i to version i + 1. Append, never edit.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1, _v2]


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema up to date, one transaction per version; returns the version."""
    latest = len(MIGRATIONS)
    version = schema_version(conn)
    if version > latest:
        raise PersistError(
            f"the database is schema version {version}, made by a newer Backprop Lab "
            f"(this one reads up to {latest}); upgrade, or choose another --data-dir"
        )
    while version < latest:
        conn.execute("BEGIN IMMEDIATE")
        try:
            if schema_version(conn) == version:  # another process may have migrated it
                MIGRATIONS[version](conn)
                conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        version = schema_version(conn)
    return version


@dataclass(frozen=True)
class Row:
    id: str
    step: int
    payload: dict[str, Any]
    created_at: float
    saved_at: float
    used_at: float


def encode(payload: dict[str, Any]) -> tuple[str, bytes]:
    data = orjson.dumps(payload)  # shortest round-trip floats: bit-exact on reading back
    if len(data) > COMPRESS_ABOVE:
        return "json+zlib", zlib.compress(data, 1)  # level 1: 5× faster than 6, ~5 % bigger
    return "json", data


def decode(encoding: str, blob: bytes) -> dict[str, Any]:
    if encoding == "json+zlib":
        blob = zlib.decompress(blob)
    elif encoding != "json":
        raise ValueError(f"unknown encoding {encoding!r}")
    return orjson.loads(blob)


MEMORY = ":memory:"  # Database(MEMORY): nothing on disk, gone with the object


class Database:
    """The SQLite file: one connection, used by one thread at a time (its lock).

    `Database(MEMORY)` is an in-memory database with the same schema (no WAL there): what
    the library uses when the server has no data directory."""

    def __init__(self, path: Path | str) -> None:
        self.memory = str(path) == MEMORY
        self.path = Path(path)
        try:
            if not self.memory:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise PersistError(f"cannot open the database {self.path}: {exc}") from exc
        self._conn = conn
        self._lock = threading.Lock()
        self.closed = False
        try:
            conn.execute("PRAGMA busy_timeout = 5000")
            if not self.memory:
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise PersistError(f"{self.path} cannot use WAL mode (got {mode})")
                conn.execute("PRAGMA synchronous = NORMAL")  # WAL: durable to a process crash
            self.version = migrate(conn)
        except sqlite3.Error as exc:
            conn.close()
            raise PersistError(f"cannot use the database {self.path}: {exc}") from exc
        except BaseException:
            conn.close()
            raise

    def close(self) -> None:
        with self._lock:
            self._conn.close()
            self.closed = True

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The connection, inside one transaction that holds the database's lock: every
        statement in the block is committed together, or none is (an exception rolls back).
        Used by server/library.py, whose edits touch several rows at once."""
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def save(
        self,
        session_id: str,
        step: int,
        payload: dict[str, Any],
        used_at: float,
        now: float,
        still: Callable[[], bool] = lambda: True,
    ) -> bool:
        """Write one session's row in one transaction (the old row stays until COMMIT).
        `still()` is asked under the lock, just before writing: False skips the write (the
        session was deleted meanwhile)."""
        encoding, blob = encode(payload)
        with self._lock:
            if not still():
                return False
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute(
                    """INSERT INTO sessions (id, step, encoding, state, created_at, saved_at,
                                             used_at)
                       VALUES (?, ?, ?, ?, ?, ?, ?)
                       ON CONFLICT (id) DO UPDATE SET step = excluded.step,
                         encoding = excluded.encoding, state = excluded.state,
                         saved_at = excluded.saved_at, used_at = excluded.used_at""",
                    (session_id, step, encoding, blob, now, now, used_at),
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return True

    def touch(self, used: list[tuple[float, str]]) -> None:
        """Record when sessions were last used (no state written)."""
        if not used:
            return
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany("UPDATE sessions SET used_at = ? WHERE id = ?", used)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def delete(self, session_id: str) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,))

    def load(self, session_id: str) -> Row | None:
        with self._lock:
            found = self._conn.execute(
                "SELECT id, step, encoding, state, created_at, saved_at, used_at "
                "FROM sessions WHERE id = ?",
                (session_id,),
            ).fetchone()
        return _row(found) if found is not None else None

    def recent(self, since: float, limit: int) -> list[Row]:
        """The rows used at or after `since`, most recent first, at most `limit`."""
        with self._lock:
            found = self._conn.execute(
                "SELECT id, step, encoding, state, created_at, saved_at, used_at FROM sessions "
                "WHERE used_at >= ? ORDER BY used_at DESC LIMIT ?",
                (since, limit),
            ).fetchall()
        return [_row(r) for r in found]

    def last_used(self) -> float | None:
        with self._lock:
            return self._conn.execute("SELECT max(used_at) FROM sessions").fetchone()[0]

    def stale(self, before: float) -> list[str]:
        with self._lock:
            found = self._conn.execute(
                "SELECT id FROM sessions WHERE used_at < ?", (before,)
            ).fetchall()
        return [r[0] for r in found]

    def ids(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._conn.execute("SELECT id FROM sessions ORDER BY id")]

    def integrity(self) -> str:
        with self._lock:
            return str(self._conn.execute("PRAGMA integrity_check").fetchone()[0])


def _row(r: tuple[Any, ...]) -> Row:
    return Row(
        id=r[0],
        step=int(r[1]),
        payload=decode(r[2], r[3]),
        created_at=float(r[4]),
        saved_at=float(r[5]),
        used_at=float(r[6]),
    )


def payload_of(session: Session) -> dict[str, Any]:
    """What is written for a session; call while holding its lock."""
    return {
        "format": FORMAT,
        "trainer": session.trainer.to_state(),
        "convention": dict(session.convention),
        "view": dict(session.view),
    }


def session_of(row: Row) -> Session:
    """A Session rebuilt from its row (its trainer bit-identical to the one written)."""
    payload = row.payload
    if payload.get("format") != FORMAT:
        raise ValueError(f"payload format {payload.get('format')!r}, expected {FORMAT}")
    session = Session(id=row.id, trainer=Trainer.from_state(payload["trainer"]))
    session.convention = dict(payload.get("convention") or session.convention)
    session.view = dict(payload.get("view") or {})
    session.saved = session.changes  # what is in memory is what is on disk
    return session


class Persister:
    """Writes a store's sessions behind them, loads them back, forgets the deleted.

    It is the store's `backing`. Its thread (`start`/`stop`) calls `flush` every tick and
    `purge` now and then; tests call them directly, with the store's clock and `wall`
    injected, and count `writes`.
    """

    def __init__(
        self,
        store: SessionStore,
        data_dir: Path | str,
        *,
        interval: float = 2.0,
        keep_seconds: float = 30 * 86400.0,
        wall: Callable[[], float] = time.time,
    ) -> None:
        if interval <= 0 or keep_seconds <= 0:
            raise ValueError("interval and keep_seconds must be positive")
        self.store = store
        self.db = Database(Path(data_dir) / DB_NAME)
        self.interval = interval
        self.keep_seconds = keep_seconds
        self.wall = wall
        self.writes = 0  # rows written (for tests and benchmarks)
        self.failures = 0
        self._retired: dict[str, Session] = {}  # dropped from memory with unsaved changes
        self._retired_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_purge = float("-inf")
        store.backing = self

    # --- the store's backing -------------------------------------------------------------

    def load(self, session_id: str) -> Session | None:
        with self._retired_lock:
            retired = self._retired.pop(session_id, None)
        if retired is not None:
            return retired  # not written yet: the object itself is the latest state
        row = self.db.load(session_id)
        if row is None:
            return None
        try:
            session = session_of(row)
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("session %s on disk cannot be loaded: %s", session_id, exc)
            return None
        session.used_saved = float("-inf")  # loading it is a use: recorded at the next tick
        return session

    def retire(self, session: Session) -> None:
        if session.dirty or session.last_used > session.used_saved:  # something to write
            with self._retired_lock:
                self._retired[session.id] = session

    def forget(self, session_id: str) -> None:
        with self._retired_lock:
            self._retired.pop(session_id, None)
        self.db.delete(session_id)

    # --- writing -------------------------------------------------------------------------

    def _used_at(self, session: Session, now: float) -> float:
        """A session's last use in wall-clock time (an open stream counts as in use)."""
        if session.streams > 0:
            return self.wall()
        return self.wall() - max(0.0, now - session.last_used)

    def save(self, session: Session) -> bool:
        """Write `session` now if it has unsaved changes (and is still stored)."""
        now = self.store.clock()
        with session.lock:
            mark = session.changes
            if mark == session.saved:
                return False
            payload = payload_of(session)
            step = int(session.trainer.step)
        sid = session.id

        def still() -> bool:  # asked under the database lock: a delete waits or went first
            with self._retired_lock:
                return self.store.alive(session) or self._retired.get(sid) is session

        if not self.db.save(sid, step, payload, self._used_at(session, now), self.wall(), still):
            return False
        self.writes += 1
        session.saved = mark
        session.saved_at = session.used_saved = now
        with self._retired_lock:
            if self._retired.get(sid) is session and not session.dirty:
                del self._retired[sid]
        return True

    @staticmethod
    def _use_unrecorded(session: Session, now: float, force: bool) -> bool:
        """Whether a use of `session` since its row was written is due to be recorded."""
        used = session.streams > 0 or session.last_used > session.used_saved
        return used and (force or now - session.used_saved >= TOUCH_SECONDS)

    def flush(self, force: bool = False) -> int:
        """Write every changed session whose last write is `interval` old (every one if
        `force`), every dropped one, and record the use of sessions used since; returns
        the number written."""
        now = self.store.clock()
        written = 0
        with self._retired_lock:
            retired = list(self._retired.values())
        dropped = {id(s) for s in retired}  # Session compares by value: use identity
        used: list[tuple[float, str]] = []
        for session in [*self.store.sessions(), *retired]:
            gone = id(session) in dropped
            if session.dirty and (force or gone or now - session.saved_at >= self.interval):
                try:
                    written += self.save(session)
                except (sqlite3.Error, OSError, ValueError, TypeError) as exc:
                    self.failures += 1
                    log.warning("could not save session %s: %s", session.id, exc)
            elif not session.dirty and self._use_unrecorded(session, now, force or gone):
                used.append((self._used_at(session, now), session.id))
                session.used_saved = now
            if gone and not session.dirty:
                with self._retired_lock:
                    if self._retired.get(session.id) is session:
                        del self._retired[session.id]
        try:
            self.db.touch(used)
        except sqlite3.Error as exc:
            log.warning("could not record session use: %s", exc)
        return written

    def purge(self) -> int:
        """Delete the rows unused for longer than the keep time (not those in memory)."""
        live = {s.id for s in self.store.sessions()}
        with self._retired_lock:
            live |= set(self._retired)
        gone = [sid for sid in self.db.stale(self.wall() - self.keep_seconds) if sid not in live]
        for sid in gone:
            self.db.delete(sid)
        return len(gone)

    # --- startup, the thread, shutdown ---------------------------------------------------

    def restore(self) -> int:
        """Load the sessions that were live when the server stopped into memory, keeping
        the idle time each had then; returns how many. The rest load when asked for."""
        if self.db.closed:  # the same app served again (a second TestClient)
            self.db = Database(self.db.path)
        self.purge()
        last = self.db.last_used()
        if last is None:
            return 0
        ttl = self.store.ttl_seconds
        restored = 0
        for row in self.db.recent(last - ttl, self.store.max_sessions):
            try:
                session = session_of(row)
            except (ValueError, KeyError, TypeError) as exc:
                log.warning("session %s on disk cannot be loaded: %s", row.id, exc)
                continue
            now = self.store.clock()
            session.last_used = now - max(0.0, last - row.used_at)
            session.used_saved = now
            self.store.restore(session)
            restored += 1
        return restored

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="persist-writer", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            try:
                self.flush()
                if self.store.clock() - self._last_purge >= PURGE_SECONDS:
                    self._last_purge = self.store.clock()
                    self.purge()
            except Exception:  # never let the writer die: the next tick tries again
                log.exception("persistence tick failed")

    def stop(self) -> None:
        """Stop the thread, write everything unsaved, close the database."""
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=30)
            self._thread = None
        try:
            self.flush(force=True)
        finally:
            self.db.close()
