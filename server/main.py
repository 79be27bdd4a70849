"""Build the FastAPI application; nothing else happens here."""

from fastapi import FastAPI

from server import __version__
from server.routes import health
from server.settings import Settings
from server.static import mount_frontend


def create_app(settings: Settings | None = None) -> FastAPI:
    """Assemble routers and the static front end under one app."""
    app = FastAPI(
        title="Backprop Lab",
        version=__version__,
        description="Train a small MLP step by step and read every activation, "
        "delta signal and gradient of the backpropagation lecture.",
    )
    app.state.settings = settings or Settings()
    app.include_router(health.router)
    mount_frontend(app)
    return app
