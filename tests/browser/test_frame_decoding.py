"""The page's decoder (frontend/js/typed.js) turns a deflated binary frame with predicted
maps back into exactly the bytes the server quantised: every map of every kind."""

import base64

import numpy as np
import pytest

from server.encoding import ArrayPacker, decode_binary_array, split_binary_message
from server.frames import Selection, encode_frame, frame_dict

from ..server.test_frame_bytes import CASES
from ..server.test_stream import decode_all

DECODE = """
async (messages) => {
  const typed = await import("/static/js/typed.js");
  const out = [];
  for (const text of messages) {
    const buf = Uint8Array.from(atob(text), (c) => c.charCodeAt(0)).buffer;
    const frame = typed.parseBinaryFrame(buf);
    const maps = {};
    const walk = (v, path) => {
      if (v === null || typeof v !== "object") return;
      if ("bdata" in v && "dtype" in v) {
        if (v.dtype === "u1") maps[path] = Array.from(new Uint8Array(v.bdata));
        if ("predict" in v || "offset" in v) maps[path + "!"] = [];
        return;
      }
      for (const k in v) walk(v[k], path ? `${path}.${k}` : k);
    };
    walk(frame, "");
    out.push({maps, header: JSON.stringify(typed.binaryHeaderText(buf)).length});
  }
  return out;
}
"""


def message(config: dict, view: dict, resolution: int) -> bytes:
    from engine import Config, Trainer
    from server.sessions import Session

    trainer = Trainer(Config.from_dict(config))
    trainer.train(150)
    session = Session(id="decode", trainer=trainer)
    pack = ArrayPacker(binary=True)
    frame = frame_dict(
        session,
        pack,
        seq=3,
        history_after=100,
        resolution=resolution,
        selection=Selection(index=0),
        quantized=True,
        **view,
    )
    return encode_frame(frame, pack)


@pytest.mark.parametrize("resolution", [100, 23])
def test_page_restores_every_map_byte_for_byte(browser, live_server, resolution) -> None:
    messages = [message(config, view, resolution) for config, view in CASES]
    page = browser.new_page()
    try:
        page.goto(live_server.url + "/api/health")
        decoded = page.evaluate(DECODE, [base64.b64encode(m).decode() for m in messages])
    finally:
        page.close()
    for data, got in zip(messages, decoded, strict=True):
        header, buffers = split_binary_message(data)
        arrays = decode_all(header, lambda s, b=buffers: decode_binary_array(s, b))
        expected = {path: array for path, array in arrays.items() if array.dtype == np.uint8}
        maps = got["maps"]
        assert not [k for k in maps if k.endswith("!")], "a spec kept `predict` or `offset`"
        assert maps.keys() == expected.keys()
        for path, array in expected.items():
            assert maps[path] == array.ravel().tolist(), path
