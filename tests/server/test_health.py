"""The thin path through the HTTP layer: health, the page, and Plotly.js served locally."""

from fastapi.testclient import TestClient

from server import __version__
from server.main import create_app

client = TestClient(create_app())


def test_health_reports_ok_and_version() -> None:
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__}


def test_index_page_loads_plotly_from_this_server_not_a_cdn() -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "cdn" not in response.text.lower() and "https://" not in response.text
    # Plotly.js is loaded after the first frame, by a module, from this server's /vendor.
    loader = client.get("/static/js/plotly.js")
    assert loader.status_code == 200
    assert 'const SRC = "/vendor/plotly.min.js";' in loader.text


def test_plotly_js_is_the_installed_packages_bundle() -> None:
    response = client.get("/vendor/plotly.min.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert len(response.content) > 1_000_000  # the full bundle, not a stub
    assert b"plotly.js" in response.content[:2000].lower()


def test_unknown_path_is_404_not_500() -> None:
    assert client.get("/api/nope").status_code == 404
