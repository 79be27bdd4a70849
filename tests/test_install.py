"""The user's path, for real: install with runtime dependencies only, start, stream, train.

The two ways a user starts the app are each checked end to end, in an environment that
holds the runtime dependencies and nothing else (no test extras: a WebSocket library that
only the tests install once hid a dead stream from every test):

- `pip` — `pip install .` into a fresh virtual environment outside the source tree, then
  the console script `backprop-lab` from another directory: what the Dockerfile does;
- `make run` — the README's first command, in a fresh copy of the source tree, which
  builds its own `.venv` and serves.

Against each: the page and its assets are served; a new session's WebSocket stream sends
a frame after `play`; in headless Chromium the step counter advances after Space, with no
console error. The clients (urllib, websockets, Playwright) run from the test environment.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from websockets.sync.client import connect

from server.background import free_port
from server.cli import parse_args
from server.encoding import split_binary_message
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PageProblems

ROOT = Path(__file__).resolve().parents[1]
SKIP = shutil.ignore_patterns(
    ".venv", ".git", "artifacts", "build", "dist", "*.egg-info", "__pycache__", ".*_cache"
)
# Must not be in a user's environment.
TEST_ONLY = ("pytest", "playwright", "httpx2", "ruff", "nbclient", "ipykernel")

pytestmark = pytest.mark.slow


@dataclass
class App:
    """A running install: where it serves, and the Python of its environment."""

    url: str
    python: Path
    process: subprocess.Popen


def fetch(url: str, body: dict | None = None) -> tuple[int, str, bytes]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers.get("content-type", ""), response.read()


def wait_for(url: str, process: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise AssertionError(f"the server exited with {process.returncode}:\n{output}")
        try:
            fetch(url)
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds} s")


def stop(process: subprocess.Popen) -> str:
    """End the process and everything it started (make → backprop-lab); return its output."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
    return output


def start(command: list[str], cwd: Path, port: int, python: Path, seconds: float) -> App:
    process = subprocess.Popen(
        command,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, so stop() ends make's child too
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/api/health", process, seconds)
    except AssertionError:
        stop(process)
        raise
    return App(url, python, process)


@pytest.fixture(scope="module")
def pip_install(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """`pip install .` (non-editable) into a fresh venv; the source copy is then deleted."""
    tmp = tmp_path_factory.mktemp("pip")
    source = tmp / "src"
    shutil.copytree(ROOT, source, ignore=SKIP)
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, str(source)], check=True, cwd=tmp)
    shutil.rmtree(source)  # the installed copy must stand on its own
    outside = tmp / "elsewhere"
    outside.mkdir()
    port = free_port()
    app = start(
        [str(venv / "bin" / "backprop-lab"), "--port", str(port)],
        outside,
        port,
        venv / "bin" / "python",
        seconds=60,
    )
    yield app
    output = stop(app.process)
    assert f"http://localhost:{port}" in output, output


@pytest.fixture(scope="module")
def make_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """The README's `make run` in a fresh copy of the source tree: it builds `.venv` itself."""
    source = tmp_path_factory.mktemp("make") / "backprop-lab"
    shutil.copytree(ROOT, source, ignore=SKIP)
    port = free_port()
    # The install happens inside `make run`, before the server answers: allow for it.
    app = start(
        ["make", "run", f"PORT={port}"], source, port, source / ".venv" / "bin" / "python", 600
    )
    yield app
    stop(app.process)


@pytest.fixture(params=["pip", "make run"])
def app(request: pytest.FixtureRequest) -> App:
    return request.getfixturevalue("pip_install" if request.param == "pip" else "make_run")


def test_the_environment_holds_runtime_dependencies_only(app: App) -> None:
    probe = "import importlib.util as u, sys; print([m for m in sys.argv[1:] if u.find_spec(m)])"
    found = subprocess.run(
        [str(app.python), "-c", probe, *TEST_ONLY], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert found == "[]", f"test-only packages in the user's environment: {found}"


def test_the_python_companion_imports_from_the_users_install(app: App) -> None:
    """`backprop_lab` (figures and the client) is installed with the app, outside the tree:
    run from another directory, its modules and their runtime dependencies import."""
    probe = "import backprop_lab.figures, backprop_lab.client, engine; print('ok')"
    done = subprocess.run(
        [str(app.python), "-c", probe], capture_output=True, text=True, cwd=tempfile.gettempdir()
    )
    assert done.stdout.strip() == "ok", done.stderr


RUN_NOTEBOOK = """
import sys
import nbformat
from nbclient import NotebookClient
notebook = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(notebook, timeout=300, kernel_name="python3").execute()
print("executed", sum(cell.cell_type == "code" for cell in notebook.cells), "code cells")
"""


def test_the_lecture_notebook_runs_with_the_runtime_install_plus_jupyter_only(
    tmp_path: Path,
) -> None:
    """A student's notebook: `pip install .` and Jupyter's kernel and runner, nothing of the
    test environment, run outside the source tree, top to bottom in a fresh kernel."""
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=SKIP)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    pip = [python, "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, str(source), "nbclient", "nbformat", "ipykernel"], check=True)
    notebook = tmp_path / "lecture.ipynb"
    shutil.copy(source / "docs" / "notebooks" / "lecture.ipynb", notebook)
    shutil.rmtree(source)  # the installed copy must stand on its own
    done = subprocess.run(
        [python, "-c", RUN_NOTEBOOK, str(notebook)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert "executed" in done.stdout


def test_page_and_assets_are_served(app: App) -> None:
    status, _, body = fetch(f"{app.url}/api/health")
    assert status == 200 and json.loads(body)["status"] == "ok"
    status, ctype, body = fetch(f"{app.url}/")
    assert status == 200 and ctype.startswith("text/html")
    assert b"/static/js/main.js" in body
    status, ctype, body = fetch(f"{app.url}/vendor/plotly.min.js")
    assert status == 200 and "javascript" in ctype and len(body) > 1_000_000
    status, ctype, _ = fetch(f"{app.url}/static/js/api.js")
    assert status == 200 and "javascript" in ctype


def test_stream_sends_a_trained_frame_after_play(app: App) -> None:
    _, _, body = fetch(f"{app.url}/api/sessions", {})
    session = json.loads(body)["id"]
    ws_url = app.url.replace("http://", "ws://") + f"/api/sessions/{session}/stream"
    with connect(ws_url, open_timeout=10) as ws:
        ws.send(json.dumps({"type": "play", "steps_per_frame": 5, "fps": 30}))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            message = ws.recv(timeout=10)
            if isinstance(message, bytes):
                header, _ = split_binary_message(message)
                if header["type"] == "frame" and header["step"] > 0:
                    assert header["boundary"] is not None
                    return
        pytest.fail("no frame with training steps arrived within 20 s of play")


def test_page_trains_after_space_with_no_console_error(app: App) -> None:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (as root: apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI requires the browser: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    problems = PageProblems()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        problems.attach(page)
        page.set_default_timeout(20_000)
        page.goto(app.url + "/")
        expect(page.locator("#connection")).to_have_attribute("data-status", "open")
        expect(page.locator("#step-counter")).to_have_text("0")
        page.keyboard.press("Space")  # play
        page.wait_for_function(
            "Number(document.querySelector('#step-counter').textContent) > 0", timeout=20_000
        )
        page.keyboard.press("Space")  # pause
        browser.close()
    assert not problems.messages, "the page reported problems:\n" + "\n".join(problems.messages)


def test_dockerfile_performs_the_same_install_and_start() -> None:
    """The image must run what the `pip` case proves: every package copied, `pip install .`,
    the console script on 0.0.0.0:8000, and a health check on /api/health."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    include = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = [pattern.rstrip("*") for pattern in include["packages"]["find"]["include"]]
    copied = {line.split()[1] for line in dockerfile.splitlines() if line.startswith("COPY ")}
    missing = [name for name in packages if name not in copied]
    assert not missing, f"Dockerfile does not COPY the packages {missing}"
    assert "RUN pip install . " in dockerfile or "RUN pip install .\n" in dockerfile
    cmd = json.loads(next(line for line in dockerfile.splitlines() if line.startswith("CMD "))[4:])
    assert cmd[0] == "backprop-lab"
    args = parse_args(cmd[1:])  # the flags the console script takes, or SystemExit
    assert (args.host, args.port) == ("0.0.0.0", 8000)
    assert "EXPOSE 8000" in dockerfile and "/api/health" in dockerfile
    assert "\nUSER " in dockerfile, "the image must not run as root"
