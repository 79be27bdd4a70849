"""Fixtures shared by every test folder."""

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest

from server.background import BackgroundServer
from server.persist import DATA_DIR_ENV

# A `backprop-lab` started by a test (an install test, a subprocess) saves its sessions in a
# throw-away directory, never in the user's data directory. Apps built in-process persist
# only when a test gives them a data_dir.
_DATA_DIR = tempfile.mkdtemp(prefix="backprop-lab-test-data-")
os.environ[DATA_DIR_ENV] = _DATA_DIR
atexit.register(shutil.rmtree, _DATA_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def live_server() -> Iterator[BackgroundServer]:
    """The real app on a loopback port, for browser and socket tests."""
    with BackgroundServer() as server:
        yield server
