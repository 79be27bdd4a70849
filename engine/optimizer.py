"""Minibatch SGD: the sampler, the double-buffered update, and the tight loop of steps.

The lecture's algorithm, per step: sample m examples, J = their mean NLL, compute ∂J/∂θ,
update θ ← θ − η ∂J/∂θ. Here with the two usual options: L2 (J + (λ/2)‖W‖², weights
only, so the step uses ∂J/∂W + λW) and momentum (u ← μu − η g, θ ← θ + u).

Parameters live in two buffers. An update reads the front buffer and writes θ_new into
the back one, then the two swap: as cheap as an in-place update, and the parameters from
before the last update stay available, so a step that makes the loss NaN or inf can be
undone (:meth:`SGD.rollback`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.activations import Activation
from engine.network import Backward, Forward, Layer, backward, forward
from engine.outputs import Output

MAX_LOSS = 745.0
"""A minibatch mean J above this is beyond any float64 probability (e^−745 ≈ 5e−324 is
the smallest positive one): past it, a loss that the last update multiplied by
:data:`BLOW_UP` is divergence."""

BLOW_UP = 2.0
"""Factor by which one update must raise the minibatch loss, above MAX_LOSS, to count as
divergence (a blowing-up update typically multiplies J by 10 or more; a small step from
bad parameters changes it by a few per cent)."""


def diverged(
    J: float,
    sgd: SGD,
    x: np.ndarray,
    labels: np.ndarray,
    rows: np.ndarray,
    act: Activation,
    output: Output,
) -> bool:
    """Did the last update make the loss blow up? J is the minibatch loss at the current
    parameters, x and labels that minibatch.

    Divergence is J = NaN or inf, or J > MAX_LOSS *and* at least BLOW_UP times the loss of
    the same minibatch under the parameters from before the last update. J is exact in
    log space, so a high loss alone is not enough: after a rollback the parameters kept
    can have a loss in the hundreds, and training on from them with a lowered learning
    rate brings it down; judging by the bound alone would call that divergence again
    (and again) without the update being to blame. With no update to undo (just after
    a rollback, or at step 0) a finite loss is never divergence.
    """
    if J <= MAX_LOSS:  # also False for NaN
        return False
    if not math.isfinite(J):
        return True
    if not sgd.can_rollback:
        return False
    _, J_before = minibatch_loss(sgd.previous, x, labels, rows, act, output)
    return J > BLOW_UP * J_before  # noqa: SIM300 - J is the lecture's loss, not a constant


@dataclass(frozen=True, eq=False)
class SGDSnapshot:
    """An optimiser's buffers at one moment, never written after it is taken.

    A *light* snapshot (``complete`` False) keeps only θ and a live velocity u: enough to
    take the next update exactly, not to undo the last one. The buffers it leaves out
    (None) are rebuilt by that next update.
    """

    params: tuple[Layer, ...]
    previous: tuple[Layer, ...] | None
    velocity: tuple[Layer, ...] | None
    velocity_spare: tuple[Layer, ...] | None
    velocity_live: bool
    can_rollback: bool
    last_used_velocity: bool

    @property
    def complete(self) -> bool:
        return self.previous is not None

    @property
    def nbytes(self) -> int:
        buffers = (self.params, self.previous, self.velocity, self.velocity_spare)
        return sum(la.W.nbytes + la.b.nbytes for ls in buffers if ls for la in ls)


@dataclass(frozen=True, eq=False)
class SamplerSnapshot:
    """A minibatch sampler's state at one moment (see :meth:`MinibatchSampler.snapshot`).

    The epoch's permutation is kept as the RNG state that drew it (``order_rng``) when that
    is known: a few dozen bytes instead of 8 per training point, and drawing it again gives
    the same permutation bit for bit. Otherwise (a sampler loaded from a saved state) the
    permutation itself is kept.
    """

    n: int
    rng: dict[str, Any]  # the PCG64 bit generator's state
    order: np.ndarray | None  # this epoch's permutation, when order_rng is unknown
    cursor: int
    order_rng: dict[str, Any] | None = None  # the RNG state this epoch's permutation came from

    @property
    def nbytes(self) -> int:
        states = 64 if self.order_rng is None else 128  # 128-bit PCG64 states, roughly
        return (0 if self.order is None else self.order.nbytes) + states


class SGD:
    """Double-buffered parameters and momentum velocity, updated by minibatch gradients."""

    def __init__(
        self,
        layers: Sequence[Layer],
        learning_rate: float,
        l2: float = 0.0,
        momentum: float = 0.0,
    ) -> None:
        self.learning_rate = learning_rate  # η
        self.l2 = l2  # λ
        self.momentum = momentum  # μ
        self.params: list[Layer] = list(layers)  # θ, the current parameters
        self.previous: list[Layer] = [la.copy() for la in layers]  # θ before the last update
        self.velocity = [Layer(np.zeros_like(la.W), np.zeros_like(la.b)) for la in layers]  # u
        self._velocity_spare = [Layer(np.zeros_like(la.W), np.zeros_like(la.b)) for la in layers]
        self.velocity_live = False  # u holds a real velocity (momentum was used last step)
        self.can_rollback = False  # `previous` holds the parameters before the last update
        self.last_used_velocity = False

    def update(self, weight_grads: Sequence[np.ndarray], bias_grads: Sequence[np.ndarray]) -> None:
        """θ ← θ − η(∂J/∂θ + λW), or with momentum u ← μu − η(…), θ ← θ + u."""
        lr, lam, mu = self.learning_rate, self.l2, self.momentum
        front, back = self.params, self.previous
        if mu:
            if not self.velocity_live:  # momentum switched on: start from u = 0
                for u in self.velocity:
                    u.W.fill(0.0)
                    u.b.fill(0.0)
                self.velocity_live = True
            old_u, new_u = self.velocity, self._velocity_spare
            for i in range(len(front)):
                gW = weight_grads[i]
                if lam:
                    gW = gW + lam * front[i].W
                uW, ub = new_u[i].W, new_u[i].b
                np.multiply(old_u[i].W, mu, out=uW)
                uW -= lr * gW
                np.multiply(old_u[i].b, mu, out=ub)
                ub -= lr * bias_grads[i]
                np.add(front[i].W, uW, out=back[i].W)
                np.add(front[i].b, ub, out=back[i].b)
            self.velocity, self._velocity_spare = new_u, old_u
        else:
            self.velocity_live = False
            for i in range(len(front)):
                gW = weight_grads[i]
                if lam:
                    gW = gW + lam * front[i].W
                np.subtract(front[i].W, lr * gW, out=back[i].W)
                np.subtract(front[i].b, lr * bias_grads[i], out=back[i].b)
        self.params, self.previous = back, front
        self.can_rollback = True
        self.last_used_velocity = bool(mu)

    def descend(self, weight_steps: Sequence[np.ndarray], bias_steps: Sequence[np.ndarray]) -> None:
        """θ ← θ − Δθ for steps Δθ = η ∂J/∂θ already scaled by η (plain SGD, see
        :func:`apply_step`): one subtraction per array."""
        front, back = self.params, self.previous
        for i in range(len(front)):
            np.subtract(front[i].W, weight_steps[i], out=back[i].W)
            np.subtract(front[i].b, bias_steps[i], out=back[i].b)
        self.params, self.previous = back, front
        self.velocity_live = False
        self.can_rollback = True
        self.last_used_velocity = False

    def rollback(self) -> bool:
        """Undo the last update (once); False if there is nothing to undo."""
        if not self.can_rollback:
            return False
        self.params, self.previous = self.previous, self.params
        if self.last_used_velocity:
            self.velocity, self._velocity_spare = self._velocity_spare, self.velocity
        self.can_rollback = False
        return True

    def snapshot(self, complete: bool = True) -> SGDSnapshot:
        """Copies of the buffers and flags, for a timeline checkpoint (see
        :mod:`engine.timeline`); :meth:`from_snapshot` restores them bit for bit. Not
        ``complete``: θ and a live velocity only (see :class:`SGDSnapshot`)."""
        copy = lambda layers: tuple(la.copy() for la in layers)  # noqa: E731
        return SGDSnapshot(
            params=copy(self.params),
            previous=copy(self.previous) if complete else None,
            velocity=copy(self.velocity) if complete or self.velocity_live else None,
            velocity_spare=copy(self._velocity_spare) if complete else None,
            velocity_live=self.velocity_live,
            can_rollback=self.can_rollback if complete else False,
            last_used_velocity=self.last_used_velocity,
        )

    @classmethod
    def from_snapshot(
        cls, snap: SGDSnapshot, learning_rate: float, l2: float, momentum: float
    ) -> SGD:
        """A new optimiser with fresh copies of ``snap``'s buffers (the snapshot stays
        untouched, so any number of optimisers can start from it)."""
        sgd = cls.__new__(cls)
        sgd.learning_rate, sgd.l2, sgd.momentum = learning_rate, l2, momentum
        sgd.params = [la.copy() for la in snap.params]

        def buffers(layers: tuple[Layer, ...] | None) -> list[Layer]:
            if layers is not None:
                return [la.copy() for la in layers]
            return [Layer(np.zeros_like(la.W), np.zeros_like(la.b)) for la in snap.params]

        sgd.previous = buffers(snap.previous)
        sgd.velocity = buffers(snap.velocity)
        sgd._velocity_spare = buffers(snap.velocity_spare)
        sgd.velocity_live = snap.velocity_live
        sgd.can_rollback = snap.can_rollback
        sgd.last_used_velocity = snap.last_used_velocity
        return sgd

    def to_state(self) -> dict[str, Any]:
        def dump(layers: list[Layer]) -> list[dict[str, Any]]:
            return [{"W": la.W.tolist(), "b": la.b.tolist()} for la in layers]

        # Without a pending rollback the spare buffers are scratch space (every update
        # overwrites them before reading) and may hold a diverged step's inf/NaN, which
        # JSON cannot carry: store the live buffers in their place.
        spare = self.can_rollback
        return {
            "params": dump(self.params),
            "previous": dump(self.previous if spare else self.params),
            "velocity": dump(self.velocity),
            "velocity_spare": dump(self._velocity_spare if spare else self.velocity),
            "velocity_live": self.velocity_live,
            "can_rollback": self.can_rollback,
            "last_used_velocity": self.last_used_velocity,
        }

    def load_state(self, d: dict[str, Any]) -> None:
        def load(items: list[dict[str, Any]]) -> list[Layer]:
            return [
                Layer(np.array(it["W"], dtype=np.float64), np.array(it["b"], dtype=np.float64))
                for it in items
            ]

        self.params = load(d["params"])
        self.previous = load(d["previous"])
        self.velocity = load(d["velocity"])
        self._velocity_spare = load(d["velocity_spare"])
        self.velocity_live = bool(d["velocity_live"])
        self.can_rollback = bool(d["can_rollback"])
        self.last_used_velocity = bool(d["last_used_velocity"])


class MinibatchSampler:
    """Seeded minibatches: each epoch is a fresh permutation cut into batches of m.

    A remainder shorter than m is skipped, so every step averages exactly m examples;
    m ≥ n means the whole training set every step (batch gradient descent, no randomness).
    """

    def __init__(self, n: int, seed: int) -> None:
        self.n = n  # training-set size
        self.rng = np.random.default_rng(seed)
        self.order: np.ndarray | None = None  # this epoch's permutation
        self._order_rng: dict[str, Any] | None = None  # the RNG state that drew it
        self.cursor = 0  # next position in it
        self._all = np.arange(n)

    def resize(self, n: int) -> None:
        """The training set changed (custom points): start a new epoch, keep the RNG."""
        self.n = n
        self.order = None
        self._order_rng = None
        self.cursor = 0
        self._all = np.arange(n)

    def next(self, m: int) -> np.ndarray:
        """Indices of the next minibatch."""
        n = self.n
        if m >= n:
            return self._all
        cursor = self.cursor
        if self.order is None or cursor + m > n:
            self._order_rng = self.rng.bit_generator.state  # once an epoch: a few µs
            self.order = self.rng.permutation(n)
            cursor = 0
        self.cursor = cursor + m
        return self.order[cursor : cursor + m]

    def peek(self, m: int) -> np.ndarray:
        """The indices :meth:`next` would return, without consuming them."""
        if m >= self.n:
            return self._all
        if self.order is not None and self.cursor + m <= self.n:
            return self.order[self.cursor : self.cursor + m]
        rng = np.random.default_rng()
        rng.bit_generator.state = self.rng.bit_generator.state
        return rng.permutation(self.n)[:m]

    def snapshot(self) -> SamplerSnapshot:
        """The RNG state, epoch permutation and cursor (see :meth:`SGD.snapshot`)."""
        state = self.rng.bit_generator.state
        if self.order is None:
            return SamplerSnapshot(self.n, state, None, self.cursor)
        if self._order_rng is not None:
            return SamplerSnapshot(self.n, state, None, self.cursor, self._order_rng)
        return SamplerSnapshot(self.n, state, self.order.copy(), self.cursor)

    @classmethod
    def from_snapshot(cls, snap: SamplerSnapshot) -> MinibatchSampler:
        """A sampler that draws exactly the minibatches the snapshotted one would have."""
        sampler = cls(snap.n, 0)
        sampler.rng.bit_generator.state = snap.rng
        if snap.order_rng is not None:
            drawn = np.random.default_rng()
            drawn.bit_generator.state = snap.order_rng
            sampler.order = drawn.permutation(snap.n)  # the same draw, the same permutation
            sampler._order_rng = snap.order_rng
        else:
            sampler.order = None if snap.order is None else snap.order.copy()
        sampler.cursor = snap.cursor
        return sampler

    def to_state(self) -> dict[str, Any]:
        return {
            "n": self.n,
            # PCG64 holds 128-bit integers; a JSON string survives any JSON library
            "rng": json.dumps(self.rng.bit_generator.state),
            "order": self.order.tolist() if self.order is not None else None,
            "cursor": self.cursor,
        }

    def load_state(self, d: dict[str, Any]) -> None:
        self.rng.bit_generator.state = json.loads(d["rng"])
        self.order = np.array(d["order"], dtype=np.int64) if d["order"] is not None else None
        self._order_rng = None  # not saved: a snapshot keeps the permutation itself
        self.cursor = int(d["cursor"])


def apply_step(sgd: SGD, fwd: Forward, targets: np.ndarray, act: Activation, m: int) -> Backward:
    """Backward pass and update for one minibatch; returns the backward pass.

    Plain SGD (no momentum, no L2) folds η into the output error signal, δ^(o)·η/m, so
    the products δᵀh deliver η ∂J/∂θ directly and the update is one subtraction per
    array (the returned gradients then carry ``factor`` = η). Otherwise the gradients are
    ∂J/∂θ and :meth:`SGD.update` applies L2 and momentum.
    """
    lr = sgd.learning_rate
    if not sgd.momentum and not sgd.l2:
        bwd = backward(sgd.params, fwd, targets, act, lr / m)
        bwd.factor = lr
        sgd.descend(bwd.weight_grads, bwd.bias_grads)
    else:
        bwd = backward(sgd.params, fwd, targets, act, 1.0 / m)
        sgd.update(bwd.weight_grads, bwd.bias_grads)
    return bwd


def minibatch_loss(
    layers: Sequence[Layer],
    x: np.ndarray,
    labels: np.ndarray,
    rows: np.ndarray,
    act: Activation,
    output: Output,
) -> tuple[Forward, float]:
    """Forward pass and J = −(1/m) Σ log o_{k_n}, the minibatch mean NLL (exact for any
    finite v, see :meth:`~engine.outputs.SoftmaxOutput.nll`)."""
    fwd = forward(layers, x, act, output)
    return fwd, float(output.nll(fwd.v, labels, rows).mean())


def sgd_steps(
    sgd: SGD,
    sampler: MinibatchSampler,
    batch_size: int,
    steps: int,
    x_train: np.ndarray,
    targets: np.ndarray,
    labels: np.ndarray,
    act: Activation,
    output: Output,
) -> tuple[int, float, Backward | None, np.ndarray | None]:
    """Run up to ``steps`` SGD steps; stop before the update when :func:`diverged` (J).

    Returns (updates done, last J, backward pass and batch indices of the last update).
    Fewer updates than ``steps`` means the loop stopped on divergence (the caller decides
    what to undo). J is −log o_k, recomputed exactly from v when some o_k underflowed to
    0, so that parameters that are finite always give a finite J.
    """
    rows = np.arange(min(batch_size, sampler.n))
    m = len(rows)
    scale = 1.0 / m
    isfinite = math.isfinite
    log = np.log
    add_reduce = np.add.reduce
    softmax_output = output.name == "softmax"
    J = math.nan
    bwd = None
    last_idx = None
    with np.errstate(all="ignore"):  # a diverging loss is detected below, not warned about
        for done in range(steps):
            idx = sampler.next(batch_size)
            layers = sgd.params
            y = labels[idx]
            # take() gathers rows several times faster than x_train[idx] at this size
            fwd = forward(layers, x_train.take(idx, axis=0), act, output)
            # (m,) o_k, the probability of each example's label
            p = fwd.o[rows, y] if softmax_output else output.true_class_probability(fwd.o, y, rows)
            J = -float(add_reduce(log(p))) * scale  # the minibatch mean NLL
            if not isfinite(J):  # an o_k underflowed to 0: the exact J, from v (rare)
                J = float(output.nll(fwd.v, y, rows).mean())
            if not J <= MAX_LOSS and diverged(J, sgd, x_train[idx], y, rows, act, output):
                return done, J, bwd, last_idx
            bwd = apply_step(sgd, fwd, targets.take(idx, axis=0), act, m)
            last_idx = idx
    return steps, J, bwd, last_idx
