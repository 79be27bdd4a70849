"""The lecture's Jacobian examples, evaluated wherever the student likes."""

from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Query, Response

import engine
from server.encoding import ArrayPacker, dumps
from server.errors import require_between
from server.schemas.common import ERRORS

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


@router.get("/chain-rule", summary="The lecture's Jacobian examples at a point")
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
