"""Saved experiments: a session's state kept under a name, listed, opened, shared, exported.

Storage is server/library.py's; this module turns requests into its calls (every one in a
worker thread: the database is never touched on the event loop) and its records into the
JSON of docs/api.md ("Saved experiments and lessons"). Opening a saved state makes a new
session in the store, so the saved one is never changed by training.
"""

import hashlib
import re
from datetime import UTC, datetime
from functools import partial
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Path, Request, Response

from engine import Convention
from server.deps import (
    EditableLibraryDep,
    LibraryDep,
    NotThisComputerError,
    SessionDep,
    SettingsDep,
    StoreDep,
)
from server.encoding import OrjsonResponse, dumps
from server.errors import problem
from server.library import (
    Experiment,
    NotFoundError,
    Opened,
    ReadOnlyError,
    capture,
)
from server.routes.history import trainer_of_export
from server.routes.sessions import state_dict
from server.schemas.common import ERRORS
from server.schemas.library import (
    DuplicateIn,
    ExperimentFile,
    ExperimentIn,
    ExperimentList,
    ExperimentOut,
    ExperimentPatch,
    OpenedExperiment,
)
from server.sessions import Session, SessionStore
from server.settings import Settings

router = APIRouter(prefix="/api/experiments", tags=["experiments"], responses=ERRORS)

THUMBNAIL_CACHE = "private, max-age=86400"  # a saved thumbnail never changes under its id
IMPORTED_NAME = "Imported model"

EidPath = Annotated[
    str, Path(description="The experiment's id.", max_length=64, examples=["Xq3v0bT1aZ9k"])
]


def iso(seconds: float) -> str:
    """Unix time as ISO 8601 in UTC, to the millisecond: 2025-03-01T09:30:00.000Z."""
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def experiment_json(experiment: Experiment) -> dict[str, Any]:
    eid = experiment.id
    return {
        "id": eid,
        "name": experiment.name,
        "step": experiment.step,
        "epoch": experiment.epoch,
        "loss": experiment.loss,
        "accuracy": experiment.accuracy,
        "created_at": iso(experiment.created_at),
        "updated_at": iso(experiment.updated_at),
        "summary": experiment.summary,
        "view": experiment.view,
        "thumbnail_url": f"/api/experiments/{eid}/thumbnail.png",
        "share_url": f"/e/{eid}",
        "export_url": f"/api/experiments/{eid}/export",
    }


def install_library_errors(app: Any) -> None:
    """404 naming the unknown id's parameter; 409 for an edit of the built-in lesson; 403
    for a listing or change from another device (server/deps.py)."""

    @app.exception_handler(NotFoundError)
    async def not_found(_: Request, exc: NotFoundError) -> OrjsonResponse:
        return problem(404, str(exc), exc.field)

    @app.exception_handler(ReadOnlyError)
    async def read_only(_: Request, exc: ReadOnlyError) -> OrjsonResponse:
        return problem(409, str(exc), "lid")

    @app.exception_handler(NotThisComputerError)
    async def not_this_computer(_: Request, exc: NotThisComputerError) -> OrjsonResponse:
        return problem(403, str(exc))


async def in_thread(work: Any, *args: Any) -> Any:
    """`work(*args)` in a worker thread: the library's database work, off the event loop."""
    return await to_thread.run_sync(partial(work, *args))


async def capture_session(session: Session) -> Any:
    """The session's state now, captured under its lock (state copy and thumbnail)."""
    return await session.run(lambda: capture(session.trainer, session.convention))


async def open_session(
    store: SessionStore, settings: Settings, opened: Opened, extra: dict[str, Any]
) -> Response:
    """A new session holding `opened`'s trainer and convention: 201 with its state and
    `extra` (the view, and what was opened)."""
    session = store.add(opened.trainer)
    session.convention = dict(opened.convention)
    session.changed()
    state = await session.run(lambda: state_dict(session, settings))
    return OrjsonResponse({**state, "view": opened.view, **extra}, status_code=201)


def png_response(request: Request, data: bytes) -> Response:
    """The PNG with a strong ETag and a day's caching; 304 when the browser has it."""
    etag = '"' + hashlib.sha256(data).hexdigest()[:20] + '"'
    headers = {"ETag": etag, "Cache-Control": THUMBNAIL_CACHE}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(data, media_type="image/png", headers=headers)


# ---------------------------------------------------------------------- routes


@router.post(
    "/import", status_code=201, response_model=ExperimentOut, summary="An experiment from a file"
)
async def import_experiment(library: EditableLibraryDep, body: ExperimentFile) -> Response:
    """Keep an exported file (GET …/export of an experiment, or of a session: then it is
    named "Imported model") as a new experiment, bit-identical to the exported state."""

    trainer = await in_thread(trainer_of_export, body.state)
    convention = Convention.from_dict(body.convention).to_dict()
    saved = await in_thread(capture, trainer, convention)
    meta = body.experiment
    name = meta.name if meta is not None else IMPORTED_NAME
    view = meta.view.stored() if meta is not None and meta.view is not None else {}
    experiment = await in_thread(library.create_experiment, name, saved, view)
    return OrjsonResponse(experiment_json(experiment), status_code=201)


@router.get("", response_model=ExperimentList, summary="Every saved experiment")
async def list_experiments(library: EditableLibraryDep) -> Response:
    """Newest first, without their states."""
    experiments = await in_thread(library.experiments)
    return OrjsonResponse({"experiments": [experiment_json(e) for e in experiments]})


@router.get("/{eid}", response_model=ExperimentOut, summary="One saved experiment")
async def read_experiment(eid: EidPath, library: LibraryDep) -> Response:
    return OrjsonResponse(experiment_json(await in_thread(library.experiment, eid)))


@router.patch("/{eid}", response_model=ExperimentOut, summary="Rename an experiment")
async def rename_experiment(
    eid: EidPath, library: EditableLibraryDep, body: ExperimentPatch
) -> Response:
    return OrjsonResponse(
        experiment_json(await in_thread(library.rename_experiment, eid, body.name))
    )


@router.post(
    "/{eid}/duplicate",
    status_code=201,
    response_model=ExperimentOut,
    summary="A copy of an experiment",
)
async def duplicate_experiment(
    eid: EidPath, library: EditableLibraryDep, body: DuplicateIn | None = None
) -> Response:
    """Same state, view and thumbnail under a new id; named "<name> (copy)" by default."""
    name = body.name if body is not None else None
    experiment = await in_thread(library.duplicate_experiment, eid, name)
    return OrjsonResponse(experiment_json(experiment), status_code=201)


@router.delete("/{eid}", status_code=204, summary="Delete an experiment")
async def delete_experiment(eid: EidPath, library: EditableLibraryDep) -> Response:
    """Lessons are not affected: their scenes own their states."""
    await in_thread(library.delete_experiment, eid)
    return Response(status_code=204)


@router.get(
    "/{eid}/thumbnail.png",
    summary="The experiment's boundary, as a small PNG",
    responses={200: {"content": {"image/png": {}}}},
)
async def experiment_thumbnail(eid: EidPath, library: LibraryDep, request: Request) -> Response:
    """The decision boundary and training points when it was saved, 96×96, in the page's
    class colours; drawn once, at saving."""
    return png_response(request, await in_thread(library.experiment_thumbnail, eid))


@router.post(
    "/{eid}/open",
    status_code=201,
    response_model=OpenedExperiment,
    summary="A new session at the saved state",
)
async def open_experiment(
    eid: EidPath, library: LibraryDep, store: StoreDep, settings: SettingsDep
) -> Response:
    """Parameters, optimiser, sampler RNG, data and history exactly as saved: its next
    steps are the ones the saved session would have taken. The experiment is unchanged."""
    experiment, opened = await in_thread(library.open_experiment, eid)
    return await open_session(store, settings, opened, {"experiment": experiment_json(experiment)})


@router.get("/{eid}/export", response_model=ExperimentFile, summary="The experiment as a file")
async def export_experiment(eid: EidPath, library: LibraryDep) -> Response:
    """A session export (POST /api/sessions/import takes it) plus the name and view
    (POST /api/experiments/import keeps them)."""
    experiment, state = await in_thread(library.experiment_state, eid)
    body = {
        "format": "backprop-lab/1",
        "state": state["trainer"],
        "convention": state["convention"],
        "experiment": {"name": experiment.name, "view": experiment.view},
    }
    filename = re.sub(r"[^A-Za-z0-9._-]+", "-", experiment.name).strip("-") or "experiment"
    return Response(
        await in_thread(dumps, body),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}.json"'},
    )


# The save itself hangs off the session it saves.
session_router = APIRouter(prefix="/api/sessions", tags=["experiments"], responses=ERRORS)


@session_router.post(
    "/{id}/experiments",
    status_code=201,
    response_model=ExperimentOut,
    summary="Save the session as an experiment",
)
async def save_experiment(
    session: SessionDep, library: EditableLibraryDep, body: ExperimentIn
) -> Response:
    """The session's complete current state (parameters, optimiser, RNG, data, history,
    convention) with the view given, under `name`. Training on afterwards changes nothing
    saved."""
    saved = await capture_session(session)
    view = body.view.stored() if body.view is not None else {}
    experiment = await in_thread(library.create_experiment, body.name, saved, view)
    return OrjsonResponse(experiment_json(experiment), status_code=201)
