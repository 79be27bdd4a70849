"""The allocator tuning: a frame's big arrays reuse freed heap memory."""

import resource
import sys

import pytest

from engine import Trainer
from server.encoding import ArrayPacker
from server.memory import keep_freed_memory
from server.payloads import boundary_dict


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_repeated_frames_cost_no_page_faults_once_tuned() -> None:
    assert keep_freed_memory() and keep_freed_memory()  # idempotent
    trainer = Trainer()

    def frame() -> None:
        boundary_dict(trainer.grid(100), ArrayPacker(binary=True), quantized=True).clear()

    for _ in range(5):
        frame()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(20):
        frame()
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    assert faults < 20 * 10  # untuned: ~140 faults per frame (about 0.6 MB of fresh pages)
