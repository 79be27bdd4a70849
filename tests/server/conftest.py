"""Fixtures of the server tests: an app with small limits, a client, a fresh session."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from server.main import create_app
from server.settings import Settings

# Small limits so that every bound can be crossed cheaply in a test.
SETTINGS = Settings(
    max_sessions=50,
    session_ttl_seconds=600.0,
    max_request_bytes=200_000,
    max_steps_per_call=500,
    max_steps_per_frame=50,
    max_fps=60,
    max_resolution=120,
    stream_resolution=20,
)


# Requests come from this computer, as the lecturer's browser's do (the library's listing
# and changes are for this computer only, server/deps.py).
LOCAL = ("127.0.0.1", 50000)


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(SETTINGS), client=LOCAL) as test_client:
        yield test_client


@pytest.fixture
def sid(client: TestClient) -> str:
    """A new session with the default (lecture) configuration."""
    response = client.post("/api/sessions", json={})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def assert_problem(response, status: int, field: str, *words: str) -> dict:
    """A 4xx whose body names `field` (in `field` and in the message) and each of `words`."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["field"] == field, body
    assert field in body["detail"], body
    for word in words:
        assert word in body["detail"], body
    return body
