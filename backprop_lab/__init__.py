"""Backprop Lab from Python, beyond the engine: the page's figures and a client for a server.

The engine (``from engine import Config, ModelConfig, Trainer``) imports no plotting or web
library, so that it stays the small NumPy core the server runs. What a notebook adds on
top lives here:

* :mod:`backprop_lab.figures` — the page's figures as ``plotly.graph_objects.Figure``s,
  drawn from a local :class:`engine.Trainer`;
* :mod:`backprop_lab.client` — :class:`Client`, a session on a running ``backprop-lab``
  server driven through its public HTTP and WebSocket API, arrays decoded into NumPy, and
  :class:`Class`, a lecturer's class followed read-only by its join code.

Importing this package imports neither plotly nor the WebSocket library: each module
pulls in what it needs when it is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backprop_lab.client import Class, Client, ServerError, Session

__all__ = ["Class", "Client", "ServerError", "Session"]


def __getattr__(name: str) -> Any:
    """``from backprop_lab import Client`` without importing the client at package import."""
    if name in __all__:
        from backprop_lab import client

        return getattr(client, name)
    raise AttributeError(f"module 'backprop_lab' has no attribute {name!r}")
