"""NumPy arrays to bytes: Plotly.js typed-array specs, binary frames and orjson responses.

Plotly.js (2.28 and later) reads a data array given as `{"dtype", "bdata", "shape"}`:
`dtype` is a short code such as "f4" or "u1", `bdata` the little-endian buffer as base64
(or an ArrayBuffer), `shape` the dimensions as a comma-separated string ("8,100,100"),
row-major. Nested JSON lists cost ~500 times more to encode and parse for a 100×100 map.
"""

import base64
import struct
import zlib
from typing import Any

import numpy as np
import orjson
from fastapi.responses import JSONResponse

# numpy dtype → Plotly.js dtype code; Plotly.js has no 64-bit integers.
PLOTLY_DTYPES: dict[str, str] = {
    "float64": "f8",
    "float32": "f4",
    "int32": "i4",
    "uint32": "u4",
    "int16": "i2",
    "uint16": "u2",
    "int8": "i1",
    "uint8": "u1",
}
NUMPY_DTYPES: dict[str, str] = {code: name for name, code in PLOTLY_DTYPES.items()}


# The same table keyed by dtype object, for the hot path (dtype.name is slow to compute).
_CODES: dict[np.dtype, str] = {
    np.dtype(name).newbyteorder("<"): c for name, c in PLOTLY_DTYPES.items()
}


def _plotly_ready(array: np.ndarray) -> tuple[np.ndarray, str]:
    """A little-endian, C-contiguous array of a dtype Plotly.js knows, and its code."""
    if not isinstance(array, np.ndarray):
        array = np.asarray(array)
    code = _CODES.get(array.dtype)
    if code is not None and array.flags.c_contiguous:
        return array, code  # the common case: nothing to convert
    if array.dtype == np.bool_:
        array = array.astype(np.uint8)
    elif array.dtype.kind in "iu" and array.dtype.itemsize == 8:
        array = array.astype(np.int32)  # Plotly.js has no 64-bit integers
    elif array.dtype.kind == "f" and array.dtype.itemsize not in (4, 8):
        array = array.astype(np.float64)
    array = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
    code = _CODES.get(array.dtype)
    if code is None:
        raise TypeError(f"cannot encode an array of dtype {array.dtype} for Plotly.js")
    return array, code


_SHAPES: dict[tuple[int, ...], str] = {}


def shape_string(shape: tuple[int, ...]) -> str:
    """Plotly.js wants the shape as "rows,cols" (a string), not a JSON list."""
    text = _SHAPES.get(shape)
    if text is None:
        text = _SHAPES[shape] = ",".join(map(str, shape))
        if len(_SHAPES) > 4096:  # a handful of shapes recur; never let this grow
            _SHAPES.clear()
    return text


def typed_array(array: np.ndarray) -> dict[str, str]:
    """The Plotly.js typed-array spec of `array` with its bytes as base64."""
    array, code = _plotly_ready(array)
    return {
        "dtype": code,
        "bdata": base64.b64encode(array.data).decode("ascii"),
        "shape": shape_string(array.shape),
    }


def decode_typed_array(spec: dict[str, Any]) -> np.ndarray:
    """The inverse of `typed_array`, for clients written in Python and for the tests."""
    dtype = np.dtype(NUMPY_DTYPES[spec["dtype"]]).newbyteorder("<")
    flat = np.frombuffer(base64.b64decode(spec["bdata"]), dtype=dtype)
    shape = tuple(int(n) for n in str(spec["shape"]).split(",") if n.strip())
    return flat.reshape(shape)


def quantize(array: np.ndarray, low: float, high: float, *, finite: bool = False) -> np.ndarray:
    """Map [low, high] linearly onto 0..255 (uint8): 4× fewer bytes, 256 colour levels.

    A value v is recovered as low + (high − low) · q / 255, to within half a level;
    out-of-range values saturate. NaN becomes 0 and ±inf saturate, unless the caller
    vouches with `finite=True` that there are none (it then saves a pass).
    """
    if not finite:
        array = np.nan_to_num(array, nan=low, posinf=high, neginf=low)
    span = high - low if high > low else 1.0
    scale = 255.0 / span
    scaled = np.multiply(array, np.float32(scale), dtype=np.float32)
    scaled += np.float32(0.5 - low * scale)  # + 0.5: the truncation below rounds to nearest
    np.clip(scaled, np.float32(0.0), np.float32(255.49), out=scaled)
    return scaled.astype(np.uint8)


class ArrayPacker:
    """Collects the arrays of one message, inline as base64 or as one binary payload.

    In JSON mode each array becomes a typed-array spec with `bdata` as base64. In binary
    mode `bdata` is replaced by `offset` and `nbytes` into the buffers that follow the
    JSON header (see `binary_message`); the client sets
    `spec.bdata = buffer.slice(offset, offset + nbytes)` and hands the spec to Plotly.js.
    """

    ALIGN = 8  # each add() starts at a multiple of 8; a stack's items follow each other,
    # so every offset is a multiple of its element size and any typed-array view is legal

    def __init__(self, binary: bool) -> None:
        self.binary = binary
        self._chunks: list[bytes | memoryview] = []
        self._size = 0

    def add(self, array: np.ndarray, **extra: Any) -> dict[str, Any]:
        """The spec for `array`; `extra` keys (e.g. a quantisation `range`) ride along."""
        if not self.binary:
            spec: dict[str, Any] = typed_array(array)
            spec.update(extra)
            return spec
        array, code = _plotly_ready(array)
        data = array.data.cast("B") if array.ndim else memoryview(array.tobytes())
        spec = {
            "dtype": code,
            "shape": shape_string(array.shape),
            "offset": self._size,
            "nbytes": data.nbytes,
        }
        spec.update(extra)
        self._append(data)
        return spec

    def add_stack(self, stack: np.ndarray, **extra: Any) -> list[dict[str, Any]]:
        """One spec per leading index of `stack` (e.g. one map per unit), the same as
        calling `add` on each, but in binary mode the bytes are copied once."""
        if not self.binary:
            return [self.add(item, **extra) for item in stack]
        stack, code = _plotly_ready(stack)
        data = stack.data.cast("B")
        each = data.nbytes // max(1, len(stack))
        shape = shape_string(stack.shape[1:])
        base = self._size
        specs = [
            {"dtype": code, "shape": shape, "offset": base + i * each, "nbytes": each, **extra}
            for i in range(len(stack))
        ]
        self._append(data)
        return specs

    def _append(self, data: bytes | memoryview) -> None:
        """Queue one array's bytes, padded so the next array starts aligned."""
        self._chunks.append(data)
        self._size += data.nbytes
        padding = -self._size % self.ALIGN
        if padding:
            self._chunks.append(b"\0" * padding)
            self._size += padding

    def buffers(self) -> list[bytes | memoryview]:
        """The payload as its pieces (array views and padding), in order."""
        return self._chunks

    def payload(self) -> bytes:
        return b"".join(self._chunks)


def dumps(content: Any) -> bytes:
    """orjson with NumPy scalars and arrays allowed (small arrays only; big ones are specs)."""
    return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS)


def binary_message(header: dict[str, Any], packer: ArrayPacker) -> bytes:
    """[uint32 LE header length][UTF-8 JSON header][zero padding to 8][buffers].

    Offsets in the header count from the first byte after the padding.
    """
    head = dumps(header)
    padding = -(4 + len(head)) % ArrayPacker.ALIGN
    prefix = (struct.pack("<I", len(head) + padding), head, b" " * padding)
    return b"".join([*prefix, *packer.buffers()])  # the arrays are copied once, here


# Binary stream frames are deflated (zlib, RFC 1950) at this level: measured by
# benchmarks/bench_frames.py, level 1 takes a third of level 6's time for a fifth more bytes.
DEFLATE_LEVEL = 1


def compress_message(message: bytes) -> bytes:
    """A binary message as sent on the stream: its zlib stream. It starts with 0x78, which
    an uncompressed message never does (its first byte is n mod 256, and n ≡ 4 mod 8)."""
    return zlib.compress(message, DEFLATE_LEVEL)


def is_compressed(message: bytes | bytearray | memoryview) -> bool:
    return len(message) > 0 and message[0] == 0x78


def plane_residual(maps: np.ndarray) -> np.ndarray:
    """Each uint8 map (last two axes) minus its plane prediction, modulo 256.

    The prediction of a byte is left + up − up-left (0 beyond the map's edges): exact on a
    plane, so a smooth map (a probability, a ReLU unit's h) leaves mostly 0 and ±1, which
    deflate stores in a fraction of the bytes. `restore_plane` is the inverse.
    """
    q = maps.astype(np.int16)
    predicted = np.zeros_like(q)
    predicted[..., :, 1:] += q[..., :, :-1]
    predicted[..., 1:, :] += q[..., :-1, :]
    predicted[..., 1:, 1:] -= q[..., :-1, :-1]
    q -= predicted
    return q.astype(np.uint8)  # two's complement: the residual modulo 256


def restore_plane(residual: np.ndarray) -> np.ndarray:
    """The inverse of `plane_residual` for one map (rows, cols); row by row, vectorised."""
    r = residual.astype(np.int64)
    out = np.empty_like(r)
    # Row 0: a running sum of the residuals (each byte is predicted by its left neighbour).
    out[0] = np.cumsum(r[0])
    for i in range(1, r.shape[0]):
        # q[i,j] − q[i−1,j] = r[i,j] + (q[i,j−1] − q[i−1,j−1]): a running sum along the row.
        out[i] = out[i - 1] + np.cumsum(r[i])
    return (out & 0xFF).astype(np.uint8)


def complement_residual(last: np.ndarray, others: np.ndarray) -> np.ndarray:
    """The last class's quantised probability minus 255 − Σ of the others', modulo 256
    (probabilities sum to 1, so that is 0 or ±1 from rounding)."""
    rest = 255 - others.astype(np.int16).sum(axis=0)
    return (last.astype(np.int16) - rest).astype(np.uint8)


def argmax_residual(predicted: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """The predicted class minus the first largest quantised probability, modulo 256 (0
    except where two classes round to the same byte)."""
    first = np.argmax(probabilities, axis=0).astype(np.int16)
    return (predicted.astype(np.int16) - first).astype(np.uint8)


def restore_predictions(header: Any, buffers: bytearray) -> None:
    """Undo the `predict` of every array in `header` in place (bytes in `buffers`), and drop
    the key: planes first, then complements (of planes), then argmaxes (of both)."""
    found: list[dict[str, Any]] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if "offset" in value and "dtype" in value:
                if "predict" in value:
                    found.append(value)
                return
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(header)

    def view(spec: dict[str, Any]) -> np.ndarray:
        shape = tuple(int(n) for n in str(spec["shape"]).split(",") if n.strip())
        raw = np.frombuffer(buffers, dtype=np.uint8, count=spec["nbytes"], offset=spec["offset"])
        return raw.reshape(shape)

    def kind(spec: dict[str, Any]) -> str:
        predict = spec["predict"]
        return predict if isinstance(predict, str) else next(iter(predict))

    for order in ("plane", "complement", "argmax"):
        for spec in found:
            if kind(spec) != order:
                continue
            target = view(spec)
            if order == "plane":
                restored = restore_plane(target)
            else:
                refs = np.stack([view({**spec, "offset": o}) for o in spec["predict"][order]])
                if order == "complement":
                    base = 255 - refs.astype(np.int16).sum(axis=0)
                else:
                    base = np.argmax(refs, axis=0).astype(np.int16)
                restored = (target.astype(np.int16) + base).astype(np.uint8)
            start = spec["offset"]
            buffers[start : start + spec["nbytes"]] = restored.tobytes()
    for spec in found:
        del spec["predict"]


def split_binary_message(message: bytes) -> tuple[dict[str, Any], memoryview]:
    """Header and buffer region of a binary frame (the client's half, used by the tests):
    inflated if deflated, with every predicted map restored to its bytes."""
    if is_compressed(message):
        message = zlib.decompress(message)
    (length,) = struct.unpack_from("<I", message, 0)
    header = orjson.loads(message[4 : 4 + length])
    if b'"predict"' not in message[4 : 4 + length]:
        return header, memoryview(message)[4 + length :]
    buffers = bytearray(message[4 + length :])
    restore_predictions(header, buffers)
    return header, memoryview(buffers)


def decode_binary_array(spec: dict[str, Any], buffers: memoryview) -> np.ndarray:
    """One array of a binary frame as NumPy."""
    dtype = np.dtype(NUMPY_DTYPES[spec["dtype"]]).newbyteorder("<")
    raw = buffers[spec["offset"] : spec["offset"] + spec["nbytes"]]
    shape = tuple(int(n) for n in str(spec["shape"]).split(",") if n.strip())
    return np.frombuffer(raw, dtype=dtype).reshape(shape)


class OrjsonResponse(JSONResponse):
    """JSON rendered by orjson: several times faster than the standard library's encoder."""

    def render(self, content: Any) -> bytes:
        return dumps(content)
