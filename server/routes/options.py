"""What a UI needs to build its controls: choices, defaults and every bound."""

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from engine import BOUNDS, Config
from server.deps import SettingsDep
from server.settings import Settings, limits_of

router = APIRouter(prefix="/api", tags=["options"])


class BoundOut(BaseModel):
    """The allowed values of one field: a range [min, max] or a list of choices."""

    min: float | None = Field(description="Smallest allowed value.", examples=[1e-05])
    max: float | None = Field(description="Largest allowed value.", examples=[10])
    choices: list[str] | None = Field(description="Allowed names, for a categorical field.")
    description: str = Field(description="One line of help for the control.")


class Options(BaseModel):
    """Choices, defaults and bounds; every control of the page is built from this."""

    datasets: list[str] = Field(examples=[["circle", "xor", "gauss", "spiral", "moons", "blobs"]])
    models: list[str] = Field(examples=[["mlp", "logistic"]])
    activations: list[str] = Field(examples=[["relu", "tanh", "sigmoid", "linear"]])
    features: list[str] = Field(examples=[["x1", "x2", "x1^2", "x2^2", "x1*x2"]])
    phases: list[str] = Field(description="The phases of one SGD step, in order.")
    conventions: dict[str, list[str]] = Field(
        description="Display conventions: sign, layout, bias and their choices."
    )
    defaults: dict[str, Any] = Field(description="The default configuration (the lecture's).")
    bounds: dict[str, BoundOut] = Field(
        description="Every bound by dotted field name: the engine's (data.*, model.*, "
        "train.*, grid.*) and the server's (steps, stream.fps, stream.steps_per_frame, "
        "resolution, request_bytes)."
    )
    limits: dict[str, float] = Field(description="The server's operational limits.")


def server_bounds(settings: Settings) -> dict[str, dict[str, Any]]:
    """The bounds the server adds on top of the engine's."""
    resolution = BOUNDS["grid.resolution"]
    return {
        "steps": {
            "min": 1,
            "max": settings.max_steps_per_call,
            "choices": None,
            "description": "SGD steps in one POST …/step or one stream step command.",
        },
        "stream.steps_per_frame": {
            "min": 1,
            "max": settings.max_steps_per_frame,
            "choices": None,
            "description": "SGD steps between two streamed frames while playing.",
        },
        "stream.fps": {
            "min": 1,
            "max": settings.max_fps,
            "choices": None,
            "description": "Frames per second while playing (a slow client gets fewer).",
        },
        "resolution": {
            "min": resolution.min,
            "max": min(resolution.max, settings.max_resolution),
            "choices": None,
            "description": "R of the R×R boundary grid (0 in a stream: no maps).",
        },
        "request_bytes": {
            "min": 0,
            "max": settings.max_request_bytes,
            "choices": None,
            "description": "Size of a request body (an imported state included).",
        },
    }


@router.get("/options", response_model=Options)
def options(settings: SettingsDep) -> dict[str, Any]:
    """Datasets, models, activations, features, conventions, defaults and every bound."""
    bounds = {name: bound.to_dict() for name, bound in BOUNDS.items()}
    bounds.update(server_bounds(settings))
    return {
        "datasets": list(BOUNDS["data.dataset"].choices or ()),
        "models": list(BOUNDS["model.model"].choices or ()),
        "activations": list(BOUNDS["model.activation"].choices or ()),
        "features": list(BOUNDS["model.features"].choices or ()),
        "phases": ["forward", "backward", "update"],
        "conventions": {
            "sign": ["loss", "loglik"],
            "layout": ["row", "column"],
            "bias": ["separate", "augmented"],
        },
        "defaults": Config().to_dict(),
        "bounds": bounds,
        "limits": limits_of(settings),
    }
