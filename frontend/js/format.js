// Numbers as a person reads them from the back of a hall: a few significant digits, a real
// minus sign, and an exponent only for tiny or huge magnitudes.

const MINUS = "\u2212";

export function fmt(value, digits = 3) {
  if (value === null || value === undefined) return "–";
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "∞" : `${MINUS}∞`;
  if (value === 0) return "0";
  const magnitude = Math.abs(value);
  const text = magnitude < 1e-3 || magnitude >= 1e5
    ? value.toExponential(digits - 1).replace(/\.?0+e/, "e").replace("e+", "e")
    : String(Number(value.toPrecision(digits)));
  return text.replaceAll("-", MINUS);
}
