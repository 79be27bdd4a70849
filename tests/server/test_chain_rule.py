"""GET /api/chain-rule: the lecture's Jacobian examples at any point."""

import numpy as np
from fastapi.testclient import TestClient

from server.encoding import decode_typed_array

from .conftest import assert_problem


def find_arrays(value, found=None):
    """Every typed array in a nested answer, by its path."""
    found = {} if found is None else found
    if isinstance(value, dict):
        if "bdata" in value and "dtype" in value:
            return decode_typed_array(value)
        for k, v in value.items():
            result = find_arrays(v, {})
            if isinstance(result, np.ndarray):
                found[k] = result
            else:
                found.update({f"{k}.{kk}": vv for kk, vv in result.items()})
    return found


def test_jacobian_of_f_and_g_matches_the_slide(client: TestClient) -> None:
    x, y = 1.5, -2.0
    response = client.get("/api/chain-rule", params={"x": x, "y": y})
    assert response.status_code == 200
    arrays = find_arrays(response.json())
    expected = np.array([[6 * y * x, 3 * x**2], [5 * y, 5 * x + 3 * y**2]])
    matches = [k for k, a in arrays.items() if a.shape == (2, 2) and np.allclose(a, expected)]
    assert any("analytic" in k for k in matches), arrays.keys()
    assert any("numeric" in k for k in matches), arrays.keys()


def test_denominator_layout_is_the_transpose(client: TestClient) -> None:
    x, y = 1.5, -2.0
    numerator = np.array([[6 * y * x, 3 * x**2], [5 * y, 5 * x + 3 * y**2]])
    response = client.get("/api/chain-rule", params={"x": x, "y": y, "layout": "denominator"})
    arrays = find_arrays(response.json())
    assert any(a.shape == (2, 2) and np.allclose(a, numerator.T) for a in arrays.values())


def test_vector_chain_rule_product(client: TestClient) -> None:
    x = 0.7
    arrays = find_arrays(client.get("/api/chain-rule", params={"x": x}).json())
    dy_dx = np.array([2 / x, 3 * np.cos(3 * x)])  # d/dx [ln(x²), sin(3x)]
    hits = [a for a in arrays.values() if a.size == 2 and np.allclose(a.ravel(), dy_dx)]
    assert hits, {k: a.tolist() for k, a in arrays.items()}


def test_chain_rule_bounds(client: TestClient) -> None:
    assert_problem(client.get("/api/chain-rule?x=5000"), 422, "x", "1000")
    response = client.get("/api/chain-rule?x=0")
    assert response.status_code == 422
    assert "x" in response.json()["detail"]


def test_chain_rule_answer_matches_its_documented_model(client: TestClient) -> None:
    from server.routes.chain_rule import ChainRuleOut

    body = client.get("/api/chain-rule", params={"x": 0.3, "y": -1}).json()
    parsed = ChainRuleOut.model_validate(body)
    assert parsed.point == {"x": 0.3, "y": -1.0}
