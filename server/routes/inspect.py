"""Looking inside the network: the trace of one example, the maps, the gradient check."""

from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from engine import Convention
from server.deps import SessionDep, SettingsDep
from server.encoding import ArrayPacker, dumps
from server.errors import LimitError, check_resolution, require_between
from server.frames import Selection, run_trace
from server.payloads import boundary_dict, trace_dict
from server.schemas.common import ERRORS, TypedArray
from server.schemas.frame import BoundaryOut, TraceOut
from server.timeline import trainer_at

router = APIRouter(prefix="/api/sessions", tags=["inspect"], responses=ERRORS)

COORDINATE_LIMIT = 1000.0  # far beyond any data set's extent (about ±6), still finite


def _json(content: Any) -> Response:
    return Response(dumps(content), media_type="application/json")


@router.get("/{id}/trace", response_model=TraceOut, summary="Trace one example")
async def trace(
    session: SessionDep,
    index: Annotated[
        int | None,
        Query(
            description="An example's index: 0 … n_train − 1, or 0 … n_test − 1 with split=test."
        ),
    ] = None,
    split: Annotated[
        Literal["train", "test"] | None,
        Query(description="The set `index` counts in: train (default) or test."),
    ] = None,
    x1: Annotated[float | None, Query(description="Any point: x₁ (give x2 too).")] = None,
    x2: Annotated[float | None, Query(description="Any point: x₂ (give x1 too).")] = None,
    target: Annotated[
        int | None, Query(description="The class k of a point given by x1, x2 (default 0).")
    ] = None,
    batch: Annotated[bool, Query(description="Trace the current minibatch instead.")] = False,
    sign: Annotated[
        Literal["loss", "loglik"] | None, Query(description="Override the session's sign.")
    ] = None,
    layout: Annotated[
        Literal["row", "column"] | None, Query(description="Override the session's layout.")
    ] = None,
    bias: Annotated[
        Literal["separate", "augmented"] | None, Query(description="Override the bias form.")
    ] = None,
    step: Annotated[
        int | None,
        Query(description="A past step (timeline.first … now): as it was then."),
    ] = None,
) -> Response:
    """Every quantity of the lecture for one forward and backward pass, under its symbol.

    x, z, h, v, o, y, J, δ^(o), δ^(h), δ^(z), δ^(x), ∂J/∂U, ∂J/∂W, the biases' gradients,
    the softmax Jacobian ∂o/∂v, diag(I(z > 0)) = ∂h/∂z, ∂v/∂h = U, ∂z/∂x = W, and the
    weights used, in the session's display convention unless `sign`, `layout` or `bias`
    override it. With no query, training example 0 is traced; `index` with `split=test`
    traces a held-out test example (its trace says `"split": "test"`). With `step`, the
    network as it was after that update (the minibatch is the one update `step` + 1 used).
    """
    given = [index is not None, x1 is not None or x2 is not None, batch]
    if sum(given) > 1:
        raise LimitError("index", "give only one of index, (x1, x2) or batch=true")
    if (x1 is None) != (x2 is None):
        raise LimitError("x2" if x2 is None else "x1", "a point needs both x1 and x2")
    for name, value in (("x1", x1), ("x2", x2)):
        if value is not None:
            require_between(name, value, -COORDINATE_LIMIT, COORDINATE_LIMIT)
    if split is not None and index is None:
        raise LimitError("split", "split goes with index: give the example's index too")
    if sum(given) == 0:
        index = 0
    selection = Selection(
        index=index, split=split or "train", x1=x1, x2=x2, target=target, batch=batch
    )
    overrides = {k: v for k, v in (("sign", sign), ("layout", layout), ("bias", bias)) if v}

    def work() -> bytes:
        trainer = trainer_at(session.trainer, step)
        check_selection(trainer, selection)
        convention = Convention(**{**session.convention, **overrides})
        result, kind = run_trace(trainer, selection, convention)
        pack = ArrayPacker(binary=False)
        return dumps(trace_dict(result, pack, kind, selection.index, selection.split))

    return Response(await session.run(work), media_type="application/json")


def check_selection(trainer: Any, selection: Selection) -> None:
    """Range-check an index or a target against this session's data (LimitError)."""
    if selection.index is not None:
        test = selection.split == "test"
        n = len(trainer.dataset.y_test if test else trainer.dataset.y_train)
        if n == 0:
            raise LimitError("index", f"the {selection.split} set is empty: nothing to trace")
        require_between("index", selection.index, 0, n - 1)
    if selection.target is not None:
        require_between("target", selection.target, 0, int(trainer.config.data.classes) - 1)


@router.get("/{id}/boundary", response_model=BoundaryOut, summary="Boundary and neuron maps")
async def boundary(
    session: SessionDep,
    settings: SettingsDep,
    resolution: Annotated[int, Query(description="R of the R×R grid.")] = 50,
    target: Annotated[
        int | None,
        Query(
            description="Class k whose loss the delta maps differentiate; default: each "
            "grid point's predicted class."
        ),
    ] = None,
    precision: Annotated[
        Literal["float32", "uint8"],
        Query(description="float32 maps (exact) or uint8 maps with a `range` (4× smaller)."),
    ] = "float32",
    step: Annotated[
        int | None,
        Query(description="A past step (timeline.first … now): as it was then."),
    ] = None,
) -> Response:
    """P(class k | x) over the grid and every hidden unit's activation and delta map.

    All maps come from one batched forward and backward pass over the R×R grid; with
    `step`, of the network as it was after that update.
    """
    check_resolution(resolution, settings.max_resolution)

    def work() -> bytes:
        trainer = trainer_at(session.trainer, step)
        if target is not None:
            require_between("target", target, 0, int(trainer.config.data.classes) - 1)
        grid = trainer.grid(resolution, target=target)
        pack = ArrayPacker(binary=False)
        return dumps(boundary_dict(grid, pack, quantized=precision == "uint8"))

    return Response(await session.run(work), media_type="application/json")


class LayerCheck(BaseModel):
    """Analytic backprop gradient against central differences, for one parameter."""

    name: str = Field(description='Parameter name, e.g. "W", "U", "b".')
    analytic: TypedArray
    numeric: TypedArray
    relative_error: float = Field(description="‖a − n‖ / max(‖a‖ + ‖n‖, tiny).")
    max_abs_error: float


class GradCheckOut(BaseModel):
    """The numerical gradient check of the current parameters (on the first training
    examples, in float64)."""

    eps: float
    passed: bool = Field(description="Every relative error below 1e-6 (float64).")
    layers: list[LayerCheck]


@router.get("/{id}/gradcheck", response_model=GradCheckOut, summary="Numerical gradient check")
async def gradcheck(
    session: SessionDep,
    eps: Annotated[float, Query(description="Step of the central differences.")] = 1e-5,
) -> Response:
    """Backprop's gradients against (J(θ + ε) − J(θ − ε)) / 2ε for every parameter."""
    require_between("eps", eps, 1e-8, 1e-2)

    def work() -> bytes:
        check = session.trainer.gradient_check(eps=eps)
        pack = ArrayPacker(binary=False)
        layers = []
        for name, item in _gradcheck_items(check):
            layers.append(
                {
                    "name": name,
                    "analytic": pack.add(np.asarray(item.analytic, dtype=np.float64)),
                    "numeric": pack.add(np.asarray(item.numeric, dtype=np.float64)),
                    "relative_error": float(item.relative_error),
                    "max_abs_error": float(item.max_abs_error),
                }
            )
        return dumps({"eps": eps, "passed": bool(check.passed), "layers": layers})

    return Response(await session.run(work), media_type="application/json")


def _gradcheck_items(check: Any) -> list[tuple[str, Any]]:
    """(name, per-parameter result) pairs, whatever container the engine uses."""
    for attr in ("layers", "results", "items"):
        value = getattr(check, attr, None)
        if isinstance(value, dict):
            return list(value.items())
        if isinstance(value, list):
            return [(getattr(v, "name", str(i)), v) for i, v in enumerate(value)]
    raise TypeError("unrecognised gradient-check result")
