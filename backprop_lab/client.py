"""A running ``backprop-lab`` server driven from Python, through its public API only.

The page and this client speak the same HTTP/WebSocket API (docs/api.md), so a notebook
can create a session, or attach to one a lecturer's page is showing, step it, and read the
very arrays the page draws. Every typed array of a response (``{dtype, shape, bdata}`` in
JSON, ``{dtype, shape, offset, nbytes}`` in a binary stream frame) comes back as a NumPy
array; quantised maps (``u1`` with a ``range``) are turned back into float32 values
``low + (high − low)·q/255``, so that every map is in real units whatever its encoding.

HTTP goes through the standard library (``urllib.request``): a notebook needs nothing
beyond what ``backprop-lab`` installs. The stream uses the ``websockets`` package's sync
client, which the server's ``uvicorn[standard]`` brings.

Errors the server reports (a 4xx with ``{"detail", "field", "errors"}``, or a stream
``error`` message) raise :class:`ServerError` with the server's message and the field.
"""

from __future__ import annotations

import base64
import contextlib
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = [
    "Class",
    "Client",
    "ServerError",
    "Session",
    "decode",
    "decode_array",
    "quantities",
]

DTYPES = {
    "f8": "<f8",
    "f4": "<f4",
    "i4": "<i4",
    "u4": "<u4",
    "i2": "<i2",
    "u2": "<u2",
    "i1": "i1",
    "u1": "u1",
}
"""The API's dtypes (docs/api.md, "Arrays are Plotly.js typed arrays") as NumPy's, little-endian."""


class ServerError(Exception):
    """The server refused a request: ``detail`` is its message, ``field`` the input it names
    (``"train.learning_rate"``, ``"fps"``, …; None when no field is to blame), ``status``
    the HTTP status (None for a stream message), ``errors`` every problem it listed."""

    def __init__(
        self,
        detail: str,
        field: str | None = None,
        status: int | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(f"{detail} (field: {field})" if field else detail)
        self.detail = detail
        self.field = field
        self.status = status
        self.errors = errors or []


# ---------------------------------------------------------------- typed arrays
def _is_spec(value: Any) -> bool:
    return isinstance(value, dict) and "dtype" in value and ("bdata" in value or "offset" in value)


def decode_array(spec: dict[str, Any], buffers: bytes | memoryview | None = None) -> np.ndarray:
    """One typed-array spec as a NumPy array (a fresh, writable copy).

    ``bdata`` is base64 in JSON; in a binary frame the spec has ``offset`` and ``nbytes``
    into ``buffers``, the bytes after the frame's header. A ``u1`` map with a ``range``
    [low, high] is dequantised to float32.
    """
    dtype = np.dtype(DTYPES[spec["dtype"]])
    if "bdata" in spec:
        raw: bytes | memoryview = base64.b64decode(spec["bdata"])
    else:
        if buffers is None:
            raise ValueError("a spec with offset/nbytes needs the frame's buffers")
        start = int(spec["offset"])
        raw = memoryview(buffers)[start : start + int(spec["nbytes"])]
    shape = tuple(int(n) for n in str(spec.get("shape", "")).split(",") if n.strip())
    array = np.frombuffer(raw, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))
    if spec.get("range") is not None:
        low, high = spec["range"]
        array = (np.float32(low) + np.float32(high - low) * (array / np.float32(255))).astype(
            np.float32
        )
    return array


def decode(value: Any, buffers: bytes | memoryview | None = None) -> Any:
    """A response with every typed-array spec in it replaced by its NumPy array."""
    if _is_spec(value):
        return decode_array(value, buffers)
    if isinstance(value, dict):
        return {key: decode(item, buffers) for key, item in value.items()}
    if isinstance(value, list):
        return [decode(item, buffers) for item in value]
    return value


def decode_binary_frame(message: bytes) -> dict[str, Any]:
    """A binary stream message (docs/api.md, "Binary frames"): deflated after the first,
    a little-endian uint32 n, n bytes of JSON header (padded), then the arrays' buffers,
    the maps among them sent as residuals of a prediction. Read by the server package's
    own reader of that format (installed with this one), then decoded as NumPy."""
    from server.encoding import split_binary_message

    header, buffers = split_binary_message(message)
    return decode(header, buffers)


def quantities(trace: dict[str, Any]) -> dict[str, Any]:
    """A decoded trace's values by the lecture's symbol: ``{"x": …, "delta_o": …, "J": …}``."""
    return {q["symbol"]: q["value"] for q in trace["quantities"]}


# ---------------------------------------------------------------- HTTP
class Client:
    """A ``backprop-lab`` server at ``url`` (``"http://127.0.0.1:8000"``).

    ``new()`` creates a session, ``session(id)`` attaches to an existing one (the id is in
    the page's address after ``#session=`` or from ``GET …/export``).
    """

    def __init__(self, url: str = "http://127.0.0.1:8000", timeout: float = 60.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"Client({self.url!r})"

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        """One API call: JSON in, decoded JSON out (None for an empty answer).

        A 4xx or 5xx raises :class:`ServerError` with the server's ``detail`` and ``field``.
        """
        query = {k: _query_value(v) for k, v in (params or {}).items() if v is not None}
        url = self.url + path + (f"?{urllib.parse.urlencode(query)}" if query else "")
        data = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                content = response.read()
        except urllib.error.HTTPError as err:
            raise _server_error(err.code, err.read()) from None
        return decode(json.loads(content)) if content else None

    def health(self) -> dict[str, Any]:
        """``{"status": "ok", "version"}``: the server is up."""
        return self.request("GET", "/api/health")

    def options(self) -> dict[str, Any]:
        """The choices, defaults and every bound, the engine's and the server's."""
        return self.request("GET", "/api/options")

    def new(self, config: dict[str, Any] | None = None) -> Session:
        """A new session; ``config`` is any subset of ``{"data", "model", "train"}``
        (docs/api.md, "Configuration"), e.g. ``{"model": {"hidden": [16, 16]}}``."""
        state = self.request("POST", "/api/sessions", config or {})
        return Session(self, state["id"])

    def session(self, id: str) -> Session:
        """Attach to an existing session (raises :class:`ServerError`, 404, if it is gone)."""
        self.request("GET", f"/api/sessions/{urllib.parse.quote(id, safe='')}")
        return Session(self, id)

    def follow(self, code: str) -> Class:
        """Attach to a class, read-only, by its join code (the digits the lecturer's page
        shows; spaces are fine): the lecturer's state, history and live frames, and
        :meth:`Class.fork` for a session of your own (raises :class:`ServerError`, 404, if
        no class is open under that code)."""
        digits = "".join(ch for ch in code if ch.isdigit())
        self.request("GET", f"/api/classes/{digits}")
        return Class(self, digits)

    def import_state(self, export: dict[str, Any]) -> Session:
        """A new session from an export (``Session.export()``, the page's Export, or
        ``{"format": "backprop-lab/1", "state": trainer.to_state()}`` of a local trainer)."""
        state = self.request("POST", "/api/sessions/import", export)
        return Session(self, state["id"])


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _server_error(status: int, content: bytes) -> ServerError:
    """The API's error body ``{"detail", "field", "errors"}`` as an exception."""
    try:
        body = json.loads(content)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        text = content.decode(errors="replace").strip() or "no message"
        return ServerError(f"HTTP {status}: {text}", None, status)
    detail = body.get("detail")
    if not isinstance(detail, str):
        detail = json.dumps(detail)
    return ServerError(detail, body.get("field"), status, body.get("errors"))


class Session:
    """One session on the server: every method is one API call (or, :meth:`frames`, a
    stream), and every array in an answer is a NumPy array."""

    def __init__(self, client: Client, id: str) -> None:
        self.client = client
        self.id = id
        self._path = f"/api/sessions/{urllib.parse.quote(id, safe='')}"

    def __repr__(self) -> str:
        return f"Session({self.id!r} on {self.client.url})"

    def _call(self, method: str, suffix: str = "", body: Any = None, **params: Any) -> Any:
        return self.client.request(method, self._path + suffix, body, params)

    def state(self) -> dict[str, Any]:
        """The session state: config, step, phase, metrics, layers (W, b, dW, db), dataset."""
        return self._call("GET")

    def step(self, steps: int = 1, resolution: int | None = None) -> dict[str, Any]:
        """Train ``steps`` SGD steps; the answer is a frame (with maps at ``resolution``)."""
        body: dict[str, Any] = {"steps": steps}
        if resolution is not None:
            body["resolution"] = resolution
        return self._call("POST", "/step", body)

    def phase(self, phase: str, resolution: int | None = None) -> dict[str, Any]:
        """One phase of the current step, "forward", "backward" or "update", in that order
        (out of order: ServerError with status 409)."""
        body: dict[str, Any] = {"phase": phase}
        if resolution is not None:
            body["resolution"] = resolution
        return self._call("POST", "/step", body)

    def trace(
        self,
        index: int | None = None,
        *,
        split: str | None = None,
        x1: float | None = None,
        x2: float | None = None,
        target: int | None = None,
        batch: bool = False,
        sign: str | None = None,
        layout: str | None = None,
        bias: str | None = None,
    ) -> dict[str, Any]:
        """Every quantity of the lecture for one example (``index``, in ``split``), any point
        (``x1``, ``x2``, ``target``) or the minibatch (``batch=True``); see
        :func:`quantities` for the values by symbol."""
        return self._call(
            "GET",
            "/trace",
            index=index,
            split=split,
            x1=x1,
            x2=x2,
            target=target,
            batch=batch or None,
            sign=sign,
            layout=layout,
            bias=bias,
        )

    def boundary(
        self, resolution: int = 50, target: int | None = None, precision: str = "float32"
    ) -> dict[str, Any]:
        """P(class k | x) over an R×R grid and every hidden unit's h and δ^(z) map."""
        return self._call(
            "GET", "/boundary", resolution=resolution, target=target, precision=precision
        )

    def history(self) -> dict[str, Any]:
        """The learning curves, one array per column."""
        return self._call("GET", "/history")

    def gradcheck(self, eps: float = 1e-5) -> dict[str, Any]:
        """Backprop's gradients against central differences, per parameter."""
        return self._call("GET", "/gradcheck", eps=eps)

    def configure(
        self, config: dict[str, Any] | None = None, convention: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """Change the config (``train.*`` live; ``data.*``/``model.*`` reinitialise) or the
        display convention; answers ``{config, reinitialised, changed}``."""
        body = dict(config or {})
        if convention:
            body["convention"] = convention
        return self._call("PATCH", "/config", body)

    def reset(self) -> dict[str, Any]:
        """New parameters from the same seeds, step 0."""
        return self._call("POST", "/reset")

    def export(self) -> dict[str, Any]:
        """The whole state, for :meth:`Client.import_state` or ``Trainer.from_state``."""
        return self._call("GET", "/export")

    def delete(self) -> None:
        """Free the session on the server now."""
        self._call("DELETE")

    # ------------------------------------------------------------ the stream
    def stream_url(self, encoding: str = "binary") -> str:
        base = self.client.url.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
        return f"{base}{self._path}/stream?encoding={encoding}"

    def frames(
        self,
        play: bool = True,
        steps_per_frame: int = 1,
        fps: int = 30,
        resolution: int | None = None,
        select: dict[str, Any] | None = None,
        encoding: str = "binary",
        timeout: float = 30.0,
    ) -> Iterator[dict[str, Any]]:
        """The session's frames as they arrive over the WebSocket stream, arrays decoded.

        The first frame is the one the server sends on connect (before any training, and
        before ``resolution`` or ``select`` take effect: the frames after it follow them);
        with ``play`` the session then trains ``steps_per_frame`` steps per frame at up to
        ``fps`` frames a second, as the page's Play button. ``resolution`` sets the maps'
        grid (0: no maps), ``select`` a traced example as the stream's ``select`` command
        (``{"index": 3}``). Acks are skipped; a refused command raises
        :class:`ServerError`. Leaving the loop (``break``, or closing the generator) pauses
        the session and closes the socket. The iterator ends when the session is gone.
        """
        from websockets.exceptions import ConnectionClosed
        from websockets.sync.client import connect

        with connect(self.stream_url(encoding), open_timeout=timeout, max_size=None) as ws:
            commands: list[dict[str, Any]] = []
            if resolution is not None:
                commands.append({"type": "resolution", "resolution": resolution})
            if select is not None:
                commands.append({"type": "select", **select})
            if play:
                commands.append({"type": "play", "steps_per_frame": steps_per_frame, "fps": fps})
            for command in commands:
                ws.send(json.dumps(command))
            try:
                yield from _stream_messages(ws, timeout)
            finally:
                if play:
                    with contextlib.suppress(ConnectionClosed):
                        ws.send(json.dumps({"type": "pause"}))


class Class:
    """A class followed by its join code: read-only. Nothing here can change the
    lecturer's session (the server refuses it); :meth:`fork` makes a copy that can."""

    def __init__(self, client: Client, code: str) -> None:
        self.client = client
        self.code = code
        self._path = f"/api/classes/{code}"

    def __repr__(self) -> str:
        return f"Class({self.code[:4]} {self.code[4:]} on {self.client.url})"

    _SESSION_ONLY = frozenset(
        {"step", "phase", "configure", "reset", "delete", "trace", "boundary", "export"}
    )

    def __getattr__(self, name: str) -> Any:
        """A session's methods are not a class's: say why, and what to do instead."""
        if name in Class._SESSION_ONLY:
            raise AttributeError(
                f"Class.{name}: a class is read-only (the join code lets you watch, nothing "
                f"else); fork() makes a session of your own that has .{name}()"
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def state(self) -> dict[str, Any]:
        """The lecturer's session state (config, step, metrics, parameters, points), as
        :meth:`Session.state` but without the session's id."""
        return self.client.request("GET", self._path)

    def history(self) -> dict[str, Any]:
        """The learning curves, one NumPy array per series."""
        return self.client.request("GET", self._path + "/history")

    def fork(self) -> Session:
        """"Make it mine": a session of your own, continuing exactly from where the
        lecturer's is now."""
        state = self.client.request("POST", self._path + "/fork")
        return Session(self.client, state["id"])

    def frames(self, timeout: float = 30.0) -> Iterator[dict[str, Any]]:
        """The lecturer's frames as they are sent, arrays decoded (the newest one first,
        then each new one; a slow reader skips frames). The lecturer's view changes (tab,
        phase, traced example) come as ``{"type": "view", …}`` items. The iterator ends
        when the class is closed."""
        from websockets.sync.client import connect

        base = self.client.url.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
        with connect(f"{base}{self._path}/stream", open_timeout=timeout, max_size=None) as ws:
            yield from _stream_messages(ws, timeout, views=True)


def _stream_messages(ws: Any, timeout: float, views: bool = False) -> Iterator[dict[str, Any]]:
    """A stream's frames, decoded (and a class's `view` messages, with ``views``), until the
    socket closes or the server says the session or class is gone; a refused command
    raises :class:`ServerError`; acks are skipped."""
    from websockets.exceptions import ConnectionClosed

    while True:
        try:
            message = ws.recv(timeout=timeout)
        except ConnectionClosed:
            return
        if isinstance(message, bytes):
            yield decode_binary_frame(message)
            continue
        payload = json.loads(message)
        kind = payload.get("type")
        if kind == "frame":
            yield decode(payload)
        elif kind == "view" and views:
            yield payload
        elif kind == "error":
            raise ServerError(payload.get("detail", "refused"), payload.get("field"))
        elif kind == "closed":
            return
