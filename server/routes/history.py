"""The learning curves, and the whole state out and back in."""

import csv
import io
from typing import Annotated, Any, Literal

import numpy as np
from anyio import to_thread
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from engine import Convention, Trainer
from server.deps import SessionDep, SettingsDep, StoreDep
from server.encoding import ArrayPacker, OrjsonResponse, dumps
from server.errors import LimitError
from server.payloads import history_dict
from server.routes.sessions import state_dict
from server.schemas.common import ERRORS, TypedArray
from server.schemas.session import SessionState

router = APIRouter(prefix="/api/sessions", tags=["history"], responses=ERRORS)


class HistoryOut(BaseModel):
    """Full-data metrics recorded every few SGD steps (see the engine's HISTORY_EVERY).

    Each series is a 1-D typed array with one value per recorded row; `grad_norm` holds
    one series per weight matrix. At most 2,048 rows (the engine's MAX_ROWS): a longer
    history is thinned evenly over the run, its newest 64 rows kept as recorded.
    """

    rows: int = Field(description="Number of recorded rows.")
    step: TypedArray = Field(description="The step of each row.")
    epoch: TypedArray
    train_loss: TypedArray
    test_loss: TypedArray
    train_accuracy: TypedArray
    test_accuracy: TypedArray
    grad_norm: dict[str, TypedArray] = Field(description="‖∂J/∂θ‖ per weight matrix.")


@router.get(
    "/{id}/history",
    response_model=HistoryOut,
    summary="Loss, accuracy and gradient norms per step",
    responses={200: {"content": {"text/csv": {}}}},
)
async def history(
    session: SessionDep,
    format: Annotated[
        Literal["json", "csv"], Query(description="json (typed arrays) or csv (a table).")
    ] = "json",
) -> Response:
    """The learning curves; `?format=csv` gives one row per step for a spreadsheet."""

    def work() -> Response:
        hist = session.trainer.history
        if format == "csv":
            return Response(
                history_csv(hist),
                media_type="text/csv",
                headers={"Content-Disposition": 'attachment; filename="history.csv"'},
            )
        return Response(
            dumps(history_dict(hist, ArrayPacker(binary=False))), media_type="application/json"
        )

    return await session.run(work)


def history_csv(hist: Any) -> str:
    """step, epoch, train/test loss and accuracy, then grad_norm_<name> for each matrix."""
    columns = hist.to_dict()
    norms: dict[str, np.ndarray] = columns.pop("grad_norm")
    names = list(columns) + [f"grad_norm_{name}" for name in norms]
    series = [np.asarray(v) for v in columns.values()] + [np.asarray(v) for v in norms.values()]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for row in zip(*series, strict=True):
        writer.writerow([repr(float(v)) if isinstance(v, np.floating) else int(v) for v in row])
    return out.getvalue()


class ImportIn(BaseModel):
    """An export: what GET …/export returns and POST /api/sessions/import takes."""

    format: Literal["backprop-lab/1"] = Field(description="The export format's version.")
    state: dict[str, Any] = Field(description="The trainer's state.")
    convention: dict[str, str] | None = Field(default=None, description="Display convention.")


@router.get("/{id}/export", response_model=ImportIn, summary="The whole state as JSON")
async def export(session: SessionDep) -> Response:
    """Configuration, parameters, optimiser velocity, RNG state, data (with custom points),
    step, epoch and history: POST it to /api/sessions/import to continue bit-identically.
    """

    def work() -> bytes:
        return dumps(
            {
                "format": "backprop-lab/1",
                "state": session.trainer.to_state(),
                "convention": dict(session.convention),
            }
        )

    return Response(
        await session.run(work),
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="backprop-lab-session.json"'},
    )


def trainer_of_export(state: dict[str, Any]) -> Trainer:
    """The trainer an export's `state` holds, or a LimitError naming `state` if it is not
    one (a hand-edited or foreign file must get a sentence, not a 500)."""
    try:
        return Trainer.from_state(state)
    except (KeyError, TypeError, IndexError, AttributeError) as exc:
        raise LimitError(
            "state", f"state is not a Backprop Lab export ({type(exc).__name__}: {exc})"
        ) from exc


@router.post(
    "/import", status_code=201, response_model=SessionState, summary="A session from an export"
)
async def import_session(
    request: Request, store: StoreDep, settings: SettingsDep, body: ImportIn
) -> Response:
    """A new session identical to the exported one: same parameters, data, step and RNG, so
    the next steps give exactly the parameters the original would have reached.
    """

    trainer = await to_thread.run_sync(trainer_of_export, body.state)
    session = store.add(trainer)
    if body.convention:
        session.convention = Convention.from_dict(body.convention).to_dict()
        session.changed()
    state = await session.run(lambda: state_dict(session, settings))
    return OrjsonResponse(state, status_code=201)
