"""The app under uvicorn in a background thread, for tests and benchmarks on loopback.

Browser tests and the render benchmark need a real socket (Chromium cannot talk to a
TestClient), but not a separate process: a thread starts in milliseconds and dies with
the interpreter.
"""

import socket
import threading
import time

import uvicorn

from server.main import create_app
from server.settings import Settings


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class BackgroundServer:
    """`with BackgroundServer() as server:` serves the app at `server.url` until the block ends."""

    def __init__(
        self, settings: Settings | None = None, port: int | None = None, ws: str = "auto"
    ) -> None:
        """`port` reuses a port (a restart, as after a crash); `ws="none"` serves without
        WebSocket support, as an install without a WebSocket library does."""
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = create_app(settings)  # no data_dir in settings: nothing is saved
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            ws=ws,
            ws_per_message_deflate=False,  # as the console script runs it
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> "BackgroundServer":
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the background server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
