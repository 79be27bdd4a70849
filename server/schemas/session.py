"""A session's state: configuration, progress, metrics and parameters."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from server.schemas.common import TypedArray
from server.schemas.config import ConfigIn, ConfigOut

Sign = Literal["loss", "loglik"]
Layout = Literal["row", "column"]
Bias = Literal["separate", "augmented"]


class ConventionModel(BaseModel):
    """How traces are *presented*; the engine always computes with loss = NLL, δ^(o) = o − y.

    - sign "loss": J = −log P(y|x), δ^(o) = o − y, descent θ ← θ − η ∂J/∂θ (the
      optimisation slide). "loglik": J = log P(y|x), δ^(o) = y − o, ascent (the later slides).
    - layout "row": δ as 1×n row vectors, as on the slides (numerator layout); "column": n×1.
    - bias "separate": z = Wx + b; "augmented": x gets a trailing 1 and W becomes [W | b].
    """

    model_config = ConfigDict(extra="forbid")

    sign: Sign = Field(default="loss", description="Sign of J and every δ.", examples=["loss"])
    layout: Layout = Field(default="row", description="Shape of δ vectors.", examples=["row"])
    bias: Bias = Field(default="separate", description="Bias as b or folded into W.")


class ConventionPatch(BaseModel):
    """Any of the three convention choices; omitted ones keep their value."""

    model_config = ConfigDict(extra="forbid")

    sign: Sign | None = Field(default=None, description="loss or loglik.", examples=["loglik"])
    layout: Layout | None = Field(default=None, description="row or column.")
    bias: Bias | None = Field(default=None, description="separate or augmented.")


class ConfigPatch(ConfigIn):
    """A partial configuration, plus the display convention (which always changes live)."""

    convention: ConventionPatch | None = Field(
        default=None, description="The sign, layout and bias display convention."
    )


class Metrics(BaseModel):
    """Loss and accuracy on both splits, after the last completed update."""

    step: int = Field(description="SGD updates done.", examples=[120])
    epoch: float = Field(description="Examples seen / training-set size.", examples=[3.75])
    train_loss: float | None = Field(description="Mean NLL on the training set.", examples=[0.21])
    train_accuracy: float | None = Field(description="Share correct, training set.")
    test_loss: float | None = Field(description="Mean NLL on the test set.")
    test_accuracy: float | None = Field(description="Share correct, test set.")
    grad_norms: dict[str, float | None] = Field(
        description="‖∂J/∂θ‖ of each weight matrix of the last step, by its name.",
        examples=[{"W": 0.31, "U": 0.52}],
    )
    dead_units: int = Field(description="Hidden units inactive on every training point.")
    confusion: TypedArray = Field(description="K×K counts, rows = true class (test set).")
    diverged: bool = Field(description="The loss became NaN or infinite; see `divergence`.")


class HealthWarning(BaseModel):
    """Training that went wrong without overflowing (docs/api.md, "Health warnings")."""

    kind: Literal["diverging", "saturated", "dead"] = Field(
        description="diverging: the training loss is well past its start and its best; "
        "saturated: most tanh/sigmoid units of a layer are stuck at ±1 (or 0/1); dead: most "
        "ReLU units of a layer are zero for every training point."
    )
    message: str = Field(description="What happened and what to do, in words.")
    since_step: int = Field(description="The step at which it was first seen.")
    layer: int | None = Field(default=None, description="Hidden layer, from 1.")
    units: int | None = Field(default=None, description="Its units that are stuck.")
    of: int | None = Field(default=None, description="Its units in all.")
    activation: str | None = Field(default=None, description="Its activation.")
    loss: float | None = Field(default=None, description="Training loss now (smoothed).")
    best: float | None = Field(default=None, description="Best training loss so far.")
    best_step: int | None = Field(default=None, description="The step of that best.")
    start: float | None = Field(default=None, description="Training loss at step 0.")


class LayerParams(BaseModel):
    """One affine layer a = Wx + b: its parameters and the gradient of the last step."""

    name: str = Field(description='The lecture\'s name: "W", "U", or "W1", "W2", … .')
    W: TypedArray = Field(description="Weights, shape (out, in).")
    b: TypedArray = Field(description="Biases, shape (out,).")
    dW: TypedArray | None = Field(  # noqa: N815 (the lecture's name)
        description="∂J/∂W, batch mean (loss sign), on the current minibatch: the one "
        "being stepped between phases, otherwise the one the next update will use."
    )
    db: TypedArray | None = Field(description="∂J/∂b on the same minibatch.")


class DatasetOut(BaseModel):
    """The points, so a client can draw them under the boundary."""

    x_train: TypedArray = Field(description="(n, 2) coordinates x₁, x₂ of the training points.")
    y_train: TypedArray = Field(description="(n,) class labels.")
    x_test: TypedArray = Field(description="(m, 2) test points.")
    y_test: TypedArray = Field(description="(m,) test labels.")
    extent: list[float] = Field(description="[x1min, x1max, x2min, x2max] of the grid.")
    classes: int = Field(description="K.")


class TimelineOut(BaseModel):
    """Which steps of the run can be revisited, and which one is shown."""

    first: int | None = Field(
        description="The earliest step that can be shown again (null: none yet); every step "
        "from it to `now` can (see docs/api.md, Time travel)."
    )
    now: int = Field(description="The live session's step.")
    at: int | None = Field(
        default=None,
        description="The past step these values are from; null when they are live.",
    )
    data: int = Field(
        description="Version of the points these values were trained on: it changes when "
        "points are edited, so a client showing a past step knows to fetch them again."
    )


class SessionState(BaseModel):
    """Everything about one session except the big maps (see …/boundary)."""

    id: str = Field(description="The session id: keep it secret, it is the only key.")
    config: ConfigOut
    convention: ConventionModel
    step: int = Field(description="SGD updates done.")
    epoch: float = Field(description="Examples seen / training-set size.")
    phase: str = Field(
        description='Last phase completed: "ready" (between steps), "forward", "backward" or '
        '"update".'
    )
    layer_names: list[str] = Field(description='Weight matrices in order, e.g. ["W", "U"].')
    metrics: Metrics
    layers: list[LayerParams]
    dataset: DatasetOut
    diverged: bool
    divergence: str | None = Field(
        description="What went wrong and how to recover (reset or a smaller learning rate)."
    )
    health: list[HealthWarning] = Field(
        default_factory=list,
        description="Warnings about training that went wrong without overflowing; [] if none.",
    )
    limits: dict[str, Any] = Field(description="The server limits that apply to this session.")
    timeline: TimelineOut


class BranchIn(BaseModel):
    """Where to branch: a past step of the session (default: its current step), and what
    to change there (default: nothing)."""

    model_config = ConfigDict(extra="forbid")

    step: int | None = Field(
        default=None, description="A step from timeline.first to the current step."
    )
    config: ConfigIn | None = Field(
        default=None,
        description="A partial configuration applied to the branch at `step`, in the shape "
        "of PATCH …/config. `train` fields change as they do live; `model.activation` and "
        "`model.init_seed` keep the parameters and optimiser state, and the branch goes on "
        "from `step`. A change of the network's shape or data (`model.hidden`, "
        "`model.features`, `model.model`, `data.*`) is refused with 422 naming the field.",
        examples=[{"model": {"activation": "tanh"}}, {"train": {"learning_rate": 1.0}}],
    )


class ResetOut(BaseModel):
    """After a reset: new parameters from the same seeds, step 0, data and points kept."""

    state: SessionState
