"""`backprop-lab` as a process, stopped by SIGTERM or killed by SIGKILL, then started again
on the same data directory: the session comes back under its id."""

import json
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from server.background import free_port
from server.persist import DB_NAME

ROOT = Path(__file__).resolve().parents[2]


def call(url: str, method: str = "GET", body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


@contextmanager
def server(data_dir: Path) -> Iterator[tuple[subprocess.Popen, str]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "--port", str(port), "--data-dir", str(data_dir)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                call(url + "/api/health")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(process.stdout.read().decode()) from None
                time.sleep(0.1)
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        process.stdout.close()


def saved_step(data_dir: Path, sid: str) -> int | None:
    with sqlite3.connect(data_dir / DB_NAME) as conn:
        row = conn.execute("SELECT step FROM sessions WHERE id = ?", (sid,)).fetchone()
    return row[0] if row else None


def wait_saved(data_dir: Path, sid: str, step: int) -> None:
    """Until the row holds `step` (the writer's next tick after the interval)."""
    deadline = time.monotonic() + 30
    while saved_step(data_dir, sid) != step:
        assert time.monotonic() < deadline, f"step {step} never written"
        time.sleep(0.1)


def test_sigterm_writes_everything_and_sigkill_loses_only_the_last_seconds(
    tmp_path: Path,
) -> None:
    with server(tmp_path) as (process, url):
        sid = call(url + "/api/sessions", "POST", {})["id"]
        call(f"{url}/api/sessions/{sid}/step", "POST", {"steps": 30})
        exported = call(f"{url}/api/sessions/{sid}/export")
        wait_saved(tmp_path, sid, 30)
        call(f"{url}/api/sessions/{sid}/step", "POST", {"steps": 20})  # may not be written
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    with server(tmp_path) as (process, url):
        state = call(f"{url}/api/sessions/{sid}")
        assert state["id"] == sid and state["step"] in (30, 50)  # the last write survives
        if state["step"] == 30:
            assert call(f"{url}/api/sessions/{sid}/export") == exported
        call(f"{url}/api/sessions/{sid}/reset", "POST")
        call(f"{url}/api/sessions/{sid}/step", "POST", {"steps": 70})
        exported = call(f"{url}/api/sessions/{sid}/export")
        process.send_signal(signal.SIGTERM)  # at once: no tick has written step 70
        assert process.wait(timeout=30) in (0, -signal.SIGTERM)  # uvicorn re-raises it

    with server(tmp_path) as (process, url):
        assert call(f"{url}/api/sessions/{sid}/export") == exported  # nothing lost
    with sqlite3.connect(tmp_path / DB_NAME) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_saved_experiment_and_lesson_survive_sigkill_and_sigterm(tmp_path: Path) -> None:
    """Saving answers once the experiment is in the database: a kill right after loses
    nothing; opened again it continues bit-identically (the same export as the session's)."""
    with server(tmp_path) as (process, url):
        sid = call(url + "/api/sessions", "POST", {"data": {"dataset": "xor"}})["id"]
        call(f"{url}/api/sessions/{sid}/step", "POST", {"steps": 40})
        at_save = call(f"{url}/api/sessions/{sid}/export")
        eid = call(f"{url}/api/sessions/{sid}/experiments", "POST", {"name": "xor, 40"})["id"]
        lid = call(url + "/api/lessons", "POST", {"title": "Week 3"})["id"]
        call(f"{url}/api/lessons/{lid}/scenes", "POST", {"session_id": sid, "caption": "40"})
        process.send_signal(signal.SIGKILL)  # at once, nothing flushed by a writer tick
        process.wait(timeout=30)

    for stop in (signal.SIGTERM, None):
        with server(tmp_path) as (process, url):
            assert call(f"{url}/api/experiments/{eid}")["name"] == "xor, 40"
            opened = call(f"{url}/api/experiments/{eid}/open", "POST")
            assert call(f"{url}/api/sessions/{opened['id']}/export")["state"] == at_save["state"]
            scene = call(f"{url}/api/lessons/{lid}")["scenes"][0]
            shown = call(f"{url}/api/lessons/{lid}/scenes/{scene['id']}/open", "POST")
            assert shown["step"] == 40 and shown["caption"] == "40"
            assert call(f"{url}/api/sessions/{shown['id']}/export")["state"] == at_save["state"]
            if stop is not None:
                process.send_signal(stop)
                assert process.wait(timeout=30) in (0, -stop)
    with sqlite3.connect(tmp_path / DB_NAME) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
