"""The timeline: any past step of a training run, exactly, in bounded memory.

Training is deterministic. The parameters after step t depend only on the state at an
earlier step s (parameters, optimiser buffers, the sampler's RNG and epoch permutation)
and on the config and data in force between s and t. So the timeline does not store every
step: it keeps *checkpoints*, that state at some steps, and rebuilds step t by replaying
the SGD steps from the nearest checkpoint at or before t with the arithmetic training
used (:func:`~engine.optimizer.sgd_steps`), which makes it bit-identical.

Checkpoints are of two kinds:

* **regular**, every :attr:`Timeline.spacing` steps of plain training. When more than
  :data:`MAX_REGULAR` exist, or the timeline holds more than :data:`MAX_BYTES`, the
  spacing doubles and every other one goes: memory stays bounded however long the run,
  and the longest replay is one spacing, at most 2N / MAX_REGULAR steps for a run of N
  steps (256 for 100,000 with the default network) unless the budget makes it sparser.
  A regular checkpoint is *light*: θ, a live momentum velocity and the sampler, not the
  buffers that would undo its last update, so a seek replays at least one step from the
  checkpoint before (which rebuilds them);
* **anchors**, taken after anything replay could not reproduce: a reset, a changed
  hyperparameter, edited points, a parameter set by hand, a divergence rollback, a
  loaded state. A replay never crosses one, so an anchor keeps the complete state.
  Several changes at one step leave one anchor (the last state wins). Past
  :data:`MAX_ANCHORS`, or when anchors and worlds hold more than half of MAX_BYTES and
  the whole is over it, the oldest part of the run is forgotten and the timeline starts
  at the oldest anchor kept.

A checkpoint refers to the config in force from it on (a small frozen object, shared) and
to the *world* of then: a read-only snapshot of the data set, shared by every checkpoint
trained on the same points. A changed hyperparameter therefore costs an anchor, not a
copy of the data; only edited points (or a new data set) make a new world. Step t comes
back with the points it was trained on, even if points were added later.

**The memory bound.** :data:`MAX_BYTES` counts everything the timeline holds: every
checkpoint *and* every world (each once, however many checkpoints share it), plus the
configs. :attr:`Timeline.nbytes` is that sum, and it stays at most MAX_BYTES whatever the
run does (many hyperparameter changes, many point edits, a long run), as long as a single
anchor and its world fit, which they do for every network and data set the bounds allow
(about 1 MB at most: an anchor keeps the last update's gradients, not its per-example
δ's).

"Step t" is the state after t updates, between steps (phase "ready"): the state from
which update t + 1 is computed. To replay update t phase by phase, go to step t − 1 and
run its forward, backward and update phases: the minibatch is the one it used then.
"""

from __future__ import annotations

import bisect
import sys
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from engine.bounds import ConfigError
from engine.config import Config
from engine.datasets import Dataset
from engine.health import HealthWatch
from engine.network import Backward
from engine.optimizer import SGD, MinibatchSampler, SamplerSnapshot, SGDSnapshot, sgd_steps

if TYPE_CHECKING:
    from engine.trainer import Trainer

FIRST_SPACING = 16
"""Steps between regular checkpoints at the start of a run (doubles as the run grows)."""

MAX_REGULAR = 512
"""Regular checkpoints kept at most; about 1 KB each for the default 2-8-2 network."""

MAX_ANCHORS = 256
"""Anchors kept at most; older ones, and the steps before them, are forgotten."""

MAX_BYTES = 8 * 2**20
"""Memory of one run's timeline at most (8 MiB): checkpoints, the data snapshots (worlds)
they refer to and their configs. A big network gets fewer, sparser checkpoints (longer
seeks), and many point edits forget the oldest part of the run, rather than more memory."""


@dataclass(frozen=True, eq=False)
class World:
    """The data in force from a checkpoint on; never written. Shared by every checkpoint
    trained on the same points, whatever their configs."""

    dataset: Dataset  # read-only arrays
    generated_x_train: np.ndarray  # what reset() scales the initial weights by
    data_version: int  # the trainer's data_version when the data was copied

    @cached_property
    def nbytes(self) -> int:
        """Memory held: the arrays and every object around them (see :func:`deep_size`)."""
        return deep_size(self)


@dataclass(frozen=True, eq=False)
class Checkpoint:
    """A trainer's complete state after ``step`` updates, between steps."""

    step: int
    config: Config  # in force from this step on
    world: World
    sgd: SGDSnapshot
    sampler: SamplerSnapshot
    examples_seen: int
    last_batch_size: int
    last_idx: np.ndarray | None
    last_bwd: Backward | None  # the last update's gradients, no δ's (anchors only; read-only)
    diverged: bool
    divergence: str | None
    anchor: bool

    @cached_property
    def nbytes(self) -> int:
        """Memory held, without the shared world and config (counted once by the timeline):
        arrays, RNG states and every object around them (see :func:`deep_size`)."""
        return deep_size(self, exclude=(self.world, self.config))


class Timeline:
    """The checkpoints of one trainer's run; see the module docstring."""

    def __init__(self) -> None:
        self.checkpoints: list[Checkpoint] = []  # in increasing step order
        self.spacing = FIRST_SPACING
        self._dirty = False  # a change waits for the next step boundary to be anchored
        self._world: World | None = None
        self._sources: tuple[np.ndarray, ...] = ()  # the live arrays self._world copied
        self._regular = 0  # regular checkpoints in self.checkpoints
        self._regular_bytes = 0  # their memory
        self._bytes = 0  # memory of everything held: checkpoints, worlds, configs
        self._refs: dict[int, tuple] = {}  # id → (world or config held, its bytes)

    # ---------------------------------------------------------------- recording
    def restart(self, trainer: Trainer) -> None:
        """A new run (reset, new config, loaded state): forget everything, anchor now."""
        self.checkpoints = []
        self.spacing = FIRST_SPACING
        self._world = None
        self._keep([])
        self.changed(trainer)

    def changed(self, trainer: Trainer) -> None:
        """Something replay cannot reproduce happened: anchor at the next step boundary
        (now, unless the trainer is in the middle of a step)."""
        self._dirty = True
        self.passed(trainer)

    def passed(self, trainer: Trainer) -> None:
        """The trainer may have reached a step boundary: take the checkpoint due there."""
        if trainer.phase != "ready":
            return
        step = trainer.step
        if self._dirty:
            self._dirty = False
            self._drop_from(step)
            self._append(_capture(trainer, self._world_of(trainer), anchor=True))
            self._bound_anchors()
        elif step % self.spacing == 0 and (not self.checkpoints or self.last_step < step):
            self._append(_capture(trainer, self._world_of(trainer), anchor=False))
            self._bound_regular()

    def steps_to_next(self, step: int) -> int:
        """Plain steps from ``step`` to the next regular checkpoint (train() stops there)."""
        return self.spacing - step % self.spacing

    def _append(self, checkpoint: Checkpoint, known: dict | None = None) -> None:
        self.checkpoints.append(checkpoint)
        size = checkpoint.nbytes
        if not checkpoint.anchor:
            self._regular += 1
            self._regular_bytes += size
        self._bytes += size + self._refer(checkpoint.world, known)
        self._bytes += self._refer(checkpoint.config, known)

    def _refer(self, shared: World | Config, known: dict | None = None) -> int:
        """The bytes of ``shared`` (a world or a config) if it is not held yet, else 0.
        ``known``: sizes already measured (a recount, a seek), so as not to measure again."""
        key = id(shared)
        if key in self._refs:
            return 0
        if known is not None and key in known:
            size = known[key][1]
        else:
            size = shared.nbytes if isinstance(shared, World) else deep_size(shared)
        self._refs[key] = (shared, size)  # held, so its id stays its own
        return size

    def _keep(self, checkpoints: list[Checkpoint], known: dict | None = None) -> None:
        """Keep only ``checkpoints`` and recount what they hold (worlds and configs once)."""
        known = self._refs if known is None else known
        self.checkpoints = []
        self._regular = self._regular_bytes = self._bytes = 0
        self._refs = {}
        for c in checkpoints:
            self._append(c, known)

    def _drop_from(self, step: int) -> None:
        """Forget checkpoints at ``step`` or later (replaced by an anchor, or undone)."""
        steps = [c.step for c in self.checkpoints]
        end = bisect.bisect_left(steps, step)
        if end < len(steps):
            self._keep(self.checkpoints[:end])

    def _bound_regular(self) -> None:
        if self._regular > MAX_REGULAR:
            self._thin_regular()
        self._bound_anchors()

    def _thin_regular(self) -> None:
        """Double the spacing and drop every other regular checkpoint."""
        self.spacing *= 2
        self._keep([c for c in self.checkpoints if c.anchor or c.step % self.spacing == 0])

    def _bound_anchors(self) -> None:
        """Keep at most MAX_ANCHORS anchors and MAX_BYTES in all.

        Over budget, the anchors' side (anchors, worlds, configs) gives way first while it
        holds more than half of MAX_BYTES: the oldest part of the run is forgotten, which
        keeps the seeks of the rest short. Then the regular checkpoints get sparser, and if
        anchors alone are still too many bytes, more of the past is forgotten (the newest
        anchor is always kept).
        """
        if len(self.checkpoints) - self._regular <= MAX_ANCHORS and self._bytes <= MAX_BYTES:
            return  # the usual case, checked without a pass over the checkpoints
        anchors = [i for i, c in enumerate(self.checkpoints) if c.anchor]
        if len(anchors) > MAX_ANCHORS:
            self._keep(self.checkpoints[anchors[len(anchors) - MAX_ANCHORS] :])
            anchors = [i for i, c in enumerate(self.checkpoints) if c.anchor]
        while (
            self._bytes > MAX_BYTES
            and self._bytes - self._regular_bytes > MAX_BYTES // 2
            and len(anchors) > 1
        ):
            self._forget_before(anchors[1])
            anchors = [i for i, c in enumerate(self.checkpoints) if c.anchor]
        while self._regular and self._bytes > MAX_BYTES:
            self._thin_regular()
        while self._bytes > MAX_BYTES and len(anchors) > 1:
            self._forget_before(anchors[1])
            anchors = [i for i, c in enumerate(self.checkpoints) if c.anchor]

    def _forget_before(self, index: int) -> None:
        """Forget the checkpoints before ``index`` (an anchor): the timeline starts there."""
        self._keep(self.checkpoints[index:])

    def _world_of(self, trainer: Trainer) -> World:
        """The current world, or a new one if the data changed (a new config alone shares
        it: the checkpoint refers to the config itself)."""
        sources = _sources(trainer)  # arrays replaced (never written) on edits
        world = self._world
        if (
            world is None
            or world.data_version != trainer.data_version
            or any(a is not b for a, b in zip(sources, self._sources, strict=True))
        ):
            world = self._world = _snapshot_world(trainer)
            self._sources = sources
        return world

    # ---------------------------------------------------------------- reading
    @property
    def first_step(self) -> int | None:
        """The earliest step that can be revisited (None before the first checkpoint)."""
        return self.checkpoints[0].step if self.checkpoints else None

    @property
    def last_step(self) -> int:
        return self.checkpoints[-1].step

    @property
    def nbytes(self) -> int:
        """Memory held: the checkpoints, their worlds and configs (each shared one once),
        and the current world if no checkpoint refers to it yet. At most MAX_BYTES."""
        held = self._bytes
        world = self._world
        if world is not None and id(world) not in self._refs:
            held += world.nbytes
        return held

    @property
    def worlds(self) -> int:
        """Distinct data snapshots the checkpoints refer to."""
        return len({id(c.world) for c in self.checkpoints})

    def check_step(self, step: object, now: int) -> int:
        """``step`` if this run can be shown at it, else a ConfigError naming the range."""
        first = self.first_step
        if first is None:
            raise ConfigError(
                "step", "no step of this run can be revisited yet: finish the current step"
            )
        if isinstance(step, bool) or not isinstance(step, int | np.integer):
            raise ConfigError("step", f"step must be an integer from {first} to {now}")
        if not first <= step <= now:
            raise ConfigError(
                "step", f"step must be between {first} and {now}, the current step (got {step})"
            )
        return int(step)

    def at(self, trainer: Trainer, step: int) -> Trainer:
        """A new, independent trainer exactly as ``trainer`` was after ``step`` updates."""
        step = self.check_step(step, trainer.step)
        steps = [c.step for c in self.checkpoints]
        i = bisect.bisect_right(steps, step) - 1
        if not self.checkpoints[i].anchor and self.checkpoints[i].step == step:
            i -= 1  # a light checkpoint cannot undo its last update: replay up to it
        checkpoint = self.checkpoints[i]
        past = _restore(type(trainer), checkpoint)
        _replay(past, step - checkpoint.step)
        past.history = trainer.history.until(step)
        timeline = Timeline()
        timeline._keep(self.checkpoints[: i + 1], self._refs)  # immutable: shared, not copied
        timeline.spacing = self.spacing
        timeline._world = checkpoint.world
        timeline._sources = _sources(past)  # the world's own arrays, until it edits points
        past.timeline = timeline
        return past


def deep_size(obj: object, exclude: tuple[object, ...] = ()) -> int:
    """The bytes ``obj`` holds, object headers included: sys.getsizeof of it and of
    everything it refers to (each object once), except ``exclude``. An array counts its
    data if it owns it, else its base's. An upper bound of what dropping ``obj`` frees
    (a shared part is counted as if it were its own), so a budget kept by it is kept."""
    seen = {id(x) for x in exclude}
    size = 0
    stack = [obj]
    while stack:
        x = stack.pop()
        if id(x) in seen or x is None or isinstance(x, bool) or _small_int(x):
            continue  # shared by the whole interpreter: nobody's to free
        seen.add(id(x))
        size += sys.getsizeof(x)
        if isinstance(x, np.ndarray):
            if x.base is not None:
                stack.append(x.base)
        elif isinstance(x, dict):
            # string keys are field names, interned and shared
            stack.extend(k for k in x if not isinstance(k, str))
            stack.extend(x.values())
        elif isinstance(x, list | tuple | set | frozenset):
            stack.extend(x)
        elif not isinstance(x, str | bytes | int | float | complex | type(None)):
            fields = getattr(x, "__dict__", None)
            if fields is not None:
                stack.append(fields)
            for slot in getattr(type(x), "__slots__", ()):
                if hasattr(x, slot):
                    stack.append(getattr(x, slot))
    return size


def _small_int(x: object) -> bool:
    """An int CPython keeps one shared copy of (−5 … 256)."""
    return type(x) is int and -5 <= x <= 256  # type: ignore[operator]


def _sources(trainer: Trainer) -> tuple[np.ndarray, ...]:
    """The live arrays a world copies: a point edit or new data replaces them."""
    ds = trainer.dataset
    return (ds.x_train, ds.y_train, ds.x_test, ds.y_test, trainer._generated_x_train)


def _snapshot_world(trainer: Trainer) -> World:
    ds = trainer.dataset
    arrays = (ds.x_train, ds.y_train, ds.x_test, ds.y_test)
    frozen = Dataset(*(_frozen(a) for a in arrays), ds.classes)
    return World(frozen, _frozen(trainer._generated_x_train), trainer.data_version)


def _frozen(array: np.ndarray) -> np.ndarray:
    copy = array.copy()
    copy.flags.writeable = False
    return copy


def _capture(trainer: Trainer, world: World, anchor: bool) -> Checkpoint:
    """An anchor keeps everything; a regular checkpoint is light (see the module doc)."""
    last_idx = trainer._last_idx
    return Checkpoint(
        step=trainer.step,
        config=trainer.config,
        world=world,
        sgd=trainer._sgd.snapshot(complete=anchor),
        sampler=trainer._sampler.snapshot(),
        examples_seen=trainer._examples_seen,
        last_batch_size=trainer._last_batch_size,
        last_idx=None if last_idx is None or not anchor else last_idx.copy(),
        last_bwd=_gradients_only(trainer._last_bwd) if anchor else None,
        diverged=trainer.diverged,
        divergence=trainer.divergence,
        anchor=anchor,
    )


def _gradients_only(bwd: Backward | None) -> Backward | None:
    """The last update's gradients without its per-example δ's (m × units each, 10 MB for
    a full batch of 1,600 through six layers of 64): the trainer reads only the gradients
    of its last update (for the gradient norms of its metrics)."""
    if bwd is None:
        return None
    empty = np.zeros((0, bwd.delta_o.shape[1]))
    return Backward(empty, [], [], None, bwd.weight_grads, bwd.bias_grads, bwd.factor)


def _restore(cls: type[Trainer], c: Checkpoint) -> Trainer:
    """A trainer in checkpoint ``c``'s state (its history and timeline set by the caller)."""
    world = c.world
    t = cls.__new__(cls)
    t.config = c.config
    ds = world.dataset  # new arrays replace these on any edit: sharing them is safe
    t.dataset = Dataset(ds.x_train, ds.y_train, ds.x_test, ds.y_test, ds.classes)
    t._generated_x_train = world.generated_x_train
    t._build_model()
    t.data_version = world.data_version
    t._health = HealthWatch()
    train = c.config.train
    t._sgd = SGD.from_snapshot(c.sgd, train.learning_rate, train.l2, train.momentum)
    t._sampler = MinibatchSampler.from_snapshot(c.sampler)
    t._batch = train.batch_size
    t.step = c.step
    t._examples_seen = c.examples_seen
    t._last_batch_size = c.last_batch_size
    t.diverged = c.diverged
    t.divergence = c.divergence
    t._clear_pending()
    t._last_idx = c.last_idx
    t._last_bwd = c.last_bwd
    return t


def _replay(t: Trainer, steps: int) -> None:
    """``steps`` plain SGD steps, exactly as training took them."""
    if steps <= 0:
        return
    done, _, bwd, idx = sgd_steps(
        t._sgd,
        t._sampler,
        t._batch,
        steps,
        t._phi_train,
        t._Y_train,
        t.dataset.y_train,
        t._act,
        t._output,
    )
    if done != steps:  # a checkpoint is missing: training diverged without an anchor
        raise RuntimeError(f"replay diverged after {done} of {steps} steps from step {t.step}")
    t._stepped(done, idx, bwd)
