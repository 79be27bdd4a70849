"""Frozen, validated configuration of a training session: data, model and training.

Each dataclass validates itself on construction, so an invalid configuration cannot
exist; every failure is a :class:`~engine.bounds.ConfigError` naming the dotted field.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from engine.bounds import (
    BOUNDS,
    TWO_CLASS_DATASETS,
    ConfigError,
    check_choice,
    check_range,
    check_subset,
)


def _set(obj: object, name: str, value: Any) -> None:
    object.__setattr__(obj, name, value)


@dataclass(frozen=True)
class DataConfig:
    """Which points the network learns from."""

    dataset: str = "circle"  # the first TF Playground shape: not linearly separable in x₁, x₂
    classes: int = 2  # K; circle/xor/gauss/moons are two-class shapes
    noise: float = 0.1  # a little spread, still separable enough for ≥ 97 % test accuracy
    points: int = 400  # enough to see a boundary, few enough to draw every point
    train_ratio: float = 0.8  # the usual 80/20 train/test split
    seed: int = 0  # seed of the generator and of the split

    def __post_init__(self) -> None:
        check_choice("data.dataset", self.dataset)
        check_range("data.classes", self.classes, integer=True)
        if self.dataset in TWO_CLASS_DATASETS and self.classes != 2:
            raise ConfigError(
                "data.classes",
                f"data.classes must be 2 for the {self.dataset} data set (got {self.classes}); "
                "spiral and blobs take 2 to 6",
            )
        check_range("data.noise", self.noise)
        check_range("data.points", self.points, integer=True)
        if self.points < 2 * self.classes:
            raise ConfigError(
                "data.points",
                f"data.points must be at least {2 * self.classes} for {self.classes} classes "
                f"(got {self.points})",
            )
        check_range("data.train_ratio", self.train_ratio)
        check_range("data.seed", self.seed, integer=True)
        _set(self, "noise", float(self.noise))
        _set(self, "train_ratio", float(self.train_ratio))


DEFAULT_HIDDEN: dict[str, tuple[int, ...]] = {"mlp": (8,), "logistic": ()}
"""The hidden layers each model gets when none are given."""


@dataclass(frozen=True)
class ModelConfig:
    """The network: x = φ(x₁, x₂) → (z = Wx + b → h = f(z)) × L → v = Uh + c → o."""

    model: str = "mlp"  # the lecture's MLP with a softmax output
    # None: the model's own default, (8,) for "mlp" (one hidden layer as in the lecture; 8
    # units fit circle/xor) and () for "logistic", so model="logistic" alone is complete;
    # after construction always a tuple
    hidden: tuple[int, ...] | None = None
    activation: str = "relu"  # the lecture's h = max(z, 0)
    features: tuple[str, ...] = ("x1", "x2")  # the raw coordinates, nothing engineered
    init_seed: int = 0  # seed of the initial weights

    def __post_init__(self) -> None:
        check_choice("model.model", self.model)
        hidden = self.hidden if self.hidden is not None else DEFAULT_HIDDEN[self.model]
        layers = BOUNDS["model.hidden"]
        units = BOUNDS["model.hidden.units"]
        message = (
            f"model.hidden must be a list of {layers.min} to {layers.max} layer widths, "
            f"each between {units.min} and {units.max}"
        )
        if isinstance(hidden, str | bytes) or not isinstance(hidden, tuple | list):
            raise ConfigError("model.hidden", f"{message} (got {hidden!r})")
        if not (layers.min <= len(hidden) <= layers.max) or any(
            isinstance(u, bool) or not isinstance(u, int) or not (units.min <= u <= units.max)
            for u in hidden
        ):
            raise ConfigError("model.hidden", f"{message} (got {list(hidden)!r})")
        if self.model == "logistic" and len(hidden) > 0:
            raise ConfigError(
                "model.hidden",
                f"model.hidden must be empty for logistic regression (got {list(hidden)!r}); "
                'use model "mlp" for hidden layers',
            )
        _set(self, "hidden", tuple(hidden))
        check_choice("model.activation", self.activation)
        check_subset("model.features", self.features)
        _set(self, "features", tuple(self.features))
        check_range("model.init_seed", self.init_seed, integer=True)


@dataclass(frozen=True)
class TrainConfig:
    """Minibatch SGD: θ ← θ − η(∂J/∂θ + λθ), optionally with momentum μ."""

    learning_rate: float = 0.1  # η; stable for the default network and data
    batch_size: int = 10  # m; small enough to see the noise of stochastic gradients
    l2: float = 0.0  # λ; no regularisation, as in the lecture
    momentum: float = 0.0  # μ; plain SGD, as in the lecture
    seed: int = 0  # seed of the minibatch sampling

    def __post_init__(self) -> None:
        check_range("train.learning_rate", self.learning_rate)
        check_range("train.batch_size", self.batch_size, integer=True)
        check_range("train.l2", self.l2)
        check_range("train.momentum", self.momentum)
        check_range("train.seed", self.seed, integer=True)
        _set(self, "learning_rate", float(self.learning_rate))
        _set(self, "l2", float(self.l2))
        _set(self, "momentum", float(self.momentum))


_SECTIONS: dict[str, type] = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig}


@dataclass(frozen=True)
class Config:
    """The whole session configuration."""

    data: DataConfig = field(default_factory=DataConfig)  # the points
    model: ModelConfig = field(default_factory=ModelConfig)  # the network
    train: TrainConfig = field(default_factory=TrainConfig)  # the optimiser

    @property
    def classes(self) -> int:
        """K, the number of output classes."""
        return self.data.classes

    @property
    def output(self) -> str:
        """ "sigmoid" for binary logistic regression, else "softmax"."""
        if self.model.model == "logistic" and self.data.classes == 2:
            return "sigmoid"
        return "softmax"

    def to_dict(self) -> dict[str, Any]:
        """Nested plain dict (tuples as lists), the inverse of :meth:`from_dict`."""
        out: dict[str, Any] = {}
        for name in _SECTIONS:
            section = dataclasses.asdict(getattr(self, name))
            out[name] = {k: list(v) if isinstance(v, tuple) else v for k, v in section.items()}
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> Config:
        """Build from a nested dict; every key optional, unknown keys are a ConfigError."""
        return cls().merged(d or {})

    def merged(self, partial: dict[str, Any]) -> Config:
        """A new Config with the nested ``partial`` dict applied on top of this one."""
        if not isinstance(partial, dict):
            raise ConfigError("config", f"config must be an object (got {partial!r})")
        sections: dict[str, Any] = {}
        for name, value in partial.items():
            if name not in _SECTIONS:
                raise ConfigError(
                    str(name),
                    f"unknown configuration section {name!r}; expected one of data, model, train",
                )
            if not isinstance(value, dict):
                raise ConfigError(name, f"{name} must be an object (got {value!r})")
            current = getattr(self, name)
            known = {f.name for f in dataclasses.fields(current)}
            for key in value:
                if key not in known:
                    raise ConfigError(
                        f"{name}.{key}",
                        f"unknown field {name}.{key}; expected one of {', '.join(sorted(known))}",
                    )
            if (
                name == "model"
                and value.get("model", current.model) != current.model
                and "hidden" not in value
            ):
                # a new kind of model without its own layers gets that model's default
                # (logistic regression has none), not the old model's layers
                value = {**value, "hidden": None}
            sections[name] = dataclasses.replace(current, **value)
        return dataclasses.replace(self, **sections)


def validate(config: Config) -> Config:
    """Check every bound again (the dataclasses already do on construction); return config."""
    if not isinstance(config, Config):
        raise ConfigError("config", f"config must be a Config (got {type(config).__name__})")
    for name in _SECTIONS:
        section = getattr(config, name)
        dataclasses.replace(section)  # re-runs __post_init__
    return config
