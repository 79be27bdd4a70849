"""The first session's work, done once at start, so the first page is not the slow one.

A fresh process pays once for what every later request gets for free: worker threads
spawned, NumPy's first calls, the encoder's first run. Measured on this machine, the first
POST /api/sessions took 45 ms against 6 ms for the next ones. Doing that work on a
throw-away session while the server waits for its first visitor moves the cost out of
the first student's time to first boundary.
"""

import logging

from engine import Config, Trainer
from server.encoding import ArrayPacker
from server.frames import Selection, encode_frame, frame_dict
from server.payloads import dataset_dict, layers_list
from server.sessions import Session
from server.settings import Settings

log = logging.getLogger("backprop_lab.server")


def warm_up(settings: Settings) -> int:
    """Build the default session and encode its state and first frame; return the bytes made."""
    session = Session(id="warm-up", trainer=Trainer(Config.from_dict({})))
    made = 0
    for binary in (False, True):  # the REST state is JSON, the stream binary
        pack = ArrayPacker(binary=binary)
        dataset_dict(session.trainer.dataset, pack)
        layers_list(session.trainer, pack)
        frame = frame_dict(
            session,
            pack,
            seq=0,
            history_after=-1,
            resolution=settings.stream_resolution,
            selection=Selection(index=0),
            quantized=True,
            thumbnails=50,
        )
        made += len(encode_frame(frame, pack))
    return made


def warm_up_quietly(settings: Settings) -> None:
    """`warm_up`, whose failure costs only the warm-up: it is logged, and the server (with
    the task group it runs in, which also frees expired sessions) carries on."""
    try:
        warm_up(settings)
    except Exception:
        log.exception("the start-up warm-up failed; the first session will be slower")
