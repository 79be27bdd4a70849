"""Steps, frames, traces and boundary maps: what a training view redraws."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from server.schemas.common import TypedArray
from server.schemas.session import (
    ConventionModel,
    HealthWarning,
    LayerParams,
    Metrics,
    TimelineOut,
)

Phase = Literal["forward", "backward", "update"]


class StepRequest(BaseModel):
    """Either `steps` full SGD steps, or exactly one `phase` of the current step; an empty
    body runs one step."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"steps": 10}, {"phase": "forward"}]},
    )

    steps: int | None = Field(
        default=None,
        description="Full steps (forward, backward, update on a fresh minibatch each); "
        "1 to the server's max_steps_per_call (see GET /api/options).",
        examples=[10],
    )
    phase: Phase | None = Field(
        default=None,
        description="One phase only: forward samples a minibatch and computes x → o; "
        "backward computes every δ and gradient; update applies θ ← θ − η ∂J/∂θ.",
        examples=["forward"],
    )
    resolution: int | None = Field(
        default=None,
        description="If set, the frame includes the boundary and neuron maps at this R.",
        examples=[50],
    )

    @model_validator(mode="after")
    def one_of(self) -> "StepRequest":
        if self.steps is not None and self.phase is not None:
            raise ValueError("give either steps or phase, not both")
        return self


class Quantity(BaseModel):
    """One quantity of the lecture, e.g. δ^(o) or ∂J/∂U, for one example."""

    symbol: str = Field(description="ASCII key: x, z, h, v, o, y, J, delta_o, dJ/dU, …")
    display: str = Field(description="The slide's notation: δ^(o), ∂J/∂U, …")
    name: str = Field(description="In words: 'output error signal', …")
    formula: str = Field(description="How it is computed, in the chosen convention.")
    kind: str | None = Field(
        default=None,
        description="forward, param, loss, delta, jacobian, grad or grad_each (per example).",
    )
    value: TypedArray | float = Field(description="A number (J) or an array.")


class TraceOut(BaseModel):
    """The full forward and backward pass of one example (or a minibatch)."""

    kind: Literal["example", "point", "batch"] = Field(
        description="A training example (?index), any point (?x1&x2) or the minibatch."
    )
    index: int | None = Field(
        description="The example's index in its `split`, for kind example (else null)."
    )
    split: Literal["train", "test"] | None = Field(
        default=None,
        description='For kind example: "train" (a training example) or "test" (a held-out '
        "test example, traced but never trained on); null for a point or the minibatch.",
    )
    x_raw: list[float] | TypedArray | None = Field(description="(x₁, x₂) before features.")
    target: int | list[int] | TypedArray | None = Field(description="The class k (y is one-hot).")
    convention: ConventionModel
    layer_names: list[str] = Field(description='Weight matrices in order, e.g. ["W", "U"].')
    quantities: list[Quantity] = Field(description="In the order of the lecture.")
    symbols: dict[str, int] = Field(description="symbol → position in `quantities`.")


class NeuronMaps(BaseModel):
    """Every hidden unit of one layer over the grid."""

    layer: int = Field(description="Hidden layer number, from 1.")
    activations: list[TypedArray] = Field(description="h_j over the grid, one R×R map per unit.")
    deltas: list[TypedArray] | None = Field(
        description="δ^(z)_j = ∂J/∂z_j over the grid (loss sign) for the target class; "
        "null in stream frames after a `resolution` command with `deltas: false`."
    )


class BoundaryOut(BaseModel):
    """Class probabilities and every neuron's maps over an R×R grid (one batched pass)."""

    resolution: int = Field(description="R.")
    extent: list[float] = Field(description="[x1min, x1max, x2min, x2max].")
    x1: TypedArray = Field(description="(R,) grid abscissae, the heatmap's x.")
    x2: TypedArray = Field(description="(R,) grid ordinates, the heatmap's y.")
    target: int | None = Field(description="Class of the delta maps; null = predicted class.")
    probabilities: list[TypedArray] = Field(description="P(class k | x) as K maps R×R.")
    predicted: TypedArray = Field(description="R×R argmax class, u1.")
    layers: list[NeuronMaps]


class Frame(BaseModel):
    """What a view redraws after a step: progress, metrics, weights, and optionally maps."""

    type: Literal["frame"] = "frame"
    seq: int = Field(description="Frame number within this stream or request.")
    step: int
    epoch: float
    phase: str
    metrics: Metrics
    history: dict[str, Any] = Field(
        description="The per-step series since the previous frame (see …/history)."
    )
    layers: list[LayerParams]
    boundary: BoundaryOut | None = Field(description="Present if maps were asked for.")
    trace: TraceOut | None = Field(description="The selected example's trace, if one is.")
    diverged: bool
    divergence: str | None
    health: list[HealthWarning] = Field(
        default_factory=list,
        description="Warnings about training that went wrong without overflowing; [] if none.",
    )
    timeline: TimelineOut | None = Field(
        default=None,
        description="The steps that can be revisited, and the past step shown (stream: "
        "after a `seek`); the history stays the live one.",
    )
