"""backprop_lab.client against a real server on loopback: the public API, decoded."""

import base64
import itertools
import json
import urllib.request
from collections.abc import Iterator

import numpy as np
import pytest

from backprop_lab import Client, ServerError
from backprop_lab.client import decode_array, quantities
from engine import Config, ModelConfig, Trainer
from server.background import BackgroundServer


@pytest.fixture(scope="module")
def server() -> Iterator[BackgroundServer]:
    with BackgroundServer() as running:
        yield running


@pytest.fixture
def client(server: BackgroundServer) -> Client:
    return Client(server.url)


def raw_json(url: str) -> dict:
    """The same route read without the client, to compare against."""
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def plain_decode(spec: dict) -> np.ndarray:
    shape = [int(s) for s in spec["shape"].split(",") if s]
    data = np.frombuffer(base64.b64decode(spec["bdata"]), dtype=np.dtype(spec["dtype"]))
    return data.reshape(shape)


def test_new_session_steps_and_counts(client: Client) -> None:
    session = client.new()
    assert session.state()["step"] == 0
    frame = session.step(10)
    assert frame["step"] == 10
    state = session.state()
    assert state["step"] == 10
    W = state["layers"][0]["W"]
    assert isinstance(W, np.ndarray) and W.shape == (8, 2) and W.dtype == np.float64
    assert isinstance(state["dataset"]["x_train"], np.ndarray)
    # attaching by id reaches the same session
    again = client.session(session.id)
    assert again.state()["step"] == 10


def test_trace_arrays_equal_the_rest_json_decoded(client: Client, server: BackgroundServer) -> None:
    session = client.new({"model": {"hidden": [6, 4]}})
    session.step(25)
    trace = session.trace(3)
    raw = raw_json(f"{server.url}/api/sessions/{session.id}/trace?index=3")
    assert [q["symbol"] for q in trace["quantities"]] == [q["symbol"] for q in raw["quantities"]]
    compared = 0
    for mine, theirs in zip(trace["quantities"], raw["quantities"], strict=True):
        if isinstance(theirs["value"], dict):
            expected = plain_decode(theirs["value"])
            assert isinstance(mine["value"], np.ndarray)
            assert mine["value"].shape == expected.shape
            assert np.array_equal(mine["value"], expected), mine["symbol"]
            compared += 1
        else:
            assert mine["value"] == theirs["value"]
    assert compared > 10
    values = quantities(trace)
    assert np.allclose(values["delta_o"][0], values["o"] - values["y"])
    batch = session.trace(batch=True)
    assert batch["kind"] == "batch"


def test_boundary_arrays_have_the_grid_shape(client: Client) -> None:
    session = client.new({"model": {"hidden": [5, 3]}})
    maps = session.boundary(resolution=30)
    assert maps["x1"].shape == (30,) and maps["x2"].shape == (30,)
    assert len(maps["probabilities"]) == 2
    assert all(p.shape == (30, 30) and p.dtype == np.float32 for p in maps["probabilities"])
    assert np.allclose(sum(maps["probabilities"]), 1.0, atol=1e-5)
    assert maps["predicted"].shape == (30, 30)
    assert [len(layer["activations"]) for layer in maps["layers"]] == [5, 3]
    assert maps["layers"][1]["deltas"][2].shape == (30, 30)
    # quantised maps come back in real units, within one byte's step of the exact ones
    rough = session.boundary(resolution=30, precision="uint8")
    assert rough["probabilities"][0].dtype == np.float32
    assert np.abs(rough["probabilities"][0] - maps["probabilities"][0]).max() <= 1 / 255 + 1e-6


def test_the_servers_state_is_the_local_trainers(client: Client) -> None:
    tr = Trainer(Config(model=ModelConfig(hidden=[4])))
    tr.train(12)
    session = client.import_state({"format": "backprop-lab/1", "state": tr.to_state()})
    assert session.state()["step"] == 12
    assert np.array_equal(session.state()["layers"][1]["W"], tr.parameters()["U"])
    local = tr.trace_example(5)
    served = quantities(session.trace(5))
    assert np.array_equal(served["delta_h"], local["delta_h"])


def test_phases_in_order_and_out_of_order(client: Client) -> None:
    session = client.new()
    assert session.phase("forward")["phase"] == "forward"
    assert session.phase("backward")["phase"] == "backward"
    assert session.phase("update")["step"] == 1
    with pytest.raises(ServerError) as caught:
        session.phase("backward")
    assert caught.value.status == 409


def test_frames_yield_a_trained_frame_after_play(client: Client) -> None:
    session = client.new()
    frames = session.frames(play=True, steps_per_frame=5, fps=30, resolution=20)
    first = next(frames)
    assert first["type"] == "frame" and first["step"] == 0
    trained = next(f for f in itertools.islice(frames, 200) if f["step"] > 0)
    frames.close()  # pauses the session and closes the socket
    assert trained["step"] % 5 == 0
    assert trained["boundary"]["probabilities"][0].shape == (20, 20)
    assert trained["boundary"]["probabilities"][0].dtype == np.float32  # dequantised u1
    assert isinstance(trained["layers"][0]["W"], np.ndarray)
    assert session.state()["step"] >= trained["step"]


def test_json_frames_decode_as_binary_ones(client: Client) -> None:
    session = client.new()
    frames = session.frames(play=False, encoding="json", resolution=10)
    first = next(frames)  # sent on connect
    assert first["step"] == 0 and isinstance(first["boundary"]["predicted"], np.ndarray)
    # The resolution command may arrive before that first frame is made (then the first
    # frame already answers it) or after (then the next one does).
    answer = first if first["boundary"]["predicted"].shape == (10, 10) else next(frames)
    frames.close()
    assert answer["boundary"]["predicted"].shape == (10, 10)


def test_a_bad_config_raises_with_the_field_named(client: Client) -> None:
    with pytest.raises(ServerError) as caught:
        client.new({"train": {"learning_rate": 50}})
    err = caught.value
    assert err.status == 422
    assert err.field == "train.learning_rate"
    assert "train.learning_rate" in str(err) and "50" in err.detail
    with pytest.raises(ServerError) as caught:
        client.new({"model": {"hiden": [3]}})
    assert caught.value.field == "model.hiden"


def test_a_refused_stream_command_raises(client: Client) -> None:
    session = client.new()
    with pytest.raises(ServerError) as caught:
        list(itertools.islice(session.frames(play=True, fps=100_000), 5))
    assert caught.value.field == "fps"


def test_a_missing_session_is_a_404(client: Client) -> None:
    with pytest.raises(ServerError) as caught:
        client.session("no-such-session")
    assert caught.value.status == 404


def test_decode_array_reads_every_dtype_and_a_range() -> None:
    for dtype in ("f8", "f4", "i4", "u4", "i2", "u2", "i1", "u1"):
        values = np.arange(6, dtype=np.dtype(dtype)).reshape(2, 3)
        spec = {"dtype": dtype, "shape": "2,3", "bdata": base64.b64encode(values.tobytes())}
        assert np.array_equal(decode_array(spec), values)
    spec = {
        "dtype": "u1",
        "shape": "2",
        "bdata": base64.b64encode(bytes([0, 255])),
        "range": [-2, 2],
    }
    assert np.array_equal(decode_array(spec), np.array([-2.0, 2.0], dtype=np.float32))
    assert decode_array({"dtype": "f8", "shape": "", "bdata": base64.b64encode(b"\0" * 8)}) == 0


def test_following_a_class_reads_the_lecturers_session_and_forks_it(client: Client) -> None:
    lecturer = client.new()
    lecturer.step(40)
    room = client.request("POST", f"/api/sessions/{lecturer.id}/class")
    followed = client.follow(room["code_display"])  # as read aloud: "4821 7309"
    state = followed.state()
    assert "id" not in state and state["step"] == 40
    assert isinstance(state["layers"][0]["W"], np.ndarray)
    assert followed.history()["step"][-1] == 40
    # the stream: the lecturer's next frame, as the lecturer's own stream sends it
    frames = followed.frames()
    for frame in itertools.islice(lecturer.frames(play=False), 1):
        assert frame["step"] == 40
    first = next(f for f in frames if f.get("type") == "frame")
    assert first["step"] == 40 and isinstance(first["layers"][0]["W"], np.ndarray)
    frames.close()
    with pytest.raises(AttributeError, match=r"read-only.*fork\(\)"):
        followed.step(1)  # a class has no step: the message points to fork()
    assert lecturer.state()["step"] == 40
    mine = followed.fork()
    assert mine.id != lecturer.id and mine.state()["step"] == 40
    mine.step(5)
    assert lecturer.state()["step"] == 40  # the lecturer's session is untouched
    client.request("DELETE", f"/api/sessions/{lecturer.id}/class")
    with pytest.raises(ServerError) as gone:
        client.follow(room["code"])
    assert gone.value.status == 404 and gone.value.field == "code"
