"""Shared dependencies as `Annotated` aliases: `SessionDep`, `StoreDep`, `SettingsDep`,
`LibraryDep`."""

from typing import Annotated

from fastapi import Depends, Path, Request

from server.library import Library
from server.sessions import Session, SessionStore
from server.settings import Settings


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_store(request: Request) -> SessionStore:
    return request.app.state.store


def get_library(request: Request) -> Library:
    return request.app.state.library


def get_session(
    store: Annotated[SessionStore, Depends(get_store)],
    id: Annotated[
        str,
        Path(
            description="The session id returned by POST /api/sessions.",
            examples=["q3JmC2f0m2m1sWc1vH8l6g"],
            max_length=64,
        ),
    ],
) -> Session:
    """The live session named in the path, or 404 (via SessionNotFoundError)."""
    return store.get(id)


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[SessionStore, Depends(get_store)]
SessionDep = Annotated[Session, Depends(get_session)]
LibraryDep = Annotated[Library, Depends(get_library)]
