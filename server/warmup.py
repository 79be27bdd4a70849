"""The first session's work, done once at start, so the first page is not the slow one.

A fresh process pays once for what every later request gets for free: worker threads
spawned, NumPy's first calls, the encoder's first run. Measured on this machine, the first
POST /api/sessions took 45 ms against 6 ms for the next ones. Doing that work on a
throw-away session while the server waits for its first visitor moves the cost out of
the first student's time to first boundary.
"""

from engine import Config, Trainer
from server.encoding import ArrayPacker
from server.frames import Selection, encode_frame, frame_dict
from server.payloads import dataset_dict, layers_list
from server.sessions import Session
from server.settings import Settings


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
