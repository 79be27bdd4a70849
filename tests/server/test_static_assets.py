"""The page, its modules and Plotly.js: precompressed, negotiated, validated, cached.

Bodies are read raw (not decoded by the client) and decompressed here, so a wrong
Content-Encoding or a damaged body fails. Traversal and HEAD are also tried over a real
socket, where no client library tidies the request line first.
"""

import gzip
import os
import random
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import brotli
import pytest
from fastapi.testclient import TestClient

import server.static
from server.assets import (
    BROTLI_QUALITY,
    GZIP_LEVEL,
    AssetStore,
    choose_coding,
    etag_matches,
)
from server.main import create_app
from server.static import frontend_dir, plotly_js_path

from .conftest import SETTINGS

PLOTLY = "/vendor/plotly.min.js"
MODULE = "/static/js/main.js"
DECODE: dict[str | None, Callable[[bytes], bytes]] = {
    "br": brotli.decompress,
    "gzip": gzip.decompress,
    None: lambda data: data,
}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    """One app for the module."""
    with TestClient(create_app(SETTINGS)) as test_client:
        yield test_client


def shipped_files() -> dict[str, Path]:
    """What the frontend package holds for browsers: every file but Python's and hidden ones."""
    root = frontend_dir()
    found = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != "__pycache__" and not d.startswith(".")]
        for name in files:
            if name.startswith(".") or name.endswith((".py", ".pyc")):
                continue
            path = Path(folder) / name
            found["/static/" + path.relative_to(root).as_posix()] = path
    return found


def fetch(client: TestClient, path: str, method: str = "GET", **headers: str):
    """(response, the body exactly as sent, decoded per Content-Encoding)."""
    with client.stream(method, path, headers=headers) as response:
        raw = b"".join(response.iter_raw())
    decoded = DECODE[response.headers.get("content-encoding")](raw) if raw else raw
    return response, raw, decoded


def original(path: str) -> bytes:
    if path == PLOTLY:
        return plotly_js_path().read_bytes()
    if path == "/":
        return (frontend_dir() / "index.html").read_bytes()
    return shipped_files()[path].read_bytes()


# --- what is served --------------------------------------------------------------------------


def test_every_file_under_frontend_is_served_byte_for_byte(client: TestClient) -> None:
    files = shipped_files()
    assert {"/static/index.html", MODULE, "/static/css/app.css"} <= set(files)
    for path, file in files.items():
        response, _, body = fetch(client, path, **{"accept-encoding": "br, gzip"})
        assert response.status_code == 200, path
        assert body == file.read_bytes(), path
        if path.endswith(".js"):
            assert response.headers["content-type"].startswith("text/javascript"), path
        if path.endswith(".css"):
            assert response.headers["content-type"].startswith("text/css"), path


def test_page_and_plotly_are_served(client: TestClient) -> None:
    for path, kind in (("/", "text/html"), (PLOTLY, "text/javascript")):
        response, _, body = fetch(client, path, **{"accept-encoding": "gzip"})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(kind)
        assert body == original(path)


def test_a_file_added_to_frontend_is_served_without_code_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "js" / "later").mkdir(parents=True)
    (tmp_path / "index.html").write_text("<!doctype html><title>t</title>")
    (tmp_path / "compare.html").write_text("<!doctype html><title>c</title>")
    (tmp_path / "js" / "later" / "new_view.js").write_text("export const answer = 42;\n" * 50)
    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "js" / ".new_view.js.swp").write_bytes(b"editor state")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "__init__.cpython-311.pyc").write_bytes(b"bytecode")
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "secret.js").write_text("export const secret = 1;\n")
    (tmp_path / "js" / "linked.js").symlink_to(outside / "secret.js")
    (tmp_path / "js" / "linked-folder").symlink_to(outside, target_is_directory=True)
    monkeypatch.setattr(server.static, "frontend_dir", lambda: tmp_path)
    with TestClient(create_app(SETTINGS)) as fresh:
        response, _, body = fetch(fresh, "/static/js/later/new_view.js")
        assert response.status_code == 200
        assert body == (tmp_path / "js" / "later" / "new_view.js").read_bytes()
        for hidden in (
            "/static/__init__.py",
            "/static/js/.new_view.js.swp",
            "/static/__pycache__/__init__.cpython-311.pyc",
            "/static/js/linked.js",
            "/static/js/linked-folder/secret.js",
        ):
            assert fresh.get(hidden).status_code == 404, hidden


@pytest.mark.parametrize(
    "path",
    [
        "/static/nope.js",
        "/static/",
        "/static",
        "/static/js",
        "/vendor/plotly.js",
        "/vendor/",
        "/static/__init__.py",
        "/static/js/main.js/",
        "/static/JS/MAIN.JS",
        "/static/js/%2e%2e/%2e%2e/server/main.py",
        "/static/..%2fserver%2fmain.py",
        "/static/%2e%2e%2f%2e%2e%2fpyproject.toml",
    ],
)
def test_unknown_and_traversing_paths_are_404(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404, path
    assert b"import" not in response.content and b"[project]" not in response.content


def test_only_get_and_head(client: TestClient) -> None:
    assert client.post(MODULE).status_code == 405
    assert client.delete(PLOTLY).status_code == 405


# --- content negotiation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "coding"),
    [
        ("br", "br"),
        ("gzip", "gzip"),
        ("gzip, deflate, br, zstd", "br"),  # Chromium's header
        ("gzip, deflate", "gzip"),  # Chromium over plain HTTP to a non-localhost name
        ("identity", None),
        ("deflate", None),  # identity is acceptable unless refused
        ("", None),
        ("br;q=0, gzip", "gzip"),
        ("br;q=0.4, gzip;q=0.5", "gzip"),
        ("gzip;q=0.9, br", "br"),
        ("*", "br"),
        ("*;q=0.5, br;q=0", "gzip"),
        ("x-gzip", "gzip"),
        ("BR", "br"),
        ("br;q=0, gzip;q=0", None),
        ("br;q=nonsense, gzip;q=0.1", "gzip"),
        ("gzip;q=0.001, identity;q=0.5", None),
    ],
)
@pytest.mark.parametrize("path", [PLOTLY, MODULE, "/"])
def test_negotiation_and_exact_bytes(
    client: TestClient, path: str, accept: str, coding: str | None
) -> None:
    response, raw, decoded = fetch(client, path, **{"accept-encoding": accept})
    assert response.status_code == 200
    assert response.headers.get("content-encoding") == coding
    assert int(response.headers["content-length"]) == len(raw)
    assert response.headers["vary"].lower() == "accept-encoding"
    assert decoded == original(path)
    if coding is not None:
        assert len(raw) < len(decoded)


def test_no_accept_encoding_header_gets_identity(live_server) -> None:
    status, headers, body = raw_request(live_server.port, f"GET {MODULE} HTTP/1.1")
    assert status == 200
    assert "content-encoding" not in headers
    assert body == original(MODULE)


@pytest.mark.parametrize("accept", ["identity;q=0", "*;q=0", "gzip;q=0, br;q=0, identity;q=0"])
def test_everything_refused_is_406(client: TestClient, accept: str) -> None:
    response = client.get(MODULE, headers={"accept-encoding": accept})
    assert response.status_code == 406
    assert "content-encoding" not in response.headers


def test_bodies_are_made_at_the_stated_levels_and_brotli_is_smallest(client: TestClient) -> None:
    for path in (MODULE, PLOTLY):
        _, br, decoded = fetch(client, path, **{"accept-encoding": "br"})
        _, gz, _ = fetch(client, path, **{"accept-encoding": "gzip"})
        assert br == brotli.compress(decoded, quality=BROTLI_QUALITY)
        assert gz == gzip.compress(decoded, GZIP_LEVEL, mtime=0)
        assert len(br) < len(gz) < len(decoded) / 2.5


# --- validators and caching ------------------------------------------------------------------


@pytest.mark.parametrize("path", [PLOTLY, MODULE, "/"])
@pytest.mark.parametrize("accept", ["br", "gzip", "identity"])
def test_matching_etag_is_304_without_body(client: TestClient, path: str, accept: str) -> None:
    first = client.get(path, headers={"accept-encoding": accept})
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"'), "a strong ETag"
    for sent in (etag, f"W/{etag}", f'"something-else", {etag}', "*"):
        again, raw, _ = fetch(client, path, **{"accept-encoding": accept, "if-none-match": sent})
        assert again.status_code == 304, sent
        assert raw == b""
        assert again.headers["etag"] == etag
        assert again.headers["cache-control"] == first.headers["cache-control"]
        assert again.headers["vary"].lower() == "accept-encoding"
        assert "content-encoding" not in again.headers


def test_other_etag_gets_the_body(client: TestClient) -> None:
    response = client.get(MODULE, headers={"if-none-match": '"0123456789abcdef"'})
    assert response.status_code == 200
    assert response.content == original(MODULE)


@pytest.mark.parametrize("path", [PLOTLY, MODULE, "/"])
def test_each_encoding_has_its_own_strong_etag(client: TestClient, path: str) -> None:
    etags = {
        accept: client.get(path, headers={"accept-encoding": accept}).headers["etag"]
        for accept in ("br", "gzip", "identity")
    }
    assert len(set(etags.values())) == 3, etags
    # A cache holding the brotli body does not get a 304 for the gzip one, nor the reverse.
    for held, asked in (("br", "gzip"), ("gzip", "br"), ("br", "identity")):
        response, _, body = fetch(
            client, path, **{"accept-encoding": asked, "if-none-match": etags[held]}
        )
        assert response.status_code == 200, (held, asked)
        assert body == original(path)


def test_etags_survive_a_restart(client: TestClient) -> None:
    """Same files, same ETags: restarting the server must not make every browser re-download."""
    with TestClient(create_app(SETTINGS)) as other:
        for path in (PLOTLY, MODULE, "/"):
            for accept in ("br", "gzip", "identity"):
                headers = {"accept-encoding": accept}
                assert (
                    client.get(path, headers=headers).headers["etag"]
                    == other.get(path, headers=headers).headers["etag"]
                )


def test_cache_control(client: TestClient) -> None:
    plotly = client.get(PLOTLY).headers["cache-control"]
    assert "public" in plotly
    assert int(plotly.split("max-age=")[1].split(",")[0]) >= 86_400
    for path in ("/", MODULE, "/static/css/app.css"):
        assert client.get(path).headers["cache-control"] == "no-cache", path


# --- HEAD ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [PLOTLY, MODULE, "/"])
def test_head_has_gets_headers_and_no_body(client: TestClient, path: str) -> None:
    headers = {"accept-encoding": "br"}
    get = client.get(path, headers=headers)
    head, raw, _ = fetch(client, path, "HEAD", **headers)
    assert head.status_code == 200
    assert raw == b""
    for name in ("content-length", "content-encoding", "content-type", "etag", "vary"):
        assert head.headers[name] == get.headers[name], name


def test_head_over_a_real_socket(live_server) -> None:
    status, headers, body = raw_request(
        live_server.port, f"HEAD {PLOTLY} HTTP/1.1", "Accept-Encoding: gzip"
    )
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert int(headers["content-length"]) > 1_000_000
    assert body == b""


@pytest.mark.parametrize(
    "target",
    [
        "/static/../server/main.py",
        "/static/../../etc/passwd",
        "/static/js/../../server/static.py",
        "/static/./js/main.js",
        "/static//js/main.js",
        "/static/%2e%2e/pyproject.toml",
        "/vendor/../pyproject.toml",
    ],
)
def test_traversal_over_a_real_socket_is_404(live_server, target: str) -> None:
    status, _, body = raw_request(live_server.port, f"GET {target} HTTP/1.1")
    assert status in (400, 404), target
    assert b"import" not in body and b"root:" not in body and b"[project]" not in body


def raw_request(port: int, request_line: str, *header_lines: str) -> tuple[int, dict, bytes]:
    """One HTTP/1.1 exchange over a socket, the request line sent exactly as given."""
    lines = [request_line, "Host: 127.0.0.1", "Connection: close", *header_lines, "", ""]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall("\r\n".join(lines).encode())
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *fields = head.decode("latin-1").split("\r\n")
    headers = {}
    for field in fields:
        name, _, value = field.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


# --- the store, without the app ------------------------------------------------------------


def test_incompressible_files_have_identity_only(tmp_path: Path) -> None:
    file = tmp_path / "noise.png"
    file.write_bytes(random.Random(1).randbytes(4096))
    store = AssetStore()
    store.add("/noise.png", file, "no-cache")
    response = store.respond("/noise.png", "GET", "br, gzip", None)
    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert "vary" not in response.headers  # one representation: nothing varies
    assert response.headers["content-type"] == "image/png"


# --- the rules, alone ------------------------------------------------------------------------


def test_choose_coding_only_among_available() -> None:
    assert choose_coding("br, gzip", ["identity", "gzip"]) == "gzip"
    assert choose_coding("br", ["identity"]) == "identity"
    assert choose_coding("br, identity;q=0", ["identity"]) is None
    assert choose_coding(None, ["identity", "br"]) == "identity"


def test_etag_matching() -> None:
    assert etag_matches('"a"', '"a"')
    assert etag_matches('W/"a"', '"a"')
    assert etag_matches('"b", W/"a"', '"a"')
    assert etag_matches(" * ", '"a"')
    assert not etag_matches('"ab"', '"a"')
    assert not etag_matches('"a-gzip"', '"a"')
    assert not etag_matches(None, '"a"')
    assert not etag_matches("", '"a"')
