"""The interactive API docs at `/docs`, with Swagger UI served by this app, never a CDN.

FastAPI's built-in `/docs` page loads Swagger UI's JavaScript, CSS and favicon from the
internet, so in a lecture hall without Wi-Fi it stays blank. The `fastapi-offline` package
ships those files (Swagger UI 5, which reads the OpenAPI 3.1 that FastAPI emits); they are
served from here, as `server.static` serves Plotly.js. Only the three files the page needs
are exposed. ReDoc is left off rather than served too: one documentation page is enough,
and the API has no authentication, so no OAuth2 redirect route either.
"""

from importlib import resources
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

DOCS_URL = "/docs"
ASSETS_URL = "/vendor/swagger-ui"
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon.png": "image/png",
}


def swagger_ui_dir() -> Path:
    """The folder of Swagger UI's files inside the installed `fastapi_offline` package."""
    return Path(str(resources.files("fastapi_offline") / "static"))


def mount_docs(app: FastAPI) -> None:
    """Serve Swagger UI at `/docs` and its files under `/vendor/swagger-ui/`.

    The app must be built with `docs_url=None, redoc_url=None`, so that FastAPI does not
    add its CDN-backed pages as well.
    """
    folder = swagger_ui_dir()

    @app.get(DOCS_URL, include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        # Behind a proxy that mounts the app under a prefix, every URL needs that prefix.
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            swagger_ui_parameters=app.swagger_ui_parameters,
        )

    @app.get(ASSETS_URL + "/{name}", include_in_schema=False)
    def swagger_ui_asset(name: str) -> FileResponse:
        media_type = ASSETS.get(name)
        if media_type is None:
            raise HTTPException(status_code=404, detail=f"no Swagger UI file named {name!r}")
        return FileResponse(
            folder / name,
            media_type=media_type,
            headers={"Cache-Control": "public, max-age=86400"},
        )
