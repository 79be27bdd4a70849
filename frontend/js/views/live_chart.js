// A line chart that grows every frame and stays cheap to redraw.
//
// Plotly draws the chart's frame: the axes, the title, the legend and the modebar. The lines
// themselves are drawn on a canvas laid between Plotly's plot layer and its legend layer,
// in one pass over the data, clipped to the plot area. A Plotly redraw costs about ten
// milliseconds per chart, a canvas pass a fraction of one; so Plotly only moves an axis
// when it must grow (to the next round bound, about ten times a decade), and a
// streamed frame costs the canvas pass alone. Series longer than the plot is wide keep,
// per pixel column, the first, lowest, highest and last point: the drawn line is the same.
//
// Hovering shows a rule at the nearest step and the values of every series there; the
// camera button exports a PNG with the lines as real Plotly traces.

import { baseLayout, presenting } from "./panel_common.js";

const MARKERS_BELOW = 30; // fewer points than this get markers: a first point alone is seen
const LINE_WIDTH = 3;
const DASH = [9, 6];
const MARK_COLOR = "#222"; // the past step shown: neutral, apart from every series colour
const TIP_STYLE = {
  position: "absolute", pointerEvents: "none", whiteSpace: "pre", zIndex: "2",
  font: "15px/1.35 system-ui, 'DejaVu Sans', sans-serif", color: "#222",
  background: "rgba(255,255,255,0.94)", border: "1px solid #999", borderRadius: "4px", padding: "4px 8px",
};

const NICE = [1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10];

/**
 * The smallest round bound (1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × 10^k) that is at least
 * `value` and `floor`: an axis grows about ten times a decade and is never more than a
 * quarter empty.
 */
export function niceCeil(value, floor = 10) {
  const v = Math.max(value, floor);
  const decade = 10 ** Math.floor(Math.log10(v));
  for (const m of NICE) if (m * decade >= v * (1 - 1e-12)) return m * decade;
  return 10 * decade;
}

/**
 * The lowest and highest finite value of growing columns (positive ones only for a log
 * axis), taking in only what is new at each call: a long run costs the same per frame.
 */
export class Span {
  constructor(log = false) {
    this.log = log;
    this.low = Infinity;
    this.high = -Infinity;
    this.seen = new Map(); // column → how many of its values were taken in
  }

  extend(columns) {
    for (const column of columns) {
      for (let i = this.seen.get(column) ?? 0; i < column.length; i += 1) {
        const v = column[i];
        if (v === null || !Number.isFinite(v) || (this.log && v <= 0)) continue;
        if (v < this.low) this.low = v;
        if (v > this.high) this.high = v;
      }
      this.seen.set(column, column.length);
    }
    return this;
  }

  get range() {
    return this.low <= this.high ? [this.low, this.high] : null;
  }
}

/**
 * The y range the axis shows for values spanning `span` ([low, high] or null), in
 * Plotly's units (log10 for a log axis): a fixed range as given; a linear one from 0 up to
 * a round bound; a log one spanning whole decades.
 */
export function rangeOf(spec, span) {
  if (spec.range) return spec.range;
  if (spec.type === "log") {
    if (!span) return [-2, 0];
    const low = Math.floor(Math.log10(span[0]));
    const high = Math.max(Math.ceil(Math.log10(span[1])), low + 1);
    return [low, high];
  }
  if (!span) return [0, 1];
  const high = span[1] > 0 ? niceCeil(span[1] * 1.02, 1e-6) : 1;
  const low = span[0] < 0 ? -niceCeil(-span[0] * 1.02, 1e-6) : 0;
  return [low, high];
}

/**
 * The decades between two labels of a log axis spanning `range` (in log10 units): every
 * decade while at most 7 fit the chart's height, else every second, third, ….
 */
export function logDtick(range) {
  return Math.max(1, Math.ceil((range[1] - range[0]) / 7));
}

/** The y range for whole columns at once (rangeOf over their Span). */
export function yRangeOf(spec, columns) {
  return rangeOf(spec, new Span(spec.type === "log").extend(columns).range);
}

/** The at most four points a pixel column keeps: first, lowest, highest and last. */
function decimate(bucket) {
  if (bucket.length <= 4) return bucket;
  let lo = bucket[0];
  let hi = bucket[0];
  for (const p of bucket) {
    if (p[1] < lo[1]) lo = p;
    if (p[1] > hi[1]) hi = p;
  }
  const inner = lo[0] <= hi[0] ? [lo, hi] : [hi, lo];
  return [bucket[0], ...inner, bucket[bucket.length - 1]];
}

/**
 * A series in pixels, per pixel column the first, lowest, highest and last point (gaps
 * kept as null): what a line through every point would draw, in at most 4 points a
 * column. It grows with its series: extend() takes in only the points added since.
 */
export class PixelPath {
  constructor(toX, toY) {
    this.toX = toX;
    this.toY = toY;
    this.out = []; // finished columns
    this.bucket = []; // the points of the column still open
    this.column = null;
    this.done = 0; // points taken in
  }

  extend(xs, ys) {
    const end = Math.min(xs.length, ys.length);
    for (let i = this.done; i < end; i += 1) {
      const y = ys[i];
      if (y === null || y === undefined || !Number.isFinite(y)) {
        this.#close();
        if (this.out.length && this.out[this.out.length - 1] !== null) this.out.push(null);
        continue;
      }
      const px = this.toX(xs[i]);
      const py = this.toY(y);
      if (!Number.isFinite(py)) continue;
      const c = Math.round(px);
      if (c !== this.column) {
        this.#close();
        this.column = c;
      }
      this.bucket.push([px, py]);
    }
    this.done = end;
    return this;
  }

  #close() {
    for (const p of decimate(this.bucket)) this.out.push(p);
    this.bucket = [];
  }

  /** @returns {Array<[number, number] | null>} the pixel points so far */
  points() {
    return this.bucket.length ? this.out.concat(decimate(this.bucket)) : this.out;
  }
}

/** A whole series in pixels at once (see PixelPath). */
export function pixelPath(xs, ys, toX, toY) {
  return new PixelPath(toX, toY).extend(xs, ys).points();
}

/** Binary search: the index of the x nearest to `target` in ascending `xs`. */
export function nearestIndex(xs, target) {
  let lo = 0;
  let hi = xs.length - 1;
  if (hi < 0) return -1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < target) lo = mid;
    else hi = mid;
  }
  return Math.abs(xs[lo] - target) <= Math.abs(xs[hi] - target) ? lo : hi;
}

/**
 * @typedef {{key: string, name: string, color: string, dash?: boolean}} Series
 * @typedef {{title: string, yTitle: string, xTitle?: string, height?: number,
 *   y?: {type?: "linear" | "log", range?: [number, number]}, format: (v: number) => string,
 *   filename: string}} ChartSpec
 */
export class LiveChart {
  /**
   * @param {HTMLElement} node  the chart's box (it keeps its role and label)
   * @param {ChartSpec} spec
   */
  constructor(node, spec) {
    this.node = node;
    this.spec = { xTitle: "step", height: 300, y: {}, ...spec };
    this.series = [];
    this.xs = [];
    this.columns = {};
    this.look = null; // the series and page style the Plotly frame was drawn for
    this.rangeKey = null; // and its axis ranges
    this.pointer = null; // {x, y} in the chart's pixels while hovering
    this.marked = null; // the past step shown (time travel), marked by a vertical line
    this.canvas = document.createElement("canvas");
    this.canvas.className = "live-lines";
    Object.assign(this.canvas.style, { position: "absolute", pointerEvents: "none" });
    this.tip = document.createElement("div");
    this.tip.className = "live-tip";
    Object.assign(this.tip.style, TIP_STYLE);
    this.tip.hidden = true;
    node.style.position = "relative";
    node.style.height = `${this.spec.height}px`;
    node.addEventListener("mousemove", (event) => this.hover(event));
    // Presentation mode changes the type size (it announces itself with a resize): the
    // frame is drawn again at once, not at the next streamed frame.
    window.addEventListener("resize", () => this.xs && this.draw(this.xs, this.series, this.columns));
    node.addEventListener("mouseleave", () => this.hover(null));
  }

  /**
   * Draw the series as they are now.
   * @param {number[]} xs  ascending steps
   * @param {Series[]} series
   * @param {Record<string, Array<number | null>>} columns  one array per series key, as long as xs
   */
  draw(xs, series, columns) {
    // The arrays only grow, or are replaced when the curves start afresh: keeping them
    // (not copies) is a consistent snapshot, and what was drawn is not computed again.
    this.xs = xs;
    this.series = series;
    this.columns = Object.fromEntries(series.map((s) => [s.key, columns[s.key] ?? []]));
    if (this.span?.xs !== xs) {
      this.span = new Span(this.spec.y.type === "log");
      this.span.xs = xs;
    }
    this.span.extend(series.map((s) => this.columns[s.key]));
    const xRange = [xs.length ? Math.min(0, xs[0]) : 0, niceCeil(xs.length ? xs[xs.length - 1] : 0)];
    const yRange = rangeOf(this.spec.y, this.span.range);
    // Presentation mode's larger type is part of the look: toggling it redraws the frame.
    const look = JSON.stringify([presenting(), series.map((s) => [s.name, s.color])]);
    const ranges = JSON.stringify([xRange, yRange]);
    this.ranges = { x: xRange, y: yRange };
    if (look !== this.look) {
      this.look = look;
      this.rangeKey = ranges;
      this.drawFrame(); // the lines follow once Plotly has laid the axes out
    } else if (ranges !== this.rangeKey) {
      // Only the axes moved: a relayout of the ranges costs a third of a full redraw.
      this.rangeKey = ranges;
      const update = { "xaxis.range": xRange, "yaxis.range": yRange };
      if (this.spec.y.type === "log") update["yaxis.dtick"] = logDtick(yRange);
      Promise.resolve(window.Plotly?.relayout(this.node, update))
        .then(() => this.paint());
    } else {
      this.paint();
    }
    this.node.dataset.points = String(xs.length);
  }

  /** Mark the step the page shows from the past (null: none); the lines stay as they are. */
  mark(step) {
    if (step === this.marked) return;
    this.marked = step;
    this.paint();
  }

  /** The layout for the axes as they are: the frame Plotly draws. */
  layout(extra = {}) {
    const { spec, ranges } = this;
    const log = spec.y.type === "log";
    const k = presenting() ? 1.3 : 1; // a projector: every text a third larger
    const size = (px) => Math.round(px * k);
    return baseLayout({
      height: spec.height,
      title: { text: spec.title, font: { size: size(18) }, x: 0.02 },
      margin: { l: size(70), r: 20, t: size(46), b: size(56) },
      plot_bgcolor: "rgba(0,0,0,0)",
      // Numbers as the rest of the page writes them: steps in full ("12,000", not "12k"),
      // tiny or huge values as 2×10⁻⁵ (not "20μ"), a log axis in powers of ten.
      xaxis: {
        title: { text: spec.xTitle, font: { size: size(15) } }, tickfont: { size: size(14) }, zeroline: false,
        range: ranges.x, autorange: false, fixedrange: true, exponentformat: "none",
      },
      yaxis: {
        title: { text: spec.yTitle, font: { size: size(15) } }, tickfont: { size: size(14) }, zeroline: false,
        type: log ? "log" : "linear", range: ranges.y, autorange: false, fixedrange: true,
        exponentformat: "power",
        ...(log ? { dtick: logDtick(ranges.y) } : {}),
      },
      legend: { orientation: "h", x: 1, xanchor: "right", y: 1.12, font: { size: size(14) } },
      hovermode: false,
      ...extra,
    });
  }

  /** Legend entries only: the lines are on the canvas. */
  legendTraces() {
    return this.series.map((s) => ({
      type: "scatter", mode: "lines", x: [null], y: [null], name: s.name, hoverinfo: "skip",
      line: { color: s.color, width: LINE_WIDTH, dash: s.dash ? "dash" : "solid" },
    }));
  }

  /** The same chart with the lines as Plotly traces, for the PNG export. */
  figure() {
    const data = this.series.map((s) => ({
      type: "scatter", mode: this.xs.length < MARKERS_BELOW ? "lines+markers" : "lines",
      x: this.xs, y: this.columns[s.key] ?? [], name: s.name, connectgaps: true,
      line: { color: s.color, width: LINE_WIDTH, dash: s.dash ? "dash" : "solid" },
      marker: { color: s.color, size: 8 },
    }));
    return { data, layout: this.layout({ paper_bgcolor: "#fff", plot_bgcolor: "#fff" }) };
  }

  drawFrame() {
    if (!window.Plotly) return;
    const config = {
      displaylogo: false, responsive: true,
      // The axes follow the data and the hover is the canvas's: only the export is left.
      modeBarButtonsToRemove: [
        "toImage", "zoom2d", "pan2d", "zoomIn2d", "zoomOut2d", "autoScale2d", "resetScale2d",
        "lasso2d", "select2d", "toggleSpikelines", "hoverClosestCartesian", "hoverCompareCartesian",
      ],
      modeBarButtonsToAdd: [{ name: "Download the chart as a PNG", icon: window.Plotly.Icons.camera, click: () => this.exportPng() }],
    };
    const drawn = window.Plotly.react(this.node, this.legendTraces(), this.layout(), config);
    if (!this.listening) {
      this.listening = true;
      this.node.on?.("plotly_afterplot", () => this.paint());
    }
    Promise.resolve(drawn).then(() => this.paint());
  }

  exportPng() {
    const { data, layout } = this.figure();
    const box = this.node.getBoundingClientRect();
    window.Plotly.toImage({ data, layout: { ...layout, width: box.width, height: box.height } }, { format: "png", scale: 2 })
      .then((url) => {
        const a = document.createElement("a");
        a.href = url;
        a.download = `${this.spec.filename}.png`;
        a.click();
      });
  }

  /** The plot area in the chart's pixels, as Plotly last laid it out; null before that. */
  area() {
    const full = this.node._fullLayout;
    if (!full?.xaxis?._length) return null;
    return { left: full.xaxis._offset, top: full.yaxis._offset, width: full.xaxis._length, height: full.yaxis._length };
  }

  /** Lay the canvas over the plot area and draw every line on it. */
  paint() {
    const area = this.area();
    if (!area || !this.ranges) return;
    const { canvas } = this;
    const paper = this.node.querySelector(".svg-container > .main-svg");
    if (paper && canvas.previousElementSibling !== paper) paper.after(canvas); // under the legend
    if (!this.tip.isConnected) this.node.append(this.tip);
    const ratio = window.devicePixelRatio || 1;
    const width = Math.round(area.width * ratio);
    const height = Math.round(area.height * ratio);
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    Object.assign(canvas.style, { left: `${area.left}px`, top: `${area.top}px`, width: `${area.width}px`, height: `${area.height}px` });

    const g = canvas.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, area.width, area.height);
    const toX = this.scale(this.ranges.x, area.width, false, false);
    const toY = this.scale(this.ranges.y, area.height, this.spec.y.type === "log", true);
    // The pixel paths grow with their series; they start again when the axes, the plot's
    // size or the arrays (a fresh start) change.
    const key = `${area.width}x${area.height}|${this.rangeKey}`;
    if (this.pathKey !== key || this.pathXs !== this.xs) {
      this.pathKey = key;
      this.pathXs = this.xs;
      this.paths = new Map();
    }
    g.lineJoin = "round";
    g.lineCap = "round";
    g.lineWidth = LINE_WIDTH;
    for (const s of this.series) {
      const ys = this.columns[s.key];
      let builder = this.paths.get(s.key);
      if (builder?.ys !== ys) {
        builder = new PixelPath(toX, toY);
        builder.ys = ys;
        this.paths.set(s.key, builder);
      }
      const path = builder.extend(this.xs, ys).points();
      g.strokeStyle = s.color;
      g.fillStyle = s.color;
      g.setLineDash(s.dash ? DASH : []);
      g.beginPath();
      let pen = false;
      for (const p of path) {
        if (p === null) pen = false;
        else if (pen) g.lineTo(p[0], p[1]);
        else {
          g.moveTo(p[0], p[1]);
          pen = true;
        }
      }
      g.stroke();
      if (this.xs.length < MARKERS_BELOW) {
        for (const p of path) {
          if (p === null) continue;
          g.beginPath();
          g.arc(p[0], p[1], 4, 0, 2 * Math.PI);
          g.fill();
        }
      }
    }
    g.setLineDash([]);
    this.paintMark(g, area, toX);
    this.paintHover(g, area, toX, toY);
  }

  /** The past step shown: a dark vertical line across the plot, labelled with its step. */
  paintMark(g, area, toX) {
    if (this.marked === null) return;
    const x = Math.round(toX(this.marked)) + 0.5;
    g.strokeStyle = MARK_COLOR;
    g.lineWidth = 2;
    g.beginPath();
    g.moveTo(x, 0);
    g.lineTo(x, area.height);
    g.stroke();
    const k = presenting() ? 1.3 : 1;
    g.font = `600 ${Math.round(13 * k)}px system-ui, sans-serif`;
    g.fillStyle = MARK_COLOR;
    const label = `step ${this.marked.toLocaleString("en-US")}`;
    const width = g.measureText(label).width;
    const left = x + 4 + width > area.width ? x - 4 - width : x + 4;
    g.fillText(label, left, Math.round(14 * k));
  }

  /** Data → canvas pixels along one axis (y grows downwards). */
  scale([low, high], length, log, flip) {
    const span = high - low || 1;
    return (v) => {
      const u = log ? Math.log10(v) : v;
      const t = (u - low) / span;
      return flip ? (1 - t) * length : t * length;
    };
  }

  hover(event) {
    if (!event) {
      this.pointer = null;
    } else {
      const box = this.node.getBoundingClientRect();
      this.pointer = { x: event.clientX - box.left, y: event.clientY - box.top };
    }
    this.paint();
  }

  /** The rule at the step nearest the pointer, a dot on each line, and the values beside. */
  paintHover(g, area, toX, toY) {
    const { tip, pointer, xs } = this;
    const inside = pointer && xs.length && pointer.x >= area.left && pointer.x <= area.left + area.width
      && pointer.y >= area.top && pointer.y <= area.top + area.height;
    if (!inside) {
      tip.hidden = true;
      return;
    }
    const [low, high] = this.ranges.x;
    const step = low + ((pointer.x - area.left) / area.width) * (high - low);
    const i = nearestIndex(xs, step);
    const x = toX(xs[i]);
    g.strokeStyle = "rgba(0,0,0,0.45)";
    g.lineWidth = 1;
    g.beginPath();
    g.moveTo(x, 0);
    g.lineTo(x, area.height);
    g.stroke();
    const lines = [`step ${xs[i]}`];
    for (const s of this.series) {
      const v = (this.columns[s.key] ?? [])[i];
      if (v === null || v === undefined) continue;
      lines.push(`${s.name}: ${this.spec.format(v)}`);
      const y = toY(v);
      if (!Number.isFinite(y)) continue;
      g.fillStyle = s.color;
      g.beginPath();
      g.arc(x, y, 5, 0, 2 * Math.PI);
      g.fill();
    }
    tip.textContent = lines.join("\n");
    tip.hidden = false;
    const right = area.left + x + 12 + tip.offsetWidth > area.left + area.width;
    tip.style.left = `${right ? area.left + x - 12 - tip.offsetWidth : area.left + x + 12}px`;
    tip.style.top = `${area.top + 8}px`;
  }
}
