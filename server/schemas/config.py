"""The configuration a client sends: every field optional, ranges from the engine's BOUNDS.

The engine validates the values (one source of truth for every bound); these models check
only types and unknown keys, and show each range in `/docs`.
"""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from engine import BOUNDS


def _bound(name: str) -> dict[str, Any]:
    """The JSON-schema decoration of the field `name` from the engine's BOUNDS table."""
    bound = BOUNDS[name]
    extra: dict[str, Any] = {}
    if bound.choices is not None:
        extra["enum"] = list(bound.choices)
    if bound.min is not None:
        extra["minimum"] = bound.min
    if bound.max is not None:
        extra["maximum"] = bound.max
    return extra


def field(name: str, example: Any) -> Any:
    """An optional field documented from BOUNDS[name]."""
    return Field(
        default=None,
        description=BOUNDS[name].description,
        examples=[example],
        json_schema_extra=_bound(name),
    )


class _Partial(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataConfigIn(_Partial):
    """The points: which generator, how many, how noisy, and the train/test split."""

    dataset: str | None = field("data.dataset", "circle")
    classes: int | None = field("data.classes", 2)
    noise: float | None = field("data.noise", 0.1)
    points: int | None = field("data.points", 400)
    train_ratio: float | None = field("data.train_ratio", 0.8)
    seed: int | None = field("data.seed", 0)


class ModelConfigIn(_Partial):
    """The network: x = φ(x₁, x₂) → z = Wx + b → h = f(z) → v = Uh + c → o = softmax(v)."""

    model: str | None = field("model.model", "mlp")
    hidden: list[int] | None = Field(
        default=None,
        description=BOUNDS["model.hidden"].description
        + f" Each width between {BOUNDS['model.hidden.units'].min} and "
        f"{BOUNDS['model.hidden.units'].max}.",
        examples=[[8]],
        json_schema_extra={"maxItems": BOUNDS["model.hidden"].max},
    )
    activation: str | None = field("model.activation", "relu")
    features: list[str] | None = Field(
        default=None,
        description=BOUNDS["model.features"].description,
        examples=[["x1", "x2"]],
        json_schema_extra={"items": {"enum": list(BOUNDS["model.features"].choices or ())}},
    )
    init_seed: int | None = field("model.init_seed", 0)


class TrainConfigIn(_Partial):
    """Minibatch SGD; every field here changes live, without reinitialising."""

    learning_rate: float | None = field("train.learning_rate", 0.1)
    batch_size: int | None = field("train.batch_size", 10)
    l2: float | None = field("train.l2", 0.0)
    momentum: float | None = field("train.momentum", 0.0)
    seed: int | None = field("train.seed", 0)


class ConfigIn(_Partial):
    """A (partial) configuration. Omitted fields keep their default or current value.

    The defaults are the lecture's network: one ReLU hidden layer of 8 units, softmax
    output, negative log-likelihood, minibatch SGD, on the 2-class "circle" data set.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {},
                {"train": {"learning_rate": 0.03}},
                {"data": {"dataset": "spiral", "classes": 3}, "model": {"hidden": [16, 16]}},
            ]
        },
    )

    data: DataConfigIn | None = Field(default=None, description="The data set.")
    model: ModelConfigIn | None = Field(default=None, description="The network.")
    train: TrainConfigIn | None = Field(default=None, description="The optimiser.")

    def partial(self) -> dict[str, Any]:
        """Only what the client sent, as the nested dict the engine merges."""
        return self.model_dump(exclude_none=True)


class ConfigOut(BaseModel):
    """A complete configuration, every field present."""

    data: dict[str, Any] = Field(
        description="dataset, classes, noise, points, train_ratio, seed",
        examples=[
            {
                "dataset": "circle",
                "classes": 2,
                "noise": 0.1,
                "points": 400,
                "train_ratio": 0.8,
                "seed": 0,
            }
        ],
    )
    model: dict[str, Any] = Field(
        description="model, hidden, activation, features, init_seed",
        examples=[
            {
                "model": "mlp",
                "hidden": [8],
                "activation": "relu",
                "features": ["x1", "x2"],
                "init_seed": 0,
            }
        ],
    )
    train: dict[str, Any] = Field(
        description="learning_rate, batch_size, l2, momentum, seed",
        examples=[{"learning_rate": 0.1, "batch_size": 10, "l2": 0.0, "momentum": 0.0, "seed": 0}],
    )


class ConfigChange(BaseModel):
    """What PATCH …/config did."""

    config: ConfigOut = Field(description="The configuration now in force.")
    reinitialised: bool = Field(
        description="True if the model or data changed, so the parameters, step count and "
        "history were reset; False if only live settings changed (learning rate, batch "
        "size, L2, momentum) and training goes on from where it was.",
        examples=[False],
    )
    changed: list[str] = Field(
        description="The dotted fields whose value actually changed.",
        examples=[["train.learning_rate"]],
    )
