"""The front end and Plotly.js, served from installed packages so the page works offline.

Plotly.js comes from the `plotly` Python package's bundled `plotly.min.js`, never a CDN:
a lecture hall with bad Wi-Fi must still get the charts.
"""

from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles


def frontend_dir() -> Path:
    """Where `frontend/` lives: the source tree or site-packages, whichever is imported."""
    return Path(str(resources.files("frontend")))


def plotly_js_path() -> Path:
    """The plotly.min.js shipped inside the installed `plotly` package."""
    return Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))


def mount_frontend(app: FastAPI) -> None:
    """Serve `/` (index.html), `/static/*` (the ES modules) and `/vendor/plotly.min.js`."""
    root = frontend_dir()
    plotly_js = plotly_js_path()

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(root / "index.html", media_type="text/html")

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly() -> FileResponse:
        return FileResponse(
            plotly_js,
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    app.mount("/static", StaticFiles(directory=root), name="static")
