"""The front end and Plotly.js, served from installed packages so the page works offline.

Plotly.js comes from the `plotly` Python package's bundled `plotly.min.js`, never a CDN:
a lecture hall with bad Wi-Fi must still get the charts. This module decides which files
are served at which URL and how long a browser may keep them; server/assets.py answers the
requests (compression, ETags, 304s).

Caching: the page and its modules are `no-cache`: a browser keeps them but asks each time,
and an unchanged file costs a 304 of a few hundred bytes, so a new release is never mixed
with stale modules (their URLs carry no version, so nothing safer is possible without
changing the page). Plotly.js, 95 % of the bytes, may be used for a week without asking:
it changes only when the `plotly` package is upgraded, and after the week an unchanged copy
again costs a 304.
"""

from importlib import resources
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from starlette.responses import Response

from server.assets import AssetStore
from server.docs import SWAGGER_UI_FILES, SWAGGER_UI_URL, swagger_ui_dir

PLOTLY_URL = "/vendor/plotly.min.js"
REVALIDATE = "no-cache"
PLOTLY_CACHE = "public, max-age=604800"  # a week
VENDOR_CACHE = PLOTLY_CACHE  # files of installed packages change only with the package
NOT_SHIPPED_DIRS = {"__pycache__"}
NOT_SHIPPED_SUFFIXES = {".py", ".pyc", ".pyo"}


def frontend_dir() -> Path:
    """Where `frontend/` lives: the source tree or site-packages, whichever is imported."""
    return Path(str(resources.files("frontend")))


def plotly_js_path() -> Path:
    """The plotly.min.js shipped inside the installed `plotly` package."""
    return Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))


def frontend_files(root: Path) -> list[str]:
    """Every file of the page under `root`, as '/'-separated paths relative to it.

    Walked when the app is built, so a file added to frontend/ is served with no code
    change. Left out: the package's Python (its `__init__.py`, bytecode), hidden files
    (editor swap files, .DS_Store) and whatever a symbolic link reaches outside `root`.
    """
    inside = root.resolve()
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if (
            not path.is_file()
            or not path.resolve().is_relative_to(inside)
            or any(part.startswith(".") or part in NOT_SHIPPED_DIRS for part in relative.parts)
            or path.suffix in NOT_SHIPPED_SUFFIXES
        ):
            continue
        found.append(relative.as_posix())
    return found


def build_store() -> AssetStore:
    """Every served file read and compressed, once: `/`, `/compare`, `/static/*`,
    Plotly.js and the files of Swagger UI (for /docs)."""
    root = frontend_dir()
    store = AssetStore()
    store.add("/", root / "index.html", REVALIDATE)
    store.add("/compare", root / "compare.html", REVALIDATE)  # runs side by side
    for relative in frontend_files(root):
        store.add(f"/static/{relative}", root / relative, REVALIDATE)
    store.add(PLOTLY_URL, plotly_js_path(), PLOTLY_CACHE)
    for name in SWAGGER_UI_FILES:
        store.add(f"{SWAGGER_UI_URL}/{name}", swagger_ui_dir() / name, VENDOR_CACHE)
    return store


def mount_frontend(app: FastAPI) -> AssetStore:
    """Serve `/` (index.html), `/static/*` (every file of the page), Plotly.js and Swagger UI.

    The files are read and compressed here, when the app is built; `app.state.assets`
    keeps them.
    """
    store = build_store()
    app.state.assets = store

    async def serve(request: Request) -> Response:
        # The decoded path, looked up as it is: only the names added above exist, so
        # `/static/../server/…` (or %2e%2e) is simply not found.
        response = store.respond(
            request.scope["path"],
            request.method,
            accept_encoding=_joined(request, "accept-encoding"),
            if_none_match=_joined(request, "if-none-match"),
        )
        if response is None:
            raise HTTPException(status_code=404)
        return response

    for path in ("/", "/compare", PLOTLY_URL, "/static/{path:path}", SWAGGER_UI_URL + "/{name}"):
        app.add_route(path, serve, methods=["GET", "HEAD"], include_in_schema=False)

    async def serve_page(request: Request) -> Response:
        """A class's join link, /join/<code> (or /join, to type the code), a saved
        experiment's link, /e/<id>, and a lesson's, /lesson/<id>: the page, which reads
        the code or id from its own address and follows the class, opens the experiment
        or presents the lesson."""
        response = store.respond(
            "/",
            request.method,
            accept_encoding=_joined(request, "accept-encoding"),
            if_none_match=_joined(request, "if-none-match"),
        )
        assert response is not None  # index.html is always in the store
        return response

    for path in ("/join", "/join/{code}", "/e/{eid}", "/lesson/{lid}"):
        app.add_route(path, serve_page, methods=["GET", "HEAD"], include_in_schema=False)
    return store


def _joined(request: Request, name: str) -> str | None:
    """A list-valued header sent as several lines, as one value (None when absent)."""
    values = request.headers.getlist(name)
    return ", ".join(values) if values else None
