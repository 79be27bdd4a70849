"""A follower that stops reading costs the class nothing: the lecturer's stream goes on,
the other followers get every new frame, and what the server holds for the stalled one
stays bounded (its socket's write buffer stops near the high-water mark).

A real server on loopback (TestClient's sockets are in-memory queues without
backpressure); the stalled follower is a raw socket that completes the WebSocket
handshake and then never reads, so its TCP buffers fill.
"""

import base64
import json
import os
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.sync.client import connect as ws_connect

from server.background import BackgroundServer
from server.encoding import split_binary_message

from .conftest import SETTINGS

FRAMES = 120  # the lecturer's frames while the follower is stalled
HIGH_WATER = 64 * 1024  # asyncio's default write-buffer high-water mark, uvicorn keeps it


@pytest.fixture
def server() -> Iterator[BackgroundServer]:
    settings = SETTINGS.__class__(**{**SETTINGS.__dict__, "stream_resolution": 120})
    with BackgroundServer(settings) as background:
        yield background


def post(server: BackgroundServer, path: str, body: dict | None = None) -> dict:
    import urllib.request

    request = urllib.request.Request(
        server.url + path,
        data=json.dumps(body or {}).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def stalled_follower(server: BackgroundServer, code: str) -> socket.socket:
    """Handshake, then never read: a phone whose browser froze with the socket open."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # fills after a few KB
    sock.connect(("127.0.0.1", server.port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /api/classes/{code}/stream HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(1)  # the handshake only, byte by byte: nothing after it
    assert answer.startswith(b"HTTP/1.1 101"), answer
    return sock


def connection_of(server: BackgroundServer, sock: socket.socket) -> Any:
    """The server's protocol object (uvicorn) of the client socket `sock`."""
    port = sock.getsockname()[1]
    for _ in range(200):
        for protocol in list(server._server.server_state.connections):
            if getattr(protocol, "client", None) == ("127.0.0.1", port):
                return protocol
        threading.Event().wait(0.01)
    raise AssertionError("no server connection for the stalled follower")


def container_sizes(room: Any) -> dict[str, int]:
    """The sizes of the room's collections (the view is one dict, the lecturer's latest)."""
    return {
        k: len(v)
        for k, v in vars(room).items()
        if isinstance(v, list | dict | set | bytes) and k not in ("view", "frame")
    }


def test_a_stalled_follower_holds_up_nobody(server: BackgroundServer):
    sid = post(server, "/api/sessions")["id"]
    code = post(server, f"/api/sessions/{sid}/class")["code"]
    ws_url = server.url.replace("http://", "ws://")
    room = server.app.state.classes.of_session(sid)
    stalled = stalled_follower(server, code)
    protocol = connection_of(server, stalled)
    # a small kernel send buffer on the server's side too: it fills in a few frames
    # instead of megabytes (the behaviour after it is the same)
    protocol.transport.get_extra_info("socket").setsockopt(
        socket.SOL_SOCKET, socket.SO_SNDBUF, 4096
    )
    seen_by_healthy: list[int] = []
    healthy_ready = threading.Event()
    stop = threading.Event()

    def healthy() -> None:
        with ws_connect(f"{ws_url}/api/classes/{code}/stream", max_size=None) as ws:
            healthy_ready.set()
            while not stop.is_set():
                try:
                    message = ws.recv(timeout=0.2)
                except TimeoutError:
                    continue
                if isinstance(message, bytes):
                    seen_by_healthy.append(split_binary_message(message)[0]["step"])

    reader = threading.Thread(target=healthy, daemon=True)
    reader.start()
    assert healthy_ready.wait(30)
    sizes = container_sizes(room)
    published = room.seq
    frame_bytes = halfway = 0
    with ws_connect(f"{ws_url}/api/sessions/{sid}/stream", max_size=None) as lecturer:
        lecturer.send(json.dumps({"type": "view", "tab": "matrices"}))
        for step in range(1, FRAMES + 1):
            lecturer.send(json.dumps({"type": "step", "steps": 1}))
            while True:  # its own frame, for every step: the lecturer's stream goes on
                message = lecturer.recv(timeout=30)
                if isinstance(message, bytes) and split_binary_message(message)[0]["step"] == step:
                    frame_bytes = max(frame_bytes, len(message))
                    break
            if step == FRAMES // 2:
                halfway = protocol.transport.get_write_buffer_size()
        for _ in range(300):  # the healthy follower gets the newest frame
            if seen_by_healthy and seen_by_healthy[-1] == FRAMES:
                break
            threading.Event().wait(0.05)
        assert room.followers == 2  # the stalled one is still connected, and counted once
        stop.set()
        reader.join(timeout=10)
        assert seen_by_healthy and seen_by_healthy[-1] == FRAMES, seen_by_healthy[-5:]
        assert room.seq - published >= FRAMES  # every frame went to the class
        # the stalled follower's sender waits for its socket: nothing piles up behind it
        assert not protocol.writable.is_set(), "the stalled follower's buffers never filled"
        buffered = protocol.transport.get_write_buffer_size()
        # what waits for it stopped growing at the high-water mark (the event loop hands a
        # few writes on before it pauses the sender): the second half of the frames added
        # nothing, and the whole is a small part of what was published
        assert buffered <= halfway + frame_bytes, (halfway, buffered, frame_bytes)
        assert buffered <= HIGH_WATER + 8 * frame_bytes, (buffered, frame_bytes)
        assert FRAMES * frame_bytes > 10 * buffered
        assert container_sizes(room) == sizes
    stalled.close()
