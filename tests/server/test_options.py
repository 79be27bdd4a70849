"""GET /api/options: everything a UI needs to build its controls."""

from fastapi.testclient import TestClient

from engine import BOUNDS, Config
from server.routes.options import Options

from .conftest import SETTINGS


def test_options_lists_choices_defaults_and_every_bound(client: TestClient) -> None:
    response = client.get("/api/options")
    assert response.status_code == 200
    body = response.json()
    Options.model_validate(body)
    assert body["datasets"] == list(BOUNDS["data.dataset"].choices)
    assert "relu" in body["activations"] and "logistic" in body["models"]
    assert body["features"][:2] == ["x1", "x2"]
    assert body["phases"] == ["forward", "backward", "update"]
    assert body["conventions"]["sign"] == ["loss", "loglik"]
    assert body["defaults"] == Config().to_dict()
    assert set(BOUNDS) <= set(body["bounds"])
    assert body["bounds"]["train.learning_rate"]["max"] == BOUNDS["train.learning_rate"].max
    assert body["bounds"]["steps"]["max"] == SETTINGS.max_steps_per_call
    assert body["bounds"]["stream.fps"]["max"] == SETTINGS.max_fps
    assert body["bounds"]["resolution"]["max"] == SETTINGS.max_resolution
    assert body["limits"]["max_sessions"] == SETTINGS.max_sessions


def test_openapi_documents_every_route_with_descriptions(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in [
        "/api/health",
        "/api/options",
        "/api/sessions",
        "/api/sessions/{id}",
        "/api/sessions/{id}/config",
        "/api/sessions/{id}/step",
        "/api/sessions/{id}/reset",
        "/api/sessions/{id}/trace",
        "/api/sessions/{id}/boundary",
        "/api/sessions/{id}/gradcheck",
        "/api/sessions/{id}/history",
        "/api/sessions/{id}/export",
        "/api/sessions/import",
        "/api/sessions/{id}/points",
        "/api/chain-rule",
    ]:
        assert path in paths, path
    schemas = spec["components"]["schemas"]
    train = schemas["TrainConfigIn"]["properties"]["learning_rate"]
    assert train["description"] and train["maximum"] == 10 and train["examples"]
    assert schemas["StepRequest"]["properties"]["steps"]["description"]
    assert client.get("/docs").status_code == 200


CLASS_ROUTES = {
    "/api/sessions/{id}/class": {"post", "get", "delete"},
    "/api/sessions/{id}/class/move": {"post"},
    "/api/sessions/{id}/class/poll": {"put", "get", "delete"},
    "/api/sessions/{id}/class/poll/reveal": {"post"},
    "/api/classes/{code}": {"get"},
    "/api/classes/{code}/history": {"get"},
    "/api/classes/{code}/fork": {"post"},
}


def test_openapi_documents_every_class_route(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths, schemas = spec["paths"], spec["components"]["schemas"]
    listed = {p for p in paths if "/class" in p}
    assert listed == set(CLASS_ROUTES), listed ^ set(CLASS_ROUTES)
    for path, methods in CLASS_ROUTES.items():
        assert set(paths[path]) == methods, path
        for method in methods:
            assert paths[path][method]["summary"], (method, path)

    def model(path: str, method: str = "get", status: str = "200") -> str:
        content = paths[path][method]["responses"][status]["content"]["application/json"]
        return content["schema"]["$ref"].rsplit("/", 1)[1]

    # the rate-limited routes say so, with the answer's shape
    for path, method in (
        ("/api/classes/{code}", "get"),
        ("/api/classes/{code}/history", "get"),
        ("/api/classes/{code}/fork", "post"),
    ):
        assert model(path, method, "429") == "Problem", path
        assert "Retry-After" in paths[path][method]["responses"]["429"]["description"]
    state = schemas[model("/api/classes/{code}")]["properties"]
    assert "id" not in state and {"config_version", "class", "config", "layers"} <= set(state)
    assert model("/api/classes/{code}/history") == "HistoryOut"
    assert model("/api/classes/{code}/fork", "post", "201") == "SessionState"
    # the WebSocket is not an OpenAPI path: the state's route describes it
    described = paths["/api/classes/{code}"]["get"]["description"]
    assert "/api/classes/{code}/stream" in described and '"config"' in described
