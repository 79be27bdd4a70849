"""Keep freed heap memory in the process, so that a frame's big arrays cost no page faults.

A frame allocates and frees a few hundred kilobytes of arrays (the grid's maps, their
quantised bytes, the message). glibc hands blocks that large to the OS and back: by
default a block over its mmap threshold (128 KiB, raised as it sees bigger frees) gets
its own mapping, and free memory above the trim threshold at the top of the heap is
returned. Either way the next frame touches fresh pages and pays a page fault per 4 KiB:
measured on the R = 100 grid, ~140 faults and more than half of the grid's CPU time.
Raising both thresholds keeps those blocks on the heap for reuse, at the price of holding
up to `trim` bytes of freed memory (and blocks up to `mmap` bytes) in the process.
"""

import ctypes
import sys

M_TRIM_THRESHOLD = -1  # mallopt parameters, from glibc's malloc.h
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 16 << 20  # blocks up to 16 MiB (a frame's largest is ~0.3 MB) from the heap
TRIM_THRESHOLD = 64 << 20  # return the top of the heap to the OS only beyond 64 MiB free


def keep_freed_memory(mmap: int = MMAP_THRESHOLD, trim: int = TRIM_THRESHOLD) -> bool:
    """Set glibc's mmap and trim thresholds for this process; False where there is no
    glibc (macOS, Windows, musl), which changes nothing but speed. Safe to call again."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, mmap)) and bool(mallopt(M_TRIM_THRESHOLD, trim))
