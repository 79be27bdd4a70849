"""Lessons: ordered scenes, each a saved state with a caption, presented one after another.

Storage is server/library.py's (the built-in lecture comes from server/lecture.py and is
read-only: 409); this module maps requests onto it, in worker threads, and renders the
JSON of docs/api.md ("Saved experiments and lessons").
"""

from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Path, Request, Response

from server.deps import EditableLibraryDep, LibraryDep, SettingsDep, StoreDep
from server.encoding import OrjsonResponse
from server.library import KEEP, Lesson, NotFoundError, Scene
from server.routes.experiments import capture_session, in_thread, iso, open_session, png_response
from server.schemas.common import ERRORS
from server.schemas.library import (
    LessonIn,
    LessonList,
    LessonOut,
    LessonPatch,
    OpenedScene,
    SceneIn,
    ScenePatch,
)
from server.sessions import Session, SessionNotFoundError, SessionStore

router = APIRouter(prefix="/api/lessons", tags=["lessons"], responses=ERRORS)

LidPath = Annotated[
    str, Path(description='The lesson\'s id ("lecture": the built-in one).', max_length=64)
]
ScidPath = Annotated[str, Path(description="The scene's id within its lesson.", max_length=64)]


def scene_json(lid: str, scene: Scene) -> dict[str, Any]:
    return {
        "id": scene.id,
        "caption": scene.caption,
        "view": scene.view,
        "step": scene.step,
        "summary": scene.summary,
        "thumbnail_url": f"/api/lessons/{lid}/scenes/{scene.id}/thumbnail.png",
        "slide": scene.slide,
        "shows": list(scene.shows),
        "question": scene.question,
    }


def lesson_json(lesson: Lesson) -> dict[str, Any]:
    return {
        "id": lesson.id,
        "title": lesson.title,
        "builtin": lesson.builtin,
        "created_at": iso(lesson.created_at),
        "updated_at": iso(lesson.updated_at),
        "scenes": [scene_json(lesson.id, s) for s in lesson.scenes],
    }


def lesson_response(lesson: Lesson, status: int = 200) -> Response:
    return OrjsonResponse(lesson_json(lesson), status_code=status)


async def session_named(store: SessionStore, session_id: str) -> Session:
    """The session a scene is copied from; 404 naming `session_id` (the body's field)."""
    try:
        return await to_thread.run_sync(store.get, session_id)  # may load it from disk
    except SessionNotFoundError as exc:
        raise NotFoundError("session_id", "session", session_id) from exc


# ---------------------------------------------------------------------- lessons


@router.get("", response_model=LessonList, summary="Every lesson")
async def list_lessons(library: EditableLibraryDep) -> Response:
    """The built-in lecture first, then yours, most recently changed first."""
    found = await in_thread(library.lessons)
    lessons = [
        {
            "id": lesson.id,
            "title": lesson.title,
            "builtin": lesson.builtin,
            "scenes": count,
            "updated_at": iso(lesson.updated_at),
        }
        for lesson, count in found
    ]
    return OrjsonResponse({"lessons": lessons})


@router.post("", status_code=201, response_model=LessonOut, summary="A new, empty lesson")
async def create_lesson(library: EditableLibraryDep, body: LessonIn) -> Response:
    return lesson_response(await in_thread(library.create_lesson, body.title), 201)


@router.get("/{lid}", response_model=LessonOut, summary="A lesson and its scenes")
async def read_lesson(lid: LidPath, library: LibraryDep) -> Response:
    return lesson_response(await in_thread(library.lesson, lid))


@router.patch("/{lid}", response_model=LessonOut, summary="Retitle or reorder a lesson")
async def update_lesson(lid: LidPath, library: EditableLibraryDep, body: LessonPatch) -> Response:
    """`order` lists every scene id once, in the new order."""
    return lesson_response(await in_thread(library.update_lesson, lid, body.title, body.order))


@router.delete("/{lid}", status_code=204, summary="Delete a lesson")
async def delete_lesson(lid: LidPath, library: EditableLibraryDep) -> Response:
    await in_thread(library.delete_lesson, lid)
    return Response(status_code=204)


@router.post(
    "/{lid}/duplicate", status_code=201, response_model=LessonOut, summary="A copy of a lesson"
)
async def duplicate_lesson(lid: LidPath, library: EditableLibraryDep) -> Response:
    """Every scene copied with its state. Of the built-in lecture, each scene is built now
    and kept: the copy is yours to edit."""
    return lesson_response(await in_thread(library.duplicate_lesson, lid), 201)


# ---------------------------------------------------------------------- scenes


@router.post("/{lid}/scenes", status_code=201, response_model=LessonOut, summary="Add a scene")
async def add_scene(
    lid: LidPath, library: EditableLibraryDep, store: StoreDep, body: SceneIn
) -> Response:
    """The session's current state is copied into the scene: the scene owns it, so the
    session training on, expiring or being deleted never changes the lesson."""
    await in_thread(library.check_editable, lid)  # 404 / 409 before any work
    session = await session_named(store, body.session_id)
    saved = await capture_session(session)
    question = body.question.model_dump() if body.question is not None else None
    lesson = await in_thread(
        library.add_scene, lid, saved, body.caption, body.view.stored(), body.position, question
    )
    return lesson_response(lesson, 201)


@router.patch("/{lid}/scenes/{scid}", response_model=LessonOut, summary="Edit a scene")
async def update_scene(
    lid: LidPath, scid: ScidPath, library: EditableLibraryDep, body: ScenePatch
) -> Response:
    """A new caption, view and/or question (the view is replaced as a whole; "question":
    null removes the question); the state stays."""
    view = body.view.stored() if body.view is not None else None
    question: Any = KEEP
    if "question" in body.model_fields_set:
        question = body.question.model_dump() if body.question is not None else None
    lesson = await in_thread(library.update_scene, lid, scid, body.caption, view, question)
    return lesson_response(lesson)


@router.delete("/{lid}/scenes/{scid}", response_model=LessonOut, summary="Remove a scene")
async def delete_scene(lid: LidPath, scid: ScidPath, library: EditableLibraryDep) -> Response:
    return lesson_response(await in_thread(library.delete_scene, lid, scid))


@router.get(
    "/{lid}/scenes/{scid}/thumbnail.png",
    summary="The scene's boundary, as a small PNG",
    responses={200: {"content": {"image/png": {}}}},
)
async def scene_thumbnail(
    lid: LidPath, scid: ScidPath, library: LibraryDep, request: Request
) -> Response:
    return png_response(request, await in_thread(library.scene_thumbnail, lid, scid))


@router.post(
    "/{lid}/scenes/{scid}/open",
    status_code=201,
    response_model=OpenedScene,
    summary="A new session at the scene's state",
)
async def open_scene(
    lid: LidPath, scid: ScidPath, library: LibraryDep, store: StoreDep, settings: SettingsDep
) -> Response:
    """Exactly the state the scene holds (for the built-in lecture: built from its recipe),
    with its view and caption, and its place: scene `index` (from 0) of `count`."""
    opened = await in_thread(library.open_scene, lid, scid)
    extra = {
        "caption": opened.caption,
        "question": opened.question,
        "index": opened.index,
        "count": opened.count,
    }
    return await open_session(store, settings, opened, extra)
