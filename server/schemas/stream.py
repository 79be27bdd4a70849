"""The WebSocket protocol: commands from the client. (Frames are `schemas.frame.Frame`.)

Every command is one JSON text message with a `type`. Unknown fields are an error, so a
typo is reported instead of ignored.
"""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from server.schemas.session import Bias, Layout, Sign


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Play(_Command):
    """Train continuously: `steps_per_frame` SGD steps, then a frame, `fps` times a second."""

    type: Literal["play"]
    steps_per_frame: int | None = Field(default=None, description="1 … max_steps_per_frame.")
    fps: float | None = Field(default=None, description="1 … max_fps frames per second.")


class Pause(_Command):
    """Stop training; frames stop until the next command."""

    type: Literal["pause"]


class Step(_Command):
    """Run `steps` SGD steps now, then send one frame."""

    type: Literal["step"]
    steps: int = Field(default=1, description="1 … max_steps_per_call.")


class PhaseCmd(_Command):
    """Run one phase of the current step (forward → backward → update), then a frame."""

    type: Literal["phase"]
    phase: Literal["forward", "backward", "update"]


class Select(_Command):
    """Trace an example in every frame: an `index` (of the training set, or of the test
    set with `split: "test"`), a point (`x1`, `x2`, optional `target`), `batch: true` for
    the minibatch, or nothing to stop tracing."""

    type: Literal["select"]
    index: int | None = None
    split: Literal["train", "test"] | None = Field(
        default=None, description="The set `index` counts in: train (default) or test."
    )
    x1: float | None = None
    x2: float | None = None
    target: int | None = None
    batch: bool = False


class ConfigCmd(_Command):
    """A partial configuration, as in PATCH …/config; an `ack` says if it reinitialised."""

    type: Literal["config"]
    config: dict[str, Any] = Field(description="Nested partial config: data, model, train.")


class Resolution(_Command):
    """Side R of the boundary grid in frames (0: no maps); `target` picks the delta class;
    `deltas: false` leaves the δ^(z) maps out of the frames while no view shows them."""

    type: Literal["resolution"]
    resolution: int
    target: int | None = None
    deltas: bool | None = Field(
        default=None,
        description="Send the δ^(z) maps (true) or not (false); left out, the setting "
        "stays as it was (true on a new stream).",
    )
    thumbnails: int | None = Field(
        default=None,
        description="Sample the hidden units' h maps down to about this side (every "
        "⌈R / thumbnails⌉-th grid point); 0: full R. Left out, the setting stays.",
    )


class ConventionCmd(_Command):
    """The display convention of traces (shared by the session's REST routes)."""

    type: Literal["convention"]
    sign: Sign | None = None
    layout: Layout | None = None
    bias: Bias | None = None


class Reset(_Command):
    """New parameters from the same seeds (the way out of a divergence)."""

    type: Literal["reset"]


class Seek(_Command):
    """Show a past step (time travel): every frame then describes the network as it was
    after `step` updates, until a `seek` with no step, `play`, `config` or `reset`
    returns to the live session. While shown, `step` moves through the past (never beyond
    the live step) and `phase` replays the next update phase by phase on the minibatch it
    used. The history in frames stays the live one; `timeline.at` says which step is shown.
    """

    type: Literal["seek"]
    step: int | None = Field(
        default=None, description="timeline.first … the live step; null: back to live."
    )


class ViewFields(BaseModel):
    """What a page shows besides the frame, every key optional: the stream's `view`
    command and a saved scene's view (server/schemas/library.py) share them."""

    tab: Literal["curves", "matrices", "chain-rule"] | None = None
    phase: Literal["ready", "forward", "loss", "backward", "update"] | None = None
    selected: int | None = Field(default=None, ge=0, le=100_000, description="Traced example.")
    selected_split: Literal["train", "test"] | None = None
    edge_mode: Literal["weight", "gradient"] | None = None
    discretize: bool | None = None
    show_test: bool | None = None
    sign: Sign | None = None
    layout: Layout | None = None
    bias: Bias | None = None


class View(_Command, ViewFields):
    """What the page shows besides the frame: relayed to the followers of the session's
    class (if one is open), so that their pages show the same tab, phase, traced example
    and edge mode; any subset, merged into the last one sent."""

    type: Literal["view"]


class Refresh(_Command):
    """Send a frame now without training (e.g. after a tab becomes visible)."""

    type: Literal["refresh"]


Command = Annotated[
    Play
    | Pause
    | Step
    | PhaseCmd
    | Select
    | ConfigCmd
    | Resolution
    | ConventionCmd
    | Reset
    | Seek
    | View
    | Refresh,
    Field(discriminator="type"),
]
COMMAND = TypeAdapter(Command)
