"""The training stream: one WebSocket per viewer, commands in, frames out.

Two tasks share one task group. The receiver reads commands, validates them and records
what they ask for; the sender wakes when there is something to do (a command, or the
next frame falling due while playing), computes the frame in a worker thread under the
session's lock, and sends it. Nothing is queued beyond a few pending commands: a frame is
computed only when the previous one has been handed to the socket, and frames fall due
on a fixed beat (see next_due): one that is late by less than a period goes out at once,
beats missed by more are skipped, so a slow client or a slow frame gets fewer frames and
never a burst. A stream whose frames take longer than a period to make runs back to back;
the heavy lane (Lanes) keeps it from holding up the others.
When either side ends (disconnect, deleted session) the task group is cancelled and both
stop.
"""

import contextlib
import logging
import math
import random
import time
from collections import deque
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import anyio
from pydantic import ValidationError
from starlette.websockets import (
    WebSocket,
    WebSocketDisconnect,
    WebSocketDisconnected,
    WebSocketState,
)

from engine import Convention
from server.encoding import ArrayPacker, dumps
from server.errors import (
    LimitError,
    check_resolution,
    describe_validation_error,
    require_between,
)
from server.frames import Selection, encode_frame, frame_dict
from server.routes.inspect import COORDINATE_LIMIT, check_selection
from server.schemas.stream import COMMAND
from server.sessions import Session, SessionNotFoundError, SessionStore
from server.settings import Settings
from server.timeline import trainer_at

log = logging.getLogger("backprop_lab.stream")

CHANGES = ("step", "phase", "config", "reset")  # actions that change the session's state
MAX_PENDING = 16  # commands waiting for the next frame; more is a client bug or a flood
MAX_REPLIES = 32  # acks and errors waiting to be sent; the oldest are dropped beyond this
MAX_COMMAND_BYTES = 64_000  # a command is a few hundred bytes; a config with lists, a few KB
CLOSE_GONE = 4404  # the session does not exist (any more)
HEAVY_FRAME_SECONDS = 0.02  # a frame that took longer moves its stream to the heavy lane
HEAVY_LANE_THREADS = 4


@dataclass
class Lanes:
    """The worker threads that one app's streamed frames run on (made inside its loop).

    Frames are small NumPy work that holds the GIL most of the time. Measured on two
    cores, several threads time-slicing such frames cost about half as much CPU again per
    frame as one thread computing them in turn, and finish them later. So light frames
    share a single thread, the fast lane. A stream whose last frame took longer than
    HEAVY_FRAME_SECONDS (many steps per frame, a big net) uses the heavy lane instead, so
    it cannot hold up everybody else's frames; the GIL still gives the fast lane its turn
    every few milliseconds. REST requests keep anyio's own pool.
    """

    fast: anyio.CapacityLimiter = field(default_factory=lambda: anyio.CapacityLimiter(1))
    heavy: anyio.CapacityLimiter = field(
        default_factory=lambda: anyio.CapacityLimiter(HEAVY_LANE_THREADS)
    )

    def for_frame(self, last_seconds: float, session_busy: bool) -> anyio.CapacityLimiter:
        """The heavy lane for a slow stream, or for a session whose lock is held (a long
        REST request on it would otherwise keep the fast lane waiting); else the fast."""
        if session_busy or last_seconds > HEAVY_FRAME_SECONDS:
            return self.heavy
        return self.fast


def next_due(due: float, period: float, now: float) -> float:
    """The due time after `due`: one period later, on the same beat.

    A beat that passed while the last frame was still being made (by less than one
    period) is kept: that frame is sent at once, late, rather than dropped, since on a
    busy machine the browser and the server share the cores and a frame a few
    milliseconds late is still on time for the next paint. Beats missed by more than a
    period are skipped rather than sent in a burst, so a stream never sends more than its
    frame rate, and it keeps its phase, so streams that fell behind together do not all
    fall due together afterwards.
    """
    due += period
    if due < now - period:
        due += math.ceil((now - period - due) / period - 1e-9) * period  # 1e-9: float rounding
    return due


class Stream:
    """The state of one WebSocket viewer of one session."""

    def __init__(
        self,
        websocket: WebSocket,
        session: Session,
        store: SessionStore,
        settings: Settings,
        *,
        binary: bool,
        lanes: Lanes | None = None,
    ) -> None:
        self.websocket = websocket
        self.lanes = lanes or Lanes()
        self.last_compute = 0.0  # seconds the last frame took in its worker thread
        self.session = session
        self.store = store
        self.settings = settings
        self.binary = binary
        self.playing = False
        self.steps_per_frame = 1
        self.fps = float(min(30, settings.max_fps))
        self.resolution = settings.stream_resolution
        self.deltas = True  # δ^(z) maps in the frames (a client without a view of them says no)
        self.thumbnails: int | None = None  # side the h maps are sampled down to (None: R)
        self.target: int | None = None
        self.selection = Selection()
        self.actions: deque[tuple[str, Any]] = deque()
        self.replies: deque[dict[str, Any]] = deque(maxlen=MAX_REPLIES)
        self.wake = anyio.Event()
        self.next_due = 0.0
        self.seq = 0
        self.history_after = -1  # the step of the last frame: rows after it are new
        self.history_rows = 0  # rows in the history at the last frame
        self.last_row_step: int | None = None  # the step of its last row
        self.past: Any = None  # a Trainer rebuilt at a past step (a `seek`), or None: live
        self.past_origin: Any = None  # the live run's first checkpoint when it was made
        # the open classes (server/classes.py): this stream's frames go to the followers
        self.classes = getattr(getattr(websocket, "app", None), "state", None)
        self.classes = getattr(self.classes, "classes", None)
        self._claimed: Any = None  # the room this stream last became the publisher of
        # Takeovers of a class asked for (claims) and seen by a frame (the frame then sends
        # the curves whole). Counters, not a flag: a claim on the event loop while a worker
        # thread builds a frame is then never lost, and a frame built before the latest
        # claim is known as such and not published (its rows count from this stream's own
        # position, not from what the followers hold).
        self.claims = 0
        self.claims_seen = 0
        self._frame_claims = 0  # claims_seen when the frame just sent was built

    # --- the two tasks -------------------------------------------------------------------

    async def run(self) -> None:
        """Run receiver and sender until the client leaves or the session goes."""
        self.actions.append(("refresh", None))  # the first frame shows where things stand
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._receiver, tg.cancel_scope)
                tg.start_soon(self._sender, tg.cancel_scope)
        except* (
            WebSocketDisconnect,
            WebSocketDisconnected,
            anyio.ClosedResourceError,
            anyio.BrokenResourceError,
        ):
            pass  # the client went away while a frame was being sent
        finally:
            if self._claimed is not None:
                self._claimed.release(self)

    async def _receiver(self, scope: anyio.CancelScope) -> None:
        while True:
            message = await self.websocket.receive()
            if message["type"] == "websocket.disconnect":
                scope.cancel()
                return
            text = message.get("text")
            if text is None:
                self._error(None, "message", "commands are JSON text messages, not binary")
            elif len(text) > MAX_COMMAND_BYTES:
                self._error(None, "message", f"a command must be at most {MAX_COMMAND_BYTES} bytes")
            else:
                self.handle(text)
            self.wake.set()

    async def _sender(self, scope: anyio.CancelScope) -> None:
        while True:
            wake = self.wake
            now = time.monotonic()
            due = self.playing and now >= self.next_due
            if not (self.actions or self.replies or due):
                timeout = max(0.0, self.next_due - now) if self.playing else None
                with anyio.move_on_after(timeout):
                    await wake.wait()
                if wake.is_set():
                    self.wake = anyio.Event()
                continue
            while self.replies:
                await self.websocket.send_text(dumps(self.replies.popleft()).decode())
            actions = list(self.actions)
            self.actions.clear()
            if not (actions or due):
                continue
            if not self.store.alive(self.session):
                await self._close_gone(scope)
                return
            self.store.touch(self.session)
            try:
                message, replies = await self.session.run(
                    partial(self._compute, actions, due),
                    limiter=self.lanes.for_frame(self.last_compute, self.session.lock.locked()),
                )
            except Exception as exc:  # a bug, not a bad command: say so and keep the socket
                log.exception("frame failed for session %s", self.session.id)
                self.playing = False
                message, replies = (
                    None,
                    [
                        {
                            "type": "error",
                            "command": None,
                            "field": None,
                            "detail": f"the frame could not be computed ({type(exc).__name__}: "
                            f"{exc}); playing stopped, try reset",
                        }
                    ],
                )
            for reply in replies:
                await self.websocket.send_text(dumps(reply).decode())
            if message is not None:
                if self.binary:
                    await self.websocket.send_bytes(message)
                else:
                    await self.websocket.send_text(message.decode())
                self._publish(message)
            if due:
                self.next_due = next_due(self.next_due, 1.0 / self.fps, time.monotonic())

    def _room(self) -> Any:
        return self.classes.of_session(self.session.id) if self.classes is not None else None

    def _publish(self, message: bytes) -> None:
        """The frame just sent, to the followers of this session's class (encoded once),
        if this stream is the class's publisher, or there is none yet (Room.claim)."""
        room = self._room()
        if room is None:
            return
        if room.publisher is None:
            self._claim(room)
        if room.publisher is self and self._frame_claims == self.claims:
            room.publish(message, self.binary)

    def _claim(self, room: Any) -> None:
        """Become the class's publisher. Taking over from another stream, the next frame
        starts the curves over (history_reset, every row): the followers' rows came from
        the other stream's frames, whose history marks were not this one's."""
        if room.claim(self):
            self._claimed = room
            if room.frame is not None:  # another stream's frame is what followers have
                self.claims += 1
                self._queue("view", ("refresh", None))

    async def _close_gone(self, scope: anyio.CancelScope) -> None:
        await self.websocket.send_text(
            dumps({"type": "closed", "detail": "the session was deleted or expired"}).decode()
        )
        await self.websocket.close(code=CLOSE_GONE, reason="session gone")
        scope.cancel()

    # --- commands (on the event loop; cheap) ---------------------------------------------

    def _error(self, command: str | None, field: str | None, detail: str) -> None:
        self.replies.append({"type": "error", "command": command, "field": field, "detail": detail})

    def _queue(self, command: str, action: tuple[str, Any]) -> None:
        if len(self.actions) >= MAX_PENDING:
            self._error(
                command, None, f"more than {MAX_PENDING} commands are waiting; wait for a frame"
            )
            return
        self.actions.append(action)

    def handle(self, text: str) -> None:
        """Validate one command and record what it asks for; never raises."""
        try:
            command = COMMAND.validate_json(text)
        except ValidationError as exc:
            problems = [describe_validation_error(e) for e in exc.errors()]
            first = problems[0] if problems else {"field": None, "message": "invalid command"}
            self._error(None, first["field"], "; ".join(p["message"] for p in problems))
            return
        kind = command.type
        try:
            self._apply(command)
        except ValueError as exc:  # LimitError, ConfigError
            self._error(kind, getattr(exc, "field", None), str(exc))

    def _apply(self, command: Any) -> None:
        kind = command.type
        settings = self.settings
        if kind == "play":
            if command.steps_per_frame is not None:
                require_between(
                    "steps_per_frame", command.steps_per_frame, 1, settings.max_steps_per_frame
                )
            if command.fps is not None:
                require_between("fps", command.fps, 1, settings.max_fps)
            self.steps_per_frame = command.steps_per_frame or self.steps_per_frame
            self.fps = float(command.fps or self.fps)
            if not self.playing:
                # A whole class presses play at the teacher's word: a random phase within
                # the first period (at most 0.1 s) keeps their frames from all falling due
                # at the same instants, which would make every period a burst.
                period = 1.0 / self.fps
                self.next_due = time.monotonic() + random.uniform(0.0, min(period, 0.1))
            self.playing = True
            if self.past is not None:
                self._queue(kind, ("seek", None))  # playing is live
            self.replies.append({"type": "ack", "command": "play", **self.status()})
        elif kind == "pause":
            self.playing = False
            self.replies.append({"type": "ack", "command": "pause", **self.status()})
        elif kind == "step":
            require_between("steps", command.steps, 1, settings.max_steps_per_call)
            self._queue(kind, ("step", command.steps))
        elif kind == "phase":
            self._queue(kind, ("phase", command.phase))
        elif kind == "select":
            self._select(command)
        elif kind == "config":
            self._queue(kind, ("config", command.config))
        elif kind == "resolution":
            check_resolution(command.resolution, settings.max_resolution, allow_zero=True)
            if command.thumbnails is not None:
                require_between("thumbnails", command.thumbnails, 0, settings.max_resolution)
            self.resolution = command.resolution
            self.target = command.target
            if command.deltas is not None:
                self.deltas = command.deltas
            if command.thumbnails is not None:
                self.thumbnails = command.thumbnails or None
            self._queue(kind, ("refresh", None))
        elif kind == "convention":
            change = {k: v for k, v in command.model_dump().items() if k != "type" and v}
            merged = {**self.session.convention, **change}
            Convention(**merged)
            if merged != self.session.convention:
                self.session.convention = merged
                self.session.changed()
            self._queue(kind, ("refresh", None))
        elif kind == "reset":
            self._queue(kind, ("reset", None))
        elif kind == "seek":
            if command.step is not None:
                if command.step < 0:
                    raise LimitError("step", f"step must be at least 0 (got {command.step})")
                if self.playing:
                    self.playing = False  # the past holds still
                    self.replies.append({"type": "ack", "command": "pause", **self.status()})
            self._queue(kind, ("seek", command.step))
        elif kind == "refresh":
            self._queue(kind, ("refresh", None))
        elif kind == "view":
            sent = command.model_dump(exclude={"type"}, exclude_none=True)
            view = {**self.session.view, **sent}
            if view != self.session.view:
                self.session.view = view
                self.session.changed()
            room = self._room()
            if room is not None:
                self._claim(room)  # the page the lecturer is using: the class sees it
                room.publish_view(dict(self.session.view))

    def _select(self, command: Any) -> None:
        point = command.x1 is not None or command.x2 is not None
        if sum([command.index is not None, point, command.batch]) > 1:
            raise LimitError("index", "select one of index, (x1, x2) or batch, not several")
        if point:
            if command.x1 is None or command.x2 is None:
                raise LimitError("x1" if command.x1 is None else "x2", "a point needs x1 and x2")
            require_between("x1", command.x1, -COORDINATE_LIMIT, COORDINATE_LIMIT)
            require_between("x2", command.x2, -COORDINATE_LIMIT, COORDINATE_LIMIT)
        if command.index is not None and command.index < 0:
            raise LimitError("index", f"index must be at least 0 (got {command.index})")
        if command.split is not None and command.index is None:
            raise LimitError("split", "split goes with index: give the example's index too")
        self.selection = Selection(
            index=command.index,
            split=command.split or "train",
            x1=command.x1,
            x2=command.x2,
            target=command.target,
            batch=command.batch,
        )
        self._queue("select", ("refresh", None))

    def status(self) -> dict[str, Any]:
        return {
            "playing": self.playing,
            "fps": self.fps,
            "steps_per_frame": self.steps_per_frame,
            "resolution": self.resolution,
            "target": self.target,
            "deltas": self.deltas,
            "thumbnails": self.thumbnails,
        }

    # --- one frame (in a worker thread, under the session's lock) ------------------------

    def _compute(
        self, actions: list[tuple[str, Any]], due: bool
    ) -> tuple[bytes | None, list[dict[str, Any]]]:
        started = time.perf_counter()
        try:
            return self._compute_frame(actions, due)
        finally:
            self.last_compute = time.perf_counter() - started

    def _compute_frame(
        self, actions: list[tuple[str, Any]], due: bool
    ) -> tuple[bytes | None, list[dict[str, Any]]]:
        trainer = self.session.trainer
        replies: list[dict[str, Any]] = []
        metrics = None  # the Metrics of the last train()/update, reused by the frame
        restarted = False  # parameters and history started over (reset, reinitialised)
        self._forget_stale_past(trainer)
        for kind, argument in actions:
            metrics = None
            try:
                if kind == "seek":
                    self._seek(trainer, argument)
                elif kind == "step" and self.past is not None:
                    self._seek(trainer, min(self.past.step + argument, trainer.step))
                elif kind == "phase" and self.past is not None:
                    result = getattr(self.past, f"{argument}_phase")()
                    metrics = result if argument == "update" else None
                elif kind == "step":
                    metrics = trainer.train(argument)
                elif kind == "phase":
                    result = getattr(trainer, f"{argument}_phase")()
                    metrics = result if argument == "update" else None
                elif kind == "config":
                    self.past = None  # a change applies to the live session: show it
                    _, reinitialised = trainer.reconfigure(argument)
                    restarted = restarted or bool(reinitialised)
                    replies.append(
                        {
                            "type": "ack",
                            "command": "config",
                            "reinitialised": bool(reinitialised),
                            "config": trainer.config.to_dict(),
                        }
                    )
                elif kind == "reset":
                    self.past = None
                    trainer.reset()
                    restarted = True
                    replies.append({"type": "ack", "command": "reset"})
            except ValueError as exc:  # ConfigError, PhaseError
                replies.append(
                    {
                        "type": "error",
                        "command": kind,
                        "field": getattr(exc, "field", None),
                        "detail": str(exc),
                    }
                )
        trains = due and not trainer.diverged
        if trains:
            metrics = trainer.train(self.steps_per_frame)
        if trains or any(kind in CHANGES for kind, _ in actions):
            self.session.changed()  # written behind, at most every few seconds (persist.py)
        if trainer.diverged and self.playing:
            self.playing = False  # nothing to gain from stepping a diverged net
            replies.append({"type": "ack", "command": "pause", **self.status()})
        shown = self.past if self.past is not None else trainer
        selection = self.selection
        try:
            check_selection(shown, selection)
        except LimitError as exc:
            replies.append(
                {"type": "error", "command": "select", "field": exc.field, "detail": str(exc)}
            )
            selection = self.selection = Selection()
        # Started over here, or elsewhere (a REST reset, another viewer's config change,
        # a rollback): the rows sent so far are no longer a prefix of the history.
        history = trainer.history
        rows = len(history)
        known = self.history_rows
        replaced = known > 0 and (rows < known or history.step_of(known - 1) != self.last_row_step)
        history_reset = restarted or replaced or int(trainer.step) < self.history_after
        claims = self.claims  # read once: a claim after this read is the next frame's
        history_reset = history_reset or claims != self.claims_seen
        self.claims_seen = self._frame_claims = claims
        if history_reset:
            self.history_after = -1
        pack = ArrayPacker(binary=self.binary)
        frame = frame_dict(
            self.session,
            pack,
            seq=self.seq,
            history_after=self.history_after,
            resolution=self.resolution or None,
            grid_target=self.target,
            selection=selection,
            quantized=True,
            metrics=metrics,
            deltas=self.deltas,
            thumbnails=self.thumbnails,
            shown=self.past,
        )
        frame["history_reset"] = history_reset or self.seq == 0
        frame["stream"] = self.status()
        self.seq += 1
        self.history_after = int(trainer.step)
        self.history_rows = rows
        self.last_row_step = int(history.step_of(-1)) if rows else None
        return encode_frame(frame, pack), replies

    def _seek(self, live: Any, step: int | None) -> None:
        """Show ``step`` of the live run (None, or the live step itself: the live session)."""
        past = trainer_at(live, step) if step is not None else live
        if past is live:
            self.past = self.past_origin = None
        else:
            self.past, self.past_origin = past, live.timeline.checkpoints[0]

    def _forget_stale_past(self, live: Any) -> None:
        """Back to live if the run shown in the past was replaced (a reset or a new
        network, by this viewer or another) or went back before the step shown."""
        if self.past is None:
            return
        checkpoints = live.timeline.checkpoints
        if not checkpoints or checkpoints[0] is not self.past_origin or live.step < self.past.step:
            self.past = self.past_origin = None


async def serve_stream(
    websocket: WebSocket, store: SessionStore, settings: Settings, session_id: str, binary: bool
) -> None:
    """Accept, look the session up, run the stream, and end cleanly whatever happens."""
    await websocket.accept()
    try:
        # from memory, or loaded back from the saved sessions (disk: off the event loop)
        session = await anyio.to_thread.run_sync(store.get, session_id)
    except SessionNotFoundError:
        await websocket.send_text(
            dumps({"type": "closed", "detail": f"session {session_id!r} does not exist"}).decode()
        )
        await websocket.close(code=CLOSE_GONE, reason="no such session")
        return
    session.streams += 1
    state = websocket.app.state
    if getattr(state, "frame_lanes", None) is None:
        state.frame_lanes = Lanes()
    stream = Stream(websocket, session, store, settings, binary=binary, lanes=state.frame_lanes)
    try:
        await stream.run()
    finally:
        session.streams -= 1
        if websocket.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                await websocket.close()
