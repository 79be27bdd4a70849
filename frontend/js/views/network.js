// The network diagram: input features, hidden units and outputs, as TF Playground draws them,
// and the animated step of backpropagation.
//
// - A node's ring shows its value for the selected example (green +, violet −, grey 0: the
//   signed scale of colors.js, explained by the legend in the panel's heading), and
//   the node holds a thumbnail of that unit's value over the whole input plane.
// - An edge's colour is the sign and its width the magnitude of its weight, or, switched,
//   of its gradient ∂J/∂W on the last minibatch. Hovering shows the numbers.
// - The step plays in four phases (frame.phase): forward (the columns light up from the
//   inputs to the outputs), loss (J and the target y at the outputs), backward (δ flows
//   from the outputs to the inputs: each edge lit by its gradient for the selected example,
//   each layer labelled δ^(o), δ^(h), δ^(z)), update (the edges take their new weights).
//
// The DOM is built once per architecture and size; a frame only changes attributes,
// styles and canvas pixels.

import { decode } from "../typed.js";
import { fmt } from "../format.js";
import { CLASS_COLORS, cssDiverging, diverging, readMap, rgb, signLegend } from "./colors.js";

const SVG = "http://www.w3.org/2000/svg";
const MAX_EDGES = 4000; // beyond this the edges are left out (the matrices tab shows W and U)
const SUB = "₀₁₂₃₄₅₆₇₈₉";
const sub = (n) => String(n).split("").map((d) => SUB[d]).join("");
const FEATURE_LABEL = { "x1": "x₁", "x2": "x₂", "x1^2": "x₁²", "x2^2": "x₂²", "x1*x2": "x₁x₂", "sin_x1": "sin x₁", "sin_x2": "sin x₂" };
const FEATURE_FN = {
  "x1": (a) => a, "x2": (a, b) => b, "x1^2": (a) => a * a, "x2^2": (a, b) => b * b,
  "x1*x2": (a, b) => a * b, "sin_x1": (a) => Math.sin(a), "sin_x2": (a, b) => Math.sin(b),
};

export function mount(root, ctx) {
  root.classList.add("network");
  const strip = document.getElementById("phase-strip");
  const lossItem = strip?.querySelector('[data-phase="loss"] .phase-value');
  // Not the top bar's loss: that one is the mean over the training set.
  lossItem?.parentElement?.setAttribute("title", "J of the traced example (the top bar's Loss is the mean over the training set)");
  const svg = document.createElementNS(SVG, "svg");
  svg.classList.add("edges");
  const nodesLayer = document.createElement("div");
  nodesLayer.className = "nodes";
  const labelsLayer = document.createElement("div");
  labelsLayer.className = "layer-labels";
  const tooltip = document.createElement("div");
  tooltip.className = "net-tooltip";
  tooltip.hidden = true;
  const legend = document.createElement("p");
  legend.className = "net-caption";
  const empty = document.createElement("p");
  empty.className = "net-empty";
  empty.textContent = "Waiting for the network…";
  root.replaceChildren(svg, nodesLayer, labelsLayer, tooltip, empty);
  root.after(legend);
  // The page's one legend of the signed colours, beside the panel's title: it stays in
  // view in every phase and in presentation mode, where the caption under the diagram
  // gives way to the step card.
  root.closest("section")?.querySelector(".panel-head h2")?.after(signLegend());

  let shapeKey = "";
  let geometry = null; // {columns: [{x, nodes: [{x, y}]}], size}
  let nodes = []; // per column: [{el, canvas, value}]
  let edges = []; // per layer: [[path per (j, i)]]
  let layerLabels = []; // per column: {name, delta}
  let edgeLabels = []; // per layer: element
  let frame = null;
  let lastPhase = null;
  let inputMapsKey = "";

  // ---- structure ----

  function architecture(f) {
    const shapes = f.layers.map((l) => decode(l.W).shape);
    return { names: f.layers.map((l) => l.name), units: [shapes[0][1], ...shapes.map((s) => s[0])] };
  }

  function build(arch) {
    const width = root.clientWidth;
    const height = root.clientHeight;
    const columns = arch.units.length;
    // Room above for the edge labels, below for a two-line column caption over its δ label
    // and the last unit's value: in rem, so it grows with presentation mode's type.
    const rem = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
    const top = Math.round(2.2 * rem);
    const bottom = Math.round(6 * rem + 8);
    const left = 60; // room for the input features' names
    const right = 92;
    const usableH = Math.max(60, height - top - bottom);
    const maxUnits = Math.max(...arch.units);
    const gap = (width - left - right) / Math.max(1, columns - 1);
    const fitted = Math.max(10, Math.min(64, (usableH / maxUnits) * 0.8, gap * 0.42));
    const L = columns - 1;
    // Where each unit's value goes (it is the δ of the backward phase, which every hidden
    // unit must show): the first layout of `layouts` in which every hidden column has room.
    const { size, names, tight, place } = layValues(arch, { gap, usableH, fitted, L, top, left, width, height });
    root.classList.toggle("no-names", !names);
    root.classList.toggle("values-tight", tight);
    geometry = {
      size,
      columns: arch.units.map((n, c) => {
        const x = left + fitted / 2 + c * (gap - fitted / Math.max(1, columns - 1));
        const step = usableH / n;
        return { x, nodes: Array.from({ length: n }, (_, j) => ({ x, y: top + step * (j + 0.5) })) };
      }),
    };
    root.setAttribute("role", "img");
    root.setAttribute(
      "aria-label",
      `Network diagram: ${arch.units[0]} inputs, ${arch.units.slice(1, -1).map((n) => `${n} hidden units`).join(", ") || "no hidden layer"}, ${arch.units.at(-1)} outputs; weights ${arch.names.join(", ")}`,
    );
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    svg.replaceChildren();
    nodesLayer.replaceChildren();
    labelsLayer.replaceChildren();

    geometry.gap = gap - fitted / Math.max(1, L); // from one column's centre to the next's
    // Edges, one group per weight matrix, drawn under the nodes.
    const tooMany = arch.units.slice(1).reduce((s, n, l) => s + n * arch.units[l], 0) > MAX_EDGES;
    geometry.tooMany = tooMany;
    edges = [];
    edgeLabels = [];
    for (let l = 0; l < L; l += 1) {
      const g = document.createElementNS(SVG, "g");
      g.dataset.layer = l;
      g.style.setProperty("--order", String(L - 1 - l)); // backward lights the last layer first
      g.style.setProperty("--col", String(l));
      const from = geometry.columns[l].nodes;
      const to = geometry.columns[l + 1].nodes;
      const paths = [];
      if (!tooMany) {
        for (let j = 0; j < to.length; j += 1) {
          const row = [];
          for (let i = 0; i < from.length; i += 1) {
            const p = document.createElementNS(SVG, "path");
            const a = from[i];
            const b = to[j];
            const x0 = a.x + size / 2;
            const x1 = b.x - size / 2;
            const mx = (x0 + x1) / 2;
            p.setAttribute("d", `M${x0},${a.y} C${mx},${a.y} ${mx},${b.y} ${x1},${b.y}`);
            p.dataset.edge = `${l},${j},${i}`;
            g.append(p);
            row.push(p);
          }
          paths.push(row);
        }
      }
      svg.append(g);
      edges.push(paths);
      const label = document.createElement("div");
      label.className = "edge-label";
      label.style.left = `${(geometry.columns[l].x + geometry.columns[l + 1].x) / 2}px`;
      label.style.setProperty("--order", String(L - 1 - l));
      labelsLayer.append(label);
      edgeLabels.push(label);
    }

    // Nodes: a thumbnail canvas in a ring, the value under it.
    nodes = geometry.columns.map((col, c) =>
      col.nodes.map((pos, j) => {
        const el = document.createElement("div");
        el.className = "node";
        el.dataset.node = `${c},${j}`;
        el.style.left = `${pos.x - size / 2}px`;
        el.style.top = `${pos.y - size / 2}px`;
        el.style.width = `${size}px`;
        el.style.height = `${size}px`;
        el.style.setProperty("--col", String(c));
        el.style.setProperty("--order", String(L - c));
        el.classList.toggle("value-right", place[c][j] === "beside");
        el.classList.toggle("value-above", place[c][j] === "above");
        el.classList.toggle("no-value", place[c][j] === "none");
        const canvas = document.createElement("canvas");
        canvas.width = 1;
        canvas.height = 1;
        const value = document.createElement("span");
        value.className = "node-value";
        const name = document.createElement("span");
        name.className = "node-name";
        el.append(canvas, name, value);
        nodesLayer.append(el);
        return { el, canvas, value, name };
      }),
    );

    // Column captions (what the column holds) and δ labels (shown in the backward phase).
    layerLabels = geometry.columns.map((col, c) => {
      const name = document.createElement("div");
      name.className = "column-label";
      name.style.left = `${col.x}px`;
      // Narrower than the space between two columns by a clear gap, so that neighbouring
      // captions never read as one line.
      name.style.maxWidth = `${Math.max(24, geometry.gap - 2 * LABEL_GAP)}px`;
      const delta = document.createElement("div");
      delta.className = "delta-label";
      delta.style.left = `${col.x}px`;
      delta.style.setProperty("--order", String(L - c));
      labelsLayer.append(name, delta);
      return { name, delta };
    });
    inputMapsKey = "";
  }

  /**
   * The text size of the units' values and names, measured in the page's own type: the
   * widest value fmt(v, 2) prints ("−8.8×10⁻⁸") and the longest unit name ("h₆,₈").
   * Estimated from the font size while the diagram is not laid out.
   */
  function measure(arch, tight) {
    // Not a .node: a unit may be scaled by a phase's animation, and its box with it.
    const probe = document.createElement("div");
    probe.style.cssText = "position: absolute; left: 0; top: 0; visibility: hidden;";
    probe.innerHTML = '<span class="node-value"></span><span class="node-name"></span>';
    nodesLayer.append(probe);
    root.classList.toggle("values-tight", tight);
    const [value, name] = probe.children;
    const widths = ["−8.8×10⁻⁸", "−0.0088", "−88"].map((t) => {
      value.textContent = t;
      return value.getBoundingClientRect().width;
    });
    const valueBox = value.getBoundingClientRect();
    name.textContent = nodeName(arch, Math.max(1, arch.units.length - 2), Math.max(...arch.units) - 1);
    const nameBox = name.getBoundingClientRect();
    probe.remove();
    const fontPx = parseFloat(getComputedStyle(root).fontSize) || 16;
    const em = fontPx * (tight ? 0.7 : 0.85);
    return {
      valueWidth: valueBox.width ? Math.max(...widths) + 2 : em * 0.62 * 9 + 8,
      valueHeight: valueBox.height || em * 1.3,
      nameWidth: (nameBox.width || em * 0.62 * 4) + 8, // and its gap to the unit
    };
  }

  /**
   * Units, names and values laid out so that every hidden unit's value has a place of its
   * own: under its unit, else beside it (right, where its outgoing edges leave, on a white
   * backing), else over it; so that no value lies on a unit, a name or another value, nor
   * in the captions' or edge labels' bands. Tried with the names shown at the values' full size, then without the names (the
   * tooltip has them), then in smaller type (14 px when presenting at 1280×720), then with
   * smaller units; the first layout that places every hidden column wins.
   */
  function layValues(arch, { gap, usableH, fitted, L, top, left, width, height }) {
    const rem = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
    // From one column's centre to the next's (the outer units stand within the margins).
    const spacing = gap - fitted / Math.max(1, L);
    const xOf = (c) => left + fitted / 2 + c * spacing;
    const floor = height - 4.4 * rem - 6; // the column captions start under this
    const layouts = [
      { names: true, tight: false }, { names: false, tight: false },
      { names: false, tight: true }, { names: false, tight: true, shrink: true },
    ];
    let plan = null;
    for (const layout of layouts) {
      const m = measure(arch, layout.tight);
      const names = layout.names && gap - fitted >= 90 && fitted >= 30;
      let size = fitted;
      if (layout.shrink) {
        // Units as large as leaves each column's values room under them (not below 16 px).
        const pitch = Math.min(...arch.units.slice(1, -1).map((n) => usableH / n));
        size = Math.max(16, Math.min(fitted, pitch - m.valueHeight - 12));
      }
      const ys = arch.units.map((n) => Array.from({ length: n }, (_, j) => top + (usableH / n) * (j + 0.5)));
      const taken = []; // boxes: units, the names on show, the values placed so far
      ys.forEach((col, c) => col.forEach((y) => {
        const x = xOf(c);
        // the unit and its ring (box-shadow, 3 px and a 1 px outline)
        taken.push({ x0: x - size / 2 - 3, x1: x + size / 2 + 3, y0: y - size / 2 - 3, y1: y + size / 2 + 3 });
        if (names || c === 0) {
          const right = x - size / 2 - 6;
          taken.push({ x0: right - m.nameWidth, x1: right, y0: y - m.valueHeight / 2, y1: y + m.valueHeight / 2 });
        }
      }));
      const boxesFor = (c, where, units = ys[c]) => units.map((y) => {
        const x = xOf(c);
        const W = m.valueWidth;
        const H = m.valueHeight;
        if (where === "beside") return { x0: x + size / 2 + 3.5, x1: x + size / 2 + 4.5 + W, y0: y - H / 2 - 0.5, y1: y + H / 2 + 0.5 };
        const y0 = where === "below" ? y + Math.max(size / 2 + 4, 0.65 * rem) : y - size / 2 - 4 - H;
        // (with half a pixel of air about it, so that two values never touch)
        return { x0: x - W / 2 - 0.5, x1: x + W / 2 + 0.5, y0: y0 - 0.5, y1: y0 + H + 0.5 };
      });
      const clear = (boxes) => boxes.every((b) => b.x0 >= 0 && b.x1 <= width && b.y0 >= top - 4 && b.y1 <= floor
        && !taken.some((t) => b.x0 < t.x1 && t.x0 < b.x1 && b.y0 < t.y1 && t.y0 < b.y1)
        && !boxes.some((o) => o !== b && b.x0 < o.x1 && o.x0 < b.x1 && b.y0 < o.y1 && o.y0 < b.y1));
      const fits = (boxes) => {
        if (!clear(boxes)) return false;
        taken.push(...boxes);
        return true;
      };
      // The hidden columns first (their δ's must show), then the inputs and the outputs;
      // a column's values all in one place if they can be, else each unit's where it can.
      const place = arch.units.map((n) => Array(n).fill("none"));
      const order = [...arch.units.keys()].filter((c) => c > 0 && c < L).concat(L > 0 ? [0, L] : [0]);
      for (const c of order) {
        const options = c === 0 || c === L ? ["below", "above"] : ["below", "beside", "above"];
        const all = options.find((where) => fits(boxesFor(c, where)));
        if (all) place[c].fill(all);
        else ys[c].forEach((y, j) => { place[c][j] = options.find((where) => fits(boxesFor(c, where, [y]))) ?? "none"; });
      }
      plan = { size, names, tight: layout.tight, place };
      if (place.slice(1, -1).every((col) => !col.includes("none"))) break;
    }
    return plan;
  }

  // ---- values ----

  /** Look a quantity up in the trace by the first symbol that exists. */
  function quantity(trace, ...symbols) {
    if (!trace) return null;
    for (const s of symbols) {
      const i = trace.symbols?.[s];
      if (i !== undefined) return trace.quantities[i];
    }
    return null;
  }

  function values(q) {
    if (!q) return null;
    if (typeof q.value === "number") return [q.value];
    if (q.value === null || q.value === undefined) return null;
    return Array.from(decode(q.value).data);
  }

  /** The per-column symbols of the trace, as the engine names them for this depth. */
  function symbolsFor(arch) {
    const L = arch.units.length - 1;
    const hidden = L - 1;
    const suffix = (l) => (hidden > 1 ? String(l) : "");
    const cols = [{ act: ["x"], pre: ["x"], delta: ["delta_x"] }];
    for (let l = 1; l <= hidden; l += 1) {
      cols.push({ act: [`h${suffix(l)}`], pre: [`z${suffix(l)}`], delta: [`delta_z${suffix(l)}`], deltaH: [`delta_h${suffix(l)}`] });
    }
    cols.push({ act: ["o"], pre: hidden ? ["v"] : ["z", "v"], delta: ["delta_o"] });
    return cols;
  }

  /** A caption that may wrap only after its first "=": "h₁ =" / "max(z₁, 0)". */
  function columnCaption(arch, c, state) {
    const L = arch.units.length - 1;
    if (c === L && arch.units[L] === 1) {
      // Binary logistic regression, o = σ(z) = P(y = 1 | x) in two lines at most, broken
      // before the second "=" only: "|" allows a break after it, which a word joiner stops.
      const glue = (t) => t.replaceAll(" ", "\u00a0").replaceAll("|", "|\u2060");
      return `${glue("o = σ(z)")} ${glue("= P(y = 1 | x)")}`;
    }
    const text = columnFormula(arch, c, state);
    const at = text.indexOf(" = ");
    return at < 0 ? text : `${text.slice(0, at)} = ${text.slice(at + 3).replaceAll(" ", "\u00a0")}`;
  }

  function columnFormula(arch, c, state) {
    const L = arch.units.length - 1;
    if (c === 0) return "x";
    if (c === L) {
      // One output is binary logistic regression: the slide's o = σ(z) = P(y = 1 | x).
      return arch.units[L] === 1 ? "o = σ(z) = P(y = 1 | x)" : `o = softmax(${L > 1 ? "v" : "z"})`;
    }
    const act = { relu: "max(z, 0)", tanh: "tanh z", sigmoid: "σ(z)", linear: "z" }[state.activation] ?? "f(z)";
    return L > 2 ? `h${sub(c)} = ${act.replaceAll("z", `z${sub(c)}`)}` : `h = ${act}`;
  }

  function nodeName(arch, c, j) {
    const L = arch.units.length - 1;
    if (c === 0) return FEATURE_LABEL[ctx.getState().features[j]] ?? `x${sub(j + 1)}`;
    if (c === L) return arch.units[L] === 1 ? "o" : `o${sub(j + 1)}`; // binary: the one o
    return L > 2 ? `h${sub(c)},${sub(j + 1)}` : `h${sub(j + 1)}`;
  }

  // ---- thumbnails ----

  /** Thumbnail side: the grid's R, or fewer pixels when the node is smaller than that. */
  function thumbSide(R) {
    return Math.max(8, Math.min(R, Math.ceil(geometry.size * (window.devicePixelRatio || 1))));
  }

  /** Paint a T×T thumbnail of an R×R map (nearest grid cell), colour(value index) → rgb. */
  function paintThumb(canvas, R, colourAt) {
    const T = thumbSide(R);
    if (canvas.width !== T) {
      canvas.width = T;
      canvas.height = T;
    }
    const { g, img } = surface(canvas, T);
    const out = img.data;
    for (let row = 0; row < T; row += 1) {
      const src = Math.floor((row * R) / T) * R; // grid row 0 is the lowest x₂…
      const t = (T - 1 - row) * T * 4; // …and image row 0 is the top
      for (let col = 0; col < T; col += 1) {
        colourAt(src + Math.floor((col * R) / T), out, t + col * 4);
      }
    }
    g.putImageData(img, 0, 0);
  }

  /** A signed map on the diverging scale, ±scale at full colour. Quantised (u1) maps go
   * through a 256-entry colour table, so a pixel costs a lookup. */
  function paintSigned(canvas, map, R, scale) {
    const { data, offset } = map;
    if (data instanceof Uint8Array) {
      const lut = signedTable(offset, map.scale, scale);
      paintThumb(canvas, R, (k, out, o) => {
        const q = data[k] * 3;
        out[o] = lut[q]; out[o + 1] = lut[q + 1]; out[o + 2] = lut[q + 2]; out[o + 3] = 255;
      });
    } else {
      paintThumb(canvas, R, (k, out, o) => {
        const [r, g, b] = diverging(scale ? (offset + map.scale * data[k]) / scale : 0);
        out[o] = r; out[o + 1] = g; out[o + 2] = b; out[o + 3] = 255;
      });
    }
  }

  /** A probability map from white (0) to the class colour (1). */
  function paintProbability(canvas, map, R, colour) {
    const c = rgb(colour);
    const { data, offset } = map;
    const step = map.scale;
    paintThumb(canvas, R, (k, out, o) => {
      const p = offset + step * data[k];
      out[o] = 255 + (c[0] - 255) * p; out[o + 1] = 255 + (c[1] - 255) * p; out[o + 2] = 255 + (c[2] - 255) * p; out[o + 3] = 255;
    });
  }

  /** Input features over the plane, computed here from the grid (they never change in training). */
  function paintInputs(boundary) {
    const features = ctx.getState().features;
    const key = `${boundary.extent}|${boundary.resolution}|${features}`;
    if (key === inputMapsKey) return;
    inputMapsKey = key;
    const R = boundary.resolution;
    const x1 = decode(boundary.x1).data;
    const x2 = decode(boundary.x2).data;
    nodes[0].forEach((node, j) => {
      const fn = FEATURE_FN[features[j]];
      if (!fn) return;
      const data = new Float32Array(R * R);
      let m = 0;
      for (let r = 0; r < R; r += 1) for (let c = 0; c < R; c += 1) {
        const v = fn(x1[c], x2[r]);
        data[r * R + c] = v;
        m = Math.max(m, Math.abs(v));
      }
      paintSigned(node.canvas, { data, offset: 0, scale: 1 }, R, m);
    });
  }

  function paintMaps(arch, boundary) {
    const R = boundary.resolution;
    paintInputs(boundary);
    const L = arch.units.length - 1;
    boundary.layers.forEach((layer, l) => {
      const column = nodes[l + 1];
      if (!column) return;
      const maps = layer.activations.map(readMap);
      const scale = mapScale(maps);
      // h maps may come sampled down (thumbnails): each is m.shape[0] on a side.
      maps.forEach((m, j) => column[j] && paintSigned(column[j].canvas, m, m.shape?.[0] ?? R, scale));
    });
    const probs = boundary.probabilities.map(readMap);
    nodes[L].forEach((node, k) => {
      // One sigmoid output means P(class 1); otherwise output k is P(class k).
      const m = nodes[L].length === 1 ? probs[probs.length - 1] : probs[k];
      if (m) paintProbability(node.canvas, m, R, CLASS_COLORS[(nodes[L].length === 1 ? 1 : k) % CLASS_COLORS.length]);
    });
  }

  // ---- one frame ----

  function render() {
    if (!frame?.layers?.length) return;
    const state = ctx.getState();
    const arch = architecture(frame);
    const key = `${arch.units}|${root.clientWidth}x${root.clientHeight}`;
    if (key !== shapeKey) {
      shapeKey = key;
      build(arch);
    }
    empty.hidden = true;
    const L = arch.units.length - 1;
    const phase = displayPhase(frame);
    const trace = frame.trace;
    const cols = symbolsFor(arch);

    // Column captions and δ labels (the engine's own display names when it sends them).
    cols.forEach((sym, c) => {
      fitCaption(layerLabels[c].name, columnCaption(arch, c, state));
      const dq = quantity(trace, ...sym.delta);
      const dh = sym.deltaH ? quantity(trace, ...sym.deltaH) : null;
      const parts = [];
      if (c === L) parts.push(dq?.display ?? "δ^(o)");
      else if (c > 0) {
        parts.push(dh?.display ?? `δ^(h${L > 2 ? c : ""})`);
        parts.push(dq?.display ?? `δ^(z${L > 2 ? c : ""})`);
      } else if (dq) parts.push(dq.display);
      const html = parts.map(slideNotation).join(" ");
      fitLabel(layerLabels[c].delta, html, geometry.gap - LABEL_GAP);
    });
    const gradients = phase === "backward" || state.edgeMode === "gradient";
    // Binary logistic regression's single row of weights is the slide's vector w.
    const names = frame.layers.map((layer) => (arch.units[L] === 1 ? "w" : subscripted(layer.name)));
    fitTogether(edgeLabels, names.map((n) => (gradients ? `∂J/∂${n}` : n)), geometry.gap - LABEL_GAP, names);

    // Nodes: the selected example's values; in the backward phase, its δ.
    const backward = phase === "backward";
    cols.forEach((sym, c) => {
      const act = values(quantity(trace, ...sym.act));
      const delta = values(quantity(trace, ...sym.delta));
      const shown = backward && delta ? delta : act;
      const scale = maxAbs(shown) || 1;
      nodes[c].forEach((node, j) => {
        const v = shown?.[j];
        setText(node.name, nodeName(arch, c, j));
        setText(node.value, v === undefined ? "" : fmt(v, 2));
        const ring = v === undefined ? "#c8ccd4" : cssDiverging(c === L && !backward ? v : v / scale);
        if (node.ring !== ring) {
          node.ring = ring;
          node.el.style.setProperty("--ring", ring);
        }
      });
    });

    // Loss and target at the outputs.
    const J = quantity(trace, "J");
    const y = values(quantity(trace, "y"));
    const lossText = J && typeof J.value === "number" ? `J = ${fmt(J.value, 3)}` : "";
    if (lossItem) setText(lossItem, lossText);
    const binary = arch.units[L] === 1;
    nodes[L].forEach((node, k) => {
      // Binary logistic regression compares its one o with y ∈ {0, 1}, and the lecture
      // writes "y = 0" or "y = 1"; softmax marks the one-hot component y_k = 1 at o_k.
      const isTarget = Boolean(y && (binary ? y.length === 1 : y[k] === 1));
      node.el.classList.toggle("target", isTarget);
      if (isTarget) node.el.dataset.target = binary ? `y = ${y[0]}` : `y${sub(k + 1)} = 1`;
    });

    // Edges: weights, or gradients (backward phase: this example's; gradient mode: minibatch).
    const exampleGrad = backward;
    const useGrad = exampleGrad || state.edgeMode === "gradient";
    const matrices = frame.layers.map((layer) => {
      let m = null;
      if (exampleGrad) m = values(quantity(trace, `dJ/d${layer.name}`, "dJ/dw")); // w: binary
      if (!m && useGrad) m = layer.dW ? Array.from(decode(layer.dW).data) : null;
      return m ?? Array.from(decode(layer.W).data);
    });
    // Weights share one scale, so layers compare; gradients are scaled per layer, since
    // they differ by orders of magnitude and the flow into every layer must be seen
    // (their sizes are in the hover and the curves' gradient norms).
    const layerMax = matrices.map(maxAbs);
    const globalMax = Math.max(0, ...layerMax);
    const scaleOf = (l) => (useGrad ? layerMax[l] : globalMax);
    const widest = Math.min(8, Math.max(2.5, geometry.size / 6));
    edges.forEach((paths, l) => {
      const m = matrices[l];
      const maxMag = scaleOf(l);
      const inputs = arch.units[l];
      paths.forEach((row, j) => row.forEach((p, i) => {
        const v = m[j * inputs + i] ?? 0;
        // Quantised to what the eye can tell apart (sign, and |v| in 1/64 steps), so that
        // an edge whose look did not change is not restyled (nor repainted).
        const level = Math.round((maxMag ? Math.abs(v) / maxMag : 0) * 64) * (v >= 0 ? 1 : -1);
        if (p.level === level) return;
        p.level = level;
        const a = Math.abs(level) / 64;
        p.style.stroke = level >= 0 ? "var(--positive)" : "var(--negative)";
        p.style.strokeWidth = `${(0.4 + widest * a).toFixed(2)}px`;
        p.style.strokeOpacity = (0.25 + 0.75 * a).toFixed(3);
      }));
    });
    const caption = geometry.tooMany
      ? `More than ${MAX_EDGES} weights: edges are not drawn; the Matrices tab shows them all.`
      : useGrad
      ? `Edges: ${exampleGrad ? "∂J/∂w for the traced example" : "∂J/∂w of the last minibatch"}; green +, violet −; width ∝ |∂J/∂w| within each layer (max ${frame.layers.map((l, i) => `${l.name} ${fmt(layerMax[i], 2)}`).join(", ")}). Rings: ${exampleGrad ? "δ" : "values"} of the traced example.`
      : `Edges: weights; green +, violet −; width ∝ |w| (max ${fmt(globalMax, 2)}). Rings: the traced example's values.`;
    setText(legend, caption);

    if (frame.boundary) paintMaps(arch, frame.boundary);

    // The phase: restart the CSS animation when it changes (not on every frame).
    const animate = state.animate || frame.fromPhaseCommand;
    root.classList.toggle("instant", !animate);
    if (phase !== lastPhase) {
      root.dataset.phase = "";
      void root.offsetWidth; // flush, so the transitions start again from the unlit state
      root.dataset.phase = phase ?? "";
      lastPhase = phase;
    }
    for (const li of strip?.children ?? []) {
      const order = ["forward", "loss", "backward", "update"];
      li.classList.toggle("current", li.dataset.phase === phase);
      li.classList.toggle("done", phase != null && order.indexOf(li.dataset.phase) < order.indexOf(phase));
    }
  }

  function displayPhase(f) {
    return ["forward", "loss", "backward", "update"].includes(f.phase) ? f.phase : null;
  }

  // ---- hover ----

  root.addEventListener("mousemove", (event) => {
    const target = event.target.closest("[data-edge], [data-node]");
    if (!target || !frame) {
      tooltip.hidden = true;
      return;
    }
    tooltip.innerHTML = target.dataset.edge ? describeEdge(target.dataset.edge) : describeNode(target.dataset.node);
    const box = root.getBoundingClientRect();
    const x = event.clientX - box.left + 14;
    const y = event.clientY - box.top + 14;
    tooltip.hidden = false;
    tooltip.style.left = `${Math.min(x, box.width - tooltip.offsetWidth - 4)}px`;
    tooltip.style.top = `${Math.min(y, box.height - tooltip.offsetHeight - 4)}px`;
  });
  root.addEventListener("mouseleave", () => (tooltip.hidden = true));

  function describeEdge(id) {
    const [l, j, i] = id.split(",").map(Number);
    const layer = frame.layers[l];
    const arch = architecture(frame);
    const n = arch.units[l];
    const w = decode(layer.W).data[j * n + i];
    const dw = layer.dW ? decode(layer.dW).data[j * n + i] : null;
    const ex = values(quantity(frame.trace, `dJ/d${layer.name}`, "dJ/dw"));
    const name = layer.name.toLowerCase();
    return `<b>${name}${sub(j + 1)},${sub(i + 1)}</b>: ${nodeName(arch, l, i)} → ${nodeName(arch, l + 1, j)}<br>
      ${name} = ${fmt(w, 4)}<br>
      ∂J/∂${name}, minibatch = ${dw == null ? "–" : fmt(dw, 4)}<br>
      ∂J/∂${name}, traced example = ${ex ? fmt(ex[j * n + i], 4) : "–"}`;
  }

  function describeNode(id) {
    const [c, j] = id.split(",").map(Number);
    const arch = architecture(frame);
    const sym = symbolsFor(arch)[c];
    const rows = [`<b>${nodeName(arch, c, j)}</b>`];
    const add = (symbols) => {
      const q = quantity(frame.trace, ...symbols);
      const v = values(q);
      if (v && v[j] !== undefined) rows.push(`${q.display ?? q.symbol} = ${fmt(v[j], 4)}`);
    };
    add(sym.pre);
    if (sym.act[0] !== sym.pre[0]) add(sym.act);
    if (sym.deltaH) add(sym.deltaH);
    add(sym.delta);
    if (c > 0) {
      const b = decode(frame.layers[c - 1].b).data[j];
      rows.push(`bias b = ${fmt(b, 4)}`);
    }
    if (!frame.trace) rows.push("Select a training point to trace it.");
    return rows.join("<br>");
  }

  new ResizeObserver(() => {
    if (frame) render();
  }).observe(root);

  ctx.onState((state, changed) => {
    if (frame && (changed.includes("edgeMode") || changed.includes("features") || changed.includes("activation"))) render();
  });

  let drawnSeq = null;
  return {
    /** The seq of the newest frame drawn (read by the render benchmark). */
    get drawnSeq() {
      return drawnSeq;
    },
    update(f) {
      frame = f;
      render();
      if (frame?.layers?.length) drawnSeq = f.seq;
    },
  };
}

/** Clear space (px) between the labels of two neighbouring columns. */
const LABEL_GAP = 8;

/** "W1" → "W₁", as the slides write a layer's index. */
function subscripted(name) {
  return name.replace(/\d+$/, (digits) => [...digits].map((d) => "₀₁₂₃₄₅₆₇₈₉"[d]).join(""));
}

/**
 * A label (edge name, δ label) no wider than `room` px: at its size, else smaller, else
 * stacked (the two δ's of a hidden layer one above the other), else `short` (W₁ for
 * ∂J/∂W₁). Not measured while the diagram is not laid out (it is tried again next frame).
 */
function fitLabel(label, content, room, short = null) {
  const key = `${content}|${Math.round(room)}`;
  if (label.dataset.fitted === key) return;
  label.classList.remove("tight", "stacked");
  if (content.startsWith("<")) label.innerHTML = content;
  else label.textContent = content;
  if (!label.offsetParent) return;
  label.dataset.fitted = key;
  const fits = () => label.getBoundingClientRect().width <= room;
  if (fits()) return;
  label.classList.add("tight");
  if (fits()) return;
  if (label.children.length > 1) {
    label.classList.add("stacked");
    if (fits()) return;
  }
  if (short !== null) label.textContent = short;
}

/** Edge labels fitted as one: if one must be shortened (W₁ for ∂J/∂W₁), all are, so a
 * row of labels never mixes two notations. */
function fitTogether(labels, contents, room, shorts) {
  const key = `${contents.join(",")}|${Math.round(room)}`;
  if (!labels.length || labels[0].dataset.fitted === key) return;
  labels.forEach((label, i) => {
    label.classList.remove("tight");
    label.textContent = contents[i];
  });
  if (!labels[0].offsetParent) return;
  const fit = () => labels.every((label) => label.getBoundingClientRect().width <= room);
  for (const label of labels) label.dataset.fitted = key;
  if (fit()) return;
  labels.forEach((label) => label.classList.add("tight"));
  if (fit()) return;
  labels.forEach((label, i) => { label.textContent = shorts[i]; });
}

/** A column caption within its column: smaller when it overflows, then only its symbol
 * ("h₁"; the equations panel has the formula), so neighbouring captions never overprint. */
function fitCaption(label, text) {
  if (label.dataset.caption === text) return;
  label.classList.remove("tight");
  label.textContent = text;
  if (!label.offsetParent) return; // not laid out yet: measured on a later frame
  label.dataset.caption = text;
  const fits = () => label.scrollWidth <= label.clientWidth + 1;
  if (fits()) return;
  label.classList.add("tight");
  if (fits()) return;
  label.textContent = text.split(/\s=\s/u)[0];
}

/** Change a text only if it differs: an unchanged node is then neither laid out nor painted. */
function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

/** The colours of the 256 byte values of a quantised map (value = offset + step·q). */
function signedTable(offset, step, scale) {
  const lut = new Uint8ClampedArray(256 * 3);
  for (let q = 0; q < 256; q += 1) {
    const [r, g, b] = diverging(scale ? (offset + step * q) / scale : 0);
    lut[3 * q] = r; lut[3 * q + 1] = g; lut[3 * q + 2] = b;
  }
  return lut;
}

/** A canvas's 2-D context and an R×R ImageData kept with it, reused frame after frame. */
const surfaces = new WeakMap();
function surface(canvas, R) {
  let s = surfaces.get(canvas);
  if (!s || s.img.width !== R) {
    const g = canvas.getContext("2d");
    s = { g, img: g.createImageData(R, R) };
    surfaces.set(canvas, s);
  }
  return s;
}

/** "δ^(o)" → δ<sup>(o)</sup>, as on the slides. */
function slideNotation(text) {
  const escaped = String(text).replace(/[&<>]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" })[c]);
  return `<span>${escaped.replace(/\^(\([^)]*\)|\S)/g, "<sup>$1</sup>")}</span>`;
}

function maxAbs(list) {
  if (!list) return 0;
  let m = 0;
  for (const v of list) if (Math.abs(v) > m) m = Math.abs(v);
  return m;
}

/** One scale per layer, so the units of a layer compare by colour. */
function mapScale(maps) {
  if (maps.length && maps[0].data instanceof Uint8Array) {
    // Quantised maps carry their range: no need to scan the pixels.
    return Math.max(...maps.map((m) => Math.max(Math.abs(m.offset), Math.abs(m.offset + 255 * m.scale))));
  }
  let m = 0;
  for (const map of maps) {
    for (let i = 0; i < map.data.length; i += 1) {
      const v = Math.abs(map.offset + map.scale * map.data[i]);
      if (v > m) m = v;
    }
  }
  return m;
}
