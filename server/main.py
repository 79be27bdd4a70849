"""Build the FastAPI application (and tune the process's allocator for its frames)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from anyio import to_thread
from fastapi import FastAPI

from server import __version__
from server.classes import ClassRegistry
from server.docs import mount_docs
from server.encoding import OrjsonResponse
from server.errors import BodyLimit, SafetyNet, install_error_handlers
from server.library import Library
from server.memory import keep_freed_memory
from server.persist import Persister
from server.routes import (
    chain_rule,
    classes,
    experiments,
    health,
    history,
    inspect,
    lessons,
    options,
    points,
    sessions,
    stream,
)
from server.sessions import SessionStore
from server.settings import Settings
from server.static import mount_frontend
from server.warmup import warm_up_quietly


def sweep_interval(settings: Settings) -> float:
    """How often idle sessions are looked for: a tenth of the TTL, between 1 s and 60 s."""
    return min(60.0, max(1.0, settings.session_ttl_seconds / 10))


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load the saved sessions back and start writing behind them (with persistence), warm
    the engine up, then free expired sessions in the background, so memory returns even
    with no traffic. On shutdown, write every unsaved change and close the library's file."""
    persister: Persister | None = app.state.persist
    if persister is not None:
        # before the first request: a page reconnecting after a restart finds its session
        await to_thread.run_sync(persister.restore)
        persister.start()
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(to_thread.run_sync, warm_up_quietly, app.state.settings)

            async def sweep() -> None:
                while True:
                    await anyio.sleep(sweep_interval(app.state.settings))
                    app.state.store.expire()
                    app.state.classes.sweep(app.state.store.alive)

            tg.start_soon(sweep)
            yield
            tg.cancel_scope.cancel()
    finally:
        with anyio.CancelScope(shield=True):  # even when shut down by cancellation
            if persister is not None:
                await to_thread.run_sync(persister.stop)
            await to_thread.run_sync(app.state.library.close)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Assemble routers, error handling, the session store and the static front end."""
    settings = settings or Settings()
    keep_freed_memory()  # frames reuse freed heap memory instead of page-faulting it back
    app = FastAPI(
        lifespan=lifespan,
        title="Backprop Lab",
        version=__version__,
        description="Train a small MLP step by step and read every activation, "
        "delta signal and gradient of the backpropagation lecture. Arrays travel as "
        'Plotly.js typed arrays `{"dtype", "bdata", "shape"}`; see docs/api.md.',
        default_response_class=OrjsonResponse,
        docs_url=None,  # server.docs serves /docs without a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.store = SessionStore(settings.max_sessions, settings.session_ttl_seconds)
    app.state.persist = (
        Persister(
            app.state.store,
            settings.data_dir,
            interval=settings.save_interval_seconds,
            keep_seconds=settings.keep_seconds,
        )
        if settings.data_dir is not None
        else None
    )
    app.state.classes = ClassRegistry()
    # Saved experiments and lessons: in the same database file, or in memory without one.
    app.state.library = Library(settings.data_dir)
    install_error_handlers(app)
    classes.install_class_errors(app)
    experiments.install_library_errors(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(SafetyNet)  # added last = outermost: it sees every exception
    routers = (health, options, history, sessions, inspect, points, chain_rule, stream, classes)
    for module in (*routers, experiments, lessons):
        app.include_router(module.router)
    app.include_router(experiments.session_router)
    mount_docs(app)
    mount_frontend(app)
    return app
