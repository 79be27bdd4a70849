"""`/docs` is Swagger UI served by the app itself: no URL on the page leaves this server."""

import re

import pytest
from fastapi.testclient import TestClient

from server.main import create_app
from tests.server.conftest import SETTINGS

CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


def local_urls(html: str) -> list[str]:
    """Every `src=`/`href=` of the page plus the schema URL handed to Swagger UI."""
    return re.findall(r'(?:src|href)="([^"]*)"', html) + re.findall(r"url: '([^']*)'", html)


def test_docs_page_names_no_outside_host(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "http://" not in html and "https://" not in html, html
    urls = local_urls(html)
    assert "/openapi.json" in urls
    assert len(urls) == 4, urls  # stylesheet, favicon, script, schema
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), url


@pytest.mark.parametrize("suffix", [".js", ".css", ".png"])
def test_every_asset_of_the_page_is_served_with_its_type(client: TestClient, suffix: str) -> None:
    (url,) = [u for u in local_urls(client.get("/docs").text) if u.endswith(suffix)]
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.headers["content-type"].startswith(CONTENT_TYPES[suffix]), response.headers
    assert len(response.content) > 1000


def test_swagger_ui_is_recent_enough_for_the_openapi_version(client: TestClient) -> None:
    """FastAPI emits OpenAPI 3.1, which Swagger UI renders only from version 5 on."""
    assert client.get("/openapi.json").json()["openapi"].startswith("3.1")
    bundle = client.get("/vendor/swagger-ui/swagger-ui-bundle.js").text
    version = re.search(r'PACKAGE_VERSION:"(\d+)\.(\d+)\.(\d+)"', bundle)
    assert version, "no Swagger UI version found in the bundle"
    assert int(version.group(1)) >= 5, version.group(0)


@pytest.mark.parametrize(
    "path",
    [
        "/redoc",  # switched off: /docs is the one documentation page
        "/docs/oauth2-redirect",  # the API has no authentication
        "/vendor/swagger-ui/redoc.standalone.js",  # in the package, but not exposed
        "/vendor/swagger-ui/__init__.py",
        "/vendor/swagger-ui/..%2F__init__.py",
    ],
)
def test_nothing_else_is_served(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_urls_carry_the_root_path_behind_a_proxy() -> None:
    with TestClient(create_app(SETTINGS), root_path="/lab") as client:
        urls = local_urls(client.get("/docs").text)
    assert urls and all(url.startswith("/lab/") for url in urls), urls
