"""Over a real socket: a heavy request on one session does not hold up another session."""

import json
import threading
import urllib.request

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, no proxy


def call(method: str, url: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("content-type", "application/json")
    with OPENER.open(request, timeout=120) as response:
        return json.loads(response.read())


def test_a_long_step_on_one_session_does_not_block_another(live_server) -> None:
    base = f"{live_server.url}/api/sessions"
    heavy = call("POST", base, {"data": {"points": 2000}, "model": {"hidden": [64, 64]}})["id"]
    light = call("POST", base, {})["id"]
    order: list[str] = []
    started = threading.Event()

    def long_step() -> None:
        started.set()
        call("POST", f"{base}/{heavy}/step", {"steps": 10_000})
        order.append("heavy")

    worker = threading.Thread(target=long_step)
    worker.start()
    started.wait()
    for _ in range(3):
        call("GET", f"{base}/{light}/trace?index=0")
        call("POST", f"{base}/{light}/step", {"steps": 1})
    order.append("light")
    worker.join()
    assert order == ["light", "heavy"]


def test_bad_stream_query_is_refused_naming_the_field(live_server) -> None:
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    sid = call("POST", f"{live_server.url}/api/sessions", {})["id"]
    url = live_server.url.replace("http", "ws") + f"/api/sessions/{sid}/stream?encoding=xml"
    with connect(url, proxy=None) as ws:
        error = json.loads(ws.recv(timeout=10))
        assert error["type"] == "error" and error["field"] == "encoding"
        assert "binary" in error["detail"] and "json" in error["detail"]
        try:
            ws.recv(timeout=10)
            raise AssertionError("the socket stayed open after a bad encoding")
        except ConnectionClosed as closed:
            assert closed.rcvd.code == 1008
