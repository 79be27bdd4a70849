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
import tomllib
import urllib.request
from pathlib import Path

import pytest

from server.background import free_port

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


def test_dockerfile_performs_the_same_install_and_start() -> None:
    """The image must run what the test above proves: every package copied, `pip install .`,
    the console script on 0.0.0.0:8000, and a health check on /api/health."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    include = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = [pattern.rstrip("*") for pattern in include["packages"]["find"]["include"]]
    copied = {line.split()[1] for line in dockerfile.splitlines() if line.startswith("COPY ")}
    missing = [name for name in packages if name not in copied]
    assert not missing, f"Dockerfile does not COPY the packages {missing}"
    assert "RUN pip install . " in dockerfile or "RUN pip install .\n" in dockerfile
    assert 'CMD ["backprop-lab", "--host", "0.0.0.0", "--port", "8000"]' in dockerfile
    assert "EXPOSE 8000" in dockerfile and "/api/health" in dockerfile
    assert "\nUSER " in dockerfile, "the image must not run as root"
