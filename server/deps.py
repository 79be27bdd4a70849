"""Shared dependencies as `Annotated` aliases: `SessionDep`, `StoreDep`, `SettingsDep`,
`LibraryDep`, `EditableLibraryDep`."""

from typing import Annotated

from fastapi import Depends, Path, Request

from server.library import Library
from server.sessions import Session, SessionStore
from server.settings import Settings, is_loopback

SHARE_LINKS_ONLY = (
    "saved experiments and lessons are listed and changed only from the computer the server "
    "runs on; other devices open them by their share links (/e/…, /lesson/…). Start the "
    "server with --shared-library to let every device change them"
)


class NotThisComputerError(PermissionError):
    """A change to the library (or its listing) from another device, not allowed."""

    def __init__(self) -> None:
        super().__init__(SHARE_LINKS_ONLY)


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


def get_editable_library(
    request: Request,
    settings: Annotated[Settings, Depends(get_settings)],
    library: Annotated[Library, Depends(get_library)],
) -> Library:
    """The library, for listing and changing it: in a lecture hall served to the room
    (--host 0.0.0.0), a student's device must not rename or delete the lecturer's lessons;
    it opens what it is given a link to. Decided by where the request comes from, not by
    the address the server was told to bind (a server may be started other ways). A proxy
    or tunnel on this computer makes every request look local: share the library with
    care behind one."""
    client = request.client.host if request.client else ""
    if settings.shared_library or is_loopback(client):
        return library
    raise NotThisComputerError()


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[SessionStore, Depends(get_store)]
SessionDep = Annotated[Session, Depends(get_session)]
LibraryDep = Annotated[Library, Depends(get_library)]
EditableLibraryDep = Annotated[Library, Depends(get_editable_library)]
