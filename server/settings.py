"""Server limits, set once from the command line and read by the routes."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    """Operational limits of one server process.

    They bound memory (sessions are held in RAM) and CPU (frames are computed on demand),
    so a classroom of 200 students on one small machine cannot exhaust it.
    """

    max_sessions: int = 200  # a lecture hall, each student with one session
    session_ttl_seconds: float = 3600.0  # an idle hour frees the session
    max_request_bytes: int = 1_000_000  # an exported state of a 2,000-point set fits easily
