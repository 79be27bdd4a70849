"""WS /api/sessions/{id}/stream: commands obeyed, frames well formed, clean disconnect."""

import json
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from server.encoding import decode_binary_array, decode_typed_array, split_binary_message
from server.schemas.frame import Frame

from .conftest import SETTINGS


class Viewer:
    """A test client's side of the stream: frames decoded, other messages kept."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.messages: list[dict] = []

    def send(self, **command: Any) -> None:
        self.ws.send_text(json.dumps(command))

    def receive(self) -> dict:
        """The next message: a frame (arrays decoded into `_arrays`) or an ack/error."""
        message = self.ws.receive()
        if message.get("bytes") is not None:
            header, buffers = split_binary_message(message["bytes"])
            header["_arrays"] = decode_all(header, lambda s: decode_binary_array(s, buffers))
            return header
        body = json.loads(message["text"])
        if body.get("type") == "frame":
            body["_arrays"] = decode_all(body, decode_typed_array)
        return body

    def frame(self, limit: int = 50) -> dict:
        """The next frame, keeping the messages before it in `self.messages`."""
        for _ in range(limit):
            message = self.receive()
            if message.get("type") == "frame":
                return message
            self.messages.append(message)
        raise AssertionError(f"no frame within {limit} messages: {self.messages[-5:]}")

    def message(self, kind: str, limit: int = 50) -> dict:
        """The next message of `kind` (ack, error, closed), skipping frames."""
        for _ in range(limit):
            message = self.receive()
            if message.get("type") == kind:
                return message
        raise AssertionError(f"no {kind} within {limit} messages")


def decode_all(value: Any, decode) -> dict[str, np.ndarray]:
    """Every typed array in a frame, by path, decoded (which checks offsets and sizes)."""
    out: dict[str, np.ndarray] = {}

    def walk(v: Any, path: str) -> None:
        if isinstance(v, dict):
            if "dtype" in v and ("bdata" in v or "offset" in v):
                out[path] = decode(v)
                return
            for k, item in v.items():
                walk(item, f"{path}.{k}" if path else k)
        elif isinstance(v, list):
            for i, item in enumerate(v):
                walk(item, f"{path}.{i}")

    walk(value, "")
    return out


def connect(client: TestClient, sid: str, encoding: str = "binary"):
    return client.websocket_connect(f"/api/sessions/{sid}/stream?encoding={encoding}")


def test_first_frame_is_well_formed_binary(client: TestClient, sid: str) -> None:
    with connect(client, sid) as ws:
        frame = Viewer(ws).frame()
    arrays = frame.pop("_arrays")
    assert frame["seq"] == 0 and frame["step"] == 0 and frame["history_reset"] is True
    assert frame["stream"]["playing"] is False
    R = SETTINGS.stream_resolution
    boundary = frame["boundary"]
    assert boundary["resolution"] == R
    probabilities = np.stack([arrays[f"boundary.probabilities.{k}"] for k in range(2)])
    assert probabilities.dtype == np.uint8 and probabilities.shape == (2, R, R)
    # Quantised probabilities of two classes add up to 255 within rounding.
    assert np.abs(probabilities.astype(int).sum(axis=0) - 255).max() <= 1
    assert len(boundary["layers"][0]["activations"]) == 8
    assert (
        boundary["layers"][0]["deltas"][0]["range"][0]
        == -boundary["layers"][0]["deltas"][0]["range"][1]
    )
    assert arrays["layers.0.W"].shape == (8, 2) and arrays["layers.1.W"].shape == (2, 8)
    assert arrays["layers.0.dW"].shape == (8, 2)


def test_json_encoding_sends_text_frames_with_base64(client: TestClient, sid: str) -> None:
    with connect(client, sid, "json") as ws:
        message = ws.receive()
        assert message.get("text") is not None
        frame = json.loads(message["text"])
    Frame.model_validate(frame)
    assert frame["boundary"]["probabilities"][0]["dtype"] == "u1"
    assert "bdata" in frame["layers"][0]["W"]


def test_play_trains_steps_per_frame_and_pause_stops(client: TestClient, sid: str) -> None:
    with connect(client, sid) as ws:
        viewer = Viewer(ws)
        viewer.frame()
        viewer.send(type="play", steps_per_frame=3, fps=60)
        ack = viewer.message("ack")
        assert ack == {
            "type": "ack",
            "command": "play",
            "playing": True,
            "fps": 60.0,
            "steps_per_frame": 3,
            "resolution": SETTINGS.stream_resolution,
            "target": None,
            "deltas": True,
            "thumbnails": None,
        }
        steps = [viewer.frame()["step"] for _ in range(4)]
        assert steps == [steps[0] + 3 * i for i in range(4)] and steps[0] == 3
        viewer.send(type="pause")
        assert viewer.message("ack")["playing"] is False
        viewer.send(type="refresh")
        first = viewer.frame()["step"]
        viewer.send(type="refresh")
        assert viewer.frame()["step"] == first  # paused: refreshes do not train
        assert first % 3 == 0


def test_step_and_history_since_last_frame(client: TestClient, sid: str) -> None:
    with connect(client, sid) as ws:
        viewer = Viewer(ws)
        viewer.frame()
        viewer.send(type="step", steps=25)
        frame = viewer.frame()
        assert frame["step"] == 25 and frame["history_reset"] is False
        first = frame["_arrays"]["history.step"].tolist()
        viewer.send(type="step", steps=7)
        frame = viewer.frame()
        assert frame["step"] == 32
        second = frame["_arrays"]["history.step"].tolist()
    full = decode_typed_array(client.get(f"/api/sessions/{sid}/history").json()["step"])
    assert first == [s for s in full.tolist() if 0 < s <= 25] and first[-1] == 25
    assert second == [s for s in full.tolist() if 25 < s <= 32] and second[-1] == 32


def test_phases_and_out_of_order_error(client: TestClient, sid: str) -> None:
    with connect(client, sid) as ws:
        viewer = Viewer(ws)
        viewer.frame()
        viewer.send(type="phase", phase="forward")
        assert viewer.frame()["phase"] == "forward"
        viewer.send(type="phase", phase="update")
        error = viewer.message("error")
        assert error["command"] == "phase" and "backward" in error["detail"]
        assert viewer.frame()["phase"] == "forward"  # the refused update changed nothing
        viewer.send(type="phase", phase="backward")
        assert viewer.frame()["phase"] == "backward"
        viewer.send(type="phase", phase="update")
        frame = viewer.frame()
        assert frame["phase"] == "ready" and frame["step"] == 1


def test_select_traces_an_example_a_point_the_batch_or_nothing(
    client: TestClient, sid: str
) -> None:
    with connect(client, sid) as ws:
        viewer = Viewer(ws)
        viewer.frame()
        viewer.send(type="select", index=5)
        frame = viewer.frame()
        assert frame["trace"]["kind"] == "example" and frame["trace"]["index"] == 5
        symbols = {q["symbol"]: q["display"] for q in frame["trace"]["quantities"]}
        assert symbols["delta_h"] == "δ^(h)" and "dJ/dW" in symbols
        viewer.send(type="select", x1=0.5, x2=-0.5, target=1)
        trace = viewer.frame()["trace"]
        assert trace["kind"] == "point" and trace["target"] == 1
        viewer.send(type="select", batch=True)
        assert viewer.frame()["trace"]["kind"] == "batch"
        viewer.send(type="select")
        assert viewer.frame()["trace"] is None
        viewer.send(type="select", index=100_000)
        frame = viewer.frame()
        assert frame["trace"] is None
        error = next(m for m in viewer.messages if m.get("type") == "error")
        assert error["field"] == "index" and "319" in error["detail"]


def test_config_live_then_reinitialising(client: TestClient, sid: str) -> None:
    with connect(client, sid) as ws:
        viewer = Viewer(ws)
        viewer.frame()
        viewer.send(type="step", steps=12)
        viewer.frame()
        viewer.send(type="config", config={"train": {"learning_rate": 0.02}})
        ack = viewer.message("ack")
        assert ack["command"] == "config" and ack["reinitialised"] is False
        assert ack["config"]["train"]["learning_rate"] == 0.02
        assert viewer.frame()["step"] == 12
        viewer.send(type="config", config={"model": {"hidden": [3]}})
        assert viewer.message("ack")["reinitialised"] is True
        frame = viewer.frame()
        assert frame["step"] == 0 and frame["history_reset"] is True
        assert frame["_arrays"]["layers.0.W"].shape == (3, 2)
        viewer.send(type="config", config={"train": {"learning_rate": 99}})
        error = viewer.message("error")
        assert error["field"] == "train.learning_rate" and "10" in error["detail"]


def test_resolution_and_convention(client: TestClient, sid: str) -> None:
    with connect(client, sid) as ws:
        viewer = Viewer(ws)
        viewer.frame()
        viewer.send(type="resolution", resolution=0)
        assert viewer.frame()["boundary"] is None
        viewer.send(type="resolution", resolution=33, target=1)
        frame = viewer.frame()
        assert frame["boundary"]["resolution"] == 33 and frame["boundary"]["target"] == 1
        assert frame["_arrays"]["boundary.probabilities.0"].shape == (33, 33)
        assert frame["_arrays"]["boundary.layers.0.deltas.0"].shape == (33, 33)
        # Without a view of the δ maps the client drops them: same maps otherwise.
        viewer.send(type="resolution", resolution=33, target=1, deltas=False)
        lean = viewer.frame()
        assert [layer["deltas"] for layer in lean["boundary"]["layers"]] == [None]
        assert not any(".deltas." in name for name in lean["_arrays"])
        assert lean["_arrays"]["boundary.layers.0.activations.0"].shape == (33, 33)
        assert lean["stream"]["deltas"] is False
        # Thumbnails: the h maps sampled every ⌈33 / 10⌉ = 4th point, the rest at full R.
        viewer.send(type="resolution", resolution=33, thumbnails=10)
        small = viewer.frame()
        arrays = small["_arrays"]
        assert arrays["boundary.layers.0.activations.0"].shape == (9, 9)
        assert arrays["boundary.probabilities.0"].shape == (33, 33)
        assert small["stream"]["thumbnails"] == 10 and small["stream"]["deltas"] is False
        viewer.send(type="resolution", resolution=33, thumbnails=-1)
        assert viewer.message("error")["field"] == "thumbnails"
        viewer.send(type="resolution", resolution=33, thumbnails=0)  # back to full R
        assert viewer.frame()["_arrays"]["boundary.layers.0.activations.0"].shape == (33, 33)
        viewer.send(type="resolution", resolution=33, deltas="maybe")
        assert viewer.message("error")["field"] == "resolution.deltas"
        viewer.send(type="select", index=0)
        viewer.frame()
        viewer.send(type="convention", sign="loglik", layout="column")
        trace = viewer.frame()["trace"]
        assert trace["convention"] == {"sign": "loglik", "layout": "column", "bias": "separate"}
    rest = client.get(f"/api/sessions/{sid}").json()["convention"]
    assert rest["sign"] == "loglik"  # the convention belongs to the session


@pytest.mark.parametrize(
    ("command", "field", "words"),
    [
        ({"type": "play", "fps": 500}, "fps", ("1", "60")),
        ({"type": "play", "fps": 0}, "fps", ("1", "60")),
        ({"type": "play", "steps_per_frame": 51}, "steps_per_frame", ("1", "50")),
        ({"type": "step", "steps": 0}, "steps", ("1", "500")),
        ({"type": "step", "steps": 501}, "steps", ("500",)),
        ({"type": "resolution", "resolution": 1}, "resolution", ("2", "120")),
        ({"type": "resolution", "resolution": 121}, "resolution", ("120",)),
        ({"type": "select", "x1": 1e9, "x2": 0}, "x1", ("1000",)),
        ({"type": "convention", "sign": "up"}, "sign", ("loss", "loglik")),
        ({"type": "phase", "phase": "sideways"}, "phase", ("forward",)),
        ({"type": "jump"}, "type", ("play", "pause")),
        ({"type": "play", "speed": 3}, "play.speed", ("not a known field",)),
    ],
)
def test_bad_commands_are_errors_naming_the_field(
    client: TestClient, sid: str, command: dict, field: str, words: tuple[str, ...]
) -> None:
    with connect(client, sid) as ws:
        viewer = Viewer(ws)
        viewer.frame()
        viewer.send(**command)
        error = viewer.message("error")
        assert field in (error["field"] or ""), error
        for word in words:
            assert word in error["detail"], error
        viewer.send(type="refresh")  # the stream goes on
        assert viewer.frame()["type"] == "frame"


def test_malformed_messages_are_errors_not_disconnects(client: TestClient, sid: str) -> None:
    with connect(client, sid) as ws:
        viewer = Viewer(ws)
        viewer.frame()
        for raw in ("{", "[]", "null", '"play"', "x" * 70_000):
            ws.send_text(raw)
            assert viewer.message("error")["detail"]
        ws.send_bytes(b"\x00\x01")
        assert "text" in viewer.message("error")["detail"]
        viewer.send(type="refresh")
        assert viewer.frame()["type"] == "frame"


def test_divergence_is_reported_and_pauses(client: TestClient) -> None:
    sid = client.post("/api/sessions", json={"train": {"learning_rate": 10.0}}).json()["id"]
    with connect(client, sid) as ws:
        viewer = Viewer(ws)
        viewer.frame()
        viewer.send(type="play", steps_per_frame=50, fps=60)
        for _ in range(20):
            frame = viewer.frame()
            if frame["diverged"]:
                break
        assert frame["diverged"] is True and "learning rate" in frame["divergence"]
        assert frame["stream"]["playing"] is False
        viewer.send(type="reset")
        assert viewer.message("ack")["command"] == "reset"
        frame = viewer.frame()
        assert frame["diverged"] is False and frame["step"] == 0


def test_unknown_session_closes_with_4404(client: TestClient) -> None:
    with client.websocket_connect("/api/sessions/nope/stream") as ws:
        assert json.loads(ws.receive_text())["type"] == "closed"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
    assert closed.value.code == 4404


def test_deleted_session_closes_the_stream_with_4404(client: TestClient, sid: str) -> None:
    with connect(client, sid) as ws:
        viewer = Viewer(ws)
        viewer.frame()
        assert client.delete(f"/api/sessions/{sid}").status_code == 204
        viewer.send(type="refresh")
        assert viewer.message("closed")["type"] == "closed"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
    assert closed.value.code == 4404


def test_disconnect_ends_both_tasks(client: TestClient, sid: str) -> None:
    store = client.app.state.store
    session = store.get(sid)
    with connect(client, sid) as ws:
        viewer = Viewer(ws)
        viewer.frame()
        viewer.send(type="play", steps_per_frame=1, fps=60)
        viewer.frame()
        assert session.streams == 1
    # Leaving the block closed the socket and waited for the handler to return.
    assert session.streams == 0
    step = session.trainer.step
    with connect(client, sid) as ws:  # the session is still usable
        assert Viewer(ws).frame()["step"] == step


class BlockedSocket:
    """A WebSocket whose client never reads: every send blocks until `release` is set."""

    def __init__(self, commands: list[str]) -> None:
        self.commands = list(commands)
        self.release = None  # an anyio.Event, made inside the event loop
        self.sent_frames = 0
        self.sent_texts: list[str] = []

    async def receive(self) -> dict:
        import anyio

        if self.commands:
            return {"type": "websocket.receive", "text": self.commands.pop(0)}
        await anyio.sleep_forever()

    async def send_text(self, text: str) -> None:
        self.sent_texts.append(text)

    async def send_bytes(self, data: bytes) -> None:
        self.sent_frames += 1
        await self.release.wait()  # the socket's buffer is full: backpressure

    async def close(self, code: int = 1000, reason: str = "") -> None:
        pass


def test_a_client_that_does_not_read_gets_no_queue_of_frames(client: TestClient, sid: str) -> None:
    """While one frame waits for the socket, no further frame is computed or queued."""
    import anyio

    from server.stream import Stream

    store = client.app.state.store
    session = store.get(sid)
    socket = BlockedSocket([json.dumps({"type": "play", "fps": 60, "steps_per_frame": 1})])

    async def scenario() -> tuple[int, int, int]:
        socket.release = anyio.Event()
        stream = Stream(socket, session, store, SETTINGS, binary=True)
        async with anyio.create_task_group() as tg:
            tg.start_soon(stream.run)
            await anyio.sleep(0.5)  # 30 frames would be due at 60 fps
            blocked = (socket.sent_frames, stream.seq, session.trainer.step)
            tg.cancel_scope.cancel()
        return blocked

    frames, computed, steps = anyio.run(scenario)
    assert frames == 1  # the first frame is stuck in send
    assert computed == 1  # and nothing was computed behind it
    assert steps <= 1


def test_an_unexpected_failure_in_a_frame_is_reported_and_the_stream_survives(
    client: TestClient, sid: str, monkeypatch
) -> None:
    session = client.app.state.store.get(sid)
    with connect(client, sid) as ws:
        viewer = Viewer(ws)
        viewer.frame()
        original = session.trainer.grid

        def broken(*args, **kwargs):
            raise ZeroDivisionError("a bug nobody foresaw")

        monkeypatch.setattr(session.trainer, "grid", broken)
        viewer.send(type="refresh")
        error = viewer.message("error")
        assert "ZeroDivisionError" in error["detail"]
        monkeypatch.setattr(session.trainer, "grid", original)
        viewer.send(type="refresh")
        assert viewer.frame()["type"] == "frame"


def test_commands_beyond_the_pending_limit_are_refused(client: TestClient, sid: str) -> None:
    """A flood of commands while a frame is stuck in send: the queue stays bounded."""
    import anyio

    from server.stream import MAX_PENDING, Stream

    store = client.app.state.store
    session = store.get(sid)
    socket = BlockedSocket([json.dumps({"type": "step", "steps": 1})] * 20)

    async def scenario() -> Stream:
        socket.release = anyio.Event()
        stream = Stream(socket, session, store, SETTINGS, binary=True)
        async with anyio.create_task_group() as tg:
            tg.start_soon(stream.run)
            await anyio.sleep(0.3)
            tg.cancel_scope.cancel()
        return stream

    stream = anyio.run(scenario)
    accepted = MAX_PENDING - 1  # the first frame's refresh holds one place
    refused = [json.loads(t) for t in socket.sent_texts if json.loads(t)["type"] == "error"]
    assert len(refused) == 20 - accepted
    assert all(str(MAX_PENDING) in e["detail"] for e in refused)
    assert session.trainer.step == accepted  # the accepted steps ran, in one frame
    assert socket.sent_frames == 1 and stream.seq == 1


def test_lanes_send_slow_streams_and_busy_sessions_to_the_heavy_lane() -> None:
    import anyio

    from server.stream import HEAVY_FRAME_SECONDS, Lanes

    async def scenario() -> None:
        lanes = Lanes()
        assert lanes.fast.total_tokens == 1
        assert lanes.for_frame(0.001, session_busy=False) is lanes.fast
        assert lanes.for_frame(HEAVY_FRAME_SECONDS * 2, session_busy=False) is lanes.heavy
        assert lanes.for_frame(0.001, session_busy=True) is lanes.heavy

    anyio.run(scenario)


def test_a_heavy_stream_does_not_freeze_a_light_one(client: TestClient) -> None:
    """Light frames keep coming while another stream's every frame takes half a second."""
    import time as clock

    store = client.app.state.store
    heavy = client.post("/api/sessions", json={}).json()["id"]
    light = client.post("/api/sessions", json={}).json()["id"]
    trainer = store.get(heavy).trainer
    calls = []
    real_train = trainer.train

    def slow_train(steps: int):
        calls.append(steps)
        clock.sleep(0.5)  # a big net's many steps; sleeping releases the GIL, as NumPy does
        return real_train(steps)

    trainer.train = slow_train
    with connect(client, heavy) as heavy_ws, connect(client, light) as light_ws:
        heavy_viewer, light_viewer = Viewer(heavy_ws), Viewer(light_ws)
        heavy_viewer.frame()
        light_viewer.frame()
        heavy_viewer.send(type="play", steps_per_frame=1, fps=60)
        heavy_viewer.frame()  # one slow frame: the heavy stream now knows it is heavy
        light_viewer.send(type="play", steps_per_frame=1, fps=60)
        before = len(calls)
        steps = [light_viewer.frame()["step"] for _ in range(30)]
        during = len(calls) - before
    # Had the light frames waited behind the heavy ones, each would have cost a slow call.
    assert during <= 10, during
    assert steps == sorted(steps) and steps[-1] >= 25


def test_a_reset_elsewhere_resets_the_streamed_history(client: TestClient, sid: str) -> None:
    """A REST reset then more steps than before: the stream must still say 'start over'."""
    with connect(client, sid) as ws:
        viewer = Viewer(ws)
        viewer.frame()
        viewer.send(type="step", steps=50)
        assert viewer.frame()["step"] == 50
        client.post(f"/api/sessions/{sid}/reset")
        client.post(f"/api/sessions/{sid}/step", json={"steps": 60})
        viewer.send(type="refresh")
        frame = viewer.frame()
    assert frame["step"] == 60 and frame["history_reset"] is True
    full = decode_typed_array(client.get(f"/api/sessions/{sid}/history").json()["step"])
    assert frame["_arrays"]["history.step"].tolist() == full.tolist()  # the whole history again


def test_a_reinitialising_config_then_steps_in_one_frame_resets_history(
    client: TestClient, sid: str
) -> None:
    import anyio

    from server.stream import Stream

    store = client.app.state.store
    session = store.get(sid)
    session.trainer.train(40)
    commands = [
        json.dumps({"type": "config", "config": {"model": {"hidden": [4]}}}),
        json.dumps({"type": "step", "steps": 45}),
    ]
    socket = BlockedSocket(commands)
    frames: list[dict] = []

    async def scenario() -> None:
        socket.release = anyio.Event()
        socket.release.set()  # the client reads everything

        async def record(data: bytes) -> None:
            header, _ = split_binary_message(data)
            frames.append(header)

        socket.send_bytes = record
        stream = Stream(socket, session, store, SETTINGS, binary=True)
        stream.history_after, stream.history_rows, stream.last_row_step = 40, 2, 40
        stream.seq = 1  # as if a frame at step 40 had been sent already
        async with anyio.create_task_group() as tg:
            tg.start_soon(stream.run)
            await anyio.sleep(0.3)
            tg.cancel_scope.cancel()

    anyio.run(scenario)
    assert frames[-1]["step"] == 45
    assert frames[-1]["history_reset"] is True


@pytest.mark.parametrize(
    ("due", "now", "expected"),
    [
        (10.0, 10.05, 10.1),  # on time: one period later
        (10.0, 10.13, 10.1),  # the next beat passed 30 ms ago: sent at once, late
        (10.0, 10.25, 10.2),  # two beats passed: the older skipped, the newer sent late
        (10.0, 10.45, 10.4),  # four passed: three skipped, on the same beat
    ],
)
def test_next_due_sends_a_late_frame_skips_missed_ones_and_keeps_the_beat(
    due: float, now: float, expected: float
) -> None:
    from server.stream import next_due

    result = next_due(due, 0.1, now)
    assert result == pytest.approx(expected)
    # Never more than a period late, so never a burst; always on the beat of `due`.
    assert now - 0.1 - 1e-9 <= result
    assert (result - due) / 0.1 == pytest.approx(round((result - due) / 0.1))
