"""Nothing answers 500: malformed bodies, odd queries, and the safety net itself."""

import logging

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from server.main import create_app

from .conftest import SETTINGS

MALFORMED = [
    b"",
    b"{",
    b"null",
    b"[]",
    b'"text"',
    b"123",
    b'{"steps": "many"}',
    b'{"steps": 1e400}',
    b'{"steps": NaN}',
    b'{"phase": "sideways"}',
    b'{"points": [{"x1": "a"}]}',
    b'{"points": "nope"}',
    b'{"train": []}',
    b'{"train": {"learning_rate": null}}',
    b'{"model": {"hidden": "8"}}',
    b'{"model": {"hidden": [true]}}',
    b'{"data": {"points": 1.5}}',
    b'{"format": "backprop-lab/1", "state": {"config": 5}}',
    b"\xff\xfe\x00",
    b'{"indices": [1e30]}',
]


@pytest.mark.parametrize("body", MALFORMED)
def test_malformed_bodies_get_4xx_on_every_body_route(
    client: TestClient, sid: str, body: bytes
) -> None:
    headers = {"content-type": "application/json"}
    for method, path in [
        ("POST", "/api/sessions"),
        ("PATCH", f"/api/sessions/{sid}/config"),
        ("POST", f"/api/sessions/{sid}/step"),
        ("POST", f"/api/sessions/{sid}/points"),
        ("DELETE", f"/api/sessions/{sid}/points"),
        ("POST", "/api/sessions/import"),
    ]:
        response = client.request(method, path, content=body, headers=headers)
        assert response.status_code < 500, (method, path, body, response.text)
        if response.status_code >= 400:
            assert response.json()["detail"]


@pytest.mark.parametrize(
    "query",
    [
        "trace?index=abc",
        "trace?x1=nan&x2=0",
        "trace?x1=inf&x2=0",
        "trace?index=99999999999999999999999",
        "boundary?resolution=-1",
        "boundary?resolution=1e9",
        "boundary?target=-1",
        "gradcheck?eps=nan",
        "gradcheck?eps=-1",
        "history?format=",
    ],
)
def test_odd_queries_get_4xx(client: TestClient, sid: str, query: str) -> None:
    response = client.get(f"/api/sessions/{sid}/{query}")
    assert 400 <= response.status_code < 500, response.text


def test_chain_rule_odd_points_get_4xx(client: TestClient) -> None:
    for query in ("x=0", "x=nan", "y=inf", "x=abc", "layout=diagonal"):
        response = client.get(f"/api/chain-rule?{query}")
        assert 400 <= response.status_code < 500, (query, response.text)


def test_safety_net_turns_an_unexpected_error_into_a_logged_4xx(caplog) -> None:
    app = create_app(SETTINGS)
    router = APIRouter()

    @router.get("/api/boom")
    def boom() -> None:
        raise ZeroDivisionError("a bug nobody foresaw")

    app.include_router(router)
    with caplog.at_level(logging.ERROR), TestClient(app) as client:
        response = client.get("/api/boom")
    assert response.status_code == 422
    assert "ZeroDivisionError" in response.json()["detail"]
    assert any("unexpected error" in r.message for r in caplog.records)
