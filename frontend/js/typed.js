// Decode the server's typed-array specs ({dtype, bdata, shape}), the same form Plotly.js
// reads natively, for views that need the numbers themselves (thumbnails, equations).

const ARRAY_TYPES = {
  f8: Float64Array, f4: Float32Array,
  i4: Int32Array, u4: Uint32Array, i2: Int16Array, u2: Uint16Array,
  i1: Int8Array, u1: Uint8Array, u1c: Uint8ClampedArray,
  float64: Float64Array, float32: Float32Array, int32: Int32Array, uint8: Uint8Array,
};

export function isTyped(value) {
  return value !== null && typeof value === "object" && "bdata" in value && "dtype" in value;
}

function parseShape(shape) {
  if (shape === undefined || shape === null || shape === "") return [];
  if (Array.isArray(shape)) return shape.map(Number);
  return String(shape).split(",").map((s) => Number(s.trim()));
}

const decoded = new WeakMap(); // spec → {data, shape}: each array is decoded once per frame

function bytesOf(bdata) {
  if (bdata instanceof ArrayBuffer) return new Uint8Array(bdata);
  if (ArrayBuffer.isView(bdata)) return new Uint8Array(bdata.buffer, bdata.byteOffset, bdata.byteLength);
  const binary = atob(bdata);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * A spec becomes {data: TypedArray (flat, row-major), shape: number[]}, whether its bdata
 * is base64 (JSON frames, REST) or an ArrayBuffer (binary stream frames).
 */
export function decode(spec) {
  const cached = decoded.get(spec);
  if (cached) return cached;
  const Type = ARRAY_TYPES[spec.dtype];
  if (!Type) throw new Error(`unknown dtype ${spec.dtype}`);
  let bytes = bytesOf(spec.bdata);
  if (bytes.byteOffset % Type.BYTES_PER_ELEMENT) bytes = bytes.slice(); // realign a view
  const data = new Type(bytes.buffer, bytes.byteOffset, bytes.byteLength / Type.BYTES_PER_ELEMENT);
  const shape = parseShape(spec.shape);
  const result = { data, shape: shape.length ? shape : [data.length] };
  decoded.set(spec, result);
  return result;
}

/**
 * A binary stream message as the frame it carries: a little-endian uint32 header length n,
 * n bytes of JSON, then the arrays' buffers; every {offset, nbytes} in the header becomes
 * an ArrayBuffer `bdata`, which Plotly.js reads as it reads base64 (see docs/api.md).
 */
export function parseBinaryFrame(buffer) {
  const n = new DataView(buffer).getUint32(0, true);
  const frame = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, n)));
  const base = 4 + n;
  const attach = (value) => {
    if (value === null || typeof value !== "object") return;
    if ("offset" in value && "nbytes" in value && "dtype" in value) {
      value.bdata = buffer.slice(base + value.offset, base + value.offset + value.nbytes);
      delete value.offset;
      delete value.nbytes;
    } else {
      for (const key in value) attach(value[key]);
    }
  };
  attach(frame);
  return frame;
}

/** The JSON header of a binary frame as text, for cheap checks before a full parse. */
export function binaryHeaderText(buffer) {
  const n = new DataView(buffer).getUint32(0, true);
  return new TextDecoder().decode(new Uint8Array(buffer, 4, n));
}

/** A spec (or a plain nested list) becomes nested JS arrays, for small matrices only. */
export function toNested(value) {
  if (!isTyped(value)) return value;
  const { data, shape } = decode(value);
  const build = (offset, dims) => {
    if (dims.length === 1) return Array.from(data.subarray(offset, offset + dims[0]));
    const stride = dims.slice(1).reduce((a, b) => a * b, 1);
    return Array.from({ length: dims[0] }, (_, i) => build(offset + i * stride, dims.slice(1)));
  };
  return shape.length === 0 ? Array.from(data) : build(0, shape);
}
