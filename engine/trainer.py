"""The Trainer: minibatch SGD on the lecture's network, one step or one phase at a time.

One SGD step is the lecture's algorithm:
1. take the next minibatch of m examples (each epoch is a fresh seeded permutation of the
   training set cut into batches of m; a remainder shorter than m is skipped, so every
   step averages exactly m examples; m ≥ training-set size means the whole set, i.e.
   batch gradient descent);
2. forward, and J = the mean NLL over the minibatch;
3. backward: ∂J/∂θ for every W and b;
4. update: θ ← θ − η(∂J/∂θ + λθ) (λ on weights only), or with momentum μ:
   u ← μu − η(∂J/∂θ + λθ), θ ← θ + u.

The loop itself lives in :mod:`engine.optimizer`. Its parameters are double-buffered, so
when a too-large learning rate makes the loss blow up (NaN, inf, or past
:data:`~engine.optimizer.MAX_LOSS` and still multiplying, see
:func:`~engine.optimizer.diverged`) the trainer puts back the parameters from before the
bad update (divergence is a state, not a crash).
"""

from __future__ import annotations

import dataclasses
import functools
import html
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import numpy as np
from numpy.typing import ArrayLike

from engine import points
from engine.activations import Activation, get_activation
from engine.bounds import ConfigError, check_finite, check_index, check_range
from engine.config import Config, validate
from engine.conventions import Convention
from engine.datasets import Dataset, make_dataset
from engine.display import fmt, table_html
from engine.features import feature_matrix
from engine.gradcheck import GradCheck
from engine.gradcheck import gradient_check as _gradient_check
from engine.grid import GridMaps, evaluate_grid, grid_inputs
from engine.health import HealthWarning, HealthWatch, stuck_units
from engine.metrics import (
    DeferredMetrics,
    History,
    Metrics,
    confusion_matrix,
    history_interval,
)
from engine.network import (
    OUTPUT_GAIN,
    Backward,
    Forward,
    Layer,
    backward,
    bias_names,
    evaluate,
    forward,
    init_layers,
    input_rms,
    layer_names,
)
from engine.optimizer import (
    SGD,
    MinibatchSampler,
    apply_step,
    diverged,
    minibatch_loss,
    sgd_steps,
)
from engine.outputs import OUTPUTS, Output, argmax_columns
from engine.timeline import Timeline
from engine.trace import Trace, build_trace

PHASES = ("ready", "forward", "backward", "update")
GRADCHECK_EXAMPLES = 32
"""The gradient check averages J over the first this-many training examples (cost ∝ m·|θ|)."""

KEEPS_PARAMETERS = frozenset({"model.activation", "model.init_seed"})
"""The model fields a network can change while keeping its parameters (a branch with a
change, :meth:`Trainer.reconfigure` with ``keep_parameters``): no parameter's shape, nor
the inputs' meaning, depends on them. The init seed matters only to the next reset."""

_FORWARD_KINDS = ("forward", "param", "label", "loss", "loss_each")
P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class _EvalData:
    """What full-set metrics read besides the parameters. Rebuilt (never modified) when
    the data or the model changes, so a DeferredMetrics can hold on to it."""

    act: Activation
    output: Output
    layer_names: list[str]
    classes: int  # K
    phi_train: np.ndarray  # (n, d) features of the training points
    phiT_train: np.ndarray  # noqa: N815 - φᵀ, (d, n) the same, as columns
    Y_train: np.ndarray  # (n, K) one-hot targets, or (n, 1)
    y_train: np.ndarray  # (n,) labels
    rows_train: np.ndarray  # (n,) 0 … n − 1
    phiT_test: np.ndarray  # noqa: N815 - (d, n_test)
    y_test: np.ndarray  # (n_test,)
    rows_test: np.ndarray  # (n_test,)


class PhaseError(ValueError):
    """A phase called out of order (forward → backward → update)."""


def _quiet(method: Callable[P, R]) -> Callable[P, R]:
    """Run a public method with NumPy's floating-point warnings off: overflow and log(0)
    are expected when training diverges, and divergence is reported as state."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with np.errstate(all="ignore"):
            return method(*args, **kwargs)

    return wrapper


class Trainer:
    """Trains one network on one data set; see the module docstring for the algorithm."""

    def __init__(self, config: Config | None = None) -> None:
        self.config: Config = validate(config if config is not None else Config())
        self._build_data()
        self._build_model()
        self._health = HealthWatch()  # follows self.history, whichever it is
        self.timeline = Timeline()  # checkpoints for revisiting past steps, see at()
        self.reset()

    # ---------------------------------------------------------------- construction
    def _build_data(self) -> None:
        """Generate the data set; :meth:`_build_model` always follows and prepares it."""
        self.dataset: Dataset = make_dataset(self.config.data)
        # the generated training points, for the input scale of the initial weights: kept
        # apart so that custom points never change what reset() restores
        self._generated_x_train = self.dataset.x_train.copy()  # (n, 2)

    def _build_model(self) -> None:
        """Activation, output, features and layer names from the config; then the feature
        matrices and targets of the data set for them."""
        model = self.config.model
        self._act = get_activation(model.activation)
        self._output = OUTPUTS[self.config.output]
        self._features = model.features
        self.layer_names: list[str] = layer_names(len(model.hidden))
        self._data_changed()

    def _data_changed(self) -> None:
        """Recompute the feature matrices and targets after the data or features change."""
        # which data set this is: a viewer of a past step (Trainer.at) fetches the points
        # again only when the step shown was trained on other data than the one it has
        self.data_version = getattr(self, "data_version", -1) + 1
        ds = self.dataset
        K = ds.classes
        self._phi_train = feature_matrix(ds.x_train, self.config.model.features)  # (n, d)
        self._phi_test = feature_matrix(ds.x_test, self.config.model.features)  # (n_test, d)
        self._phiT_train = np.ascontiguousarray(self._phi_train.T)  # (d, n) for evaluation
        self._phiT_test = np.ascontiguousarray(self._phi_test.T)  # (d, n_test)
        # the lecture's y of every training example: one-hot rows (n, K), or (n, 1) 0/1
        self._Y_train = self._output.targets(ds.y_train, K)
        self._rows_train = np.arange(len(ds.y_train))  # row indices for picking o_k
        self._rows_test = np.arange(len(ds.y_test))
        self._extent = ds.extent  # the grid's; computing it scans every point
        self._eval_data = _EvalData(
            self._act,
            self._output,
            list(self.layer_names),
            K,
            self._phi_train,
            self._phiT_train,
            self._Y_train,
            ds.y_train,
            self._rows_train,
            self._phiT_test,
            ds.y_test,
            self._rows_test,
        )
        self._buffers: dict[tuple[int, int], np.ndarray] = {}  # evaluation scratch space
        self._grid_cache: tuple[Any, np.ndarray, np.ndarray, np.ndarray] | None = None
        if hasattr(self, "_sampler"):
            self._sampler.resize(len(ds.y_train))
            self._clear_pending()

    def reset(self) -> None:
        """New parameters from the same seeds; step 0; history cleared; data kept.

        The initial weights depend only on the config: the seeds, and the RMS of each
        feature over the *generated* training set (custom points do not change it), so a
        reset always restores the same parameters."""
        sizes = [
            len(self.config.model.features),
            *self.config.model.hidden,
            self._output.units(self.config.classes),
        ]
        t = self.config.train
        layers = init_layers(
            sizes,
            self._act.gain,
            self.config.model.init_seed,
            self._act.bias,
            input_scale=input_rms(feature_matrix(self._generated_x_train, self._features)),
            output_gain=OUTPUT_GAIN,
        )
        self._sgd = SGD(layers, t.learning_rate, t.l2, t.momentum)
        self._sampler = MinibatchSampler(len(self.dataset.y_train), t.seed)
        self._batch = t.batch_size
        self.step = 0
        self._examples_seen = 0
        self._last_batch_size = 0
        self.diverged = False
        self.divergence: str | None = None
        self._clear_pending()
        self._last_idx: np.ndarray | None = None
        self._last_bwd: Backward | None = None
        self.history = History(list(self.layer_names))
        self.history.record(self.metrics())
        self.timeline.restart(self)

    def _apply_train_config(self) -> None:
        t = self.config.train
        self._sgd.learning_rate = t.learning_rate
        self._sgd.l2 = t.l2
        self._sgd.momentum = t.momentum
        self._batch = t.batch_size

    # ---------------------------------------------------------------- public state
    @property
    def layers(self) -> list[Layer]:
        """A read-only copy of the current parameters, one Layer (W (out, in), b (out,)) per
        layer, U last.

        A copy, because the optimiser writes each update into a second buffer and swaps
        (that is what makes the divergence rollback free): a reference to the live arrays
        would show the old weights after one step and be overwritten after the next.
        Read-only, so that writing into it fails loudly instead of changing nothing; use
        :meth:`set_parameter` to change a parameter.
        """
        return [Layer(_read_only(la.W), _read_only(la.b)) for la in self._sgd.params]

    @property
    def parameter_names(self) -> list[str]:
        """The lecture's names of the parameters, layer by layer: W, b, U, c for one hidden
        layer; W1, b1, W2, b2, …, U, c for more; W, b for logistic regression."""
        biases = bias_names(len(self.layer_names) - 1)
        return [name for pair in zip(self.layer_names, biases, strict=True) for name in pair]

    def parameters(self) -> dict[str, np.ndarray]:
        """The current parameters by their lecture names (see :attr:`parameter_names`), as
        read-only copies: a snapshot that later training never changes."""
        return {
            name: _read_only(array)
            for name, array in zip(self.parameter_names, self._param_arrays(), strict=True)
        }

    def _param_arrays(self) -> list[np.ndarray]:
        """The live arrays W, b, U, c, … in the order of :attr:`parameter_names`."""
        return [array for la in self._sgd.params for array in (la.W, la.b)]

    @property
    def epoch(self) -> float:
        """Examples seen / training-set size."""
        n = len(self.dataset.y_train)
        return self._examples_seen / n if n else 0.0

    # ---------------------------------------------------------------- display
    def _architecture(self) -> str:
        """ "2-8-2": inputs, hidden widths, outputs."""
        sizes = [self._sgd.params[0].W.shape[1], *(la.W.shape[0] for la in self._sgd.params)]
        return "-".join(map(str, sizes))

    def __repr__(self) -> str:
        """One line: the network, the data and where training stands (computes nothing)."""
        m, d = self.config.model, self.config.data
        state = " (diverged)" if self.diverged else ""
        return (
            f"Trainer({m.model} {self._architecture()} {m.activation} → {self._output.name}, "
            f"{d.dataset} K={d.classes} {d.points} points; step {self.step}, "
            f"epoch {self.epoch:.2f}{state})"
        )

    def _repr_html_(self) -> str:
        """The network layer by layer with its parameters' shapes, the hyperparameters and
        the current full-set metrics (Jupyter's display)."""
        m, d, t = self.config.model, self.config.data, self.config.train
        act = m.activation
        rows = []
        names = self.parameter_names
        for i, layer in enumerate(self._sgd.params):
            W, b = names[2 * i], names[2 * i + 1]
            out, inp = layer.W.shape
            last = i == len(self._sgd.params) - 1
            f = self._output.name if last else act
            rows.append((W, f"{out}×{inp}", b, str(out), f))
        layers = table_html(("weights", "shape", "bias", "units", "then"), rows)
        metrics = self.metrics()
        facts = [
            ("data", f"{d.dataset}, K = {d.classes}, {d.points} points, noise {fmt(d.noise)}"),
            ("features", ", ".join(m.features)),
            ("η, m, λ, μ", ", ".join(map(fmt, (t.learning_rate, t.batch_size, t.l2, t.momentum)))),
            ("step, epoch", f"{self.step}, {fmt(self.epoch)}"),
            ("train J, accuracy", f"{fmt(metrics.train_loss)}, {fmt(metrics.train_accuracy)}"),
            ("test J, accuracy", f"{fmt(metrics.test_loss)}, {fmt(metrics.test_accuracy)}"),
        ]
        if self.divergence:
            facts.append(("diverged", html.escape(self.divergence)))
        summary = table_html(("", ""), facts)
        return f"<div><b>{html.escape(repr(self))}</b>{layers}{summary}</div>"

    # ---------------------------------------------------------------- one step
    def _forward(self, idx: np.ndarray) -> tuple[Forward, float]:
        return minibatch_loss(
            self._sgd.params,
            self._phi_train[idx],
            self.dataset.y_train[idx],
            np.arange(len(idx)),
            self._act,
            self._output,
        )

    def _backward(self, idx: np.ndarray, fwd: Forward) -> Backward:
        return backward(self._sgd.params, fwd, self._Y_train[idx], self._act, 1.0 / len(idx))

    def _stepped(self, done: int, idx: np.ndarray | None, bwd: Backward | None) -> None:
        """Book-keeping after ``done`` successful updates."""
        if done == 0 or idx is None:
            return
        self.step += done
        self._examples_seen += done * len(idx)
        self._last_batch_size = len(idx)
        self._last_idx = idx
        self._last_bwd = bwd
        if self.diverged:
            self.diverged = False
            self.divergence = None

    def _diverge(self, J: float) -> None:
        """The loss blew up: put back the parameters from before the last update."""
        what = "NaN" if math.isnan(J) else "infinite" if math.isinf(J) else f"{J:.3g}"
        bad_step = self.step
        if self._sgd.rollback():
            self.step -= 1
            self._examples_seen -= self._last_batch_size
            self.history.truncate(self.step)
            self._last_bwd = None  # that gradient led to the update just undone
            restored = (
                f"The parameters were restored to those after step {self.step}, "
                f"from before update {bad_step}."
            )
        else:
            restored = "The parameters are unchanged."
        self.diverged = True
        self.divergence = (
            f"Training diverged: with learning rate {self._sgd.learning_rate:g} the minibatch "
            f"loss became {what} after update {bad_step}. {restored} Lower the learning rate "
            "(or reset) and train again."
        )
        self._clear_pending()
        self.timeline.changed(self)  # the sampler moved on past the undone step

    def _clear_pending(self) -> None:
        self.phase = "ready"
        self._pending_idx: np.ndarray | None = None
        self._pending_fwd: Forward | None = None
        self._pending_bwd: Backward | None = None

    @_quiet
    def train(self, steps: int) -> Metrics:
        """Run ``steps`` SGD steps and return the metrics; stop early on divergence.

        The full-set values of the returned metrics are computed when first read (see
        :mod:`engine.metrics`), so ``for _ in range(n): trainer.train(1)`` stays cheap; a
        history row is written every :func:`~engine.metrics.history_interval` steps, and
        the end of the call becomes one if its metrics are read.

        Called in the middle of a step (after forward_phase or backward_phase), it first
        finishes that step, which counts as the first of the ``steps``.
        """
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
            raise ConfigError("steps", f"steps must be a non-negative integer (got {steps!r})")
        if self.phase != "ready" and steps > 0:
            if self.phase == "forward":
                self.backward_phase()
            self._finish_update()
            steps -= 1
        every = history_interval(self.dataset.size)
        row: Metrics | None = None
        while steps > 0:
            chunk = min(
                steps, every - self.step % every, self.timeline.steps_to_next(self.step)
            )
            done, J, bwd, idx = sgd_steps(
                self._sgd,
                self._sampler,
                self._batch,
                chunk,
                self._phi_train,
                self._Y_train,
                self.dataset.y_train,
                self._act,
                self._output,
            )
            self._stepped(done, idx, bwd)
            if done < chunk:
                self._diverge(J)
                break
            self.timeline.passed(self)
            steps -= done
            if self.step % every == 0:
                row = self.metrics()
                self.history.record(row)
        if row is not None and row.step == self.step:
            return row  # the call ended on a history row: its metrics are computed already
        if len(self.history) and self.history.step_of(-1) == self.step:
            result = self.metrics()  # nothing trained (train(0), or rolled back to a row)
            self.history.record(result)
            return result
        deferred = self._deferred_metrics()
        self.history.record_pending(deferred)
        return deferred

    def _deferred_metrics(self) -> DeferredMetrics:
        """The metrics of now, computed when first read: a copy of the parameters (a few
        small arrays) is all that a train(1) in a loop pays, not a pass over the data."""
        compute = functools.partial(
            self._metrics_of,
            [layer.copy() for layer in self._sgd.params],
            self.step,
            self.epoch,
            self.diverged,
            self._last_bwd,  # a fresh Backward per step, never written again
            self._eval_data,
        )
        return DeferredMetrics(self.step, self.epoch, self.diverged, compute)

    # ---------------------------------------------------------------- phases
    @_quiet
    def forward_phase(self, convention: Convention = Convention()) -> Trace:  # noqa: B008
        """Phase 1: sample the minibatch and run the forward pass; returns its trace."""
        if self.phase != "ready":
            raise PhaseError(
                f"forward_phase() needs a finished step, but the last phase was {self.phase!r}; "
                f"call {'backward_phase()' if self.phase == 'forward' else 'update_phase()'} next"
            )
        idx = self._sampler.next(self._batch)
        fwd, J = self._forward(idx)
        trace = self._trace_indices(idx, convention, _FORWARD_KINDS)
        rows = np.arange(len(idx))
        y = self.dataset.y_train[idx]
        if diverged(J, self._sgd, self._phi_train[idx], y, rows, self._act, self._output):
            self._diverge(J)
            return trace
        self._pending_idx, self._pending_fwd = idx, fwd
        self.phase = "forward"
        return trace

    @_quiet
    def backward_phase(self, convention: Convention = Convention()) -> Trace:  # noqa: B008
        """Phase 2: backpropagate the pending minibatch; returns the full trace."""
        if self.phase != "forward":
            raise PhaseError(
                f"backward_phase() needs forward_phase() first, but the last phase was "
                f"{self.phase!r}"
                + ("; call update_phase() next" if self.phase == "backward" else "")
            )
        assert self._pending_idx is not None and self._pending_fwd is not None
        self._pending_bwd = self._backward(self._pending_idx, self._pending_fwd)
        self.phase = "backward"
        return self._trace_indices(self._pending_idx, convention, None)

    def _finish_update(self) -> None:
        assert self._pending_idx is not None and self._pending_fwd is not None
        idx = self._pending_idx
        # the same arithmetic as train(), so stepping by phases gives identical parameters
        bwd = apply_step(self._sgd, self._pending_fwd, self._Y_train[idx], self._act, len(idx))
        self._stepped(1, idx, bwd)
        self._clear_pending()
        self.timeline.passed(self)

    @_quiet
    def update_phase(self) -> Metrics:
        """Phase 3: apply the update θ ← θ − η ∂J/∂θ; returns the new metrics."""
        if self.phase != "backward":
            raise PhaseError(
                f"update_phase() needs backward_phase() first, but the last phase was "
                f"{self.phase!r}"
                + ("; call backward_phase() next" if self.phase == "forward" else "")
            )
        self._finish_update()
        result = self.metrics()
        self.history.record(result)
        return result

    def set_parameter(self, name: str, value: ArrayLike) -> None:
        """Set one parameter, by its lecture name (see :attr:`parameter_names`), between steps.

        For experiments such as zeroing hidden unit j's outgoing weights (column j of U)
        and watching δ^(h)_j = Σ_k δ^(o)_k u_kj vanish. The value is copied; it must have
        the parameter's shape and finite entries (a NaN would only resurface as a
        divergence later, far from its cause). The parameters from before the last update
        are no longer its predecessors, so that update can no longer be rolled back.
        """
        if self.phase != "ready":
            raise PhaseError(
                f"set_parameter() needs a finished step, but the last phase was {self.phase!r}; "
                + ("call backward_phase() and " if self.phase == "forward" else "call ")
                + "update_phase() first"
            )
        names = self.parameter_names
        if name not in names:
            raise ConfigError(
                "parameters",
                f"unknown parameter {name!r}; this network's parameters are {', '.join(names)}",
            )
        target = self._param_arrays()[names.index(name)]
        field = f"parameters.{name}"
        if target.ndim == 2:
            shape = f"{target.shape[0]}×{target.shape[1]} (outputs × inputs)"
        else:
            shape = f"{target.shape[0]} (one per unit)"
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise ConfigError(
                field, f"{field} must be an array of numbers of shape {shape} (got {value!r})"
            ) from None
        if array.shape != target.shape:
            got = "×".join(map(str, array.shape)) or "a scalar"
            raise ConfigError(field, f"{field} must have shape {shape} (got {got})")
        bad = int(np.count_nonzero(~np.isfinite(array)))
        if bad:
            raise ConfigError(field, f"{field} must be finite (got {bad} NaN or ±inf entries)")
        target[...] = array
        self._sgd.can_rollback = False
        self.timeline.changed(self)

    # ---------------------------------------------------------------- hyperparameters
    def set_hyperparameters(
        self,
        learning_rate: float | None = None,
        batch_size: int | None = None,
        l2: float | None = None,
        momentum: float | None = None,
    ) -> Config:
        """Change η, m, λ or μ between any two steps, without a reset (validated)."""
        changes = {
            k: v
            for k, v in (
                ("learning_rate", learning_rate),
                ("batch_size", batch_size),
                ("l2", l2),
                ("momentum", momentum),
            )
            if v is not None
        }
        config, _ = self.reconfigure({"train": changes})
        return config

    def reconfigure(
        self, partial: dict[str, Any], keep_parameters: bool = False
    ) -> tuple[Config, bool]:
        """Merge a nested partial config; returns (config, reinitialised).

        ``train.*`` changes are live (a new train.seed re-seeds the sampling from now on);
        any ``data.*`` change regenerates the data (custom points are lost) and any
        ``model.*`` change rebuilds the network, both with a reset.

        With ``keep_parameters`` (a branch that continues from a past step), nothing is
        reset: a model change that keeps every parameter's shape and the data
        (:data:`KEEPS_PARAMETERS`: the activation, the init seed) applies from now on to
        the current parameters, optimiser state, sampler and history, and the step goes
        on; any other ``model.*`` or ``data.*`` change is a ConfigError naming the field,
        and nothing changes. Between phases it is refused too (the pending step was
        computed with the old model).
        """
        new = self.config.merged(partial)
        old = self.config
        if keep_parameters:
            self._check_keeps_parameters(old, new)
        self.config = new
        if not keep_parameters and (new.data != old.data or new.model != old.model):
            if new.data != old.data:
                self._build_data()
            self._build_model()
            self.reset()
            return new, True
        if new.model != old.model:
            self._model_changed_in_place()
        self._apply_train_config()
        if new.train.seed != old.train.seed:
            self._sampler = MinibatchSampler(len(self.dataset.y_train), new.train.seed)
        if new != old:
            self.timeline.changed(self)
        return new, False

    def _check_keeps_parameters(self, old: Config, new: Config) -> None:
        """A ConfigError naming the first changed field that a kept network cannot take."""
        before, after = old.to_dict(), new.to_dict()
        for section in ("data", "model", "train"):
            for key, value in after[section].items():
                name = f"{section}.{key}"
                if before[section][key] == value or section == "train":
                    continue
                if name not in KEEPS_PARAMETERS:
                    raise ConfigError(
                        name,
                        f"{name} cannot change here: a branch keeps the network's shape and "
                        "data, and continues from the parameters of its step (learning "
                        "rate, batch size, L2, momentum, train seed, activation and init "
                        f"seed can change); start a new session for another {name}",
                    )
        if new.model != old.model and self.phase != "ready":
            raise ConfigError(
                "model",
                f"the model cannot change in the middle of a step (phase {self.phase!r}): "
                "finish the step first",
            )

    def _model_changed_in_place(self) -> None:
        """The activation (or init seed) changed, nothing else of the network: the same
        parameters, features and points, evaluated with the new f from now on."""
        self._act = get_activation(self.config.model.activation)
        self._eval_data = dataclasses.replace(self._eval_data, act=self._act)
        self._buffers = {}
        self._health = HealthWatch()  # stuck units mean something else now
        # This step's row was measured with the old f: measure it again, so the curve at
        # the branch point agrees with metrics() and with a seek to this step.
        self.history.record(self.metrics())

    # ---------------------------------------------------------------- traces
    def _trace_indices(
        self, idx: np.ndarray, convention: Convention, kinds: tuple[str, ...] | None
    ) -> Trace:
        trace = build_trace(
            self._sgd.params,
            self._act,
            self._output,
            self._features,
            self.dataset.x_train[idx],
            self.dataset.y_train[idx],
            self.config.classes,
            convention,
            batch=True,
        )
        if kinds is not None:
            trace.quantities = [q for q in trace.quantities if q.kind in kinds]
        return trace

    @_quiet
    def trace_point(
        self,
        x1: float,
        x2: float,
        target: int,
        convention: Convention = Convention(),  # noqa: B008
    ) -> Trace:
        """Every quantity of the lecture for the point (x1, x2) with label ``target``."""
        check_finite("trace.x1", x1)
        check_finite("trace.x2", x2)
        k = check_index("trace.target", target, self.config.classes, "class")
        return build_trace(
            self._sgd.params,
            self._act,
            self._output,
            self._features,
            np.array([[x1, x2]], dtype=np.float64),
            np.array([k]),
            self.config.classes,
            convention,
            batch=False,
        )

    @_quiet
    def trace_example(self, index: int, convention: Convention = Convention()) -> Trace:  # noqa: B008
        """The trace of training example ``index``."""
        index = check_index("trace.index", index, len(self.dataset.y_train))
        x1, x2 = self.dataset.x_train[index]
        return self.trace_point(float(x1), float(x2), int(self.dataset.y_train[index]), convention)

    @_quiet
    def trace_batch(self, convention: Convention = Convention()) -> Trace:  # noqa: B008
        """The current minibatch: the pending one mid-step, otherwise the one the next step
        will use.

        J and the gradients "dJ/dW", "dJ/db", … are batch means (J = (1/m) Σ_n J_n, the
        quantity the SGD step descends), while every δ and forward value is per example,
        with a leading axis m: row n of δ^(o) is o_n − y_n, not divided by m. "J[n]",
        "dJ/dW[n]", … hold the per example terms whose mean J and ∂J/∂W are."""
        idx = (
            self._pending_idx if self._pending_idx is not None else self._sampler.peek(self._batch)
        )
        return self._trace_indices(idx, convention, None)

    @_quiet
    def gradients(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(∂J/∂W, ∂J/∂b) of every layer, in the order of :attr:`layers`, on the current
        minibatch (as :meth:`trace_batch`): batch means of the NLL, without L2.

        Mid-step this is the pending minibatch's gradient (after ``backward_phase`` the
        one already computed); between steps, the gradient at the current parameters on
        the minibatch the next step will use, i.e. the one the next update applies. It
        costs one forward and backward pass over m examples, not a whole trace.
        """
        if self.phase == "backward" and self._pending_bwd is not None:
            bwd = self._pending_bwd
            return [
                (gW.copy(), gb.copy())
                for gW, gb in zip(bwd.weight_grads, bwd.bias_grads, strict=True)
            ]
        if self.phase == "forward" and self._pending_fwd is not None:
            assert self._pending_idx is not None
            bwd = self._backward(self._pending_idx, self._pending_fwd)
        else:
            idx = self._sampler.peek(self._batch)
            fwd = forward(self._sgd.params, self._phi_train[idx], self._act, self._output)
            bwd = self._backward(idx, fwd)
        return list(zip(bwd.weight_grads, bwd.bias_grads, strict=True))

    def grads(self) -> dict[str, np.ndarray]:
        """∂J/∂θ by the lecture's names, {"W": ∂J/∂W, "b": ∂J/∂b, "U": ∂J/∂U, "c": ∂J/∂c}
        (W1, b1, … for deeper networks, as in :attr:`parameter_names` and the traces'
        "dJ/dW", "dJ/dc", …), on the same minibatch and with the same meaning as
        :meth:`gradients`: J is the mean NLL over the m examples, so these are batch means
        of the per example gradients (a batch trace's "dJ/dW[n]" holds those). Fresh
        arrays, yours to keep.
        """
        pairs = self.gradients()
        arrays = [array for pair in pairs for array in pair]
        return dict(zip(self.parameter_names, arrays, strict=True))

    # ---------------------------------------------------------------- grid, check, metrics
    @_quiet
    def grid(self, resolution: int, target: int | None = None, deltas: bool = True) -> GridMaps:
        """Class probabilities and every hidden unit's h and δ^(z) map over an R×R grid
        (the δ^(z) maps only with `deltas`; without, GridMaps.deltas is None)."""
        check_range("grid.resolution", resolution, integer=True)
        if target is not None:
            target = check_index("grid.target", target, self.config.classes, "class")
        extent = self._extent
        key = (extent, resolution, self._features)
        if self._grid_cache is None or self._grid_cache[0] != key:
            x1, x2, X = grid_inputs(extent, resolution, self._features)
            self._grid_cache = (key, x1, x2, X)
        _, x1, x2, X = self._grid_cache
        probabilities, predicted, activations, deltas = evaluate_grid(
            self._sgd.params, self._act, self._output.name, X, resolution, target, deltas
        )
        return GridMaps(
            resolution, extent, x1, x2, probabilities, predicted, activations, deltas, target
        )

    @_quiet
    def gradient_check(self, eps: float = 1e-5) -> GradCheck:
        """Backprop against central differences for every parameter, on the first
        GRADCHECK_EXAMPLES training examples, in float64."""
        if not (isinstance(eps, int | float) and 0 < eps < 1):
            raise ConfigError("gradcheck.eps", f"gradcheck.eps must be in (0, 1) (got {eps!r})")
        m = min(GRADCHECK_EXAMPLES, len(self.dataset.y_train))
        return _gradient_check(
            self._sgd.params, self._phi_train[:m], self._Y_train[:m], self._act, self._output, eps
        )

    def _evaluate(
        self,
        params: list[Layer],
        data: _EvalData,
        xT: np.ndarray,
        y: np.ndarray,
        rows: np.ndarray,
    ) -> tuple[list[np.ndarray], float, float, np.ndarray]:
        """Evaluate a whole split given its features as columns xT (d, n):
        (hidden h's (units, n), mean NLL, accuracy, predicted classes)."""
        n = len(y)
        if n == 0:
            return [], math.nan, math.nan, np.zeros(0, dtype=np.int64)
        o, hs = evaluate(params, xT, data.act, data.output, self._buffers)
        if data.output.name == "sigmoid":
            p = np.where(y == 1, o[0], 1.0 - o[0])  # (n,) o_k
            predicted = (o[0] > 0.5).astype(np.int64)  # (n,)
        else:
            p = o[y, rows]  # (n,) o_k
            predicted = argmax_columns(o)  # (n,) uint8
        loss = -float(np.log(p).sum()) / n
        if not math.isfinite(loss):  # an o_k underflowed to 0: the exact J, from v (rare)
            v = forward(params, xT.T, data.act, data.output).v  # (n, K)
            loss = float(data.output.nll(v, y, rows).mean())
        return hs, loss, int(np.count_nonzero(predicted == y)) / n, predicted

    @_quiet
    def metrics(self) -> Metrics:
        """Loss and accuracy on the full train and test sets, gradient norms, dead ReLU
        units and the test confusion matrix.

        ``grad_norms`` are the norms ‖(∂J/∂W, ∂J/∂b)‖ of the most recent minibatch gradient
        (the one the last update used); before the first update or after a divergence
        rollback, of the full training set.
        A ReLU unit is dead when z ≤ 0 for every training point (it passes no gradient).
        """
        return self._metrics_of(
            self._sgd.params, self.step, self.epoch, self.diverged, self._last_bwd, self._eval_data
        )

    def _metrics_of(
        self,
        params: list[Layer],
        step: int,
        epoch: float,
        diverged: bool,
        bwd: Backward | None,
        data: _EvalData,
    ) -> Metrics:
        """:meth:`metrics` for the given state (now, or a snapshot for DeferredMetrics)."""
        with np.errstate(all="ignore"):
            hs, train_loss, train_acc, _ = self._evaluate(
                params, data, data.phiT_train, data.y_train, data.rows_train
            )
            stuck = stuck_units(hs, data.act.name)  # saturated, or dead for ReLU
            dead = sum(stuck) if data.act.name == "relu" else 0  # h = 0 ⇔ z ≤ 0
            _, test_loss, test_acc, test_pred = self._evaluate(
                params, data, data.phiT_test, data.y_test, data.rows_test
            )
            if bwd is None and len(data.y_train):
                fwd = forward(params, data.phi_train, data.act, data.output)
                bwd = backward(params, fwd, data.Y_train, data.act, 1.0 / len(data.y_train))
        grad_norms = (
            _grad_norms(data.layer_names, bwd)
            if bwd is not None
            else dict.fromkeys(data.layer_names, 0.0)
        )
        return Metrics(
            step=step,
            epoch=epoch,
            train_loss=train_loss,
            train_accuracy=train_acc,
            test_loss=test_loss,
            test_accuracy=test_acc,
            grad_norms=grad_norms,
            dead_units=dead,
            confusion=confusion_matrix(data.y_test, test_pred, data.classes),
            diverged=diverged,
            stuck_units=stuck,
        )

    def health(self, metrics: Metrics | None = None) -> list[HealthWarning]:
        """Warnings about training that has gone wrong without overflowing: the loss
        growing well past its start and best, hidden layers mostly saturated or dead
        (see :mod:`engine.health` for the rules and thresholds).

        Meant for the frame or metrics cadence: it reads only the history rows added
        since the last call, and the stuck-unit counts of ``metrics`` (the metrics of the
        current step; computed if not given). The overflow divergence stays in
        :attr:`diverged` and :attr:`divergence`.
        """
        if metrics is None or metrics.step != self.step:
            metrics = self.metrics()
        return self._health.judge(
            self.history,
            metrics.stuck_units,
            self.config.model.hidden,
            self._act.name,
            self._sgd.learning_rate,
            self.step,
        )

    # ---------------------------------------------------------------- custom points
    def add_points(self, xy: np.ndarray, labels: np.ndarray, split: str = "train") -> Dataset:
        """Append labelled points to the train or test split (total ≤ 2000, labels < K)."""
        points.add_points(self.dataset, xy, labels, split)
        self._data_changed()
        self.timeline.changed(self)
        return self.dataset

    def remove_points(self, indices: list[int], split: str = "train") -> Dataset:
        """Remove the points at ``indices`` of one split (the training set keeps ≥ 1 point)."""
        points.remove_points(self.dataset, indices, split)
        self._data_changed()
        self.timeline.changed(self)
        return self.dataset

    def remove_near(self, x1: float, x2: float, radius: float) -> int:
        """Remove every point (train and test) within ``radius`` of (x1, x2); returns how many."""
        removed = points.remove_near(self.dataset, x1, x2, radius)
        self._data_changed()
        self.timeline.changed(self)
        return removed

    # ---------------------------------------------------------------- time travel
    def at(self, step: int) -> Trainer:
        """A new, independent trainer exactly as this one was after ``step`` updates:
        bit-identical parameters, optimiser and sampler state, the data set of then, and
        the history up to then. It can train on (a branch), replay a step phase by phase,
        or go further back; this trainer is not touched.

        Rebuilt from the nearest checkpoint by deterministic replay (see
        :mod:`engine.timeline` for which steps are kept and what it costs).
        ``timeline.first_step`` is the earliest step available.
        """
        return self.timeline.at(self, step)

    # ---------------------------------------------------------------- save / load
    def to_state(self) -> dict[str, Any]:
        """The complete training state as JSON-serialisable plain data."""
        from engine.state import trainer_to_state

        return trainer_to_state(self)

    @classmethod
    def from_state(cls, d: dict[str, Any]) -> Trainer:
        """Rebuild a trainer from :meth:`to_state`; training continues bit-identically."""
        from engine.state import trainer_from_state

        return trainer_from_state(cls, d)


def _read_only(array: np.ndarray) -> np.ndarray:
    """A copy that cannot be written: a snapshot handed out must not pretend to be live."""
    copy = array.copy()
    copy.flags.writeable = False
    return copy


def _grad_norms(names: list[str], bwd: Backward) -> dict[str, float]:
    """‖(∂J/∂W, ∂J/∂b)‖ per layer name (undoing a folded-in learning rate)."""
    return {
        name: math.sqrt(float((gW * gW).sum() + (gb * gb).sum())) / bwd.factor
        for name, gW, gb in zip(names, bwd.weight_grads, bwd.bias_grads, strict=True)
    }
