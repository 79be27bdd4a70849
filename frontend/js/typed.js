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
 * A binary stream message as the frame it carries. The message is deflated (a zlib stream,
 * first byte 0x78; an uncompressed one, also accepted, starts with n mod 256 ≢ 0 mod 8);
 * inflated it is a little-endian uint32 header length n, n bytes of JSON, then the arrays'
 * buffers. Maps marked `predict` are restored to their bytes (see restorePredictions), and
 * every {offset, nbytes} in the header becomes an ArrayBuffer `bdata`, which Plotly.js
 * reads as it reads base64 (see docs/api.md).
 */
export function parseBinaryFrame(message) {
  const buffer = isDeflated(message) ? inflate(new Uint8Array(message)) : message;
  const n = new DataView(buffer).getUint32(0, true);
  const frame = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, n)));
  const base = 4 + n;
  const predicted = [];
  const specs = [];
  const collect = (value) => {
    if (value === null || typeof value !== "object") return;
    if ("offset" in value && "nbytes" in value && "dtype" in value) {
      specs.push(value);
      if ("predict" in value) predicted.push(value);
    } else {
      for (const key in value) collect(value[key]);
    }
  };
  collect(frame);
  if (predicted.length) {
    // Restored in place: an inflated buffer is ours; a message given as is is copied first.
    const bytes = buffer === message ? new Uint8Array(buffer.slice(0)) : new Uint8Array(buffer);
    restorePredictions(predicted, bytes.subarray(base));
    return attach(frame, specs, bytes.buffer, base);
  }
  return attach(frame, specs, buffer, base);
}

function attach(frame, specs, buffer, base) {
  for (const spec of specs) {
    spec.bdata = buffer.slice(base + spec.offset, base + spec.offset + spec.nbytes);
    delete spec.offset;
    delete spec.nbytes;
  }
  return frame;
}

/** The JSON header of a binary frame as text, for cheap checks before a full parse. */
export function binaryHeaderText(message) {
  const buffer = isDeflated(message) ? inflate(new Uint8Array(message)) : message;
  const n = new DataView(buffer).getUint32(0, true);
  return new TextDecoder().decode(new Uint8Array(buffer, 4, n));
}

const isDeflated = (buffer) => buffer.byteLength > 0 && new Uint8Array(buffer, 0, 1)[0] === 0x78;

/**
 * Undo the predictions of quantised maps (server/payloads.py `boundary_dict`), in `bytes`,
 * the buffers region: "plane" (a byte is its residual plus left + up − up-left, 0 beyond
 * the edges), then {"complement": offsets} (255 − the sum of those maps), then {"argmax":
 * offsets} (the index of the first largest of those maps); all modulo 256.
 */
export function restorePredictions(specs, bytes) {
  const kind = (spec) => (typeof spec.predict === "string" ? spec.predict : Object.keys(spec.predict)[0]);
  for (const order of ["plane", "complement", "argmax"]) {
    for (const spec of specs) {
      if (kind(spec) !== order) continue;
      const q = bytes.subarray(spec.offset, spec.offset + spec.nbytes);
      if (order === "plane") restorePlane(q, Number(String(spec.shape).split(",").pop()) || q.length);
      else {
        const refs = spec.predict[order].map((offset) => bytes.subarray(offset, offset + spec.nbytes));
        if (order === "complement") restoreComplement(q, refs);
        else restoreArgmax(q, refs);
      }
    }
  }
  for (const spec of specs) delete spec.predict;
}

// Plain loops, one per case: the first frames are parsed before V8 has compiled anything.
// A Uint8Array keeps each sum modulo 256.

function restoreComplement(q, refs) {
  const n = q.length;
  if (refs.length === 1) {
    const a = refs[0];
    for (let i = 0; i < n; i += 1) q[i] += 255 - a[i];
    return;
  }
  for (let i = 0; i < n; i += 1) {
    let rest = 255;
    for (let k = 0; k < refs.length; k += 1) rest -= refs[k][i];
    q[i] += rest;
  }
}

function restoreArgmax(q, refs) {
  const n = q.length;
  if (refs.length === 2) {
    const a = refs[0];
    const b = refs[1];
    for (let i = 0; i < n; i += 1) if (b[i] > a[i]) q[i] += 1;
    return;
  }
  for (let i = 0; i < n; i += 1) {
    let best = 0;
    for (let k = 1; k < refs.length; k += 1) if (refs[k][i] > refs[best][i]) best = k;
    q[i] += best;
  }
}

function restorePlane(q, cols) {
  // q[i, j] = r[i, j] + q[i, j−1] + q[i−1, j] − q[i−1, j−1], in place, row-major.
  for (let j = 1; j < cols; j += 1) q[j] += q[j - 1];
  for (let start = cols; start < q.length; start += cols) {
    q[start] += q[start - cols];
    for (let i = start + 1; i < start + cols; i += 1) q[i] += q[i - 1] + q[i - cols] - q[i - cols - 1];
  }
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

// --- inflate (RFC 1950 zlib stream of RFC 1951 deflate blocks), synchronous ------------------
// The browser's DecompressionStream inflates too, but only asynchronously: parsing a frame
// stays one synchronous call (it runs when the frame is drawn, see stream.js), at a
// cost measured by benchmarks/bench_frames.py.

const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DISTANCE_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DISTANCE_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/** A lookup table of a canonical Huffman code: entry (symbol << 4 | length), indexed by the
 * next `bits` bits of input (least significant first). */
function huffman(lengths) {
  let bits = 0;
  const count = new Uint16Array(16);
  for (const l of lengths) {
    count[l] += 1;
    if (l > bits) bits = l;
  }
  count[0] = 0;
  const next = new Uint16Array(16);
  for (let b = 1, code = 0; b <= 15; b += 1) {
    code = (code + count[b - 1]) << 1;
    next[b] = code;
  }
  const size = 1 << bits;
  const table = new Uint32Array(size);
  for (let symbol = 0; symbol < lengths.length; symbol += 1) {
    const l = lengths[symbol];
    if (!l) continue;
    let code = next[l]++;
    let reversed = 0;
    for (let k = 0; k < l; k += 1) {
      reversed = (reversed << 1) | (code & 1);
      code >>= 1;
    }
    for (let j = reversed; j < size; j += 1 << l) table[j] = (symbol << 4) | l;
  }
  return { table, bits };
}

let fixedCodes = null;
function fixed() {
  if (!fixedCodes) {
    const lengths = new Uint8Array(288);
    lengths.fill(8, 0, 144);
    lengths.fill(9, 144, 256);
    lengths.fill(7, 256, 280);
    lengths.fill(8, 280, 288);
    fixedCodes = [huffman(lengths), huffman(new Uint8Array(30).fill(5))];
  }
  return fixedCodes;
}

/** The bytes a zlib stream inflates to, as an ArrayBuffer. */
export function inflate(input) {
  if ((input[0] & 0x0f) !== 8 || ((input[0] << 8) | input[1]) % 31 || input[1] & 0x20) {
    throw new Error("not a zlib stream");
  }
  let pos = 2;
  let bitBuf = 0;
  let bitCount = 0;
  const need = (n) => {
    while (bitCount < n) {
      bitBuf |= (pos < input.length ? input[pos] : 0) << bitCount;
      pos += 1;
      bitCount += 8;
    }
  };
  const take = (n) => {
    need(n);
    const value = bitBuf & ((1 << n) - 1);
    bitBuf >>>= n;
    bitCount -= n;
    return value;
  };
  const decodeSymbol = ({ table, bits }) => {
    need(bits);
    const entry = table[bitBuf & ((1 << bits) - 1)];
    const l = entry & 15;
    if (!l) throw new Error("corrupt deflate stream");
    bitBuf >>>= l;
    bitCount -= l;
    return entry >>> 4;
  };
  let out = new Uint8Array(Math.max(1024, input.length * 8));
  let o = 0;
  const room = (n) => {
    if (o + n <= out.length) return;
    const bigger = new Uint8Array(Math.max(out.length * 2, o + n));
    bigger.set(out.subarray(0, o));
    out = bigger;
  };
  let last = 0;
  while (!last) {
    last = take(1);
    const type = take(2);
    if (type === 0) {
      take(bitCount & 7); // to a byte boundary
      const length = take(16);
      take(16); // its one's complement
      room(length);
      for (let i = 0; i < length; i += 1) out[o++] = take(8);
      continue;
    }
    let lit;
    let dist;
    if (type === 1) [lit, dist] = fixed();
    else if (type === 2) {
      const nLit = take(5) + 257;
      const nDist = take(5) + 1;
      const nCode = take(4) + 4;
      const codeLengths = new Uint8Array(19);
      for (let i = 0; i < nCode; i += 1) codeLengths[CODE_LENGTH_ORDER[i]] = take(3);
      const codes = huffman(codeLengths);
      const lengths = new Uint8Array(nLit + nDist);
      for (let i = 0; i < nLit + nDist;) {
        const symbol = decodeSymbol(codes);
        if (symbol < 16) lengths[i++] = symbol;
        else {
          const [repeat, value] = symbol === 16 ? [3 + take(2), lengths[i - 1]] : symbol === 17 ? [3 + take(3), 0] : [11 + take(7), 0];
          lengths.fill(value, i, i + repeat);
          i += repeat;
        }
      }
      lit = huffman(lengths.subarray(0, nLit));
      dist = huffman(lengths.subarray(nLit));
    } else throw new Error("corrupt deflate stream");
    // The hot loop, with the bit reads written out (no calls): it runs cold on first frames.
    const litTable = lit.table;
    const litMask = (1 << lit.bits) - 1;
    const litBits = lit.bits;
    for (;;) {
      while (bitCount < litBits) {
        bitBuf |= (pos < input.length ? input[pos] : 0) << bitCount;
        pos += 1;
        bitCount += 8;
      }
      const entry = litTable[bitBuf & litMask];
      const l = entry & 15;
      if (!l) throw new Error("corrupt deflate stream");
      bitBuf >>>= l;
      bitCount -= l;
      const symbol = entry >>> 4;
      if (symbol < 256) {
        if (o >= out.length) room(1);
        out[o++] = symbol;
      } else if (symbol === 256) break;
      else {
        const s = symbol - 257;
        const length = LENGTH_BASE[s] + take(LENGTH_EXTRA[s]);
        const d = decodeSymbol(dist);
        const distance = DISTANCE_BASE[d] + take(DISTANCE_EXTRA[d]);
        if (o + length > out.length) room(length);
        if (distance >= length) out.copyWithin(o, o - distance, o - distance + length);
        else for (let i = 0; i < length; i += 1) out[o + i] = out[o + i - distance];
        o += length;
      }
    }
  }
  return out.buffer.slice(0, o);
}
