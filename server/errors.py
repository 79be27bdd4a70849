"""Every failure becomes a 4xx whose message names the field and what is allowed.

- request validation (wrong type, unknown key, bad JSON) → 422 naming the field;
- a value outside a bound (the engine's ConfigError, the server's LimitError) → 422;
- a phase called out of order (the engine's PhaseError) → 409;
- an unknown session → 404;
- anything else that slips through → 422 from the safety net, logged with its traceback,
  so no input ever produces a 500.
"""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine import BOUNDS, ConfigError
from server.encoding import OrjsonResponse, dumps
from server.sessions import SessionNotFoundError

log = logging.getLogger("backprop_lab.server")


class LimitError(ValueError):
    """A value outside a server limit; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _fmt(value: Any) -> str:
    return (
        f"{value:g}"
        if isinstance(value, float)
        else repr(value)
        if isinstance(value, str)
        else str(value)
    )


def require_between(field: str, value: float, low: float, high: float) -> None:
    """Raise LimitError naming `field` and [low, high] unless low ≤ value ≤ high."""
    if not low <= value <= high:  # NaN fails too
        raise LimitError(
            field, f"{field} must be between {_fmt(low)} and {_fmt(high)} (got {_fmt(value)})"
        )


def resolution_range(max_resolution: int) -> tuple[int, int]:
    """Allowed grid sides: the engine's bound, capped by the server's --max-resolution."""
    bound = BOUNDS["grid.resolution"]
    return int(bound.min or 2), min(int(bound.max or 200), max_resolution)


def check_resolution(value: int, max_resolution: int, *, allow_zero: bool = False) -> None:
    """LimitError naming `resolution` unless the grid side is allowed (0 = no maps)."""
    if allow_zero and value == 0:
        return
    low, high = resolution_range(max_resolution)
    if not low <= value <= high:
        zero = "0 (no maps) or " if allow_zero else ""
        raise LimitError(
            "resolution", f"resolution must be {zero}between {low} and {high} (got {value})"
        )


def problem(
    status: int, detail: str, field: str | None = None, errors: Any = None
) -> OrjsonResponse:
    body: dict[str, Any] = {"detail": detail, "field": field}
    body["errors"] = errors if errors is not None else [{"field": field, "message": detail}]
    return OrjsonResponse(body, status_code=status)


def _field_of(loc: tuple[Any, ...] | list[Any]) -> str:
    """("body", "train", "learning_rate") → "train.learning_rate"; ("query", "x1") → "x1"."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def describe_validation_error(error: dict[str, Any]) -> dict[str, str]:
    """One pydantic error as {field, message}, the message starting with the field's name."""
    field = _field_of(error.get("loc", ()))
    kind = error.get("type", "")
    msg = str(error.get("msg", "is invalid"))
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        field = str(error.get("ctx", {}).get("discriminator", "type")).strip("'")
        message = f"{field}: {msg[0].lower() + msg[1:]}"
    elif kind == "missing":
        message = f"{field} is required"
    elif kind == "extra_forbidden":
        message = f"{field} is not a known field; see GET /api/options or /docs for the fields"
    elif kind == "json_invalid":
        field = "body"
        message = f"the request body is not valid JSON ({error.get('ctx', {}).get('error', msg)})"
    elif kind == "value_error":  # a model-level rule; its message names the fields
        message = f"{field}: {msg.removeprefix('Value error, ')}"
    elif kind in ("model_attributes_type", "dict_type", "model_type"):
        message = f"{field} must be a JSON object"
    else:
        message = f"{field}: {msg[0].lower() + msg[1:] if msg else msg}"
        if "input" in error and not isinstance(error["input"], dict | list):
            message += f" (got {error['input']!r})"
    return {"field": field, "message": message}


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers above on `app` (the safety net is the SafetyNet middleware)."""

    @app.exception_handler(RequestValidationError)
    async def validation(_: Request, exc: RequestValidationError) -> OrjsonResponse:
        errors = [describe_validation_error(e) for e in exc.errors()]
        first = errors[0] if errors else {"field": None, "message": "invalid request"}
        detail = "; ".join(e["message"] for e in errors)
        return problem(422, detail, first["field"], errors)

    @app.exception_handler(ConfigError)
    async def config_error(_: Request, exc: ConfigError) -> OrjsonResponse:
        return problem(422, str(exc), exc.field)

    @app.exception_handler(LimitError)
    async def limit_error(_: Request, exc: LimitError) -> OrjsonResponse:
        return problem(422, str(exc), exc.field)

    @app.exception_handler(SessionNotFoundError)
    async def not_found(_: Request, exc: SessionNotFoundError) -> OrjsonResponse:
        return problem(404, str(exc), "id")

    @app.exception_handler(ValueError)
    async def value_error(_: Request, exc: ValueError) -> OrjsonResponse:
        # The engine's PhaseError: a phase out of order conflicts with the session's state.
        status = 409 if type(exc).__name__ == "PhaseError" else 422
        return problem(status, str(exc), getattr(exc, "field", None))


async def _send_problem(send: Send, status: int, detail: str, field: str | None) -> None:
    body = dumps(
        {"detail": detail, "field": field, "errors": [{"field": field, "message": detail}]}
    )
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class SafetyNet:
    """Outermost ASGI middleware: an unexpected exception becomes a logged 422, never a 500.

    An input the handlers above did not foresee (a NumPy edge case, say) must still get an
    answer a client can show; the traceback goes to the log for the developers.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            log.exception("unexpected error on %s %s", scope.get("method"), scope.get("path"))
            if not started:
                await _send_problem(
                    send,
                    422,
                    f"this request could not be processed ({type(exc).__name__}: {exc}); "
                    "check the values sent, or reset the session",
                    None,
                )


class BodyTooLargeError(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body must be at most {limit} bytes")


class BodyLimit:
    """Refuse request bodies larger than `max_bytes` with 413, before reading them whole."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    await _send_problem(send, 413, str(BodyTooLargeError(self.max_bytes)), "body")
                    return
                await self.app(scope, receive, send)  # the server holds it to that length
                return
        # No declared length (chunked): read at most max_bytes + 1 here, then replay it.
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            seen += len(chunks[-1])
            if seen > self.max_bytes:
                await _send_problem(send, 413, str(BodyTooLargeError(self.max_bytes)), "body")
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
