"""Static files answered from memory, precompressed, with validators: one download per student.

A class fetching the page over one Wi-Fi network pays for every byte a hundred times, and
Plotly.js alone is 4.8 MB. So each file is read once, when the app is built, and kept as
identity, gzip (level 9) and brotli (quality 11) bodies (an encoded body only when it is
smaller than the file). A request picks one by Accept-Encoding, gets Content-Encoding,
`Vary: Accept-Encoding`, Content-Length, a strong ETag and the Cache-Control its URL was
given, and a matching If-None-Match gets a 304 with no body. No request compresses anything.

Both codings matter: browsers offer brotli only over HTTPS and to localhost, so a
student's laptop fetching http://<lecturer's address>:8000 gets gzip (Plotly.js 1.47 MB),
and brotli (1.11 MB) serves the lecturer's own browser and any HTTPS proxy in front.

Brotli at quality 11 takes 10–16 s for Plotly.js on a 2-core machine (gzip 9: 0.2 s), and
saves 10 % over quality 9 (1.11 MB against 1.23 MB). So encoded bodies are kept on disk in
a per-user cache, keyed by the SHA-256 of the file and checked by a hash when read (a later
start has them in milliseconds), and in memory for the rest of the process, so an app
built again (every server test builds one) compresses nothing. When a large file has no
cached quality-11 body yet (a fresh install, a fresh container), it is served at quality 9
while a background thread makes the quality-11 body and swaps it in: the server starts at
once instead of 15 s later.

Each body's ETag is a hash of the very bytes sent, so the identity, gzip and brotli
representations of a file (and the quality-9 stand-in and its replacement) never share a
strong validator, as RFC 9110 §8.8.1 requires.
"""

import gzip
import hashlib
import logging
import mimetypes
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import brotli
from starlette.responses import Response

log = logging.getLogger("backprop_lab.server")

GZIP_LEVEL = 9
BROTLI_QUALITY = 11
STANDIN_BROTLI_QUALITY = 9  # 0.6 s for Plotly.js, 11 % larger than quality 11
LARGE_BYTES = 256 * 1024  # above this, quality 11 takes more than about half a second
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
CHECK_BYTES = hashlib.sha256().digest_size  # the check that starts a disk-cache entry


@dataclass(frozen=True)
class Codec:
    """A content coding at one setting: its Accept-Encoding token and how bodies are made."""

    token: str
    tag: str  # the setting, in the disk cache's file names: a new level makes new entries
    compress: Callable[[bytes], bytes]
    standin: "Codec | None" = None  # quick to make, served while `compress` runs on large files
    on_disk: bool = True


GZIP = Codec(
    "gzip",
    f"gzip{GZIP_LEVEL}",
    lambda data: gzip.compress(data, GZIP_LEVEL, mtime=0),  # mtime=0: the same bytes each time
)
BROTLI = Codec(
    "br",
    f"br{BROTLI_QUALITY}",
    lambda data: brotli.compress(data, quality=BROTLI_QUALITY),
    standin=Codec(
        "br",
        f"br{STANDIN_BROTLI_QUALITY}",
        lambda data: brotli.compress(data, quality=STANDIN_BROTLI_QUALITY),
        on_disk=False,  # replaced within seconds; keeping it would only fill the cache
    ),
)
CODECS = (BROTLI, GZIP)


def user_cache_dir() -> Path | None:
    """Where encoded bodies outlive the process: $XDG_CACHE_HOME or ~/.cache, per user."""
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:  # no home directory: compress at every start instead
            return None
    return Path(base) / "backprop-lab" / "assets"


class Precompressed:
    """Encoded bodies by coding and content hash: made once per process, kept on disk.

    Thread-safe: the background threads that make quality-11 bodies report here.
    """

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self._memo: dict[tuple[str, str], bytes] = {}
        self._waiting: dict[tuple[str, str], list[Callable[[bytes | None], None]]] = {}
        self._lock = threading.Lock()

    def known(self, codec: Codec, digest: str) -> bytes | None:
        """The body if this process or the disk cache has it already, else None."""
        key = (codec.tag, digest)
        with self._lock:
            body = self._memo.get(key)
        if body is None:
            body = self._read(codec, digest)
            if body is not None:
                with self._lock:
                    self._memo[key] = body
        return body

    def make(self, codec: Codec, digest: str, data: bytes) -> bytes:
        """The body, made now unless known."""
        body = self.known(codec, digest)
        if body is None:
            body = codec.compress(data)
            self._keep(codec, digest, body)
        return body

    def make_later(
        self, codec: Codec, digest: str, data: bytes, ready: Callable[[bytes | None], None]
    ) -> None:
        """Call `ready(body)` once a background thread has made the body (None if it failed).

        One thread per body however many ask: apps built meanwhile wait for the same one.
        """
        key = (codec.tag, digest)
        with self._lock:
            body = self._memo.get(key)
            if body is None:
                waiting = self._waiting.setdefault(key, [])
                waiting.append(ready)
                first = len(waiting) == 1
        if body is not None:
            ready(body)
        elif first:
            threading.Thread(
                target=self._make_in_background,
                args=(codec, digest, data),
                name=f"precompress-{codec.tag}",
                daemon=True,  # never holds up the exit; the disk cache is written atomically
            ).start()

    def _make_in_background(self, codec: Codec, digest: str, data: bytes) -> None:
        key = (codec.tag, digest)
        body: bytes | None = None
        try:
            body = codec.compress(data)
            self._keep(codec, digest, body)
        except Exception:  # MemoryError and the like: the stand-in stays, the server runs on
            log.exception("could not make the %s body of %s", codec.tag, digest)
        with self._lock:
            callbacks = self._waiting.pop(key, [])
            if body is not None and codec.standin is not None:
                self._memo.pop((codec.standin.tag, digest), None)  # nobody needs it any more
        for ready in callbacks:
            ready(body)

    def _keep(self, codec: Codec, digest: str, body: bytes) -> None:
        with self._lock:
            self._memo[(codec.tag, digest)] = body
        if self.directory is None or not codec.on_disk:
            return
        target = self.directory / f"{digest}.{codec.tag}"
        temporary: str | None = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(handle, "wb") as file:
                file.write(entry_check(codec, digest, body))
                file.write(body)
            os.replace(temporary, target)  # readers see the whole entry or none
        except OSError as exc:  # read-only home, full disk: the next start compresses again
            log.info("asset cache %s not written: %s", target, exc)
            if temporary is not None:
                Path(temporary).unlink(missing_ok=True)

    def _read(self, codec: Codec, digest: str) -> bytes | None:
        if self.directory is None or not codec.on_disk:
            return None
        try:
            with (self.directory / f"{digest}.{codec.tag}").open("rb", buffering=0) as file:
                check, body = file.read(CHECK_BYTES), file.read()  # unbuffered: no copy
        except OSError:
            return None
        # A damaged, cut or misplaced entry must never reach a browser.
        return body if check == entry_check(codec, digest, body) else None


def entry_check(codec: Codec, digest: str, body: bytes) -> bytes:
    """What a disk-cache entry starts with: a hash of the body, the file's hash and the coding.

    Hashing takes 1 ms for Plotly.js's bodies; decoding them to compare would take 40 ms
    and, for brotli, leave a 4 MB window in the process (server/memory.py keeps freed
    memory).
    """
    check = hashlib.sha256(f"{codec.tag}:{digest}:".encode())
    check.update(body)  # not `prefix + body`: that would copy the body
    return check.digest()


PRECOMPRESSED = Precompressed(user_cache_dir())


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

    def __init__(self, precompressed: Precompressed | None = None) -> None:
        self._precompressed = precompressed or PRECOMPRESSED
        self._assets: dict[str, Asset] = {}
        self._upgrading = 0
        self._settled = threading.Condition()

    def add(self, url_path: str, file: Path, cache_control: str) -> None:
        """Serve `file` at `url_path` from now on: read it, encode it, hash every body."""
        data = file.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        bodies = {IDENTITY: Body.of(data)}
        later: list[Codec] = []
        for codec in CODECS:
            body = self._precompressed.known(codec, digest)
            if body is None and codec.standin is not None and len(data) > LARGE_BYTES:
                body = self._precompressed.make(codec.standin, digest, data)
                later.append(codec)
            elif body is None:
                body = self._precompressed.make(codec, digest, data)
            if len(body) < len(data):
                bodies[codec.token] = Body.of(body)
        self._assets[url_path] = Asset(digest, media_type_of(file), cache_control, bodies)
        for codec in later:
            self._upgrade_later(url_path, codec, digest, data)

    def _upgrade_later(self, url_path: str, codec: Codec, digest: str, data: bytes) -> None:
        with self._settled:
            self._upgrading += 1

        def ready(body: bytes | None) -> None:
            asset = self._assets.get(url_path)
            if body is not None and asset is not None and asset.digest == digest:
                bodies = dict(asset.bodies)
                if len(body) < len(data):
                    bodies[codec.token] = Body.of(body)
                else:
                    bodies.pop(codec.token, None)
                self._assets[url_path] = replace(asset, bodies=bodies)  # one atomic store
            with self._settled:
                self._upgrading -= 1
                self._settled.notify_all()

        self._precompressed.make_later(codec, digest, data, ready)

    def settled(self, timeout: float | None = None) -> bool:
        """Wait until every background body is in place; False if `timeout` s passed first."""
        with self._settled:
            return self._settled.wait_for(lambda: self._upgrading == 0, timeout)

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
        asset = self._assets.get(url_path)  # read once: a background swap may follow
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
