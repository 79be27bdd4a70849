"""Class mode: many browsers follow one session live, read-only, by a short join code.

A lecturer's browser holds the session id (the key that controls it); opening a class on
the session gives it a *join code* that only lets a browser watch. One stream of the
session is the class's *publisher* (see Room.claim): it hands every frame it sends to the
room, once, already encoded; each follower's socket sends the newest frame as soon as it
can. A follower that is slow to read skips frames rather than queueing them: a room keeps
only the latest frame, view, poll and configuration version, so what a follower costs does
not grow with the frames it misses, and nothing a follower does can delay the lecturer or
the other followers.

Codes are 8 digits without a leading zero (9 × 10⁷ of them: easy to read aloud and to
type on a phone's keypad). Looking codes up is rate-limited per client: at most
GUESSES_PER_MINUTE unknown codes a minute, so one client guessing for a whole two-hour
lecture tries at most 3,600 codes and finds a given open class with probability
3,600 / (9 × 10⁷) = 0.004 % (one of 200 open classes: 0.8 %). An unknown code and a closed
one get the same answer. "Make it mine" (a fork) makes a session, which costs CPU and
may evict another from the store: at most FORKS_PER_MINUTE a minute per client.
"""

from __future__ import annotations

import asyncio
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
# A follower forks once or twice a lecture; a script forks in a loop. Generous, because a
# room may reach the server through one address (a NAT, Docker Desktop's port proxy).
FORKS_PER_MINUTE = 60
MAX_CLASSES = 200  # as many as there can be sessions: one per session at most
MAX_CLIENTS = 10_000  # clients whose recent misses or forks are remembered


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
            f"too many unknown class codes from this address (at most {GUESSES_PER_MINUTE} "
            f"a minute); try again in {max(1, round(retry_after))} s"
        )
        self.retry_after = retry_after


class TooManyForksError(Exception):
    """A client made too many copies of classes' sessions in the last minute."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(
            f'too many "Make it mine" copies from this address (at most {FORKS_PER_MINUTE} '
            f"a minute); try again in {max(1, round(retry_after))} s"
        )
        self.retry_after = retry_after


def format_code(code: str) -> str:
    """'48217309' → '4821 7309': two groups of four, as it is read aloud."""
    return f"{code[:4]} {code[4:]}"


def normalise_code(text: str) -> str:
    """What a person typed (spaces, dashes) → the 8 digits (or the text, if not digits)."""
    return "".join(ch for ch in text if not ch.isspace() and ch != "-")


def config_fingerprint(session: Any) -> tuple[Any, ...]:
    """What a follower's page builds from the session's configuration: the config (its
    equations' η, the network's activation and features…), the data (its version counts
    regenerations and edited points), the run (a reset or a rebuilt network starts a new
    history object) and the display convention. Read under the session's lock."""
    trainer = session.trainer
    return (
        trainer.config,  # frozen: a change replaces it
        int(trainer.data_version),
        trainer.history,  # by identity: reset() makes a new one
        tuple(sorted(session.convention.items())),
    )


def _same(a: tuple[Any, ...] | None, b: tuple[Any, ...]) -> bool:
    return (
        a is not None
        and (a[0] is b[0] or a[0] == b[0])
        and a[1] == b[1]
        and a[2] is b[2]
        and a[3] == b[3]
    )


class _Window:
    """Times of events per client over the last minute, at most `limit` of them."""

    def __init__(self, limit: Callable[[], int]) -> None:
        self._limit = limit  # read at each check: tests lower the module's constant
        self._times: dict[str, list[float]] = {}

    def full(self, client: str, now: float) -> float | None:
        """Seconds until `client` may again (None: it may now)."""
        recent = [t for t in self._times.get(client, []) if now - t < 60.0]
        if recent:
            self._times[client] = recent
        else:
            self._times.pop(client, None)
        if len(recent) >= self._limit():
            return 60.0 - (now - recent[0])
        return None

    def add(self, client: str, now: float) -> None:
        self._times.setdefault(client, []).append(now)
        if len(self._times) > MAX_CLIENTS:  # forget the quiet clients, bound memory
            self._times = {k: v for k, v in self._times.items() if now - v[-1] < 60}


@dataclass(eq=False)
class Room:
    """One open class: the session it follows, the newest frame and view, the followers."""

    code: str
    session: Any  # server.sessions.Session
    created: float = field(default_factory=time.monotonic)
    frame: bytes | None = None  # the newest frame, as the publishing stream sent it
    frame_binary: bool = True
    seq: int = 0  # frames published
    view: dict[str, Any] | None = None  # the lecturer page's view (tab, phase, …)
    view_seq: int = 0
    followers: int = 0
    poll: Poll | None = None  # the question put to the class (server/polls.py), if any
    poll_seq: int = 0  # changes of the poll: asked, answered, revealed, withdrawn
    moves: int = 0  # times the class moved to another session of the lecturer's
    config_version: int = 0  # changes of the session's configuration (and moves)
    beats: int = 0  # ticks of the followers' heartbeat clock (see beat)
    publisher: Any = None  # the one stream whose frames the followers get (see claim)
    loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)
    _keys: Iterator[int] = field(default_factory=itertools.count, repr=False)
    closed: str | None = None  # why the class ended, once it has
    _changed: anyio.Event | None = field(default=None, repr=False)
    _fingerprint: tuple[Any, ...] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _beat: asyncio.TimerHandle | None = field(default=None, repr=False)

    def _wake(self) -> None:
        """Wake every follower's sender; safe from a worker thread (a REST request's work
        under the session lock, a sync route) as well as from the event loop."""
        loop = self.loop
        if loop is not None:
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is not loop:
                if not loop.is_closed():
                    loop.call_soon_threadsafe(self._wake_here)
                return
        self._wake_here()

    def _wake_here(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    def claim(self, stream: Any) -> bool:
        """Make `stream` the class's publisher; True if it was not already.

        Exactly one stream of the session publishes, so that a second tab of the
        lecturer's, or a notebook driving the same session, never mixes its frames (its
        resolution, its traced example, its past step) into what the class sees. The
        publisher is the stream that last sent a `view` command (the lecturer's page sends
        one when it opens the class and whenever what it shows changes, so the page the
        lecturer is using is the one the class sees); until one has, the first stream to
        send a frame (a notebook that opened the class over REST). A publisher that closes
        gives its place up (see release)."""
        if self.publisher is stream:
            return False
        self.publisher = stream
        return True

    def release(self, stream: Any) -> None:
        """`stream` closed: if it was the publisher, the next stream to send a frame is."""
        if self.publisher is stream:
            self.publisher = None

    def publish(self, frame: bytes, binary: bool) -> None:
        """The publisher sent `frame`: it becomes every follower's next one."""
        self.frame, self.frame_binary = frame, binary
        self.seq += 1
        self._wake()

    def publish_view(self, view: dict[str, Any]) -> None:
        self.view = view
        self.view_seq += 1
        self._wake()

    def watch(self, session: Any) -> None:
        """Follow `session`'s changes (and stop following the previous one's)."""
        if self.session is not session and self.session.on_change == self.check_config:
            self.session.on_change = None
        self.session = session
        try:  # the state it starts from: what followers load when they join
            self._fingerprint = config_fingerprint(session)
        except AttributeError:
            self._fingerprint = None  # read mid-rebuild: the next change bumps the version
        session.on_change = self.check_config

    def check_config(self) -> None:
        """After a change of the session: bump config_version if its configuration (or
        data, run, convention) is not the one last seen. Cheap when nothing changed (every
        frame comes here): a few identity tests."""
        session = self.session
        try:
            fingerprint = config_fingerprint(session)
        except AttributeError:  # a trainer half-rebuilt, read off the lock: next change
            return
        with self._lock:
            if _same(self._fingerprint, fingerprint):
                return
            self._fingerprint = fingerprint
            self.config_version += 1
        self._wake()

    def bump_config(self) -> None:
        """One more configuration version, under the room's lock: a move (registry lock,
        event loop) and a change seen by check_config (a worker thread) must not both
        read the same number and lose an increment."""
        with self._lock:
            self.config_version += 1

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
        if self.session.on_change == self.check_config:
            self.session.on_change = None
        self._wake()

    def seqs(self) -> tuple[int, int, int, int, int, int]:
        """What a follower has seen, as (frame, view, poll, move, config, beat) counters."""
        return (
            self.seq,
            self.view_seq,
            self.poll_seq,
            self.moves,
            self.config_version,
            self.beats,
        )

    def beat(self, interval: float) -> None:
        """Wake every follower each `interval` seconds while the room has followers, so
        that each can say it is alive after a quiet spell (and notice an expired session).

        One timer per room rather than a timeout on each follower's wait: a timeout (a
        cancel scope) on every wait cost 2 ms of the event loop per frame with 200
        followers, four times the rest of the fan-out, and the loop is the lecturer's too."""
        loop = self.loop
        if loop is None or self._beat is not None or self.closed is not None:
            return

        def tick() -> None:
            self._beat = None
            if self.followers > 0 and self.closed is None:
                self.beats += 1
                self._wake_here()
                self._beat = loop.call_later(interval, tick)

        self._beat = loop.call_later(interval, tick)

    async def changed(self, seen: tuple[int, ...]) -> None:
        """Wait until there is a frame, view, poll, move or configuration newer than
        `seen` (or the class closed)."""
        while self.seqs() == seen and self.closed is None:
            if self._changed is None:
                self._changed = anyio.Event()
            await self._changed.wait()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class ClassRegistry:
    """Open classes by code and by session; the rate limits of code lookups and forks per
    client (on an injectable clock)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._by_code: dict[str, Room] = {}
        self._by_session: dict[str, Room] = {}
        self._misses = _Window(lambda: GUESSES_PER_MINUTE)  # unknown codes per client
        self._forks = _Window(lambda: FORKS_PER_MINUTE)
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
            room = Room(code=code, session=session, loop=_running_loop())
            self._by_code[code] = room
            self._by_session[session.id] = room
        room.watch(session)
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
            room.watch(to)
            room.frame = None  # the old session's: the new one's first frame follows
            room.publisher = None  # a stream of the new session claims it
            room.moves += 1
            room.bump_config()  # another session: another configuration
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

    def end_if_gone(self, room: Room, alive: Callable[[Any], bool]) -> bool:
        """Close `room` if its session has gone (deleted, expired, evicted): a follower's
        sender asks at each heartbeat, so followers learn it without waiting for sweep."""
        if room.closed is not None or alive(room.session):
            return room.closed is not None
        with self._lock:
            if self._by_code.get(room.code) is room:
                del self._by_code[room.code]
            if self._by_session.get(room.session.id) is room:
                del self._by_session[room.session.id]
        room.close("the lecturer's session has ended")
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
            wait = self._misses.full(client, now)
            if wait is not None:
                raise TooManyGuessesError(wait)
            room = self._by_code.get(normalise_code(code))
            if room is not None and not alive(room.session):
                self._by_code.pop(room.code, None)
                self._by_session.pop(room.session.id, None)
                room.close("the lecturer's session has ended")
                room = None
            if room is None:
                self._misses.add(client, now)
                raise ClassNotFoundError()
            return room

    def fork_allowed(self, client: str) -> None:
        """Count one fork by `client`, or raise TooManyForksError past FORKS_PER_MINUTE."""
        now = self._clock()
        with self._lock:
            wait = self._forks.full(client, now)
            if wait is not None:
                raise TooManyForksError(wait)
            self._forks.add(client, now)
