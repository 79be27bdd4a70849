"""A saved state's thumbnail: its decision boundary with the training points, as a PNG.

Drawn once, when an experiment or a scene is saved, and stored with it: a list of saved
experiments then costs a few kilobytes of images and no CPU. The colours are the page's
(frontend/js/views/colors.js, the Okabe–Ito palette), so a thumbnail looks like the
boundary the user saw: each grid cell takes its predicted class's colour, lightened
towards white (more for a less confident prediction), and each training point is a small
plus of its class's full colour (a few hundred points on 96 pixels leave room for no more).
The PNG is written here with zlib and struct, so drawing it needs no imaging library.
"""

import struct
import zlib
from typing import Any

import numpy as np

SIZE = 96  # pixels a side: sharp on a high-density screen at 48 CSS pixels
CLASS_COLORS = ("#E69F00", "#0072B2", "#009E73", "#CC79A7", "#D55E00", "#56B4E9")
LIGHTEST, DARKEST = 0.2, 0.55  # share of the class colour in a cell, least → most confident


def palette() -> np.ndarray:
    """The class colours as a (6, 3) float array of 0…255."""
    return np.array(
        [[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in CLASS_COLORS], dtype=np.float64
    )


def boundary_pixels(probabilities: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """(R, R, 3) uint8 pixels of the boundary, top row = largest x₂ (as the page draws it).

    `probabilities` is (K, R, R), `predicted` (R, R), both with row i at the i-th x₂."""
    colours = palette()
    classes = np.clip(predicted.astype(np.int64), 0, len(colours) - 1)
    k = max(int(probabilities.shape[0]), 2)
    top = np.nan_to_num(probabilities.max(axis=0), nan=1.0 / k)  # a diverged net: pale
    confidence = np.clip((top - 1.0 / k) / (1.0 - 1.0 / k), 0.0, 1.0)
    share = (LIGHTEST + (DARKEST - LIGHTEST) * confidence)[..., None]  # (R, R, 1)
    pixels = 255.0 * (1.0 - share) + colours[classes] * share
    return np.flipud(np.rint(pixels)).astype(np.uint8)


def draw_points(
    pixels: np.ndarray,
    points: np.ndarray,
    labels: np.ndarray,
    extent: tuple[float, float, float, float],
) -> None:
    """Draw each point (n, 2) as a 3-pixel plus of its class colour, in place."""
    size = pixels.shape[0]
    colours = palette().astype(np.uint8)
    x1min, x1max, x2min, x2max = extent
    cols = np.rint((points[:, 0] - x1min) / max(x1max - x1min, 1e-12) * (size - 1))
    rows = np.rint((x2max - points[:, 1]) / max(x2max - x2min, 1e-12) * (size - 1))
    for col, row, label in zip(cols, rows, labels, strict=True):
        if not (np.isfinite(col) and np.isfinite(row)):
            continue
        c, r = int(col), int(row)
        colour = colours[min(int(label), len(colours) - 1)]
        pixels[max(r - 1, 0) : r + 2, c] = colour  # a plus sign: small, yet seen
        pixels[r, max(c - 1, 0) : c + 2] = colour


def png(pixels: np.ndarray) -> bytes:
    """An 8-bit RGB PNG of (height, width, 3) uint8 pixels (filter 0 on every row)."""
    height, width, _ = pixels.shape
    rows = np.zeros((height, 1 + 3 * width), dtype=np.uint8)  # column 0: the filter byte
    rows[:, 1:] = pixels.reshape(height, 3 * width)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8 bits, RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows.tobytes(), 9))
        + chunk(b"IEND", b"")
    )


def thumbnail(trainer: Any, size: int = SIZE) -> bytes:
    """The PNG of a trainer's boundary and training points (call holding its lock)."""
    maps = trainer.grid(size, deltas=False)
    pixels = boundary_pixels(np.asarray(maps.probabilities), np.asarray(maps.predicted))
    data = trainer.dataset
    draw_points(pixels, np.asarray(data.x_train), np.asarray(data.y_train), maps.extent)
    return png(pixels)
