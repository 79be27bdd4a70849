"""Reading a number the way the page prints it (frontend/js/format.js `sci`)."""

SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")


def number(text: str) -> float:
    """"0.27", "−0.5", "1.2×10⁻⁵", "∞", "−∞" as a float (− is a real minus sign)."""
    text = text.strip().replace("−", "-").replace("∞", "inf")
    if "×10" in text:
        mantissa, exponent = text.split("×10")
        return float(mantissa) * 10.0 ** int(exponent.translate(SUPERSCRIPT))
    return float(text)
