"""The in-memory session store: unguessable ids, a maximum count and an idle expiry.

A session is one Trainer plus what a viewer chose to look at (the traced example, the
display convention). Each session has its own lock: the CPU work on a trainer runs in a
worker thread while holding it, so two requests on one session never interleave and a
heavy session never blocks the others.
"""

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from anyio import CapacityLimiter, to_thread

T = TypeVar("T")


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

    async def run(self, work: Callable[[], T], limiter: CapacityLimiter | None = None) -> T:
        """Run `work` in a worker thread while holding this session's lock.

        The event loop stays free for the other sessions' requests and frames. `limiter`
        bounds how many such threads run at once (default: anyio's shared pool of 40).
        """

        def locked() -> T:
            with self.lock:
                return work()

        return await to_thread.run_sync(locked, limiter=limiter)


class SessionStore:
    """Sessions by id. Full → the longest-idle goes; idle past the TTL → gone.

    A session with an open stream never expires (its viewer may just be paused) and is
    evicted only when every session has a viewer.
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
        session = Session(id=self.new_id(), trainer=trainer, created=now, last_used=now)
        with self._lock:
            self._expire(now)
            while len(self._sessions) >= self.max_sessions:
                # The idlest session nobody is watching; if every one has a viewer, the
                # idlest of all (its stream then closes with 4404).
                idlest = min(self._sessions.values(), key=lambda s: (s.streams > 0, s.last_used))
                del self._sessions[idlest.id]
            self._sessions[session.id] = session
        return session

    def get(self, session_id: str) -> Session:
        """The live session with this id, marked as used now."""
        now = self._clock()
        with self._lock:
            self._expire(now)
            session = self._sessions.get(session_id)
            if session is None:
                raise SessionNotFoundError(session_id)
            session.last_used = now
            return session

    def alive(self, session: Session) -> bool:
        """Whether `session` is still the one stored under its id (not deleted or evicted)."""
        with self._lock:
            return self._sessions.get(session.id) is session

    def touch(self, session: Session) -> None:
        session.last_used = self._clock()

    def remove(self, session_id: str) -> None:
        with self._lock:
            if self._sessions.pop(session_id, None) is None:
                raise SessionNotFoundError(session_id)

    def expire(self) -> int:
        """Drop every session idle longer than the TTL; returns how many went."""
        with self._lock:
            return self._expire(self._clock())

    def _expire(self, now: float) -> int:
        stale = [
            sid
            for sid, s in self._sessions.items()
            if now - s.last_used > self.ttl_seconds and s.streams == 0  # open stream: alive
        ]
        for sid in stale:
            del self._sessions[sid]
        return len(stale)
