"""Time travel: Trainer.at(t) is the run exactly as it was after t updates.

Every comparison is bit for bit (np.array_equal, not a tolerance): the timeline replays
the same arithmetic, so anything less than identical is a bug.
"""

import gc
import tracemalloc

import numpy as np
import pytest

import engine.timeline as timeline_module
from engine import Config, ConfigError, Trainer
from engine.metrics import MAX_HISTORY_BYTES, MAX_ROWS, RECENT_ROWS, History, Metrics


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
    assert live.timeline.nbytes <= 400_000  # worlds and configs included
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


# ---------------------------------------------------------------- the memory bound


def held(t: Trainer) -> int:
    """What time travel and the curves hold: the whole timeline and the history."""
    return t.timeline.nbytes + t.history.nbytes


def freed_by_dropping_the_timeline(live: Trainer) -> int:
    """What Python frees when the trainer lets go of its timeline (tracemalloc)."""
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    live.timeline = timeline_module.Timeline()
    gc.collect()
    return before - tracemalloc.get_traced_memory()[0]


@pytest.mark.parametrize("change", ["none", "learning_rate", "points"])
def test_the_timeline_counts_all_it_holds(change):
    """nbytes is measured, not estimated: it is at least what dropping the timeline frees
    (checkpoints, data copies, configs, RNG states, object headers), and not far above."""
    tracemalloc.start()
    try:
        live = Trainer(Config.from_dict({"data": {"points": 1000}}))
        rng = np.random.default_rng(0)
        for i in range(30):
            if change == "learning_rate":
                live.set_hyperparameters(learning_rate=0.05 + 0.01 * (i % 10))
            elif change == "points":
                live.add_points(rng.normal(size=(2, 2)), np.array([0, 1]))
            live.train(40)
        counted = live.timeline.nbytes
        freed = freed_by_dropping_the_timeline(live)
    finally:
        tracemalloc.stop()
    assert freed <= counted <= 1.5 * freed + 10_000, (freed, counted)


def test_a_new_config_shares_the_copy_of_the_points():
    live = Trainer()
    live.train(100)
    live.set_hyperparameters(learning_rate=0.2)
    live.train(100)
    live.reconfigure({"train": {"momentum": 0.5}})
    checkpoints = live.timeline.checkpoints
    assert len({id(c.config) for c in checkpoints}) == 3
    assert live.timeline.worlds == 1
    live.add_points(np.array([[0.1, 0.2]]), np.array([1]))
    live.train(1)
    assert live.timeline.worlds == 2


def test_many_learning_rate_changes_share_one_copy_of_the_data():
    """The audit's case: 2,000 points and 300 η changes held 256 copies of the data."""
    live = Trainer(Config.from_dict({"data": {"points": 2000}}))
    seen = {}
    for i in range(300):
        live.set_hyperparameters(learning_rate=0.05 + 0.01 * (i % 10))
        live.train(7)
        seen[live.step] = snapshot(live)
    timeline = live.timeline
    assert timeline.worlds == 1
    assert sum(c.anchor for c in timeline.checkpoints) == timeline_module.MAX_ANCHORS
    assert timeline.nbytes <= timeline_module.MAX_BYTES
    first = timeline.first_step
    assert first > 0  # past MAX_ANCHORS the oldest part is forgotten
    for step in range(first + 7 - first % 7, live.step + 1, 97 * 7):
        assert equal_snapshot(live.at(step), seen[step]), step


def test_many_point_edits_stay_within_the_budget_and_exact():
    """Each edit makes a new copy of 2,000 points (about 80 KB): the budget forgets the
    oldest part of the run instead of growing, and what remains comes back exactly."""
    live = Trainer(Config.from_dict({"data": {"points": 2000}}))
    rng = np.random.default_rng(0)
    seen = {}
    most = 0
    for _ in range(300):
        if live.dataset.size > 1990:
            live.remove_points(list(range(20)))
        live.add_points(rng.normal(size=(2, 2)), np.array([0, 1]))
        live.train(7)
        seen[live.step] = snapshot(live)
        most = max(most, live.timeline.nbytes)
    timeline = live.timeline
    assert most <= timeline_module.MAX_BYTES
    assert timeline.worlds > 50  # the edits are kept as far back as the budget allows
    assert timeline.first_step > 0
    for step in [s for s in seen if s >= timeline.first_step][::25]:
        assert equal_snapshot(live.at(step), seen[step]), step


def test_a_long_run_with_changes_and_frames_stays_within_the_stated_bound():
    """100,000 steps, an η change every 5,000, and the metrics of every 20 steps read
    (as a stream's frames do, each a history row): the timeline and the history together
    hold at most MAX_BYTES + MAX_HISTORY_BYTES, and the curves still cover the run."""
    live = Trainer()
    most = 0
    while live.step < 100_000:
        if live.step % 5000 == 0:
            live.set_hyperparameters(learning_rate=0.1 if live.step % 10_000 else 0.05)
        live.train(20).train_loss  # noqa: B018 - reading it makes the row
        most = max(most, live.timeline.nbytes)
    assert most <= timeline_module.MAX_BYTES
    assert len(live.history) <= MAX_ROWS
    assert held(live) <= timeline_module.MAX_BYTES + MAX_HISTORY_BYTES
    steps = live.history.step
    assert steps[0] == 0 and steps[-1] == 100_000
    assert np.diff(steps[:-RECENT_ROWS]).max() <= 2 * live.history.stride
    assert live.timeline.first_step == 0


def test_the_deepest_network_s_history_fits_its_byte_bound():
    config = Config.from_dict({"model": {"hidden": [1] * 6}})
    live = Trainer(config)
    for _ in range(MAX_ROWS + 1):
        live.train(1).train_loss  # noqa: B018
    assert len(live.history) <= MAX_ROWS // 2 + 1  # thinned once
    rows = live.history.nbytes / len(live.history)
    assert (MAX_ROWS + 1) * rows <= MAX_HISTORY_BYTES


# ---------------------------------------------------------------- history thinning


def row(step: int) -> Metrics:
    return Metrics(step, step / 10, 1.0 / (step + 1), 0.5, 0.9, 0.8, {"W": 0.1}, 0,
                   np.zeros((2, 2), dtype=np.int64), False)  # fmt: skip


def test_a_thinned_history_keeps_row_0_the_newest_rows_and_even_coverage():
    history = History(["W"])
    for step in range(0, 30_000, 3):
        history.record(row(step))
        assert len(history) <= MAX_ROWS
    steps = history.step
    assert steps[0] == 0 and steps[-1] == 29_997
    assert list(steps[-RECENT_ROWS:]) == list(range(29_997 - 3 * (RECENT_ROWS - 1), 30_000, 3))
    stride = history.stride
    assert stride > 3
    assert np.diff(steps).max() <= 2 * stride  # the whole run, evenly covered
    # the part thinned last keeps the first row of every stride steps
    buckets = steps // stride
    thinned = np.argmax(np.diff(buckets) == 0)  # where the rows recorded since begin
    assert thinned > MAX_ROWS // 8
    assert np.array_equal(buckets[:thinned], np.arange(thinned))
    # every kept row is the row recorded at its step, unchanged
    assert np.array_equal(history.train_loss, 1.0 / (steps + 1))
    assert len(history) >= MAX_ROWS // 4  # thinned to about half, not to nothing


def test_since_after_thinning_gives_only_newer_rows():
    history = History(["W"])
    for step in range(MAX_ROWS):
        history.record(row(step))
    last = int(history.step[-1])
    history.record(row(MAX_ROWS))  # one row too many: thinned
    assert len(history) <= MAX_ROWS // 2
    assert list(history.since(last)["step"]) == [MAX_ROWS]
    assert list(history.since(MAX_ROWS)["step"]) == []


def test_a_long_saved_history_is_thinned_when_loaded():
    history = History(["W"])
    history._rows = [
        (s, 0.0, 1.0, 1.0, 0.5, 0.5, (0.1,)) for s in range(0, 10 * MAX_ROWS, 5)
    ]  # as saved before the bound
    loaded = History.from_state(history.to_state())
    assert len(loaded) <= MAX_ROWS // 2
    assert loaded.step[0] == 0 and loaded.step[-1] == 10 * MAX_ROWS - 5


# ---------------------------------------------------------------- a branch with a change


def test_a_branch_with_another_activation_keeps_step_t_and_then_differs():
    live = Trainer()  # ReLU
    live.train(1000)
    branch = live.at(400)
    config, reinitialised = branch.reconfigure(
        {"model": {"activation": "tanh"}}, keep_parameters=True
    )
    assert not reinitialised and config.model.activation == "tanh"
    assert branch.step == 400 and same_parameters(branch, live.at(400))
    # the curve's row at the branch point is measured with tanh, as metrics() is now
    assert branch.history.step[-1] == 400
    assert branch.history.train_loss[-1] == branch.metrics().train_loss
    assert branch.history.train_loss[-1] != live.at(400).metrics().train_loss
    # the same minibatch comes next, and the update is θ − η ∂J/∂θ with tanh's gradient
    original = live.at(400)
    assert np.array_equal(branch.trace_batch().x_raw, original.trace_batch().x_raw)
    before, grads = branch.parameters(), branch.grads()
    assert not all(np.array_equal(grads[k], original.grads()[k]) for k in grads)
    branch.train(1)
    for name, value in branch.parameters().items():
        # (the optimiser folds η into the gradient: equal up to rounding)
        assert np.allclose(value, before[name] - 0.1 * grads[name], rtol=1e-12, atol=1e-15), name
    branch.train(99)
    assert not same_parameters(branch, live.at(500))
    # the branch's own past goes back through the change, exactly
    assert same_parameters(branch.at(400), live.at(400))
    assert branch.at(450).config.model.activation == "tanh"
    assert same_parameters(branch.at(500), branch)
    assert live.config.model.activation == "relu"


def test_a_branch_with_another_learning_rate_diverges_and_one_without_does_not():
    live = Trainer()
    live.train(300)
    recorded = []  # the original's live parameters after each of the next 100 updates
    for _ in range(100):
        live.train(1)
        recorded.append(snapshot(live))
    same = live.at(300)
    same.reconfigure({}, keep_parameters=True)
    for i, params in enumerate(recorded):
        same.train(1)
        assert equal_snapshot(same, params), 301 + i
    faster = live.at(300)
    faster.reconfigure({"train": {"learning_rate": 0.5}}, keep_parameters=True)
    faster.train(1)
    assert not equal_snapshot(faster, recorded[0])
    faster.train(99)
    assert not equal_snapshot(faster, recorded[-1])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"model": {"hidden": [16]}}, "model.hidden"),
        ({"model": {"features": ["x1", "x2", "x1*x2"]}}, "model.features"),
        ({"model": {"model": "logistic"}}, "model.model"),
        ({"data": {"points": 200}}, "data.points"),
        ({"data": {"dataset": "xor"}}, "data.dataset"),
    ],
)
def test_a_branch_refuses_a_change_of_shape_or_data_naming_the_field(change, field):
    live = Trainer()
    live.train(100)
    branch = live.at(50)
    with pytest.raises(ConfigError) as error:
        branch.reconfigure({**change, "train": {"learning_rate": 0.3}}, keep_parameters=True)
    assert error.value.field == field
    assert "keeps the network's shape and data" in str(error.value)
    assert branch.config == live.at(50).config and same_parameters(branch, live.at(50))
    assert branch.step == 50


def test_the_biggest_anchors_stay_within_the_budget_and_keep_their_gradient_norms():
    """Six layers of 64 on every feature, the whole batch and momentum: an anchor keeps
    four parameter buffers and the last gradients (not the per-example δ's, 2 MB here and
    10 MB for 1,600 training points), so a dozen of them fit the budget by forgetting
    the oldest."""
    features = ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin_x1", "sin_x2"]
    config = Config.from_dict(
        {
            "model": {"hidden": [64] * 6, "features": features},
            "train": {"momentum": 0.9, "batch_size": 400},
        }
    )
    live = Trainer(config)
    norms = {}
    most = 0
    for i in range(12):
        live.set_hyperparameters(learning_rate=0.01 + 0.001 * i)
        live.train(1)
        norms[live.step] = live.metrics().grad_norms
        most = max(most, live.timeline.nbytes)
    assert max(c.nbytes for c in live.timeline.checkpoints) < 2**20
    assert most <= timeline_module.MAX_BYTES
    assert live.timeline.first_step > 0  # a dozen anchors do not fit: the oldest went
    for step in range(live.timeline.first_step, live.step + 1):
        assert live.at(step).metrics().grad_norms == norms[step], step
