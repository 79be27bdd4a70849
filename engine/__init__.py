"""Backprop Lab's engine: the lecture's MLP and logistic regression in pure NumPy.

The network is the lecture's x → z = Wx + b → h = max(z, 0) → v = Uh + c → o = softmax(v)
with J = the negative log-likelihood, generalised to 0–6 hidden layers, four activations
and TF Playground's input features; binary logistic regression o = σ(wᵀx + b) is the
zero-hidden-layer model with two classes. Every quantity the lecture names (x, z, h, v, o,
y, J, δ^(o), δ^(h), δ^(z), δ^(x), ∂J/∂U, ∂J/∂W, ∂o/∂v, ∂h/∂z, ∂v/∂h, ∂z/∂x) is available
from a :class:`Trace` under its symbol. The engine imports no web library and never prints.

Public names (the contract with the server, which imports only from ``engine``):

* configuration: ``Config``, ``DataConfig``, ``ModelConfig``, ``TrainConfig``, ``validate``,
  ``BOUNDS``, ``Bound``, ``MAX_RESOLUTION``, ``ConfigError``, ``DATASETS``,
  ``ACTIVATIONS``, ``FEATURES``;
* training: ``Trainer``, ``PhaseError``, ``Layer``, ``Dataset``;
* results: ``Trace``, ``Quantity``, ``Convention``, ``GridMaps``, ``GradCheck``,
  ``Metrics``, ``History``;
* the chain-rule lab: ``chain_rule_examples``.

Additions to the contract (every listed name works as specified):

* Bias names. Hidden layers' biases are "b" (one hidden layer) or "b1", "b2", …; the
  output layer's is "c" (v = Uh + c); logistic regression has "W" and "b". Traces carry
  "dJ/db…" and "dJ/dc"; ``GradCheck.layers`` is keyed by weight names ("W", "U", "W1", …)
  *and* bias names ("b", "c", …), each a ``LayerCheck`` with ``analytic``, ``numeric``,
  ``relative_error``, ``max_abs_error`` and ``checked``; ``gradcheck["W"]`` indexes it.
  The check uses the first 32 training examples, and arrays of more than 200 entries are
  checked on a seeded sample of 200 (``numeric`` is NaN at the others): each entry costs
  two forward passes, and six 64-unit layers hold about 21,000.
* Trace symbols beyond the listed ones: "Z" (softmax normaliser), "dJ/do" (∂J/∂o),
  "k" and "K" (label, number of classes); for multi-class logistic regression (zero
  hidden layers) "z" and "dJ/dz" (the lecture's names, equal to v and δ^(o)). Binary
  logistic regression speaks the slides' notation only: "x", "w", "b", "z" = wᵀx + b,
  "o" = σ(z) = P(y = 1 | x), "y" ∈ {0, 1}, "J", "dJ/do", "do/dz", "delta_o", "dz/dx",
  "delta_x", "dJ/dw", "dJ/db" (no "v", "W", "dJ/dW", "k" or "K"; the export and the
  frames still name the layer "W"). Jacobians between hidden
  layers are "dz2/dh1", …; the Jacobian above the last hidden layer is "dv/dh" (or
  "dv/dh3"). Minibatch traces add per-example values "J[n]", "dJ/dW[n]", "dJ/db[n]", …
  (leading axis m) beside the batch means "J", "dJ/dW", …. Each ``Quantity`` also has
  ``kind`` (forward | param | label | loss | loss_each | delta | jacobian | grad |
  grad_each). ``Trace`` also has ``batch``, ``layer_names``, ``trace[symbol]`` (the value)
  and ``symbol in trace``.
* Shapes: in a single-example trace vectors are 1-D, δ's are 1×n (row layout) or n×1
  (column layout), Jacobians are matrices in numerator layout (row) or transposed
  (column), ∂J/∂W has W's shape. Minibatch traces add a leading axis m.
* ``forward_phase(convention=...)`` and ``backward_phase(convention=...)`` take an
  optional display convention. The forward trace holds only forward quantities and J.
  ``train()`` from the middle of a step finishes that step as the first of its steps.
  ``trace_batch()`` between steps shows the minibatch the next step will use.
* ``GridMaps.target`` records the target class of the delta maps. Maps are indexed
  [unit, row, column] with rows following x2 and columns x1 (a Plotly heatmap's z).
* ``Metrics.grad_norms`` are the norms of the most recent minibatch gradient (the one the
  last update used; before the first update or after a divergence rollback, of the full
  training set), weights and bias together per layer; ``confusion`` is on the test set.
  ``History`` has a row every 100·⌈N/500⌉ steps (N = points), at step 0, and at the end
  of every ``train()`` call and update phase (see :mod:`engine.metrics`); its
  ``grad_norm`` is a dict of arrays.
* ``add_points`` and ``remove_points`` return the updated ``Dataset``; ``remove_near``
  returns how many points it removed. Editing points starts a new epoch.
* ``trainer.layers`` and ``trainer.parameters()`` are read-only copies: updates write
  into a second buffer and swap (that is what makes the divergence rollback free), so
  the live arrays are reused; ``trainer.set_parameter(name, value)`` changes one.
* ``ConfigError`` fields beyond the config: "steps", "trace.x1", "trace.x2",
  "trace.target", "trace.index", "grid.resolution", "grid.target", "gradcheck.eps",
  "points", "points.xy", "points.labels", "points.split", "points.indices",
  "points.x1", "points.x2", "points.radius", "points.total",
  "convention.sign|layout|bias", "state.version", "state", and for the chain-rule lab "x", "y",
  "layout".
* Initial weights: N(0, gain²/fan_in) (He for ReLU), the first layer's column j divided
  by feature j's RMS over the generated training set (x stays the raw features), the
  output layer's gain 0.1 so that o starts near uniform and J near ln K; ReLU hidden
  biases start at 0.1.
"""

from engine.activations import ACTIVATIONS
from engine.bounds import BOUNDS, DATASETS, MAX_RESOLUTION, Bound, ConfigError
from engine.chain_rule import chain_rule_examples
from engine.config import Config, DataConfig, ModelConfig, TrainConfig, validate
from engine.conventions import Convention
from engine.datasets import Dataset
from engine.features import FEATURES
from engine.gradcheck import GradCheck
from engine.grid import GridMaps
from engine.metrics import History, Metrics
from engine.network import Layer
from engine.trace import Quantity, Trace
from engine.trainer import PhaseError, Trainer

__all__ = [
    "ACTIVATIONS",
    "BOUNDS",
    "DATASETS",
    "FEATURES",
    "MAX_RESOLUTION",
    "Bound",
    "Config",
    "ConfigError",
    "Convention",
    "DataConfig",
    "Dataset",
    "GradCheck",
    "GridMaps",
    "History",
    "Layer",
    "Metrics",
    "ModelConfig",
    "PhaseError",
    "Quantity",
    "Trace",
    "TrainConfig",
    "Trainer",
    "chain_rule_examples",
    "validate",
]
