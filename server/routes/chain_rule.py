"""The lecture's Jacobian examples, evaluated wherever the student likes."""

from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

import engine
from server.encoding import ArrayPacker, dumps
from server.errors import require_between
from server.schemas.common import ERRORS, TypedArray

router = APIRouter(prefix="/api", tags=["chain rule"], responses={422: ERRORS[422]})

LIMIT = 1000.0


def _encode(value: Any, pack: ArrayPacker) -> Any:
    if isinstance(value, dict):
        return {k: _encode(v, pack) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v, pack) for v in value]
    if isinstance(value, np.ndarray):
        return pack.add(value) if value.ndim else float(value)
    if isinstance(value, np.floating | np.integer):
        return value.item()
    return value


class JacobianExample(BaseModel):
    """f(x, y) = 3x²y and g(x, y) = 5xy + y³, and their Jacobian at the point."""

    functions: dict[str, str] = Field(description="The two functions, as on the slide.")
    values: dict[str, float] = Field(description="f and g at the point.")
    formula: str = Field(description="The Jacobian in closed form, in the chosen layout.")
    analytic: TypedArray = Field(description="2×2: [[6yx, 3x²], [5y, 5x + 3y²]] (or its ᵀ).")
    numeric: TypedArray = Field(description="2×2 by central differences.")


class VectorChainRule(BaseModel):
    """y = [ln(x²), sin(3x)] through g = [x², 3x]: ∂y/∂x = ∂y/∂g · ∂g/∂x."""

    functions: dict[str, str] = Field(description="y, g and y(g), as on the slide.")
    g: TypedArray = Field(description="(2,) g at x.")
    y: TypedArray = Field(description="(2,) y at x.")
    formula: str
    dy_dg: TypedArray = Field(description="2×2 ∂y/∂g = diag(1/g₁, cos g₂).")
    dg_dx: TypedArray = Field(description="2×1 ∂g/∂x = [2x, 3]ᵀ.")
    product: TypedArray = Field(description="2×1 ∂y/∂g · ∂g/∂x.")
    analytic: TypedArray = Field(description="2×1 [2/x, 3cos 3x]ᵀ.")
    numeric: TypedArray = Field(description="2×1 by central differences.")


class ChainRuleOut(BaseModel):
    """The lecture's two Jacobian examples evaluated at (x, y)."""

    point: dict[str, float] = Field(examples=[{"x": 1.0, "y": 2.0}])
    layout: str = Field(description="numerator or denominator.")
    jacobian: JacobianExample
    vector_chain_rule: VectorChainRule


@router.get(
    "/chain-rule",
    response_model=ChainRuleOut,
    summary="The lecture's Jacobian examples at a point",
)
async def chain_rule(
    x: Annotated[float, Query(description="The point's x (≠ 0 for ln(x²)).")] = 1.0,
    y: Annotated[float, Query(description="The point's y (for f = 3x²y, g = 5xy + y³).")] = 2.0,
    layout: Annotated[
        Literal["numerator", "denominator"], Query(description="Jacobian layout.")
    ] = "numerator",
) -> Response:
    """f = 3x²y and g = 5xy + y³: the Jacobian in numerator or denominator layout, analytic
    and numeric; y = [ln(x²), sin(3x)] through g = [x², 3x]: ∂y/∂g, ∂g/∂x, their product and
    the numeric ∂y/∂x. Matrices are typed arrays.
    """
    require_between("x", x, -LIMIT, LIMIT)
    require_between("y", y, -LIMIT, LIMIT)
    result = engine.chain_rule_examples(x, y, layout=layout)
    return Response(
        dumps(_encode(result, ArrayPacker(binary=False))), media_type="application/json"
    )
