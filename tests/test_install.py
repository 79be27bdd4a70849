"""The Dockerfile's steps, outside Docker: a non-editable install, then the console script.

No Docker engine runs where the tests run, so this performs what the image does —
`pip install .` into a fresh virtual environment, start `backprop-lab` from a directory
outside the source tree — and checks the health route and the page it serves. It proves
that `frontend/` ships as package data and that Plotly.js comes from the installed
`plotly` package.
"""

import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[1]
SKIP = shutil.ignore_patterns(
    ".venv", ".git", "artifacts", "build", "dist", "*.egg-info", "__pycache__", ".*_cache"
)

pytestmark = pytest.mark.slow


def fetch(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.headers.get("content-type", ""), response.read()


def wait_for(url: str, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"backprop-lab exited with {process.returncode}")
        try:
            fetch(url)
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds} s")


def test_non_editable_install_serves_the_page(tmp_path: Path) -> None:
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=SKIP)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", str(source)],
        check=True,
        cwd=tmp_path,
    )
    shutil.rmtree(source)  # the installed copy must stand on its own

    port = free_port()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    process = subprocess.Popen(
        [str(venv / "bin" / "backprop-lab"), "--port", str(port)],
        cwd=outside,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/api/health", process)
        status, _, body = fetch(f"{base}/api/health")
        assert status == 200 and b'"status":"ok"' in body.replace(b" ", b"")

        status, ctype, body = fetch(f"{base}/")
        assert status == 200 and ctype.startswith("text/html")
        assert b"/vendor/plotly.min.js" in body

        status, ctype, body = fetch(f"{base}/vendor/plotly.min.js")
        assert status == 200 and ctype.startswith("text/javascript") and len(body) > 1_000_000

        status, ctype, _ = fetch(f"{base}/static/js/api.js")
        assert status == 200 and "javascript" in ctype
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert f"http://localhost:{port}" in output, output
