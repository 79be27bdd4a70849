"""WS /api/sessions/{id}/stream: play, pause, step and watch (protocol in docs/api.md)."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, WebSocket

from server.stream import serve_stream

router = APIRouter(prefix="/api/sessions", tags=["stream"])


@router.websocket("/{id}/stream")
async def stream(
    websocket: WebSocket,
    id: str,
    encoding: Annotated[
        Literal["binary", "json"],
        Query(description="binary frames (default, compact) or JSON text frames (base64)."),
    ] = "binary",
) -> None:
    """Commands in (JSON text), frames out at the requested rate."""
    await serve_stream(
        websocket, websocket.app.state.store, websocket.app.state.settings, id, encoding == "binary"
    )
