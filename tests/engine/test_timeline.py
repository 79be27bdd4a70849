"""Time travel: Trainer.at(t) is the run exactly as it was after t updates.

Every comparison is bit for bit (np.array_equal, not a tolerance): the timeline replays
the same arithmetic, so anything less than identical is a bug.
"""

import numpy as np
import pytest

import engine.timeline as timeline_module
from engine import Config, ConfigError, Trainer


def same_parameters(a: Trainer, b: Trainer) -> bool:
    pa, pb = a.parameters(), b.parameters()
    return pa.keys() == pb.keys() and all(np.array_equal(pa[k], pb[k]) for k in pa)


def snapshot(t: Trainer) -> dict[str, np.ndarray]:
    return {k: v.copy() for k, v in t.parameters().items()}


def equal_snapshot(t: Trainer, snap: dict[str, np.ndarray]) -> bool:
    p = t.parameters()
    return p.keys() == snap.keys() and all(np.array_equal(p[k], snap[k]) for k in p)


def test_step_1234_of_5000_equals_a_fresh_run_stopped_there():
    live = Trainer()
    live.train(5000)
    fresh = Trainer()
    fresh.train(1234)
    past = live.at(1234)
    assert past.step == 1234 and past.epoch == fresh.epoch
    assert same_parameters(past, fresh)
    assert live.step == 5000  # the live run is untouched


def test_momentum_and_l2_runs_are_exact_too():
    config = Config.from_dict({"train": {"momentum": 0.9, "l2": 0.001, "batch_size": 7}})
    live = Trainer(config)
    live.train(3000)
    fresh = Trainer(config)
    fresh.train(2077)
    assert same_parameters(live.at(2077), fresh)


def test_replayed_backward_pass_equals_the_one_computed_live():
    live = Trainer()
    live.train(1233)
    forward_then = live.forward_phase()
    backward_then = live.backward_phase()
    live.update_phase()
    live.train(5000 - live.step)

    past = live.at(1233)  # the state update 1234 started from
    forward_now = past.forward_phase()
    backward_now = past.backward_phase()
    assert [q.symbol for q in backward_now.quantities] == [
        q.symbol for q in backward_then.quantities
    ]
    for then, now in zip(
        [*forward_then.quantities, *backward_then.quantities],
        [*forward_now.quantities, *backward_now.quantities],
        strict=True,
    ):
        assert np.array_equal(then.value, now.value), then.symbol
    past.update_phase()
    assert same_parameters(past, live.at(1234))


def test_a_branch_with_the_same_config_repeats_the_original():
    live = Trainer()
    live.train(2000)
    branch = live.at(800)
    branch.train(100)
    assert same_parameters(branch, live.at(900))
    # and a branch with another learning rate is a different run from the same start
    other = live.at(800)
    other.set_hyperparameters(learning_rate=1.0)
    other.train(100)
    assert not same_parameters(other, live.at(900))


def test_every_step_of_a_run_with_every_kind_of_change():
    """Record the live parameters after each update of a run that changes η, edits
    points, sets a weight by hand, re-seeds, steps by phases and changes η mid-step; then
    every one of those steps must come back exactly."""
    live = Trainer()
    seen: dict[int, dict[str, np.ndarray]] = {0: snapshot(live)}

    def train(n: int) -> None:
        for _ in range(n):
            live.train(1)
            seen[live.step] = snapshot(live)

    train(37)
    live.set_hyperparameters(learning_rate=0.3, batch_size=5)
    seen[live.step] = snapshot(live)
    train(40)
    live.add_points(np.array([[0.5, 0.5], [-0.5, 0.2]]), np.array([1, 0]))
    train(25)
    U = live.parameters()["U"].copy()
    U[:, 0] = 0.0
    live.set_parameter("U", U)
    seen[live.step] = snapshot(live)
    train(30)
    live.reconfigure({"train": {"seed": 7, "momentum": 0.5}})
    train(20)
    live.forward_phase()
    live.set_hyperparameters(learning_rate=0.05)  # mid-step: update uses the new η
    live.backward_phase()
    live.update_phase()
    seen[live.step] = snapshot(live)
    live.remove_points([0, 1, 2])
    train(50)

    for step, params in seen.items():
        assert equal_snapshot(live.at(step), params), step


def test_the_points_of_then_come_back_with_the_step():
    live = Trainer()
    live.train(50)
    n = len(live.dataset.y_train)
    live.add_points(np.array([[0.1, 0.1]]), np.array([0]))
    live.train(50)
    assert len(live.at(40).dataset.y_train) == n
    assert len(live.at(60).dataset.y_train) == n + 1


def test_a_divergence_rollback_keeps_the_timeline_exact():
    live = Trainer(
        Config.from_dict({"model": {"activation": "relu"}, "train": {"learning_rate": 10.0}})
    )
    seen = {0: snapshot(live)}
    for _ in range(200):
        live.train(1)
        seen[live.step] = snapshot(live)  # a rollback overwrites the undone step
        if live.diverged:
            break
    assert live.diverged, "η = 10 should diverge within 200 steps"
    for _ in range(30):  # on at the same η: the sampler has moved past the undone step
        live.train(1)
        seen[live.step] = snapshot(live)
    live.set_hyperparameters(learning_rate=0.05)
    for _ in range(30):
        live.train(1)
        seen[live.step] = snapshot(live)
    for step, params in seen.items():
        assert equal_snapshot(live.at(step), params), step


def test_history_of_a_past_step_ends_there():
    live = Trainer()
    live.train(1000)
    past = live.at(450)
    steps = past.history.step
    assert steps[-1] <= 450 and len(steps) > 1
    assert list(steps) == [s for s in live.history.step if s <= 450]


def test_memory_is_bounded_and_seeking_still_exact(monkeypatch):
    monkeypatch.setattr(timeline_module, "MAX_REGULAR", 8)
    live = Trainer()
    live.train(3000)
    regular = [c for c in live.timeline.checkpoints if not c.anchor]
    assert len(regular) <= 8
    assert live.timeline.spacing >= 3000 / 8
    fresh = Trainer()
    fresh.train(2999)
    assert same_parameters(live.at(2999), fresh)


def test_a_reset_starts_a_new_timeline():
    live = Trainer()
    live.train(500)
    live.reset()
    live.train(10)
    assert live.timeline.first_step == 0
    assert same_parameters(live.at(10), live)
    with pytest.raises(ConfigError, match="between 0 and 10"):
        live.at(300)


@pytest.mark.parametrize("step", [-1, 101, 2.5, "3", True])
def test_a_step_outside_the_run_is_refused_with_its_range(step):
    live = Trainer()
    live.train(100)
    with pytest.raises(ConfigError) as error:
        live.at(step)
    assert error.value.field == "step"
    assert "0" in str(error.value) and "100" in str(error.value)


def test_a_loaded_state_starts_its_timeline_at_the_loaded_step():
    live = Trainer()
    live.train(300)
    loaded = Trainer.from_state(live.to_state())
    loaded.train(20)
    assert loaded.timeline.first_step == 300
    assert same_parameters(loaded.at(320), loaded)
    fresh = Trainer()
    fresh.train(310)
    assert same_parameters(loaded.at(310), fresh)


def test_every_step_of_a_momentum_run_comes_back():
    """Light checkpoints keep θ and the live velocity only: a seek must replay through
    them and still give each step's parameters bit for bit."""
    live = Trainer(Config.from_dict({"train": {"momentum": 0.9, "l2": 0.01}}))
    seen = {0: snapshot(live)}
    for _ in range(300):
        live.train(1)
        seen[live.step] = snapshot(live)
    for step, params in seen.items():
        assert equal_snapshot(live.at(step), params), step


def test_a_big_network_stays_within_the_memory_budget(monkeypatch):
    monkeypatch.setattr(timeline_module, "MAX_BYTES", 400_000)
    config = Config.from_dict({"model": {"hidden": [64, 64, 64]}})
    live = Trainer(config)
    live.train(2000)
    assert live.timeline.nbytes <= 400_000 + 2 * live.timeline.checkpoints[0].world.nbytes
    assert live.timeline.first_step == 0
    fresh = Trainer(config)
    fresh.train(1999)
    assert same_parameters(live.at(1999), fresh)


def test_a_light_checkpoint_is_much_smaller_than_an_anchor():
    live = Trainer(Config.from_dict({"model": {"hidden": [64, 64]}}))
    live.train(100)
    anchor, regular = live.timeline.checkpoints[0], live.timeline.checkpoints[-1]
    assert anchor.anchor and not regular.anchor
    assert regular.nbytes < anchor.nbytes / 2
