"""How a trace is *presented*: the lecture's two sign conventions, two layouts, two bias forms.

Inside, the engine always works one way: J = NLL (a loss), δ^(o) = o − y, gradient
descent θ ← θ − η ∂J/∂θ, δ as row vectors stacked in a minibatch, and a separate bias b.
A :class:`Convention` only changes what a :class:`~engine.trace.Trace` shows:

* ``sign="loglik"``: J = log P (the later slides), so J, every δ and every gradient flip
  sign: δ^(o) = y − o, and the step is ascent θ ← θ + η ∂J/∂θ. Jacobians do not change.
* ``layout="column"``: δ as n×1 columns instead of the slides' 1×n rows, and the Jacobians
  in denominator layout (transposed), so δ^(h) = Uᵀ δ^(o) instead of δ^(o) U.
* ``bias="augmented"``: the lecture's "bias terms are contained in the weights": x and every
  h get a trailing constant 1, and each weight matrix is shown as [W | b].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.bounds import ConfigError

SIGNS = ("loss", "loglik")
LAYOUTS = ("row", "column")
BIASES = ("separate", "augmented")


@dataclass(frozen=True)
class Convention:
    """A display convention; the default is the engine's internal one."""

    sign: str = "loss"  # "loss": J = −log P, descent; "loglik": J = log P, ascent
    layout: str = "row"  # "row": δ is 1×n as on the slides; "column": n×1
    bias: str = "separate"  # "separate": z = Wx + b; "augmented": z = [W | b][x; 1]

    def __post_init__(self) -> None:
        for name, value, allowed in (
            ("sign", self.sign, SIGNS),
            ("layout", self.layout, LAYOUTS),
            ("bias", self.bias, BIASES),
        ):
            if value not in allowed:
                raise ConfigError(
                    f"convention.{name}",
                    f"convention.{name} must be one of {', '.join(allowed)} (got {value!r})",
                )

    @property
    def ascent(self) -> bool:
        """True when J is the log-likelihood, so the update climbs it."""
        return self.sign == "loglik"

    @property
    def update_rule(self) -> str:
        """The SGD step written in this convention."""
        return "θ ← θ + η ∂J/∂θ" if self.ascent else "θ ← θ − η ∂J/∂θ"

    def to_dict(self) -> dict[str, Any]:
        return {"sign": self.sign, "layout": self.layout, "bias": self.bias}

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> Convention:
        return cls(**(d or {}))
