"""The chain-rule lab: the lecture's first slides, evaluated at any point.

Example 1, the Jacobian: f(x, y) = 3x²y and g(x, y) = 5xy + y³ give, in numerator layout
(one row per function), J = [[6yx, 3x²], [5y, 5x + 3y²]]; the denominator layout is Jᵀ.

Example 2, the vector chain rule: y = [ln(x²), sin(3x)] written through g = [x², 3x] as
y = [ln(g₁), sin(g₂)], so ∂y/∂x = ∂y/∂g · ∂g/∂x = diag(1/g₁, cos g₂) · [2x, 3]ᵀ
= [2/x, 3 cos(3x)]ᵀ. In denominator layout every Jacobian is transposed and the product
order reverses: (∂y/∂x)ᵀ = (∂g/∂x)ᵀ (∂y/∂g)ᵀ.

Every analytic Jacobian comes with its central-difference estimate.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from engine.bounds import ConfigError, check_finite

LAYOUTS = ("numerator", "denominator")
EPS = 1e-6
"""Step of the central differences (error O(ε²) ≈ 1e-12 relative, far below display)."""


def numeric_jacobian(fn: Callable[[np.ndarray], np.ndarray], point: np.ndarray) -> np.ndarray:
    """Numerator-layout Jacobian [∂f_i/∂x_j] of fn at point by central differences."""
    point = np.asarray(point, dtype=np.float64)
    cols = []
    for j in range(point.size):
        step = np.zeros_like(point)
        step[j] = EPS
        cols.append((fn(point + step) - fn(point - step)) / (2 * EPS))
    return np.stack(cols, axis=-1)  # (m, n)


def f_and_g(p: np.ndarray) -> np.ndarray:
    """[f, g] = [3x²y, 5xy + y³] at p = (x, y)."""
    x, y = p
    return np.array([3 * x * x * y, 5 * x * y + y**3])


def jacobian_f_g(x: float, y: float) -> np.ndarray:
    """∂[f, g]/∂[x, y] in numerator layout: [[6yx, 3x²], [5y, 5x + 3y²]]."""
    return np.array([[6 * y * x, 3 * x * x], [5 * y, 5 * x + 3 * y * y]])


def g_of_x(x: np.ndarray) -> np.ndarray:
    """g = [x², 3x]."""
    x0 = x[0]
    return np.array([x0 * x0, 3 * x0])


def y_of_g(g: np.ndarray) -> np.ndarray:
    """y = [ln g₁, sin g₂]."""
    return np.array([math.log(g[0]), math.sin(g[1])])


def y_of_x(x: np.ndarray) -> np.ndarray:
    """y = [ln(x²), sin(3x)]."""
    return y_of_g(g_of_x(x))


def chain_rule_examples(x: float, y: float, layout: str = "numerator") -> dict[str, Any]:
    """Both examples at the point (x, y); the second uses x only (ln(x²) needs x ≠ 0)."""
    x = check_finite("x", x)
    y = check_finite("y", y)
    if layout not in LAYOUTS:
        raise ConfigError("layout", f"layout must be numerator or denominator (got {layout!r})")
    if abs(x) < 1e-3:
        raise ConfigError("x", f"x must be non-zero (|x| ≥ 0.001) for ln(x²) (got {x:g})")
    denominator = layout == "denominator"

    def shown(a: np.ndarray) -> np.ndarray:
        return a.T.copy() if denominator else a

    analytic = jacobian_f_g(x, y)
    numeric = numeric_jacobian(f_and_g, np.array([x, y]))
    g = g_of_x(np.array([x]))
    dy_dg = np.diag([1.0 / g[0], math.cos(g[1])])  # (2, 2)
    dg_dx = np.array([[2 * x], [3.0]])  # (2, 1)
    product = dy_dg @ dg_dx  # (2, 1)
    direct = np.array([[2.0 / x], [3 * math.cos(3 * x)]])  # (2, 1) d/dx of [ln x², sin 3x]
    numeric_dy_dx = numeric_jacobian(y_of_x, np.array([x]))  # (2, 1)
    return {
        "point": {"x": x, "y": y},
        "layout": layout,
        "jacobian": {
            "functions": {"f": "f(x, y) = 3x²y", "g": "g(x, y) = 5xy + y³"},
            "values": {"f": 3 * x * x * y, "g": 5 * x * y + y**3},
            "formula": "[[6yx, 5y], [3x², 5x + 3y²]]  (Jᵀ, denominator layout)"
            if denominator
            else "[[6yx, 3x²], [5y, 5x + 3y²]]  (J, numerator layout)",
            "analytic": shown(analytic),
            "numeric": shown(numeric),
        },
        "vector_chain_rule": {
            "functions": {
                "y": "y = [ln(x²), sin(3x)]",
                "g": "g = [x², 3x]",
                "y_of_g": "y = [ln(g₁), sin(g₂)]",
            },
            "g": g,
            "y": y_of_x(np.array([x])),
            "formula": "(∂y/∂x)ᵀ = (∂g/∂x)ᵀ (∂y/∂g)ᵀ" if denominator else "∂y/∂x = ∂y/∂g · ∂g/∂x",
            "dy_dg": shown(dy_dg),
            "dg_dx": shown(dg_dx),
            "product": shown(product),
            "analytic": shown(direct),
            "numeric": shown(numeric_dy_dx),
        },
    }
