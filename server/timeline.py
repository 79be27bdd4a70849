"""Time travel on the server: a session's trainer as it was at a past step.

The engine rebuilds any past step exactly (``Trainer.at``, see engine/timeline.py); this
module only decides when that is needed and describes the timeline to clients. Runs under
the session's lock, in a worker thread, like every other use of a trainer.
"""

from typing import Any


def trainer_at(live: Any, step: int | None) -> Any:
    """The live trainer for ``step`` None (or its own step between phases), else a new
    trainer rebuilt at ``step``; a step outside the run is a ConfigError naming the range."""
    if step is None or (step == live.step and live.phase == "ready"):
        return live
    return live.at(step)


def timeline_dict(live: Any, shown: Any = None) -> dict[str, Any]:
    """{"first", "now", "at", "data"}: the revisitable steps, the past step ``shown`` (if
    the values beside this block come from a past trainer rather than the live one), and
    the version of the points it was trained on (a client fetches them again on a change)."""
    past = shown is not None and shown is not live
    return {
        "first": live.timeline.first_step,
        "now": int(live.step),
        "at": int(shown.step) if past else None,
        "data": int((shown if past else live).data_version),
    }
