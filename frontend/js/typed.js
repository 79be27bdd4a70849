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

/** A spec becomes {data: TypedArray (flat, row-major), shape: number[]}. */
export function decode(spec) {
  const Type = ARRAY_TYPES[spec.dtype];
  if (!Type) throw new Error(`unknown dtype ${spec.dtype}`);
  const binary = atob(spec.bdata);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  const data = new Type(bytes.buffer, 0, bytes.length / Type.BYTES_PER_ELEMENT);
  const shape = parseShape(spec.shape);
  return { data, shape: shape.length ? shape : [data.length] };
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
