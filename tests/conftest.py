"""Fixtures shared by every test folder."""

from collections.abc import Iterator

import pytest

from server.background import BackgroundServer


@pytest.fixture(scope="session")
def live_server() -> Iterator[BackgroundServer]:
    """The real app on a loopback port, for browser and socket tests."""
    with BackgroundServer() as server:
        yield server
