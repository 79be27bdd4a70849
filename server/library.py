"""Saved experiments and lessons: their storage, and nothing else.

An *experiment* is a named copy of a session's complete state (`Trainer.to_state()`, the
display convention) with the view it was shown in. A *lesson* is an ordered list of
*scenes*, each one such a state with a caption; a scene owns its copy, so renaming or
deleting an experiment, or a session expiring, never changes a lesson. Everything is kept
in the tables of schema version 2 of server/persist.py's database, in the data directory;
a server without one (--no-persist, or `Settings()` in tests and notebooks) keeps them in
an in-memory SQLite database with the same schema and the same code, for its lifetime.

Each method is synchronous and does its database work in one transaction under the
database's lock: call it from a worker thread (`anyio.to_thread`), never on the event
loop. What is costly about a save, copying the trainer's state and drawing its thumbnail,
is `capture`'s job, done under the session's lock before the library is called.

The built-in lesson (`lecture.LECTURE_ID`) is not stored: its scenes are the recipes of
server/lecture.py, built afresh and deterministically when opened. It is read-only
(`ReadOnlyError`); duplicating it stores each scene's built state in a lesson of one's own.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine import Config, Convention, Trainer
from server import lecture
from server.errors import LimitError
from server.persist import DB_NAME, FORMAT, MEMORY, Database, decode, encode
from server.thumbnail import thumbnail

NAME_MAX = 80  # characters of an experiment's name or a lesson's title
COPY = " (copy)"
CONVENTION_KEYS = ("sign", "layout", "bias")
READ_ONLY = "the built-in lecture cannot be changed: duplicate it"
# A library is a lecturer's: these are far beyond a course's needs, and keep a shared or
# in-memory library from growing without end.
MAX_EXPERIMENTS = 1_000
MAX_LESSONS = 200
MAX_SCENES = 100  # per lesson


def _check_room(conn: sqlite3.Connection, table: str, limit: int) -> None:
    """LimitError naming `table` ("experiments", "lessons") if it holds `limit` rows."""
    (count,) = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    if count >= limit:
        raise LimitError(table, f"{table}: at most {limit} can be kept; delete some first")


class NotFoundError(LookupError):
    """No experiment, lesson or scene has this id; `field` names the id's parameter."""

    def __init__(self, field: str, what: str, key: str) -> None:
        super().__init__(f"{field}: {what} {key!r} does not exist (it may have been deleted)")
        self.field = field


class ReadOnlyError(Exception):
    """An edit of the built-in lesson: it is the same on every server, so it cannot change."""

    def __init__(self) -> None:
        super().__init__(READ_ONLY)


def new_id() -> str:
    """72 random bits, URL-safe: short in a shared link, never reused."""
    return secrets.token_urlsafe(9)


def copy_name(name: str) -> str:
    """'<name> (copy)', shortened to fit NAME_MAX characters."""
    return name[: NAME_MAX - len(COPY)] + COPY


# ---------------------------------------------------------------------- a state to keep


@dataclass(frozen=True)
class Saved:
    """A trainer's state captured for keeping, with what a list shows about it."""

    state: dict[str, Any]  # {"format", "trainer", "convention"}: what open rebuilds from
    step: int
    epoch: float
    loss: float | None  # training loss (None when not finite)
    accuracy: float | None  # test accuracy (None without test points)
    summary: dict[str, Any]  # dataset, classes, hidden, activation, model
    thumbnail: bytes  # PNG


def summary_of(config: Config) -> dict[str, Any]:
    """The few configuration facts a list of saved states shows."""
    values = config.to_dict()
    data, model = values["data"], values["model"]
    return {
        "dataset": data["dataset"],
        "classes": data["classes"],
        "hidden": list(model["hidden"]),
        "activation": model["activation"],
        "model": model["model"],
    }


def _finite(value: float) -> float | None:
    return float(value) if value == value and abs(value) != float("inf") else None


def capture(trainer: Trainer, convention: dict[str, str]) -> Saved:
    """Everything kept of `trainer` now; call holding its session's lock (the state is
    copied and the thumbnail drawn from the live parameters)."""
    metrics = trainer.metrics()
    return Saved(
        state={"format": FORMAT, "trainer": trainer.to_state(), "convention": dict(convention)},
        step=int(trainer.step),
        epoch=float(trainer.epoch),
        loss=_finite(metrics.train_loss),
        accuracy=_finite(metrics.test_accuracy),
        summary=summary_of(trainer.config),
        thumbnail=thumbnail(trainer),
    )


def trainer_of_state(state: dict[str, Any]) -> tuple[Trainer, dict[str, str]]:
    """The trainer and display convention of a kept state, bit-identical to the captured."""
    if state.get("format") != FORMAT:
        raise ValueError(f"saved state format {state.get('format')!r}, expected {FORMAT}")
    return Trainer.from_state(state["trainer"]), dict(state["convention"])


def convention_of_view(view: dict[str, Any]) -> dict[str, str]:
    """The display convention a view asks for (the rest: the default convention)."""
    return Convention.from_dict({k: view[k] for k in CONVENTION_KEYS if k in view}).to_dict()


# ---------------------------------------------------------------------- what is returned


@dataclass(frozen=True)
class Experiment:
    id: str
    name: str
    step: int
    epoch: float
    loss: float | None
    accuracy: float | None
    summary: dict[str, Any]
    view: dict[str, Any]
    created_at: float
    updated_at: float


class KEEP:
    """update_scene's "leave the question as it is" (None removes it)."""


@dataclass(frozen=True)
class Scene:
    id: str
    caption: str
    view: dict[str, Any]
    step: int
    summary: dict[str, Any]
    slide: str | None = None  # the built-in lecture's slide title
    shows: tuple[str, ...] = ()  # the built-in lecture's trace symbols named by the caption
    question: dict[str, Any] | None = None  # predict, then reveal: text, options, answer, reveal


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    builtin: bool
    created_at: float
    updated_at: float
    scenes: list[Scene] = field(default_factory=list)


@dataclass(frozen=True)
class Opened:
    """A kept state to open as a new session, and where it sits in its lesson."""

    trainer: Trainer
    convention: dict[str, str]
    view: dict[str, Any]
    caption: str = ""
    index: int = 0
    count: int = 1
    question: dict[str, Any] | None = None


# ---------------------------------------------------------------------- the built-in lesson


class BuiltinLecture:
    """The lecture of server/lecture.py as a read-only lesson; its scenes' thumbnails are
    drawn once per process, on first request."""

    def __init__(self, created_at: float) -> None:
        self.created_at = created_at
        self._thumbnails: dict[str, bytes] = {}
        self._questions: dict[str, dict[str, Any] | None] = {}
        self._lock = threading.Lock()

    def question(self, scene: lecture.LectureScene) -> dict[str, Any] | None:
        """The scene's question with its answer, read from the numbers of its reveal (the
        network is built for it once per process)."""
        if scene.question is None:
            return None
        with self._lock:
            if scene.id not in self._questions:
                answer = lecture.answer_of(scene)
                self._questions[scene.id] = scene.question.to_dict(answer)
            return self._questions[scene.id]

    def _find(self, scid: str) -> tuple[int, lecture.LectureScene]:
        for index, scene in enumerate(lecture.SCENES):
            if scene.id == scid:
                return index, scene
        raise NotFoundError("scid", "scene", scid)

    def lesson(self) -> Lesson:
        scenes = [
            Scene(
                id=s.id,
                caption=s.caption,
                view=dict(s.view),
                step=int(s.steps),
                summary=summary_of(Config.from_dict(s.config)),
                slide=s.slide,
                shows=tuple(s.shows),
                question=self.question(s),
            )
            for s in lecture.SCENES
        ]
        return Lesson(
            lecture.LECTURE_ID,
            lecture.LECTURE_TITLE,
            True,
            self.created_at,
            self.created_at,
            scenes,
        )

    def open(self, scid: str) -> Opened:
        index, scene = self._find(scid)
        view = dict(scene.view)
        return Opened(
            lecture.trainer_of(scene),
            convention_of_view(view),
            view,
            scene.caption,
            index,
            len(lecture.SCENES),
            self.question(scene),
        )

    def saved(self, scid: str) -> Saved:
        """A scene built and captured, as a duplicate stores it."""
        _, scene = self._find(scid)
        return capture(lecture.trainer_of(scene), convention_of_view(scene.view))

    def thumbnail(self, scid: str) -> bytes:
        _, scene = self._find(scid)
        with self._lock:
            if scid not in self._thumbnails:
                self._thumbnails[scid] = thumbnail(lecture.trainer_of(scene))
            return self._thumbnails[scid]


# ---------------------------------------------------------------------- the store


_EXPERIMENT_COLUMNS = "id, name, step, meta, created_at, updated_at"
_SCENE_COLUMNS = "id, caption, step, meta"


def _experiment(row: tuple[Any, ...]) -> Experiment:
    meta = json.loads(row[3])
    return Experiment(
        id=row[0],
        name=row[1],
        step=int(row[2]),
        epoch=float(meta["epoch"]),
        loss=meta["loss"],
        accuracy=meta["accuracy"],
        summary=meta["summary"],
        view=meta["view"],
        created_at=float(row[4]),
        updated_at=float(row[5]),
    )


def _scene(row: tuple[Any, ...]) -> Scene:
    meta = json.loads(row[3])
    return Scene(
        id=row[0],
        caption=row[1],
        view=meta["view"],
        step=int(row[2]),
        summary=meta["summary"],
        question=meta.get("question"),
    )


class Library:
    """Experiments and lessons in the data directory's database (or in memory)."""

    def __init__(self, data_dir: Path | str | None, wall: Any = time.time) -> None:
        self.path: Path | str = Path(data_dir) / DB_NAME if data_dir is not None else MEMORY
        self.wall = wall
        self._db: Database | None = None
        self._open_lock = threading.Lock()
        self.builtin = BuiltinLecture(wall())

    @property
    def db(self) -> Database:
        """The database, opened on first use (and again after `close`, for an app served
        a second time)."""
        with self._open_lock:
            if self._db is None or self._db.closed:
                self._db = Database(self.path)
            return self._db

    def close(self) -> None:
        """Close the file at shutdown; an in-memory library stays as long as the app."""
        with self._open_lock:
            if self._db is not None and not self._db.memory and not self._db.closed:
                self._db.close()

    # --- experiments ------------------------------------------------------------------

    def create_experiment(self, name: str, saved: Saved, view: dict[str, Any]) -> Experiment:
        eid, now = new_id(), self.wall()
        meta = {
            "epoch": saved.epoch,
            "loss": saved.loss,
            "accuracy": saved.accuracy,
            "summary": saved.summary,
            "view": view,
        }
        encoding, blob = encode(saved.state)
        with self.db.transaction() as conn:
            _check_room(conn, "experiments", MAX_EXPERIMENTS)
            conn.execute(
                "INSERT INTO experiments (id, name, step, meta, encoding, state, thumbnail, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    eid,
                    name,
                    saved.step,
                    json.dumps(meta),
                    encoding,
                    blob,
                    saved.thumbnail,
                    now,
                    now,
                ),
            )
        return self.experiment(eid)

    def experiments(self) -> list[Experiment]:
        """Every experiment, newest first."""
        with self.db.transaction() as conn:
            rows = conn.execute(
                f"SELECT {_EXPERIMENT_COLUMNS} FROM experiments "
                "ORDER BY created_at DESC, rowid DESC"
            ).fetchall()
        return [_experiment(r) for r in rows]

    def experiment(self, eid: str) -> Experiment:
        with self.db.transaction() as conn:
            return _experiment(self._experiment_row(conn, eid, _EXPERIMENT_COLUMNS))

    @staticmethod
    def _experiment_row(conn: sqlite3.Connection, eid: str, columns: str) -> tuple[Any, ...]:
        row = conn.execute(f"SELECT {columns} FROM experiments WHERE id = ?", (eid,)).fetchone()
        if row is None:
            raise NotFoundError("eid", "experiment", eid)
        return row

    def experiment_state(self, eid: str) -> tuple[Experiment, dict[str, Any]]:
        """An experiment and its kept state (decoded: what open and export need)."""
        with self.db.transaction() as conn:
            row = self._experiment_row(conn, eid, _EXPERIMENT_COLUMNS + ", encoding, state")
        return _experiment(row[:6]), decode(row[6], row[7])

    def experiment_thumbnail(self, eid: str) -> bytes:
        with self.db.transaction() as conn:
            return bytes(self._experiment_row(conn, eid, "thumbnail")[0])

    def rename_experiment(self, eid: str, name: str) -> Experiment:
        with self.db.transaction() as conn:
            self._experiment_row(conn, eid, "id")
            conn.execute(
                "UPDATE experiments SET name = ?, updated_at = ? WHERE id = ?",
                (name, self.wall(), eid),
            )
        return self.experiment(eid)

    def duplicate_experiment(self, eid: str, name: str | None) -> Experiment:
        """A new experiment with the same state, view and thumbnail (newest in the list)."""
        copy, now = new_id(), self.wall()
        with self.db.transaction() as conn:
            old = self._experiment_row(conn, eid, "name")[0]
            _check_room(conn, "experiments", MAX_EXPERIMENTS)
            conn.execute(
                "INSERT INTO experiments (id, name, step, meta, encoding, state, thumbnail, "
                "created_at, updated_at) SELECT ?, ?, step, meta, encoding, state, thumbnail, "
                "?, ? FROM experiments WHERE id = ?",
                (copy, name if name is not None else copy_name(old), now, now, eid),
            )
        return self.experiment(copy)

    def delete_experiment(self, eid: str) -> None:
        with self.db.transaction() as conn:
            self._experiment_row(conn, eid, "id")
            conn.execute("DELETE FROM experiments WHERE id = ?", (eid,))

    def open_experiment(self, eid: str) -> tuple[Experiment, Opened]:
        """An experiment's state rebuilt into a trainer (bit-identical), with its view."""
        experiment, state = self.experiment_state(eid)
        trainer, convention = trainer_of_state(state)
        return experiment, Opened(trainer, convention, dict(experiment.view), experiment.name)

    # --- lessons ----------------------------------------------------------------------

    def lessons(self) -> list[tuple[Lesson, int]]:
        """Every lesson with its scene count (scenes not loaded): the built-in lecture
        first, then the others, most recently changed first."""
        with self.db.transaction() as conn:
            rows = conn.execute(
                "SELECT l.id, l.title, l.created_at, l.updated_at, "
                "(SELECT count(*) FROM scenes s WHERE s.lesson_id = l.id) "
                "FROM lessons l ORDER BY l.updated_at DESC, l.rowid DESC"
            ).fetchall()
        builtin = self.builtin.lesson()
        stored = [(Lesson(r[0], r[1], False, float(r[2]), float(r[3])), int(r[4])) for r in rows]
        return [(builtin, len(builtin.scenes)), *stored]

    def create_lesson(self, title: str) -> Lesson:
        lid, now = new_id(), self.wall()
        with self.db.transaction() as conn:
            _check_room(conn, "lessons", MAX_LESSONS)
            conn.execute(
                "INSERT INTO lessons (id, title, created_at, updated_at) VALUES (?, ?, ?, ?)",
                (lid, title, now, now),
            )
        return self.lesson(lid)

    def lesson(self, lid: str) -> Lesson:
        if lid == lecture.LECTURE_ID:
            return self.builtin.lesson()
        with self.db.transaction() as conn:
            return self._lesson(conn, lid)

    def _lesson(self, conn: sqlite3.Connection, lid: str) -> Lesson:
        row = conn.execute(
            "SELECT id, title, created_at, updated_at FROM lessons WHERE id = ?", (lid,)
        ).fetchone()
        if row is None:
            raise NotFoundError("lid", "lesson", lid)
        scenes = conn.execute(
            f"SELECT {_SCENE_COLUMNS} FROM scenes WHERE lesson_id = ? ORDER BY position",
            (lid,),
        ).fetchall()
        return Lesson(
            row[0], row[1], False, float(row[2]), float(row[3]), [_scene(s) for s in scenes]
        )

    def _editable(self, conn: sqlite3.Connection, lid: str) -> list[str]:
        """The ids of a stored lesson's scenes in order; refuses the built-in lesson."""
        if lid == lecture.LECTURE_ID:
            raise ReadOnlyError
        return [s.id for s in self._lesson(conn, lid).scenes]

    def _touch(self, conn: sqlite3.Connection, lid: str) -> None:
        conn.execute("UPDATE lessons SET updated_at = ? WHERE id = ?", (self.wall(), lid))

    @staticmethod
    def _renumber(conn: sqlite3.Connection, order: list[str]) -> None:
        conn.executemany("UPDATE scenes SET position = ? WHERE id = ?", list(enumerate(order)))

    def update_lesson(self, lid: str, title: str | None, order: list[str] | None) -> Lesson:
        """A new title and/or a new order of the scenes (a permutation of the current)."""
        with self.db.transaction() as conn:
            current = self._editable(conn, lid)
            if order is not None:
                check_permutation(order, current)
                self._renumber(conn, order)
            if title is not None:
                conn.execute("UPDATE lessons SET title = ? WHERE id = ?", (title, lid))
            self._touch(conn, lid)
            return self._lesson(conn, lid)

    def delete_lesson(self, lid: str) -> None:
        with self.db.transaction() as conn:
            self._editable(conn, lid)
            conn.execute("DELETE FROM scenes WHERE lesson_id = ?", (lid,))
            conn.execute("DELETE FROM lessons WHERE id = ?", (lid,))

    def check_editable(self, lid: str) -> None:
        """Raise now, before a scene is captured, if `lid` cannot take one."""
        with self.db.transaction() as conn:
            self._editable(conn, lid)

    def add_scene(
        self,
        lid: str,
        saved: Saved,
        caption: str,
        view: dict[str, Any],
        position: int | None,
        question: dict[str, Any] | None = None,
    ) -> Lesson:
        """Insert a scene owning `saved` before `position` (None: at the end)."""
        with self.db.transaction() as conn:
            order = self._editable(conn, lid)
            if len(order) >= MAX_SCENES:
                raise LimitError(
                    "scenes", f"scenes: at most {MAX_SCENES} in a lesson; delete some first"
                )
            if position is not None and not 0 <= position <= len(order):
                raise LimitError(
                    "position",
                    f"position must be between 0 and {len(order)} (got {position})",
                )
            scid = new_id()
            _insert_scene(conn, lid, scid, len(order), caption, view, saved, question)
            order.insert(len(order) if position is None else position, scid)
            self._renumber(conn, order)
            self._touch(conn, lid)
            return self._lesson(conn, lid)

    def update_scene(
        self,
        lid: str,
        scid: str,
        caption: str | None,
        view: dict[str, Any] | None,
        question: dict[str, Any] | type[KEEP] | None = KEEP,
    ) -> Lesson:
        """A new caption, view and/or question (None removes it; KEEP leaves it)."""
        with self.db.transaction() as conn:
            if scid not in self._editable(conn, lid):
                raise NotFoundError("scid", "scene", scid)
            if caption is not None:
                conn.execute("UPDATE scenes SET caption = ? WHERE id = ?", (caption, scid))
            if view is not None or question is not KEEP:
                meta = json.loads(
                    conn.execute("SELECT meta FROM scenes WHERE id = ?", (scid,)).fetchone()[0]
                )
                if view is not None:
                    meta["view"] = view
                if question is not KEEP:
                    meta["question"] = question
                conn.execute("UPDATE scenes SET meta = ? WHERE id = ?", (json.dumps(meta), scid))
            self._touch(conn, lid)
            return self._lesson(conn, lid)

    def delete_scene(self, lid: str, scid: str) -> Lesson:
        with self.db.transaction() as conn:
            order = self._editable(conn, lid)
            if scid not in order:
                raise NotFoundError("scid", "scene", scid)
            conn.execute("DELETE FROM scenes WHERE id = ?", (scid,))
            order.remove(scid)
            self._renumber(conn, order)
            self._touch(conn, lid)
            return self._lesson(conn, lid)

    def _scene_row(self, lid: str, scid: str, columns: str) -> tuple[Any, ...]:
        with self.db.transaction() as conn:
            self._lesson(conn, lid)  # 404 naming the lesson first
            row = conn.execute(
                f"SELECT {columns} FROM scenes WHERE id = ? AND lesson_id = ?", (scid, lid)
            ).fetchone()
            if row is None:
                raise NotFoundError("scid", "scene", scid)
            return row

    def open_scene(self, lid: str, scid: str) -> Opened:
        """Scene `scid` rebuilt into a trainer, with its view, caption and place (from 0)."""
        if lid == lecture.LECTURE_ID:
            return self.builtin.open(scid)
        row = self._scene_row(lid, scid, "caption, meta, encoding, state, position")
        count = len(self.lesson(lid).scenes)
        trainer, convention = trainer_of_state(decode(row[2], row[3]))
        meta = json.loads(row[1])
        return Opened(
            trainer, convention, meta["view"], row[0], int(row[4]), count, meta.get("question")
        )

    def scene_thumbnail(self, lid: str, scid: str) -> bytes:
        if lid == lecture.LECTURE_ID:
            return self.builtin.thumbnail(scid)
        return bytes(self._scene_row(lid, scid, "thumbnail")[0])

    def duplicate_lesson(self, lid: str) -> Lesson:
        """A stored copy of a lesson, each scene with its own copy of the state; of the
        built-in lecture, each scene built now (the only way to edit it)."""
        copy, now = new_id(), self.wall()
        if lid == lecture.LECTURE_ID:
            return self._materialise(copy, now)
        with self.db.transaction() as conn:
            source = self._lesson(conn, lid)
            _check_room(conn, "lessons", MAX_LESSONS)
            conn.execute(
                "INSERT INTO lessons (id, title, created_at, updated_at) VALUES (?, ?, ?, ?)",
                (copy, copy_name(source.title), now, now),
            )
            for scene in source.scenes:
                conn.execute(
                    "INSERT INTO scenes (id, lesson_id, position, caption, step, meta, "
                    "encoding, state, thumbnail) SELECT ?, ?, position, caption, step, meta, "
                    "encoding, state, thumbnail FROM scenes WHERE id = ?",
                    (new_id(), copy, scene.id),
                )
            return self._lesson(conn, copy)

    def _materialise(self, lid: str, now: float) -> Lesson:
        """The built-in lecture stored as a lesson of one's own (scenes built first, outside
        the database's lock)."""
        source = self.builtin.lesson()
        saved = [self.builtin.saved(scene.id) for scene in source.scenes]
        with self.db.transaction() as conn:
            _check_room(conn, "lessons", MAX_LESSONS)
            conn.execute(
                "INSERT INTO lessons (id, title, created_at, updated_at) VALUES (?, ?, ?, ?)",
                (lid, copy_name(source.title), now, now),
            )
            for position, (scene, state) in enumerate(zip(source.scenes, saved, strict=True)):
                _insert_scene(
                    conn, lid, new_id(), position, scene.caption, scene.view, state,
                    scene.question,
                )  # fmt: skip
            return self._lesson(conn, lid)


def _insert_scene(
    conn: sqlite3.Connection,
    lid: str,
    scid: str,
    position: int,
    caption: str,
    view: dict[str, Any],
    saved: Saved,
    question: dict[str, Any] | None = None,
) -> None:
    encoding, blob = encode(saved.state)
    meta: dict[str, Any] = {"summary": saved.summary, "view": view}
    if question is not None:
        meta["question"] = question
    conn.execute(
        "INSERT INTO scenes (id, lesson_id, position, caption, step, meta, encoding, state, "
        "thumbnail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            scid,
            lid,
            position,
            caption,
            saved.step,
            json.dumps(meta),
            encoding,
            blob,
            saved.thumbnail,
        ),
    )


def check_permutation(order: list[str], current: list[str]) -> None:
    """LimitError naming `order` unless it lists each current scene id exactly once."""
    if len(order) == len(current) and set(order) == set(current):
        return
    unknown = sorted(set(order) - set(current))
    missing = sorted(set(current) - set(order))
    repeated = sorted({s for s in order if order.count(s) > 1})
    problems = [
        f"{label} {ids}"
        for label, ids in (("unknown", unknown), ("missing", missing), ("repeated", repeated))
        if ids
    ]
    raise LimitError(
        "order",
        f"order must list each of the lesson's {len(current)} scene ids exactly once "
        f"(a permutation); {', '.join(problems)}",
    )
