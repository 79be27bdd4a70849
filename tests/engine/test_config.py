"""Configuration: defaults, round trips, and a ConfigError naming its field for every bound."""

import pytest

from engine import (
    ACTIVATIONS,
    BOUNDS,
    DATASETS,
    FEATURES,
    MAX_RESOLUTION,
    Bound,
    Config,
    ConfigError,
    DataConfig,
    ModelConfig,
    TrainConfig,
    validate,
)


def test_defaults_are_the_lecture_network():
    c = Config()
    assert c.model.model == "mlp"
    assert c.model.hidden == (8,)
    assert c.model.activation == "relu"
    assert c.output == "softmax"
    assert validate(c) is c


def test_round_trip_through_dict():
    c = Config.from_dict(
        {
            "data": {"dataset": "spiral", "classes": 3, "noise": 0.2},
            "model": {"hidden": [4, 4], "features": ["x1", "sin_x2"]},
            "train": {"learning_rate": 0.5, "momentum": 0.9},
        }
    )
    assert c.model.hidden == (4, 4)
    assert c.model.features == ("x1", "sin_x2")
    assert Config.from_dict(c.to_dict()) == c
    assert c.to_dict()["model"]["hidden"] == [4, 4]


def test_merged_changes_only_the_given_fields():
    c = Config().merged({"train": {"batch_size": 32}})
    assert c.train.batch_size == 32
    assert c.train.learning_rate == Config().train.learning_rate
    assert c.data == Config().data


@pytest.mark.parametrize(
    ("partial", "field"),
    [
        ({"bogus": {}}, "bogus"),
        ({"data": {"colour": 1}}, "data.colour"),
        ({"model": {"depth": 3}}, "model.depth"),
        ({"train": {"lr": 0.1}}, "train.lr"),
    ],
)
def test_unknown_keys_name_the_key(partial, field):
    with pytest.raises(ConfigError) as info:
        Config.from_dict(partial)
    assert info.value.field == field
    assert field in str(info.value)


# One violating value per bound; each must produce an error naming exactly that field.
VIOLATIONS = [
    ({"data": {"dataset": "swirl"}}, "data.dataset"),
    ({"data": {"dataset": "spiral", "classes": 7}}, "data.classes"),
    ({"data": {"dataset": "spiral", "classes": 1}}, "data.classes"),
    ({"data": {"dataset": "circle", "classes": 3}}, "data.classes"),
    ({"data": {"dataset": "xor", "classes": 4}}, "data.classes"),
    ({"data": {"noise": -0.1}}, "data.noise"),
    ({"data": {"noise": 1.5}}, "data.noise"),
    ({"data": {"points": 9}}, "data.points"),
    ({"data": {"points": 2001}}, "data.points"),
    ({"data": {"points": 100.5}}, "data.points"),
    ({"data": {"train_ratio": 0.05}}, "data.train_ratio"),
    ({"data": {"train_ratio": 0.95}}, "data.train_ratio"),
    ({"data": {"seed": -1}}, "data.seed"),
    ({"model": {"model": "svm"}}, "model.model"),
    ({"model": {"model": "logistic", "hidden": [8]}}, "model.hidden"),
    ({"model": {"hidden": [8] * 7}}, "model.hidden"),
    ({"model": {"hidden": [0]}}, "model.hidden"),
    ({"model": {"hidden": [65]}}, "model.hidden"),
    ({"model": {"hidden": "8"}}, "model.hidden"),
    ({"model": {"activation": "gelu"}}, "model.activation"),
    ({"model": {"features": []}}, "model.features"),
    ({"model": {"features": ["x3"]}}, "model.features"),
    ({"model": {"features": ["x1", "x1"]}}, "model.features"),
    ({"model": {"init_seed": "a"}}, "model.init_seed"),
    ({"train": {"learning_rate": 50}}, "train.learning_rate"),
    ({"train": {"learning_rate": 0.0}}, "train.learning_rate"),
    ({"train": {"learning_rate": float("nan")}}, "train.learning_rate"),
    ({"train": {"batch_size": 0}}, "train.batch_size"),
    ({"train": {"batch_size": 2001}}, "train.batch_size"),
    ({"train": {"batch_size": True}}, "train.batch_size"),
    ({"train": {"l2": -0.1}}, "train.l2"),
    ({"train": {"l2": 1.5}}, "train.l2"),
    ({"train": {"momentum": 1.0}}, "train.momentum"),
    ({"train": {"momentum": -0.5}}, "train.momentum"),
    ({"train": {"seed": 2**32}}, "train.seed"),
]


@pytest.mark.parametrize(("partial", "field"), VIOLATIONS)
def test_each_bound_raises_a_config_error_naming_its_field(partial, field):
    with pytest.raises(ConfigError) as info:
        Config.from_dict(partial)
    assert info.value.field == field
    assert str(info.value).startswith(field)


def test_every_config_field_has_a_bound_and_a_violation_test():
    fields = {
        f"{section}.{name}"
        for section, cls in (("data", DataConfig), ("model", ModelConfig), ("train", TrainConfig))
        for name in cls.__dataclass_fields__
    }
    assert fields <= set(BOUNDS)
    assert fields <= {field for _, field in VIOLATIONS}


def test_range_message_states_the_range():
    with pytest.raises(ConfigError) as info:
        TrainConfig(learning_rate=50)
    assert str(info.value) == "train.learning_rate must be between 1e-05 and 10 (got 50)"


def test_bounds_table_lists_the_choices():
    assert BOUNDS["data.dataset"].choices == DATASETS
    assert BOUNDS["model.activation"].choices == ACTIVATIONS
    assert BOUNDS["model.features"].choices == FEATURES
    assert BOUNDS["grid.resolution"].max == MAX_RESOLUTION == 200
    assert all(isinstance(b, Bound) for b in BOUNDS.values())
    assert BOUNDS["train.learning_rate"].to_dict()["max"] == 10.0


def test_logistic_needs_no_hidden_layer_and_uses_sigmoid_for_two_classes():
    c = Config.from_dict({"model": {"model": "logistic", "hidden": []}})
    assert c.output == "sigmoid"
    c3 = Config.from_dict(
        {"data": {"dataset": "blobs", "classes": 3}, "model": {"model": "logistic", "hidden": []}}
    )
    assert c3.output == "softmax"
