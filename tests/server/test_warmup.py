"""The start-up warm-up builds a real default frame and leaves no session behind."""

import time

from fastapi.testclient import TestClient

from server.main import create_app
from server.settings import Settings
from server.warmup import warm_up


def test_warm_up_encodes_a_default_state_and_frame() -> None:
    assert warm_up(Settings(stream_resolution=20)) > 1_000  # JSON + binary frames with maps


def test_warm_up_at_start_leaves_the_store_empty() -> None:
    app = create_app(Settings(stream_resolution=20))
    with TestClient(app) as client:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and client.get("/api/health").status_code != 200:
            time.sleep(0.05)
        time.sleep(0.5)  # the warm-up runs beside the first requests
        assert len(app.state.store) == 0
        assert client.post("/api/sessions", json={}).status_code == 201
        assert len(app.state.store) == 1


def test_a_failing_warm_up_leaves_the_sweeper_running(monkeypatch) -> None:
    """Expired sessions are still freed when the warm-up raised."""
    import server.warmup

    def broken(config: object) -> None:
        raise RuntimeError("no warm-up today")

    monkeypatch.setattr(server.warmup, "Trainer", broken)
    app = create_app(Settings(stream_resolution=20, session_ttl_seconds=1.0))
    with TestClient(app) as client:
        assert client.post("/api/sessions", json={}).status_code == 201
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(app.state.store):
            time.sleep(0.2)
        assert len(app.state.store) == 0, "the idle session was never freed"
