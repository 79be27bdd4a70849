"""Fixtures shared by every test folder."""

import os

# One BLAS thread per process, set before NumPy loads. The suite runs test servers, browser
# processes and the engine side by side on few cores; a multi-threaded BLAS there turns a
# 0.1 ms product of small matrices into a wait of many milliseconds for busy threads.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import atexit  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402

from server.background import BackgroundServer  # noqa: E402
from server.persist import DATA_DIR_ENV  # noqa: E402

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
