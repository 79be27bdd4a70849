"""Backprop Lab's engine: the lecture's MLP and logistic regression in pure NumPy.

The network is the lecture's x → z = Wx + b → h = max(z, 0) → v = Uh + c → o = softmax(v)
with J = the negative log-likelihood, generalised to 0–6 hidden layers, four activations
and TF Playground's input features; binary logistic regression o = σ(wᵀx + b) is the
zero-hidden-layer model with two classes. Every quantity the lecture names (x, z, h, v, o,
y, J, δ^(o), δ^(h), δ^(z), δ^(x), ∂J/∂U, ∂J/∂W, ∂o/∂v, ∂h/∂z, ∂v/∂h, ∂z/∂x) is available
from a :class:`Trace` under its symbol. The engine imports no web library and never prints.

Public names (the contract with the server; import only from ``engine``):

* configuration: ``Config``, ``DataConfig``, ``ModelConfig``, ``TrainConfig``, ``validate``,
  ``BOUNDS``, ``Bound``, ``MAX_RESOLUTION``, ``ConfigError``, ``DATASETS``,
  ``ACTIVATIONS``, ``FEATURES``;
* training: ``Trainer``, ``PhaseError``, ``Layer``, ``Dataset``;
* results: ``Trace``, ``Quantity``, ``Convention``, ``GridMaps``, ``GradCheck``,
  ``Metrics``, ``History``;
* the chain-rule lab: ``chain_rule_examples``.
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
