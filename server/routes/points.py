"""Custom labelled points: a teacher clicks to add a point where the boundary is wrong."""

from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from server.deps import SessionDep, SettingsDep
from server.encoding import OrjsonResponse
from server.errors import require_between
from server.routes.inspect import COORDINATE_LIMIT
from server.routes.sessions import state_dict
from server.schemas.common import ERRORS
from server.schemas.session import SessionState

router = APIRouter(prefix="/api/sessions", tags=["points"], responses=ERRORS)

Split = Literal["train", "test"]


class Point(BaseModel):
    """One labelled point."""

    x1: float = Field(description="x₁ coordinate.", examples=[0.5])
    x2: float = Field(description="x₂ coordinate.", examples=[-1.2])
    label: int = Field(description="Its class, 0 … K − 1.", examples=[1])


class PointsIn(BaseModel):
    """Points to add to one split."""

    model_config = ConfigDict(extra="forbid")

    points: Annotated[list[Point], Field(min_length=1, max_length=2000)] = Field(
        description="The points; the data set may hold at most 2000 in all."
    )
    split: Split = Field(default="train", description="train or test.")


class PointsOut(BaseModel):
    """Points to remove: by index, or every point within `radius` of (x1, x2)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"indices": [0, 3]}, {"x1": 0.5, "x2": -1.2, "radius": 0.3}]
        },
    )

    indices: list[int] | None = Field(default=None, description="Indices within the split.")
    split: Split = Field(default="train", description="train or test (for indices).")
    x1: float | None = Field(default=None, description="Centre of a removal disc.")
    x2: float | None = Field(default=None, description="Centre of a removal disc.")
    radius: float | None = Field(default=None, description="Radius of the disc, > 0.")

    @model_validator(mode="after")
    def one_way(self) -> "PointsOut":
        disc = (self.x1, self.x2, self.radius)
        if self.indices is None and any(v is None for v in disc):
            raise ValueError("give indices, or all of x1, x2 and radius")
        if self.indices is not None and any(v is not None for v in disc):
            raise ValueError("give indices or a disc (x1, x2, radius), not both")
        return self


@router.post("/{id}/points", response_model=SessionState, summary="Add labelled points")
async def add_points(session: SessionDep, settings: SettingsDep, body: PointsIn) -> Response:
    """Add points to the training (or test) set; the parameters and step are kept."""
    for i, p in enumerate(body.points):
        require_between(f"points.{i}.x1", p.x1, -COORDINATE_LIMIT, COORDINATE_LIMIT)
        require_between(f"points.{i}.x2", p.x2, -COORDINATE_LIMIT, COORDINATE_LIMIT)

    def work() -> dict[str, Any]:
        trainer = session.trainer
        classes = int(trainer.config.data.classes)
        for i, p in enumerate(body.points):
            require_between(f"points.{i}.label", p.label, 0, classes - 1)
        xy = np.array([[p.x1, p.x2] for p in body.points], dtype=np.float64)
        labels = np.array([p.label for p in body.points], dtype=np.int64)
        trainer.add_points(xy, labels, split=body.split)
        session.changed()
        return state_dict(session, settings)

    return OrjsonResponse(await session.run(work))


@router.delete("/{id}/points", response_model=SessionState, summary="Remove points")
async def remove_points(session: SessionDep, settings: SettingsDep, body: PointsOut) -> Response:
    """Remove points by index, or all points within a radius of (x1, x2)."""
    if body.radius is not None:
        require_between("radius", body.radius, 1e-9, 2 * COORDINATE_LIMIT)
        require_between("x1", body.x1, -COORDINATE_LIMIT, COORDINATE_LIMIT)
        require_between("x2", body.x2, -COORDINATE_LIMIT, COORDINATE_LIMIT)

    def work() -> dict[str, Any]:
        trainer = session.trainer
        if body.indices is not None:
            n = len(trainer.dataset.y_train if body.split == "train" else trainer.dataset.y_test)
            for i, index in enumerate(body.indices):
                require_between(f"indices.{i}", index, 0, n - 1)
            trainer.remove_points(list(body.indices), split=body.split)
        else:
            trainer.remove_near(body.x1, body.x2, body.radius)
        session.changed()
        return state_dict(session, settings)

    return OrjsonResponse(await session.run(work))
