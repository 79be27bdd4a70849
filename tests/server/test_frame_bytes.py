"""Binary stream frames are light (issue 11, item 6) and lose nothing on the way.

The page's default view (the default net, R = 100, the δ maps left out, h maps as 50×50
thumbnails, training example 0 traced, 5 SGD steps a frame) must fit in 12 KB a frame, a
fifth of the 61 KB it took when the maps went as plain bytes. The bytes of a frame depend
only on the session's state, so the bound is asserted exactly, frame by frame.
"""

import json
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from engine import Config, Trainer
from server.encoding import (
    ArrayPacker,
    binary_message,
    is_compressed,
    plane_residual,
    restore_plane,
    split_binary_message,
)
from server.frames import Selection, encode_frame, frame_dict
from server.main import create_app
from server.sessions import Session
from server.settings import Settings

from .test_stream import decode_all

DEFAULT_VIEW = [
    {"type": "resolution", "resolution": 100, "deltas": False, "thumbnails": 50},
    {"type": "convention", "sign": "loss", "layout": "row", "bias": "separate"},
    {"type": "select", "index": 0},
]
LIMIT = 12_000


def test_default_view_frames_are_at_most_12_kb() -> None:
    with TestClient(create_app(Settings())) as client:
        sid = client.post("/api/sessions", json={}).json()["id"]
        with client.websocket_connect(f"/api/sessions/{sid}/stream") as ws:
            first = ws.receive()["bytes"]
            for command in DEFAULT_VIEW:
                ws.send_text(json.dumps(command))
            sizes: dict[int, int] = {}
            while len(sizes) < 40:
                message = ws.receive()
                if message.get("bytes") is None:
                    continue
                data = message["bytes"]
                header, _ = split_binary_message(data)
                if header["boundary"]["resolution"] != 100 or header["trace"] is None:
                    continue  # the frames before the page's commands took effect
                assert is_compressed(data)
                sizes[header["step"]] = len(data)
                ws.send_text(json.dumps({"type": "step", "steps": 5}))
    assert not is_compressed(first)  # the first frame goes as it is (see encode_frame)
    assert len(first) > LIMIT
    too_big = {step: size for step, size in sizes.items() if size > LIMIT}
    assert not too_big, f"frames over {LIMIT} bytes (step: bytes): {too_big}"


CASES = [
    ({}, {"thumbnails": 50, "deltas": False}),
    ({}, {"thumbnails": None, "deltas": True}),
    (
        {
            "data": {"dataset": "blobs", "classes": 3},
            "model": {"hidden": [6, 5], "activation": "tanh", "features": ["x1", "x2", "sin_x1"]},
        },
        {"deltas": True},
    ),
    ({"data": {"classes": 2}, "model": {"model": "logistic", "hidden": []}}, {"deltas": True}),
    (
        {
            "data": {"dataset": "spiral", "classes": 4},
            "model": {"hidden": [3], "activation": "sigmoid"},
        },
        {"deltas": True, "thumbnails": 7},
    ),
]


def frames_both_ways(config: dict, view: dict, resolution: int) -> tuple[Any, Any]:
    """(header, arrays, message) of one frame with predicted maps, deflated, and without."""
    trainer = Trainer(Config.from_dict(config))
    trainer.train(200)
    session = Session(id="bytes", trainer=trainer)
    out = []
    for predict in (True, False):
        pack = ArrayPacker(binary=True)
        frame = frame_dict(
            session,
            pack,
            seq=1,
            history_after=150,
            resolution=resolution,
            selection=Selection(index=0),
            quantized=True,
            predict=predict,
            **view,
        )
        message = encode_frame(frame, pack) if predict else binary_message(frame, pack)
        header, buffers = split_binary_message(message)
        out.append((header, decode_all(header, lambda s, b=buffers: _array(s, b)), message))
    return out[0], out[1]


def without_offsets(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_offsets(v) for k, v in value.items() if k != "offset"}
    if isinstance(value, list):
        return [without_offsets(v) for v in value]
    return value


def _array(spec: dict, buffers: memoryview) -> np.ndarray:
    from server.encoding import decode_binary_array

    return decode_binary_array(spec, buffers)


@pytest.mark.parametrize(("config", "view"), CASES)
@pytest.mark.parametrize("resolution", [100, 31])
def test_predicted_maps_restore_to_the_same_bytes(config, view, resolution) -> None:
    (header, arrays, message), (plain_header, plain_arrays, _) = frames_both_ways(
        config, view, resolution
    )
    assert is_compressed(message)
    # `predict` is gone once restored; nothing else differs but where the bytes lie.
    assert without_offsets(header) == without_offsets(plain_header)
    assert arrays.keys() == plain_arrays.keys()
    for key, array in plain_arrays.items():
        np.testing.assert_array_equal(arrays[key], array, err_msg=key)
    maps = [k for k in arrays if k.startswith("boundary.") and arrays[k].dtype == np.uint8]
    assert len(maps) >= 3


def test_plane_residual_round_trips_any_bytes() -> None:
    rng = np.random.default_rng(0)
    for shape in [(1, 1), (1, 9), (7, 1), (13, 17), (100, 100)]:
        q = rng.integers(0, 256, size=shape, dtype=np.uint8)
        np.testing.assert_array_equal(restore_plane(plane_residual(q)), q)
    ramp = np.add.outer(np.arange(50), 2 * np.arange(50)).astype(np.uint8)  # a plane
    residual = plane_residual(ramp)
    assert np.count_nonzero(residual[1:, 1:]) == 0


def test_json_frames_keep_plain_maps(client: TestClient, sid: str) -> None:
    with client.websocket_connect(f"/api/sessions/{sid}/stream?encoding=json") as ws:
        text = ws.receive()["text"]
    assert '"predict"' not in text and json.loads(text)["boundary"]["predicted"]["dtype"] == "u1"
