"""Liveness: what the Docker HEALTHCHECK and the tests ask first."""

from fastapi import APIRouter
from pydantic import BaseModel

from server import __version__

router = APIRouter(prefix="/api", tags=["health"])


class Health(BaseModel):
    """The server is up and answering; `version` is the installed distribution's."""

    status: str = "ok"
    version: str


@router.get("/health", response_model=Health)
def health() -> Health:
    """Answer without touching any session, so it stays cheap under load."""
    return Health(version=__version__)
