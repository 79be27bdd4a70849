"""Class mode over HTTP and WebSocket (see server/classes.py and docs/api.md, Class mode).

The session id is the lecturer's key: with it a browser opens and closes the session's
class. The join code is a follower's key: with it a browser reads the session's state
(without its id), its history, its live frames, and forks a private copy. Nothing under
/api/classes changes the lecturer's session.
"""

import contextlib
import socket
import time
from typing import Annotated, Any, Literal

import anyio
import orjson
import segno
from anyio import to_thread
from fastapi import APIRouter, Path, Query, Request, Response, WebSocket
from pydantic import BaseModel, ConfigDict, Field
from starlette.websockets import WebSocketDisconnect, WebSocketState

from server.classes import (
    CODE_DIGITS,
    FORKS_PER_MINUTE,
    GUESSES_PER_MINUTE,
    ClassNotFoundError,
    ClassRegistry,
    Room,
    TooManyForksError,
    TooManyGuessesError,
    format_code,
)
from server.deps import SessionDep, SettingsDep, StoreDep
from server.encoding import ArrayPacker, OrjsonResponse, dumps
from server.errors import problem
from server.payloads import history_dict
from server.polls import MAX_OPTIONS, Poll, PollError
from server.routes.history import HistoryOut
from server.routes.sessions import copy_session, state_dict
from server.schemas.classes import ClassState
from server.schemas.common import ERRORS, Problem
from server.schemas.session import SessionState
from server.sessions import SessionNotFoundError, SessionStore
from server.settings import is_loopback

router = APIRouter(tags=["class"], responses=ERRORS)

CLOSE_CLASS_ENDED = 4410  # the class was closed, or its session ended
# A follower's stream sends {"type": "alive"} when nothing else went out for this long, so
# a page can tell a dead socket (nothing for ~8 s) from a lecturer who is just talking; at
# each such beat the sender also checks that the session still exists (an expired one
# ends the class at once, not at the next sweep).
ALIVE_SECONDS = 3.0
GUESS_LIMITED = {
    429: {
        "model": Problem,
        "description": f"More than {GUESSES_PER_MINUTE} unknown codes from this address in "
        "the last minute; `Retry-After` says when to try again.",
    }
}
FORK_LIMITED = {
    429: {
        "model": Problem,
        "description": f"More than {GUESSES_PER_MINUTE} unknown codes, or more than "
        f"{FORKS_PER_MINUTE} copies, from this address in the last minute; `Retry-After` "
        "says when to try again.",
    }
}
READ_ONLY = (
    "following a class is read-only: the join code lets you watch, nothing else; "
    '"Make it mine" (POST /api/classes/{code}/fork) gives you your own copy to change'
)

NO_CLASS = "the session with this id has no open class: POST …/class opens one"
NO_POLL = "no poll: no question is being asked in this class (PUT …/class/poll asks one)"

CodePath = Annotated[
    str,
    Path(
        description=f"The class's join code: {CODE_DIGITS} digits (spaces are ignored).",
        max_length=32,
        examples=["48217309"],
    ),
]


class ClassOut(BaseModel):
    """An open class, as its lecturer sees it."""

    code: str = Field(description=f"The join code, {CODE_DIGITS} digits.")
    code_display: str = Field(description='The code as it is read aloud: "4821 7309".')
    join_path: str = Field(description="The follower's page on this server: /join/<code>.")
    join_url: str = Field(description="join_path on the address this request was sent to.")
    qr_svg: str = Field(description="A QR code of join_url, as an SVG document.")
    followers: int = Field(description="Follower streams open now.")
    hint: str | None = Field(
        description="Why students may not reach join_url, and what to do (null: nothing)."
    )


def registry_of(request: Request | WebSocket) -> ClassRegistry:
    return request.app.state.classes


def _client(request: Request | WebSocket) -> str:
    return request.client.host if request.client else "unknown"


ONLY_HERE = (
    "This server listens on this computer only, so students' devices cannot reach it: "
    "restart it with `make run HOST=0.0.0.0` (or `backprop-lab --host 0.0.0.0`) on a network "
    "you share with them."
)


def lan_address() -> str | None:
    """This machine's address on its local network (the interface a packet to the outside
    would leave by; a UDP connect sends nothing), or None without one."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed, never contacted
        address = probe.getsockname()[0]
        return None if address.startswith("127.") or address == "0.0.0.0" else address
    return None


def join_base(request: Request) -> tuple[str, str | None]:
    """The address students should open, and a hint if they cannot reach this server.

    A lecturer usually opens the page at localhost: the link must carry the machine's
    network address instead, which students can reach if the server listens on it."""
    settings = request.app.state.settings
    base = str(request.base_url).rstrip("/")
    if is_loopback(settings.bind_host):
        return base, ONLY_HERE
    if is_loopback(request.url.hostname or ""):
        address = lan_address()
        if address is None:
            return base, "This computer has no network address students could use."
        port = f":{request.url.port}" if request.url.port else ""
        return f"{request.url.scheme}://{address}{port}", None
    return base, None


def class_dict(room: Room, request: Request) -> dict[str, Any]:
    join_path = f"/join/{room.code}"
    base, hint = join_base(request)
    join_url = base + join_path
    qr = segno.make(join_url, error="m")
    return {
        "code": room.code,
        "code_display": format_code(room.code),
        "join_path": join_path,
        "join_url": join_url,
        "qr_svg": qr.svg_inline(scale=8, dark="#000", light="#fff", border=2),
        "followers": room.followers,
        "hint": hint,
    }


def find_room(request: Request | WebSocket, code: str) -> Room:
    store: SessionStore = request.app.state.store
    return registry_of(request).find(code, _client(request), store.alive)


def install_class_errors(app: Any) -> None:
    """404 for an unknown or closed code (one answer for both), 429 past the guess limit."""

    @app.exception_handler(ClassNotFoundError)
    async def not_found(_: Request, exc: ClassNotFoundError) -> OrjsonResponse:
        return problem(404, str(exc), "code")

    @app.exception_handler(TooManyGuessesError)
    async def too_many(_: Request, exc: TooManyGuessesError) -> OrjsonResponse:
        response = problem(429, str(exc), "code")
        response.headers["Retry-After"] = str(max(1, round(exc.retry_after)))
        return response

    @app.exception_handler(TooManyForksError)
    async def too_many_forks(_: Request, exc: TooManyForksError) -> OrjsonResponse:
        response = problem(429, str(exc))
        response.headers["Retry-After"] = str(max(1, round(exc.retry_after)))
        return response


# ---------------------------------------------------------------- the lecturer (session id)


@router.post(
    "/api/sessions/{id}/class",
    status_code=201,
    response_model=ClassOut,
    summary="Open a class on this session",
)
async def open_class(session: SessionDep, request: Request) -> Response:
    """A join code (and its link and QR code) with which other browsers follow this
    session live, read-only. One class per session: asking again returns the same one."""
    room = registry_of(request).open(session)
    if room.view is None and session.view:
        room.publish_view(dict(session.view))  # what the lecturer's page shows already
    return OrjsonResponse(class_dict(room, request), status_code=201)


@router.get("/api/sessions/{id}/class", response_model=ClassOut, summary="This session's class")
async def read_class(session: SessionDep, request: Request) -> Response:
    """The open class of this session, with its live follower count; 404 if none."""
    room = registry_of(request).of_session(session.id)
    if room is None:
        return problem(404, NO_CLASS, "id")
    return OrjsonResponse(class_dict(room, request))


class MoveIn(BaseModel):
    """The session the class goes on with: one the lecturer holds the id of."""

    model_config = ConfigDict(extra="forbid")

    session_id: str = Field(max_length=64, description="The lecturer's next session.")


@router.post(
    "/api/sessions/{id}/class/move", response_model=ClassOut, summary="Move the class along"
)
async def move_class(
    session: SessionDep, request: Request, store: StoreDep, body: MoveIn
) -> Response:
    """The lecturer's page went on to another session (a lesson's next scene, an opened
    experiment, a branch): the class follows it under the same code, its question and
    followers kept. Both ids are the lecturer's keys; followers are told and load the new
    session."""
    try:
        to = await to_thread.run_sync(store.get, body.session_id)  # may load it from disk
    except SessionNotFoundError:
        return problem(404, f"session_id: no session {body.session_id!r}", "session_id")
    try:
        room = registry_of(request).move(session.id, to)
    except ValueError as exc:
        return problem(409, f"session_id: {exc}", "session_id")
    if room is None:
        return problem(404, NO_CLASS, "id")
    return OrjsonResponse(class_dict(room, request))


@router.delete("/api/sessions/{id}/class", status_code=204, summary="Close this session's class")
async def close_class(session: SessionDep, request: Request) -> Response:
    """End the class: every follower's view ends with a message, and the code stops
    working. The session itself goes on."""
    if not registry_of(request).close(session.id, "The lecturer closed the class."):
        return problem(404, NO_CLASS, "id")
    return Response(status_code=204)


class PollIn(BaseModel):
    """A question for the class: its text, its options, and the right one (if any)."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=200, description="The question.")
    options: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        min_length=2, max_length=MAX_OPTIONS, description="What followers choose from."
    )
    answer: int | None = Field(
        default=None, ge=0, lt=MAX_OPTIONS, description="The right option's index (or none)."
    )
    reveal: Literal["forward", "backward", "update"] = Field(
        default="backward", description="The phase whose numbers answer it: veiled until then."
    )


class RevealIn(BaseModel):
    """The reveal: optionally the right option, if it was not known when asking."""

    model_config = ConfigDict(extra="forbid")

    answer: int | None = Field(default=None, ge=0, lt=MAX_OPTIONS)


class PollOut(BaseModel):
    """The question as the lecturer sees it: with the tally while it is being given."""

    id: int
    text: str
    options: list[str]
    answer: int | None
    reveal: str = Field(description="The phase whose numbers answer it.")
    revealed: bool
    tally: list[int] = Field(description="Followers per option.")
    answered: int = Field(description="Followers who answered.")


def _room_of(request: Request, session: Any) -> Room | None:
    return registry_of(request).of_session(session.id)


@router.put(
    "/api/sessions/{id}/class/poll", response_model=PollOut, summary="Ask the class a question"
)
async def ask(session: SessionDep, request: Request, body: PollIn) -> Response:
    """Put a question to the followers (replacing any earlier one); they answer on their
    own screens. The tally is in GET …/class/poll, and shown to them after the reveal."""
    room = _room_of(request, session)
    if room is None:
        return problem(404, NO_CLASS, "id")
    try:
        poll = Poll(
            text=body.text, options=tuple(body.options), answer=body.answer, phase=body.reveal
        )
    except PollError as exc:
        return problem(422, str(exc), exc.field)
    room.ask(poll)
    return OrjsonResponse(poll.for_lecturer())


@router.get("/api/sessions/{id}/class/poll", response_model=PollOut, summary="The tally")
async def read_poll(session: SessionDep, request: Request) -> Response:
    room = _room_of(request, session)
    if room is None:
        return problem(404, NO_CLASS, "id")
    if room.poll is None:
        return problem(404, NO_POLL, "poll")
    return OrjsonResponse(room.poll.for_lecturer())


@router.post(
    "/api/sessions/{id}/class/poll/reveal", response_model=PollOut, summary="Reveal the answer"
)
async def reveal(session: SessionDep, request: Request, body: RevealIn) -> Response:
    """Close the poll: followers see the right option and how the class answered."""
    room = _room_of(request, session)
    if room is None:
        return problem(404, NO_CLASS, "id")
    if room.poll is None:
        return problem(404, NO_POLL, "poll")
    try:
        room.poll.reveal(body.answer)
    except PollError as exc:
        return problem(422, str(exc), exc.field)
    room.poll_changed()
    return OrjsonResponse(room.poll.for_lecturer())


@router.delete("/api/sessions/{id}/class/poll", status_code=204, summary="Withdraw the question")
async def withdraw(session: SessionDep, request: Request) -> Response:
    room = _room_of(request, session)
    if room is None:
        return problem(404, NO_CLASS, "id")
    if room.poll is None:
        return problem(404, NO_POLL, "poll")
    room.ask(None)
    return Response(status_code=204)


# ---------------------------------------------------------------- a follower (join code)


def _public_state(state: dict[str, Any], room: Room, version: int) -> dict[str, Any]:
    state = {k: v for k, v in state.items() if k != "id"}  # the id is the lecturer's key
    state["class"] = {"code": room.code, "followers": room.followers}
    state["config_version"] = version
    return state


@router.get(
    "/api/classes/{code}",
    response_model=ClassState,
    responses=GUESS_LIMITED,
    summary="The followed session's state, read-only",
)
async def class_state(
    code: CodePath,
    request: Request,
    settings: SettingsDep,
    step: Annotated[
        int | None, Query(description="A past step, as in GET /api/sessions/{id}.")
    ] = None,
) -> Response:
    """The session state of the class (config, step, metrics, parameters, points,
    timeline), without the session's id, with `config_version`; rate-limited for unknown
    codes.

    The live part is the WebSocket `WS /api/classes/{code}/stream` (not listed here:
    OpenAPI has no WebSockets): binary frames as on a session's stream, and text messages
    `{"type": "view", …}`, `{"type": "poll", …}`, `{"type": "moved"}`, `{"type": "config",
    "version": n}` (the configuration changed: read this state again), `{"type": "alive"}`
    (nothing else for 3 s) and `{"type": "closed", "detail"}` before close code 4410. The
    one message a follower may send is `{"type": "answer", "poll", "option"}`; anything
    else is answered `{"type": "error", "status": 403, …}`. See docs/api.md, Class mode.
    """
    room = find_room(request, code)
    session = room.session

    def read() -> tuple[dict[str, Any], int]:
        room.check_config()  # under the lock: the version read is the state's
        return state_dict(session, settings, step), room.config_version

    state, version = await session.run(read)
    return OrjsonResponse(_public_state(state, room, version))


@router.get(
    "/api/classes/{code}/history",
    response_model=HistoryOut,
    responses=GUESS_LIMITED,
    summary="The followed session's learning curves",
)
async def class_history(code: CodePath, request: Request) -> Response:
    room = find_room(request, code)
    session = room.session
    pack = ArrayPacker(binary=False)
    content = await session.run(lambda: dumps(history_dict(session.trainer.history, pack)))
    return Response(content, media_type="application/json")


@router.post(
    "/api/classes/{code}/fork",
    status_code=201,
    response_model=SessionState,
    responses=FORK_LIMITED,
    summary='"Make it mine": a private copy of the followed session',
)
async def fork(
    code: CodePath, request: Request, store: StoreDep, settings: SettingsDep
) -> Response:
    """A new session of your own from the class's session as it is now: data, parameters,
    optimiser state, sampler, history and display convention, continuing exactly from
    there (its next steps are the ones the lecturer's would take). The lecturer's session
    is not touched, and its id is not revealed. Each copy is a new session (CPU, and a
    place in the store), so an address may make at most 5 a minute (FORKS_PER_MINUTE)."""
    room = find_room(request, code)
    registry_of(request).fork_allowed(_client(request))
    state = await copy_session(room.session, store, settings)
    return OrjsonResponse(state, status_code=201)


@router.websocket("/api/classes/{code}/stream")
async def follow(websocket: WebSocket, code: str) -> None:
    """The lecturer's frames and view, as they happen: the newest one whenever this socket
    is ready for it (a slow follower skips frames). Commands are refused: read-only."""
    await websocket.accept()
    try:
        room = find_room(websocket, code)
    except (ClassNotFoundError, TooManyGuessesError) as exc:
        await websocket.send_text(dumps({"type": "closed", "detail": str(exc)}).decode())
        await websocket.close(code=CLOSE_CLASS_ENDED, reason="no such class")
        return
    room.followers += 1
    follower = room.follower_key()  # this connection's key for its poll answers
    try:
        await _follow(websocket, room, follower)
    except* (WebSocketDisconnect, RuntimeError, anyio.BrokenResourceError):
        pass  # the follower left while a frame was on its way
    finally:
        room.followers -= 1
        if room.poll is not None:
            room.poll.leave(follower)
        if websocket.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                await websocket.close()


def _answer(room: Room, follower: int, text: str) -> dict[str, Any]:
    """A follower's message: an answer to the poll (the one thing it may send), or a
    refusal that says why."""
    try:
        command = orjson.loads(text)
    except orjson.JSONDecodeError:
        command = None
    if not isinstance(command, dict) or command.get("type") != "answer":
        return {"type": "error", "status": 403, "command": None, "field": None, "detail": READ_ONLY}
    poll = room.poll
    poll_id, option = command.get("poll"), command.get("option")
    try:
        if poll is None:
            raise PollError("poll", "no question is being asked")
        for name, value in (("poll", poll_id), ("option", option)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise PollError(name, f"{name} must be an integer")
        poll.vote(follower, poll_id, option)
    except PollError as exc:
        return {"type": "error", "status": 422, "command": "answer", "field": exc.field,
                "detail": str(exc)}  # fmt: skip
    # nothing to tell the others: the tally is the lecturer's until the reveal
    return {"type": "ack", "command": "answer", "poll": poll_id, "option": option}


async def _follow(websocket: WebSocket, room: Room, follower: int) -> None:
    # (frame, view, poll, move, config) counters sent: a newcomer gets the newest of each
    seen: tuple[int, ...] = (-1, -1, -1, -1, -1, -1)
    room.beat(ALIVE_SECONDS / 3)  # wakes this sender every second: see Room.beat
    registry = registry_of(websocket)
    store: SessionStore = websocket.app.state.store
    last_sent = time.monotonic()

    async def send_text(message: dict[str, Any]) -> None:
        nonlocal last_sent
        await websocket.send_text(dumps(message).decode())
        last_sent = time.monotonic()

    async def take_answers() -> None:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            await send_text(_answer(room, follower, message.get("text") or ""))

    async def send_newest() -> None:
        nonlocal seen, last_sent
        while True:
            if room.closed is not None:
                await send_text({"type": "closed", "detail": room.closed})
                await websocket.close(code=CLOSE_CLASS_ENDED, reason="class ended")
                return
            now = room.seqs()
            if now[1] != seen[1] and room.view is not None:
                await send_text({"type": "view", **room.view})
            if now[3] != seen[3] and seen[3] != -1:
                # the lecturer went on to another session: load its state and curves
                await send_text({"type": "moved"})
            if now[4] != seen[4]:
                await send_text({"type": "config", "version": now[4]})
            if now[2] != seen[2] and (room.poll is not None or seen[2] != -1):
                await send_text(
                    room.poll.for_follower() if room.poll else {"type": "poll", "id": None}
                )
            if now[0] != seen[0] and room.frame is not None:
                if room.frame_binary:
                    await websocket.send_bytes(room.frame)
                else:
                    await websocket.send_text(room.frame.decode())
                last_sent = time.monotonic()
            seen = now
            await room.changed(seen)
            quiet = time.monotonic() - last_sent >= ALIVE_SECONDS and room.closed is None
            # an expired session ends the class here (the next loop says so), else: alive
            if quiet and not registry.end_if_gone(room, store.alive):
                await send_text({"type": "alive"})

    async with anyio.create_task_group() as tg:

        async def run(fn: Any) -> None:
            try:
                await fn()
            finally:
                tg.cancel_scope.cancel()

        tg.start_soon(run, take_answers)
        tg.start_soon(run, send_newest)
