"""The interactive API docs at `/docs`, with Swagger UI served by this app, never a CDN.

FastAPI's built-in `/docs` page loads Swagger UI's JavaScript, CSS and favicon from the
internet, so in a lecture hall without Wi-Fi it stays blank. The `fastapi-offline` package
ships those files (Swagger UI 5, which reads the OpenAPI 3.1 that FastAPI emits); the
three the page needs are served by `server.static` with the page's own files (compressed,
with ETags), at SWAGGER_UI_URL. This module serves the HTML page that loads them. ReDoc
is left off rather than served too: one documentation page is enough, and the API has no
authentication, so no OAuth2 redirect route either.
"""

from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

DOCS_URL = "/docs"
SWAGGER_UI_URL = "/vendor/swagger-ui"
SWAGGER_UI_FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon.png")


def swagger_ui_dir() -> Path:
    """The folder of Swagger UI's files inside the installed `fastapi_offline` package."""
    return Path(str(resources.files("fastapi_offline") / "static"))


def mount_docs(app: FastAPI) -> None:
    """Serve Swagger UI's page at `/docs` (its files: see `server.static`).

    The app must be built with `docs_url=None, redoc_url=None`, so that FastAPI does not
    add its CDN-backed pages as well.
    """

    @app.get(DOCS_URL, include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        # Behind a proxy that mounts the app under a prefix, every URL needs that prefix.
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{SWAGGER_UI_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{SWAGGER_UI_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{SWAGGER_UI_URL}/favicon.png",
            swagger_ui_parameters=app.swagger_ui_parameters,
        )
