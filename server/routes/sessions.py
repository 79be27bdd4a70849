"""Sessions: create, read, reconfigure, step, reset, delete."""

from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Query, Request, Response

from engine import Config, ConfigError, Convention, Trainer
from server.deps import SessionDep, SettingsDep, StoreDep
from server.encoding import ArrayPacker, OrjsonResponse, dumps
from server.errors import check_resolution, require_between
from server.frames import frame_dict
from server.payloads import dataset_dict, health_list, layers_list, metrics_dict
from server.schemas.common import ERRORS
from server.schemas.config import ConfigChange, ConfigIn
from server.schemas.frame import Frame, StepRequest
from server.schemas.session import BranchIn, ConfigPatch, SessionState
from server.sessions import Session, SessionStore
from server.settings import Settings, limits_of
from server.timeline import timeline_dict, trainer_at

router = APIRouter(prefix="/api/sessions", tags=["sessions"], responses=ERRORS)


def state_dict(session: Session, settings: Settings, step: int | None = None) -> dict[str, Any]:
    """Config, progress, metrics, parameters and data of a session (no maps); at a past
    ``step`` if one is given (see server/timeline.py)."""
    trainer = trainer_at(session.trainer, step)
    pack = ArrayPacker(binary=False)
    metrics = trainer.metrics()
    return {
        "id": session.id,
        "config": trainer.config.to_dict(),
        "convention": dict(session.convention),
        "step": int(trainer.step),
        "epoch": float(trainer.epoch),
        "phase": trainer.phase,
        "layer_names": list(trainer.layer_names),
        "metrics": metrics_dict(metrics, pack),
        "layers": layers_list(trainer, pack),
        "dataset": dataset_dict(trainer.dataset, pack),
        "diverged": bool(trainer.diverged),
        "divergence": trainer.divergence,
        "health": health_list(trainer, metrics),
        "limits": limits_of(settings),
        "timeline": timeline_dict(session.trainer, trainer),
    }


@router.post(
    "",
    status_code=201,
    response_model=SessionState,
    summary="Create a session",
)
async def create_session(
    store: StoreDep, settings: SettingsDep, body: ConfigIn | None = None
) -> Response:
    """A new session with this configuration (every field optional).

    With an empty body you get the lecture's network: one ReLU hidden layer of 8 units,
    a softmax output, negative log-likelihood, minibatch SGD, on the 2-class "circle" set.
    """
    partial = body.partial() if body is not None else {}
    trainer = await to_thread.run_sync(lambda: Trainer(Config.from_dict(partial)))
    session = store.add(trainer)
    state = await session.run(lambda: state_dict(session, settings))
    return OrjsonResponse(state, status_code=201)


@router.get("/{id}", response_model=SessionState, summary="Read a session, now or at a past step")
async def read_session(
    session: SessionDep,
    settings: SettingsDep,
    step: Annotated[
        int | None,
        Query(
            description="A past step, from timeline.first to the current step: the state "
            "exactly as it was after that many updates (its history ends there)."
        ),
    ] = None,
) -> Response:
    """The configuration, step, epoch, metrics, parameters and points of the session.

    With `step`, as they were after that update: bit-identical parameters, the data of
    then; `timeline.at` says which step the values are from.
    """
    return OrjsonResponse(await session.run(lambda: state_dict(session, settings, step)))


@router.post(
    "/{id}/branch",
    status_code=201,
    response_model=SessionState,
    summary="A new session from a past step",
)
async def branch(
    session: SessionDep, store: StoreDep, settings: SettingsDep, body: BranchIn | None = None
) -> Response:
    """A new, independent session that continues from `step` (default: now) of this one.

    Same parameters, optimiser and sampler state, data and history up to that step: with
    no `config` its next steps are exactly the ones this session took. With `config` (a
    partial configuration, as PATCH …/config) the change applies at that step and the
    branch continues from its parameters, so changing one thing (η, the batch size, the
    activation…) shows what it alone does; a change of the network's shape or data is
    refused (422 naming the field). Its timeline reaches back as far as this one's. The
    original is not touched.
    """
    step = body.step if body else None
    partial = body.config.partial() if body and body.config else None
    state = await copy_session(session, store, settings, step, partial)
    return OrjsonResponse(state, status_code=201)


async def copy_session(
    session: Session,
    store: SessionStore,
    settings: Settings,
    step: int | None = None,
    config: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A new session from `session` as it was after `step` updates (None: now), with its
    display convention and the partial `config` applied there keeping the parameters (a
    ConfigError, before any session is made, if it cannot); returns the new session's
    state. A branch and a class's fork."""

    def rebuild() -> Trainer:
        live = session.trainer
        trainer = live.at(live.step if step is None else step)
        if config:
            try:
                trainer.reconfigure(config, keep_parameters=True)
            except ConfigError as exc:
                raise _in_body(exc) from None
        return trainer

    trainer = await session.run(rebuild)
    copy = store.add(trainer)
    copy.convention = dict(session.convention)
    copy.changed()
    return await copy.run(lambda: state_dict(copy, settings))


def _in_body(exc: ConfigError) -> ConfigError:
    """The error of a branch's `config` named by its path in the body ("config.model.hidden"),
    as the schema's own errors are, so a form can put it beside the field."""
    field = f"config.{exc.field}"
    message = str(exc)
    if message.startswith(exc.field):
        return ConfigError(field, "config." + message)
    return ConfigError(field, f"{field}: {message}")


def _changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [
        f"{section}.{key}"
        for section, values in after.items()
        for key, value in values.items()
        if before.get(section, {}).get(key) != value
    ]


@router.patch("/{id}/config", response_model=ConfigChange, summary="Change the configuration")
async def patch_config(session: SessionDep, body: ConfigPatch) -> Response:
    """Apply a partial configuration.

    Learning rate, batch size, L2, momentum (everything under `train`) and the display
    `convention` change live: training continues from the current parameters. A change to
    `data` or `model` rebuilds the data and parameters (step 0); `reinitialised` says which.
    """
    partial = body.partial()
    convention = partial.pop("convention", None)

    def work() -> dict[str, Any]:
        trainer = session.trainer
        before = trainer.config.to_dict()
        if convention:
            merged = {**session.convention, **convention}
            Convention(**merged)  # validates
            session.convention = merged
        reinitialised = False
        if partial:
            _, reinitialised = trainer.reconfigure(partial)
        after = trainer.config.to_dict()
        session.changed()
        return {
            "config": after,
            "reinitialised": bool(reinitialised),
            "changed": _changed(before, after) + [f"convention.{k}" for k in (convention or {})],
        }

    return OrjsonResponse(await session.run(work))


@router.post("/{id}/step", response_model=Frame, summary="Train, or run one phase")
async def step(session: SessionDep, settings: SettingsDep, body: StepRequest) -> Response:
    """`{"steps": n}` runs n full SGD steps; `{"phase": "forward"}` runs one phase.

    The three phases of a step are forward (sample a minibatch, x → o), backward (every δ
    and gradient) and update (θ ← θ − η ∂J/∂θ); calling them out of order is a 409. The
    answer is a frame; with `resolution` it includes the boundary and neuron maps.
    """
    if body.steps is not None:
        require_between("steps", body.steps, 1, settings.max_steps_per_call)
    if body.resolution is not None:
        check_resolution(body.resolution, settings.max_resolution)
    steps = body.steps if body.steps is not None else (0 if body.phase else 1)

    def work() -> bytes:
        trainer = session.trainer
        before = int(trainer.step)
        metrics = None
        if body.phase == "forward":
            trainer.forward_phase()
        elif body.phase == "backward":
            trainer.backward_phase()
        elif body.phase == "update":
            metrics = trainer.update_phase()
        elif steps:
            metrics = trainer.train(steps)
        session.changed()
        pack = ArrayPacker(binary=False)
        frame = frame_dict(
            session,
            pack,
            seq=0,
            history_after=before,
            resolution=body.resolution,
            metrics=metrics,
        )
        return dumps(frame)

    content = await session.run(work)
    return Response(content, media_type="application/json")


@router.post("/{id}/reset", response_model=SessionState, summary="Reset the parameters")
async def reset(session: SessionDep, settings: SettingsDep) -> Response:
    """New parameters from the same seeds, step 0, history cleared; data and points kept.

    This is also how a diverged session recovers (or lower the learning rate).
    """

    def work() -> dict[str, Any]:
        session.trainer.reset()
        session.changed()
        return state_dict(session, settings)

    return OrjsonResponse(await session.run(work))


@router.delete("/{id}", status_code=204, summary="Delete the session")
def delete_session(session: SessionDep, store: StoreDep, request: Request) -> Response:
    """Free the session now rather than waiting for it to expire (its class, if open,
    ends with it)."""
    store.remove(session.id)
    request.app.state.classes.close(session.id, "the lecturer's session has ended")
    return Response(status_code=204)
