// Numbers as a person reads them from the back of a hall: a few significant digits, a real
// minus sign, and an exponent only for tiny or huge magnitudes.

const MINUS = "\u2212";
const SUPERSCRIPT = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };

/** Every number the page prints, in one way: `sci` (below). */
export function fmt(value, digits = 3) {
  return sci(value, digits);
}

/** 10 to an integer power as it is written on a slide: power10(-5) → "10⁻⁵". */
export function power10(exponent) {
  return `10${String(exponent).replace(/[-\d]/g, (c) => SUPERSCRIPT[c])}`;
}

/**
 * A number for a chart or a table a class reads: `digits` significant figures (trailing
 * zeros dropped), a real minus sign, and below 10⁻³ or from 10⁵ on, scientific notation
 * written 1.2×10⁻⁵, never "1.2e-5" nor an SI prefix ("12μ"). A nonzero value never
 * reads 0.
 */
export function sci(value, digits = 3) {
  if (value === null || value === undefined) return "–";
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "∞" : `${MINUS}∞`;
  if (value === 0) return "0";
  const [mantissa, exponent] = value.toExponential(digits - 1).split("e").map((part, i) => (i ? Number(part) : part));
  const text = exponent < -3 || exponent >= 5
    ? `${trimZeros(mantissa)}×${power10(exponent)}`
    : exponent >= digits - 1
      ? String(Number(value.toPrecision(digits))) // 12345 → "12300": no decimals to trim
      : trimZeros(value.toFixed(digits - 1 - exponent));
  return text.replaceAll("-", MINUS);
}

function trimZeros(text) {
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}
