"""Static files answered from memory, precompressed, with validators: one download per student.

A class fetching the page over one Wi-Fi network pays for every byte a hundred times, and
Plotly.js alone is 4.8 MB. So each file is read once, when the app is built, and kept as
identity, gzip and brotli bodies (an encoded body only when it is smaller than the file). A
request picks one by Accept-Encoding, gets Content-Encoding, `Vary: Accept-Encoding`,
Content-Length, a strong ETag and the Cache-Control its URL was given, and a matching
If-None-Match gets a 304 with no body. No request compresses anything.

Both codings matter: browsers offer brotli only over HTTPS and to localhost, so a
student's laptop fetching http://<lecturer's address>:8000 gets gzip (Plotly.js 1.47 MB),
and brotli serves the lecturer's own browser and any HTTPS proxy in front.

The levels are chosen for start-up time, measured on Plotly.js on a 2-core machine: gzip 9
takes 0.18 s (gzip 6: 0.13 s, 0.2 % larger); brotli quality 6 takes 0.17 s for 1.27 MB,
where quality 9 takes 0.6 s for 1.23 MB and quality 11 about 12 s for 1.11 MB. Bodies are
kept per process by content hash, so an app built again (every server test builds one)
compresses nothing.

Each body's ETag is a hash of the very bytes sent, so the identity, gzip and brotli
representations of a file never share a strong validator, as RFC 9110 §8.8.1 requires.
"""

import gzip
import hashlib
import mimetypes
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import brotli
from starlette.responses import Response

GZIP_LEVEL = 9
BROTLI_QUALITY = 6
IDENTITY = "identity"
# On equal q-values: brotli is smallest, then gzip; identity only when nothing else will do.
PREFERENCE = {"br": 2, "gzip": 1, IDENTITY: 0}
IMPLICIT_IDENTITY_Q = 0.001  # identity not named in Accept-Encoding: acceptable, but last
MEDIA_TYPES = {  # mimetypes' answers depend on the system's tables; these must not
    ".html": "text/html",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff2": "font/woff2",
}
ENTITY_TAG = re.compile(r'(?:W/)?("[^"]*")')

CODECS: dict[str, Callable[[bytes], bytes]] = {
    "br": lambda data: brotli.compress(data, quality=BROTLI_QUALITY),
    "gzip": lambda data: gzip.compress(data, GZIP_LEVEL, mtime=0),  # mtime=0: same bytes
}

_encoded: dict[tuple[str, str], bytes] = {}  # (coding, SHA-256 of the file) → body
_encoded_lock = threading.Lock()


def encode(coding: str, digest: str, data: bytes) -> bytes:
    """`data` in `coding`, compressed once per process (apps built again reuse it)."""
    with _encoded_lock:
        body = _encoded.get((coding, digest))
    if body is None:
        body = CODECS[coding](data)
        with _encoded_lock:
            _encoded[(coding, digest)] = body
    return body


def forget_encoded() -> None:
    """Drop every body made so far: the next AssetStore compresses as a new process does."""
    with _encoded_lock:
        _encoded.clear()


@dataclass(frozen=True)
class Body:
    """One representation's bytes and the strong ETag that names exactly these bytes."""

    data: bytes
    etag: str

    @classmethod
    def of(cls, data: bytes) -> "Body":
        return cls(data, f'"{hashlib.sha256(data).hexdigest()[:32]}"')


@dataclass(frozen=True)
class Asset:
    """A served file: its bodies by coding ("identity" always), type and caching rule."""

    digest: str  # SHA-256 of the file
    media_type: str
    cache_control: str
    bodies: dict[str, Body]


def media_type_of(path: Path) -> str:
    return (
        MEDIA_TYPES.get(path.suffix.lower())
        or mimetypes.guess_type(path.name)[0]
        or "application/octet-stream"
    )


def parse_accept_encoding(header: str) -> dict[str, float]:
    """{coding: q} from an Accept-Encoding value; a malformed q counts as 0 (refused).

    A coding named twice keeps its lower q, so a q=0 anywhere is honoured.
    """
    weights: dict[str, float] = {}
    for item in header.split(","):
        coding, *params = (part.strip() for part in item.split(";"))
        coding = coding.lower()
        if not coding:
            continue
        if coding == "x-gzip":  # RFC 9110 §8.4.1.3: the same coding
            coding = "gzip"
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
                if not 0.0 <= q <= 1.0:  # NaN too
                    q = 0.0
        weights[coding] = min(q, weights.get(coding, q))
    return weights


def choose_coding(accept_encoding: str | None, available: Iterable[str]) -> str | None:
    """The coding to send: highest q among `available`, br > gzip > identity on a tie.

    No Accept-Encoding header: identity (a client that says nothing may not decode).
    None when everything available is refused (e.g. `gzip;q=0, identity;q=0`).
    """
    available = list(available)
    if accept_encoding is None:
        return IDENTITY if IDENTITY in available else None
    weights = parse_accept_encoding(accept_encoding)
    star = weights.get("*")

    def q(coding: str) -> float:
        if coding in weights:
            return weights[coding]
        if star is not None:
            return star
        return IMPLICIT_IDENTITY_Q if coding == IDENTITY else 0.0

    acceptable = [c for c in available if q(c) > 0.0]
    if not acceptable:
        return None
    return max(acceptable, key=lambda c: (q(c), PREFERENCE.get(c, -1)))


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """If-None-Match's weak comparison (RFC 9110 §13.1.2): W/"x" matches "x"; * matches all."""
    if if_none_match is None:
        return False
    if if_none_match.strip() == "*":
        return True
    return etag in ENTITY_TAG.findall(if_none_match)


class AssetStore:
    """The served files by URL path, each read and encoded once, answered from memory."""

    def __init__(self) -> None:
        self._assets: dict[str, Asset] = {}

    def add(self, url_path: str, file: Path, cache_control: str) -> None:
        """Serve `file` at `url_path` from now on: read it, encode it, hash every body."""
        data = file.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        bodies = {IDENTITY: Body.of(data)}
        for coding in CODECS:
            body = encode(coding, digest, data)
            if len(body) < len(data):
                bodies[coding] = Body.of(body)
        self._assets[url_path] = Asset(digest, media_type_of(file), cache_control, bodies)

    def paths(self) -> list[str]:
        return sorted(self._assets)

    def asset(self, url_path: str) -> Asset | None:
        return self._assets.get(url_path)

    def memory_bytes(self) -> int:
        """Bytes held by the bodies (a bytes object shared by two URLs counts once)."""
        unique = {
            id(body.data): len(body.data)
            for asset in self._assets.values()
            for body in asset.bodies.values()
        }
        return sum(unique.values())

    def respond(
        self,
        url_path: str,
        method: str,
        accept_encoding: str | None,
        if_none_match: str | None,
    ) -> Response | None:
        """The response to a GET or HEAD of `url_path`, or None if nothing is served there."""
        asset = self._assets.get(url_path)
        if asset is None:
            return None
        headers = {"Cache-Control": asset.cache_control, "X-Content-Type-Options": "nosniff"}
        if len(asset.bodies) > 1:
            headers["Vary"] = "Accept-Encoding"
        coding = choose_coding(accept_encoding, asset.bodies)
        if coding is None:
            offered = ", ".join(sorted(asset.bodies, key=PREFERENCE.get, reverse=True))
            return Response(
                f"Accept-Encoding refuses every coding offered here: {offered}\n",
                status_code=406,
                headers=headers,
                media_type="text/plain",
            )
        body = asset.bodies[coding]
        headers["ETag"] = body.etag
        if etag_matches(if_none_match, body.etag):
            return Response(status_code=304, headers=headers)
        if coding != IDENTITY:
            headers["Content-Encoding"] = coding
        headers["Content-Length"] = str(len(body.data))
        content = b"" if method == "HEAD" else body.data
        return Response(content, headers=headers, media_type=asset.media_type)
