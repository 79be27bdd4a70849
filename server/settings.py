"""Server limits, set once from the command line and read by the routes."""

import ipaddress
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    """Operational limits of one server process.

    They bound memory (sessions are held in RAM) and CPU (frames are computed on demand),
    so a classroom of 200 students on one small machine cannot exhaust it. Limits on the
    model and the data themselves (points, layers, units, resolution) live in the engine's
    `BOUNDS`; these are the ones only a server needs.
    """

    max_sessions: int = 200  # a lecture hall, each student with one session
    session_ttl_seconds: float = 3600.0  # an idle hour frees the session
    max_request_bytes: int = 1_000_000  # an exported state of a 2,000-point set fits easily
    max_steps_per_call: int = 10_000  # one POST .../step; ~1 s of CPU for the default net
    max_steps_per_frame: int = 1_000  # one streamed frame; keeps a frame well under 100 ms
    max_fps: int = 60  # a projector refreshes at 60 Hz; more frames are never seen
    max_resolution: int = 200  # boundary grid side; 200×200 = 40,000 points per pass
    stream_resolution: int = 50  # a stream's grid side until the client asks for another
    bind_host: str = "127.0.0.1"  # the interface served: loopback means no one else can join
    # Who may list and change saved experiments and lessons (server/deps.py): False, only
    # browsers on this computer (others open them by share link); True, every device.
    shared_library: bool = False
    # Persistence (server/persist.py). None: sessions live in memory only. The command line
    # sets the user's data directory unless --no-persist; an app built without it (tests,
    # a notebook's background server) writes nothing.
    data_dir: str | None = None
    keep_seconds: float = 30 * 86400.0  # a session unused this long is deleted from disk
    save_interval_seconds: float = 2.0  # a training session is written at most this often


def is_loopback(host: str) -> bool:
    """Whether `host` (an address, or the name "localhost") is this computer's loopback
    interface: 127.0.0.0/8, ::1, and 127.x as an IPv6 server sees it (::ffff:127.0.0.1)."""
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped is not None and mapped.is_loopback)


def limits_of(settings: Settings) -> dict[str, int | float]:
    """The limits a client needs to build its controls (also in GET /api/options)."""
    return {
        "max_sessions": settings.max_sessions,
        "session_ttl_seconds": settings.session_ttl_seconds,
        "max_request_bytes": settings.max_request_bytes,
        "max_steps_per_call": settings.max_steps_per_call,
        "max_steps_per_frame": settings.max_steps_per_frame,
        "max_fps": settings.max_fps,
        "max_resolution": settings.max_resolution,
        "stream_resolution": settings.stream_resolution,
    }
