"""The in-memory session store: unguessable ids, a maximum count and an idle expiry.

A session is one Trainer plus what a viewer chose to look at (the traced example, the
display convention). Each session has its own lock: the CPU work on a trainer runs in a
worker thread while holding it, so two requests on one session never interleave and a
heavy session never blocks the others.

With persistence (server/persist.py) the store has a `backing`: a session asked for but not
in memory is loaded back from disk, a session dropped from memory (idle or evicted) is
handed to it for a last write if it has unsaved changes, and a deleted one is deleted there
too. Every change to a session calls `Session.changed()`, which is how the backing knows
what to write.
"""

import itertools
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from anyio import CapacityLimiter, to_thread

T = TypeVar("T")

_changes = itertools.count(1)  # next() is atomic: safe from any thread or the event loop


class SessionNotFoundError(LookupError):
    """No live session has this id (never created, deleted, expired or evicted)."""

    def __init__(self, session_id: str) -> None:
        super().__init__(
            f"session {session_id!r} does not exist: it may have expired after being idle "
            "or been evicted to make room; create a new one with POST /api/sessions"
        )
        self.session_id = session_id


@dataclass
class Session:
    """One learner's trainer, and the lock that serialises every access to it."""

    id: str
    trainer: Any  # engine.Trainer; typed loosely so this module never imports the engine
    created: float = field(default_factory=time.monotonic)
    last_used: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    convention: dict[str, str] = field(
        default_factory=lambda: {"sign": "loss", "layout": "row", "bias": "separate"}
    )  # how traces are shown to this session's viewers; changes live
    streams: int = 0  # open WebSocket streams; informational
    view: dict[str, Any] = field(default_factory=dict)  # what its page shows (for a class)
    # Persistence bookkeeping (server/persist.py): the change counter when last changed and
    # when last written (equal: nothing to write), and when it was last written or its use
    # recorded (store clock).
    changes: int = field(default_factory=lambda: next(_changes))  # new: unsaved
    saved: int = 0
    saved_at: float = float("-inf")
    used_saved: float = float("-inf")
    # Called after every change (server/classes.py: an open class checks whether the
    # configuration changed, to tell its followers); from a worker thread holding the lock,
    # or from the event loop.
    on_change: Callable[[], None] | None = field(default=None, repr=False, compare=False)

    def changed(self) -> None:
        """Mark the session's state (trainer, convention, view) as changed since last saved."""
        self.changes = next(_changes)
        if self.on_change is not None:
            self.on_change()

    @property
    def dirty(self) -> bool:
        return self.changes != self.saved

    async def run(self, work: Callable[[], T], limiter: CapacityLimiter | None = None) -> T:
        """Run `work` in a worker thread while holding this session's lock.

        The event loop stays free for the other sessions' requests and frames. `limiter`
        bounds how many such threads run at once (default: anyio's shared pool of 40).
        """

        def locked() -> T:
            with self.lock:
                return work()

        return await to_thread.run_sync(locked, limiter=limiter)


class Backing(Protocol):
    """Where sessions live beyond memory (server/persist.py); called outside the store lock."""

    def load(self, session_id: str) -> Session | None: ...

    def retire(self, session: Session) -> None: ...

    def forget(self, session_id: str) -> None: ...


class SessionStore:
    """Sessions by id. Full → the longest-idle goes; idle past the TTL → gone.

    A session with an open stream never expires (its viewer may just be paused) and is
    evicted only when every session has a viewer. With a `backing`, "gone" means gone from
    memory: the session is loaded back when asked for.
    """

    def __init__(
        self,
        max_sessions: int,
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_sessions < 1:
            raise ValueError(f"max_sessions must be at least 1 (got {max_sessions})")
        if ttl_seconds <= 0:
            raise ValueError(f"ttl_seconds must be positive (got {ttl_seconds})")
        self.max_sessions = max_sessions
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()  # guards the dict only, never held during CPU work
        self.backing: Backing | None = None

    def clock(self) -> float:
        """The store's clock (`Session.last_used` and `created` are read on it)."""
        return self._clock()

    def sessions(self) -> list[Session]:
        """The sessions in memory now (a copy of the list)."""
        with self._lock:
            return list(self._sessions.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)

    def __contains__(self, session_id: object) -> bool:
        with self._lock:
            return session_id in self._sessions

    @staticmethod
    def new_id() -> str:
        """128 random bits, URL-safe: guessing another learner's id is hopeless."""
        return secrets.token_urlsafe(16)

    def add(self, trainer: Any) -> Session:
        """Store a new session, first dropping expired ones and, if still full, the idlest."""
        now = self._clock()
        return self.restore(Session(id=self.new_id(), trainer=trainer, created=now, last_used=now))

    def restore(self, session: Session) -> Session:
        """Put `session` (new, or loaded back from disk) in memory, making room as `add`
        does; if a session with its id is already there, that one is kept and returned."""
        with self._lock:
            existing = self._sessions.get(session.id)
            if existing is not None:
                return existing
            dropped = self._expire_locked(self._clock())
            while len(self._sessions) >= self.max_sessions:
                # The idlest session nobody is watching; if every one has a viewer, the
                # idlest of all (its stream then closes with 4404).
                idlest = min(self._sessions.values(), key=lambda s: (s.streams > 0, s.last_used))
                dropped.append(self._sessions.pop(idlest.id))
            self._sessions[session.id] = session
        self._retire(dropped)
        return session

    def get(self, session_id: str) -> Session:
        """The session with this id, marked as used now: from memory, else from the backing."""
        now = self._clock()
        with self._lock:
            dropped = self._expire_locked(now)
            session = self._sessions.get(session_id)
            if session is not None:
                session.last_used = now
        self._retire(dropped)
        if session is not None:
            return session
        loaded = self.backing.load(session_id) if self.backing is not None else None
        if loaded is None:
            raise SessionNotFoundError(session_id)
        loaded.last_used = self._clock()
        return self.restore(loaded)

    def alive(self, session: Session) -> bool:
        """Whether `session` is still the one stored under its id (not deleted or evicted)."""
        with self._lock:
            return self._sessions.get(session.id) is session

    def touch(self, session: Session) -> None:
        session.last_used = self._clock()

    def remove(self, session_id: str) -> None:
        """Delete the session, from memory and from the backing."""
        with self._lock:
            if self._sessions.pop(session_id, None) is None:
                raise SessionNotFoundError(session_id)
        if self.backing is not None:
            self.backing.forget(session_id)

    def expire(self) -> int:
        """Drop every session idle longer than the TTL; returns how many went."""
        with self._lock:
            dropped = self._expire_locked(self._clock())
        self._retire(dropped)
        return len(dropped)

    def _expire_locked(self, now: float) -> list[Session]:
        stale = [
            s
            for s in self._sessions.values()
            if now - s.last_used > self.ttl_seconds and s.streams == 0  # open stream: alive
        ]
        for s in stale:
            del self._sessions[s.id]
        return stale

    def _retire(self, dropped: list[Session]) -> None:
        if self.backing is not None:
            for session in dropped:
                self.backing.retire(session)
