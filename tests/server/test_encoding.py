"""Typed arrays as Plotly.js reads them, binary frames, and quantised maps."""

import base64
import struct

import numpy as np
import pytest

from server.encoding import (
    ArrayPacker,
    binary_message,
    decode_binary_array,
    decode_typed_array,
    quantize,
    split_binary_message,
    typed_array,
)


@pytest.mark.parametrize(
    ("dtype", "code"),
    [("float64", "f8"), ("float32", "f4"), ("int32", "i4"), ("uint8", "u1"), ("int16", "i2")],
)
def test_typed_array_round_trips_with_plotly_codes(dtype: str, code: str) -> None:
    array = (np.arange(12).reshape(3, 4) - 5).astype(dtype)
    spec = typed_array(array)
    assert spec["dtype"] == code
    assert spec["shape"] == "3,4"  # Plotly.js splits the shape string on commas
    raw = base64.b64decode(spec["bdata"])
    assert raw == array.astype(array.dtype.newbyteorder("<")).tobytes(order="C")
    np.testing.assert_array_equal(decode_typed_array(spec), array)


def test_int64_becomes_int32_and_fortran_order_becomes_row_major() -> None:
    array = np.asfortranarray(np.arange(6, dtype=np.int64).reshape(2, 3))
    spec = typed_array(array)
    assert spec["dtype"] == "i4"
    np.testing.assert_array_equal(decode_typed_array(spec), array)


def test_quantize_maps_range_onto_bytes_within_half_a_level() -> None:
    values = np.linspace(-2.0, 3.0, 1001, dtype=np.float32)
    q = quantize(values, -2.0, 3.0)
    assert q.dtype == np.uint8 and q[0] == 0 and q[-1] == 255
    recovered = -2.0 + 5.0 * q / 255.0
    assert np.abs(recovered - values).max() <= 5.0 / 255 / 2 + 1e-6


def test_quantize_saturates_and_sends_nan_to_zero() -> None:
    q = quantize(np.array([-10.0, np.nan, 10.0, np.inf, -np.inf]), 0.0, 1.0)
    assert q.tolist() == [0, 0, 255, 255, 0]


def test_binary_message_layout_and_alignment() -> None:
    pack = ArrayPacker(binary=True)
    a = np.arange(5, dtype=np.float64)
    b = np.arange(3, dtype=np.uint8)
    c = np.eye(2, dtype=np.float32)
    header = {"a": pack.add(a), "b": pack.add(b, range=[0, 1]), "c": pack.add(c)}
    message = binary_message(header, pack)
    (length,) = struct.unpack_from("<I", message, 0)
    assert (4 + length) % 8 == 0
    parsed, buffers = split_binary_message(message)
    for key in ("a", "b", "c"):
        assert parsed[key]["offset"] % 8 == 0
        assert "bdata" not in parsed[key]
    assert parsed["b"]["range"] == [0, 1]
    np.testing.assert_array_equal(decode_binary_array(parsed["a"], buffers), a)
    np.testing.assert_array_equal(decode_binary_array(parsed["b"], buffers), b)
    np.testing.assert_array_equal(decode_binary_array(parsed["c"], buffers), c)


def test_json_packer_inlines_base64() -> None:
    pack = ArrayPacker(binary=False)
    spec = pack.add(np.ones((2, 2), dtype=np.float32), range=[0.0, 1.0])
    assert set(spec) == {"dtype", "bdata", "shape", "range"}
    assert pack.payload() == b""


def test_add_stack_matches_adding_each_item() -> None:
    stack = np.arange(3 * 4 * 5, dtype=np.uint8).reshape(3, 4, 5)
    for binary in (True, False):
        pack = ArrayPacker(binary=binary)
        first = pack.add(np.ones(3, dtype=np.float64))  # an unaligned start is padded
        specs = pack.add_stack(stack, range=[0.0, 1.0])
        assert len(specs) == 3 and all(s["shape"] == "4,5" for s in specs)
        assert all(s["range"] == [0.0, 1.0] for s in specs)
        if binary:
            message = binary_message({"a": first, "s": specs}, pack)
            header, buffers = split_binary_message(message)
            decoded = [decode_binary_array(s, buffers) for s in header["s"]]
        else:
            decoded = [decode_typed_array(s) for s in specs]
        for item, got in zip(stack, decoded, strict=True):
            np.testing.assert_array_equal(got, item)


def test_map_range_ignores_non_finite_values_and_says_so() -> None:
    from server.payloads import _map_range

    clean = np.array([[-1.0, 2.0]], dtype=np.float32)
    assert _map_range(clean, symmetric=False) == (-1.0, 2.0, True)
    assert _map_range(clean, symmetric=True) == (-2.0, 2.0, True)
    dirty = np.array([[np.nan, -1.0, 3.0, np.inf]], dtype=np.float32)
    assert _map_range(dirty, symmetric=False) == (-1.0, 3.0, False)
    q = quantize(dirty, -1.0, 3.0, finite=False)
    assert q.tolist() == [[0, 0, 255, 255]]
