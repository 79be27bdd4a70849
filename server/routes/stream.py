"""WS /api/sessions/{id}/stream: play, pause, step and watch (protocol in docs/api.md)."""

from typing import Annotated

from fastapi import APIRouter, Query, WebSocket

from server.encoding import dumps
from server.stream import serve_stream

router = APIRouter(prefix="/api/sessions", tags=["stream"])


@router.websocket("/{id}/stream")
async def stream(
    websocket: WebSocket,
    id: str,
    encoding: Annotated[
        str,
        Query(description='"binary" frames (default, compact) or "json" text frames (base64).'),
    ] = "binary",
) -> None:
    """Commands in (JSON text), frames out at the requested rate.

    A bad `encoding` is answered, like every refusal on the stream, by an error message
    naming the field, then the socket closes (1008): a browser cannot read the status of
    a refused handshake, but it can read this.
    """
    if encoding not in ("binary", "json"):
        await websocket.accept()
        await websocket.send_text(
            dumps(
                {
                    "type": "error",
                    "command": None,
                    "field": "encoding",
                    "detail": f"encoding must be binary or json (got {encoding!r})",
                }
            ).decode()
        )
        await websocket.close(code=1008, reason="encoding must be binary or json")
        return
    await serve_stream(
        websocket, websocket.app.state.store, websocket.app.state.settings, id, encoding == "binary"
    )
