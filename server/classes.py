"""Class mode: many browsers follow one session live, read-only, by a short join code.

A lecturer's browser holds the session id (the key that controls it); opening a class on
the session gives it a *join code* that only lets a browser watch. The lecturer's stream
publishes every frame it sends, once, already encoded; each follower's socket sends the
newest frame as soon as it can. A follower that is slow to read skips frames rather than
queueing them: a room keeps only the latest frame and the latest view (tab, phase, traced
example…), so memory per follower is a few counters, whatever its speed, and nothing a
follower does can delay the lecturer or the other followers.

Codes are 8 digits (10⁸ of them: easy to read aloud and to type on a phone's keypad).
Looking codes up is rate-limited per client: at most GUESSES_PER_MINUTE unknown codes a
minute, so one client guessing for a whole two-hour lecture tries at most 3,600 codes and
finds a given open class with probability 3,600 / 10⁸ = 0.004 %. An unknown code and a
closed one get the same answer.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import anyio

from server.polls import Poll

CODE_DIGITS = 8
GUESSES_PER_MINUTE = 30
MAX_CLASSES = 200  # as many as there can be sessions: one per session at most


class ClassNotFoundError(LookupError):
    """No open class has this code (never opened, closed, or its session is gone)."""

    def __init__(self) -> None:
        super().__init__(
            "no open class has this code: check the digits, or ask the lecturer whether "
            "the class is still open"
        )


class TooManyGuessesError(Exception):
    """A client looked up too many unknown codes in the last minute."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(
            f"too many unknown class codes from this address; try again in "
            f"{max(1, round(retry_after))} s"
        )
        self.retry_after = retry_after


def format_code(code: str) -> str:
    """'48217309' → '4821 7309': two groups of four, as it is read aloud."""
    return f"{code[:4]} {code[4:]}"


def normalise_code(text: str) -> str:
    """What a person typed (spaces, dashes) → the 8 digits (or the text, if not digits)."""
    return "".join(ch for ch in text if not ch.isspace() and ch != "-")


@dataclass(eq=False)
class Room:
    """One open class: the session it follows, the newest frame and view, the followers."""

    code: str
    session: Any  # server.sessions.Session
    created: float = field(default_factory=time.monotonic)
    frame: bytes | None = None  # the newest frame, as the lecturer's stream sent it
    frame_binary: bool = True
    seq: int = 0  # frames published
    view: dict[str, Any] | None = None  # the lecturer page's view (tab, phase, …)
    view_seq: int = 0
    followers: int = 0
    poll: Poll | None = None  # the question put to the class (server/polls.py), if any
    poll_seq: int = 0  # changes of the poll: asked, answered, revealed, withdrawn
    moves: int = 0  # times the class moved to another session of the lecturer's
    _keys: Iterator[int] = field(default_factory=itertools.count, repr=False)
    closed: str | None = None  # why the class ended, once it has
    _changed: anyio.Event | None = field(default=None, repr=False)

    def _wake(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    def publish(self, frame: bytes, binary: bool) -> None:
        """The lecturer's stream sent `frame`: it becomes every follower's next one."""
        self.frame, self.frame_binary = frame, binary
        self.seq += 1
        self._wake()

    def publish_view(self, view: dict[str, Any]) -> None:
        self.view = view
        self.view_seq += 1
        self._wake()

    def follower_key(self) -> int:
        """A key for one follower's connection (its poll answers), never reused."""
        return next(self._keys)

    def ask(self, poll: Poll | None) -> None:
        """Put `poll` to the followers (None withdraws the current one)."""
        self.poll = poll
        self.poll_changed()

    def poll_changed(self) -> None:
        self.poll_seq += 1
        self._wake()

    def close(self, reason: str) -> None:
        self.closed = reason
        self._wake()

    def seqs(self) -> tuple[int, int, int, int]:
        """What a follower has seen, as (frame, view, poll, move) counters."""
        return self.seq, self.view_seq, self.poll_seq, self.moves

    async def changed(self, seen: tuple[int, int, int, int]) -> None:
        """Wait until there is a frame, view or poll newer than `seen` (or the class closed)."""
        while self.seqs() == seen and self.closed is None:
            if self._changed is None:
                self._changed = anyio.Event()
            await self._changed.wait()


class ClassRegistry:
    """Open classes by code and by session; the rate limit of code lookups per client."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._by_code: dict[str, Room] = {}
        self._by_session: dict[str, Room] = {}
        self._misses: dict[str, list[float]] = {}  # client → times of unknown codes
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._by_code)

    def open(self, session: Any) -> Room:
        """The session's class, opened now if it has none (one class per session)."""
        with self._lock:
            room = self._by_session.get(session.id)
            if room is not None:
                return room
            if len(self._by_code) >= MAX_CLASSES:
                raise ValueError(f"at most {MAX_CLASSES} classes can be open at once")
            code = self._new_code()
            room = Room(code=code, session=session)
            self._by_code[code] = room
            self._by_session[session.id] = room
            return room

    def _new_code(self) -> str:
        while True:
            code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
            if code not in self._by_code and code[0] != "0":  # no leading zero to drop
                return code

    def of_session(self, session_id: str) -> Room | None:
        with self._lock:
            return self._by_session.get(session_id)

    def move(self, session_id: str, to: Any) -> Room | None:
        """The class of session `session_id` now follows the session `to` (the lecturer
        went on to another session: a lesson's next scene, an opened experiment, a branch).
        Its followers are told, and their pages load the new session. None if there is no
        class to move; ValueError if `to` has a class of its own."""
        with self._lock:
            room = self._by_session.get(session_id)
            if room is None:
                return None
            if to.id != session_id:
                if to.id in self._by_session:
                    raise ValueError("the session moved to has a class of its own")
                del self._by_session[session_id]
                self._by_session[to.id] = room
            room.session = to
            room.frame = None  # the old session's: the new one's first frame follows
            room.moves += 1
        room._wake()
        return room

    def close(self, session_id: str, reason: str) -> bool:
        """End the session's class (if any): every follower is told `reason`."""
        with self._lock:
            room = self._by_session.pop(session_id, None)
            if room is None:
                return False
            self._by_code.pop(room.code, None)
        room.close(reason)
        return True

    def sweep(self, alive: Callable[[Any], bool]) -> int:
        """Close the classes whose session has gone (deleted, expired, evicted)."""
        with self._lock:
            gone = [room for room in self._by_code.values() if not alive(room.session)]
            for room in gone:
                self._by_code.pop(room.code, None)
                self._by_session.pop(room.session.id, None)
        for room in gone:
            room.close("the lecturer's session has ended")
        return len(gone)

    def find(self, code: str, client: str, alive: Callable[[Any], bool]) -> Room:
        """The open class with this code, for a client allowed to ask.

        Unknown and closed codes raise the same ClassNotFoundError; a client past
        GUESSES_PER_MINUTE unknown codes in the last minute gets TooManyGuessesError
        before any lookup. A class whose session has gone is closed here.
        """
        now = self._clock()
        with self._lock:
            misses = [t for t in self._misses.get(client, []) if now - t < 60.0]
            if len(misses) >= GUESSES_PER_MINUTE:
                self._misses[client] = misses
                raise TooManyGuessesError(60.0 - (now - misses[0]))
            room = self._by_code.get(normalise_code(code))
            if room is not None and not alive(room.session):
                self._by_code.pop(room.code, None)
                self._by_session.pop(room.session.id, None)
                room.close("the lecturer's session has ended")
                room = None
            if room is None:
                misses.append(now)
                self._misses[client] = misses
                if len(self._misses) > 10_000:  # forget the quiet clients, bound memory
                    self._misses = {k: v for k, v in self._misses.items() if now - v[-1] < 60}
                raise ClassNotFoundError()
            return room
