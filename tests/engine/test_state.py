"""Save and load: JSON round trip, then training continues bit-identically."""

import json

import numpy as np
import pytest

from engine import Config, ConfigError, Trainer


def params_of(trainer):
    return [(layer.W.copy(), layer.b.copy()) for layer in trainer.layers]


def assert_same(a, b):
    for (Wa, ba), (Wb, bb) in zip(params_of(a), params_of(b), strict=True):
        assert np.array_equal(Wa, Wb) and np.array_equal(ba, bb)


CONFIGS = [
    {},
    {"train": {"momentum": 0.9, "l2": 0.01, "batch_size": 7}},
    {
        "data": {"dataset": "spiral", "classes": 3},
        "model": {"hidden": [6, 5], "activation": "tanh"},
    },
    {"model": {"model": "logistic", "hidden": [], "features": ["x1", "x2", "x1^2", "x2^2"]}},
]


@pytest.mark.parametrize("config", CONFIGS)
def test_load_continues_bit_identically(config):
    a = Trainer(Config.from_dict(config))
    a.train(37)  # mid-epoch
    state = json.loads(json.dumps(a.to_state()))  # through real JSON text
    b = Trainer.from_state(state)
    assert b.step == a.step and b.epoch == a.epoch and b.config == a.config
    assert_same(a, b)
    ma, mb = a.train(123), b.train(123)
    assert_same(a, b)
    assert ma.train_loss == mb.train_loss and ma.test_accuracy == mb.test_accuracy
    np.testing.assert_array_equal(a.history.train_loss, b.history.train_loss)
    np.testing.assert_array_equal(a.history.step, b.history.step)


def test_state_keeps_custom_points_history_and_divergence():
    a = Trainer()
    a.add_points(np.array([[0.1, 0.2]]), np.array([1]), split="test")
    a.train(150)
    b = Trainer.from_state(json.loads(json.dumps(a.to_state())))
    np.testing.assert_array_equal(a.dataset.x_test, b.dataset.x_test)
    assert len(b.history) == len(a.history)
    c = Trainer(Config.from_dict({"train": {"learning_rate": 10.0}}))
    c.train(10)
    d = Trainer.from_state(json.loads(json.dumps(c.to_state())))
    assert d.diverged and d.divergence == c.divergence


def test_reset_after_a_load_restores_the_initial_parameters():
    # the initial weights depend on the generated training set's feature RMS, not on the
    # custom points, so a loaded session resets to what the original one started from
    a = Trainer()
    initial = params_of(a)
    a.add_points(np.array([[9.0, -9.0], [8.0, 8.0]]), np.array([0, 1]))
    a.remove_points([0, 1, 2])
    a.train(20)
    b = Trainer.from_state(json.loads(json.dumps(a.to_state())))
    for t in (a, b):
        t.reset()
        for (W, bias), (W0, b0) in zip(params_of(t), initial, strict=True):
            assert np.array_equal(W, W0) and np.array_equal(bias, b0)


@pytest.mark.parametrize("phase", ["forward", "backward"])
def test_load_in_the_middle_of_a_step(phase):
    a = Trainer(Config.from_dict({"train": {"momentum": 0.5}}))
    a.train(12)
    a.forward_phase()
    if phase == "backward":
        a.backward_phase()
    b = Trainer.from_state(json.loads(json.dumps(a.to_state())))
    assert b.phase == phase
    if phase == "forward":
        a.backward_phase()
        b.backward_phase()
    a.update_phase()
    b.update_phase()
    a.train(20)
    b.train(20)
    assert_same(a, b)


def test_load_rejects_unknown_versions():
    state = Trainer().to_state()
    state["version"] = 99
    with pytest.raises(ConfigError) as info:
        Trainer.from_state(state)
    assert info.value.field == "state.version"


def test_state_is_strict_json_even_after_divergence():
    t = Trainer(
        Config.from_dict(
            {
                "data": {"dataset": "spiral", "classes": 3},
                "train": {"learning_rate": 10.0, "momentum": 0.9},
            }
        )
    )
    t.train(200)
    assert t.diverged
    text = json.dumps(t.to_state(), allow_nan=False)  # raises on NaN/inf
    b = Trainer.from_state(json.loads(text))
    assert_same(t, b)
    np.testing.assert_array_equal(b.history.train_loss, t.history.train_loss)
    t.set_hyperparameters(learning_rate=0.01)
    b.set_hyperparameters(learning_rate=0.01)
    t.train(30)
    b.train(30)
    assert_same(t, b)


def test_malformed_states_raise_config_errors():
    good = Trainer().to_state()
    broken = dict(good, dataset={"x_train": "nope"})
    with pytest.raises(ConfigError) as info:
        Trainer.from_state(broken)
    assert info.value.field == "state"
    bad_config = dict(good, config={"train": {"learning_rate": 99}})
    with pytest.raises(ConfigError) as info:
        Trainer.from_state(bad_config)
    assert info.value.field == "train.learning_rate"
