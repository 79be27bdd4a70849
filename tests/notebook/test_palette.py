"""The signed palette of frontend/js/views/colors.js keeps its promises for every viewer.

Colours are compared as a viewer sees them: each is simulated for normal, protanope,
deuteranope and tritanope vision (Machado, Oliveira & Fernandes 2009, severity 1.0: a 3×3
matrix applied in linear RGB, the result clipped to what a display can show), then
compared with the CIEDE2000 colour difference ΔE00 (CIE 142-2001, as implemented by
Sharma, Wu & Dalal 2005). Both are written here in NumPy and checked first against
published values, so the palette's checks rest on numbers someone else computed.

What the palette promises, for every |t| ≥ 0.25 (weaker values fade to the grey zero, where
no promise is possible or needed), sampled along the same RGB interpolation as colors.js's
diverging() and Plotly's colour scales:
(a) a negative value and a positive one of the same size never look alike: ΔE00 ≥ SIGN_MIN;
(b) no signed colour looks like a class colour (any of the 6 a page can show at once):
    ΔE00 ≥ CLASS_MIN.
CLASS_MIN is modest because more is impossible: any ramp from a light grey to a dark end
crosses the lightness of the classes (L* 46–72), and there, under some vision, the best
colour of all sRGB lies about 10.5 from a class (test_no_ramp_can_do_much_better below).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

COLORS_JS = Path(__file__).resolve().parents[2] / "frontend" / "js" / "views" / "colors.js"

SIGN_MIN = 20.0  # (a): well above a just-noticeable difference (ΔE00 ≈ 1–2), for every viewer
CLASS_MIN = 5.5  # (b): what is achievable (see the module's docstring); the old palette had 0.1
DARK_END_CONTRAST = 7.0  # WCAG "AAA" against white: a 1-px edge stays visible on a projector
VISIONS = ("normal", "protan", "deutan", "tritan")
T_SAMPLES = np.linspace(0.25, 1.0, 301)  # |t|: 1/400 apart, finer than any drawn shade

# ------------------------------------------------------------------ colour science
# Machado et al. 2009, Table 1 (severity 1.0), for linear RGB.
MACHADO = {
    "protan": np.array(
        [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ]
    ),
    "deutan": np.array(
        [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.011820, 0.042940, 0.968881],
        ]
    ),
    "tritan": np.array(
        [
            [1.255528, -0.076749, -0.178779],
            [-0.078411, 0.930809, 0.147602],
            [0.004733, 0.691367, 0.303900],
        ]
    ),
}
# sRGB (linear) → CIE XYZ, D65 (IEC 61966-2-1), and the D65 white it maps (1, 1, 1) to.
RGB_TO_XYZ = np.array(
    [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]
)
WHITE = RGB_TO_XYZ.sum(axis=1)


def hex_rgb(colour: str) -> np.ndarray:
    """ "#RRGGBB" → [r, g, b] in 0 … 255."""
    return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)


def linear(rgb: np.ndarray) -> np.ndarray:
    """sRGB 0 … 255 (…, 3) → linear light 0 … 1 (the sRGB transfer function undone)."""
    c = np.asarray(rgb, dtype=float) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def encoded(lin: np.ndarray) -> np.ndarray:
    """Linear light → sRGB 0 … 255, clipped to the display's range."""
    c = np.clip(lin, 0, 1)
    return 255 * np.where(c <= 0.0031308, 12.92 * c, 1.055 * c ** (1 / 2.4) - 0.055)


def simulate(lin: np.ndarray, vision: str) -> np.ndarray:
    """What a viewer with ``vision`` sees of linear RGB ``lin`` (…, 3), as linear RGB: the
    Machado matrix for a dichromat, clipped because a display emits no negative light."""
    if vision == "normal":
        return lin
    return np.clip(lin @ MACHADO[vision].T, 0, 1)


def lab(lin: np.ndarray) -> np.ndarray:
    """Linear RGB (…, 3) → CIELAB (…, 3) under D65."""
    xyz = lin @ RGB_TO_XYZ.T / WHITE
    d = 6 / 29
    f = np.where(xyz > d**3, np.cbrt(xyz), xyz / (3 * d * d) + 4 / 29)
    return np.stack(
        [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])],
        axis=-1,
    )


def ciede2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """ΔE00 between CIELAB colours (…, 3), broadcasting; kL = kC = kH = 1."""
    L1, a1, b1 = np.moveaxis(np.asarray(lab1, dtype=float), -1, 0)
    L2, a2, b2 = np.moveaxis(np.asarray(lab2, dtype=float), -1, 0)
    C_mean = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    G = 0.5 * (1 - np.sqrt(C_mean**7 / (C_mean**7 + 25.0**7)))
    a1p, a2p = (1 + G) * a1, (1 + G) * a2
    C1, C2 = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1 = np.where(C1 == 0, 0, np.degrees(np.arctan2(b1, a1p)) % 360)
    h2 = np.where(C2 == 0, 0, np.degrees(np.arctan2(b2, a2p)) % 360)
    chromatic = C1 * C2 != 0
    dh = h2 - h1
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(chromatic, dh, 0)
    dL, dC = L2 - L1, C2 - C1
    dH = 2 * np.sqrt(C1 * C2) * np.sin(np.radians(dh / 2))
    L_mean, Cp_mean = (L1 + L2) / 2, (C1 + C2) / 2
    h_sum = h1 + h2
    h_mean = np.where(
        ~chromatic,
        h_sum,
        np.where(
            np.abs(h1 - h2) <= 180, h_sum / 2, np.where(h_sum < 360, h_sum + 360, h_sum - 360) / 2
        ),
    )
    T = (
        1
        - 0.17 * np.cos(np.radians(h_mean - 30))
        + 0.24 * np.cos(np.radians(2 * h_mean))
        + 0.32 * np.cos(np.radians(3 * h_mean + 6))
        - 0.20 * np.cos(np.radians(4 * h_mean - 63))
    )
    d_theta = 30 * np.exp(-(((h_mean - 275) / 25) ** 2))
    R_C = 2 * np.sqrt(Cp_mean**7 / (Cp_mean**7 + 25.0**7))
    S_L = 1 + 0.015 * (L_mean - 50) ** 2 / np.sqrt(20 + (L_mean - 50) ** 2)
    S_C = 1 + 0.045 * Cp_mean
    S_H = 1 + 0.015 * Cp_mean * T
    R_T = -np.sin(np.radians(2 * d_theta)) * R_C
    lig, c, h = dL / S_L, dC / S_C, dH / S_H
    return np.sqrt(lig**2 + c**2 + h**2 + R_T * c * h)


def seen(rgb: np.ndarray, vision: str) -> np.ndarray:
    """sRGB 0 … 255 (…, 3) → CIELAB of what a viewer with ``vision`` sees."""
    return lab(simulate(linear(rgb), vision))


def delta_e(rgb1: np.ndarray, rgb2: np.ndarray, vision: str = "normal") -> np.ndarray:
    """ΔE00 between sRGB colours (0 … 255, broadcasting) as seen with ``vision``."""
    return ciede2000(seen(rgb1, vision), seen(rgb2, vision))


# ------------------------------------------------------------------ colors.js, parsed
def js_palette(path: Path = COLORS_JS) -> dict[str, object]:
    """colors.js's colour constants: each `export const NAME = "#RRGGBB";`, its CLASS_COLORS
    list, and DIVERGING's stops, [position, "#RRGGBB"], a stop given by a constant's name
    replaced by its colour."""
    source = path.read_text(encoding="utf-8")
    constants = dict(re.findall(r'export const (\w+) = "(#[0-9A-Fa-f]{6})";', source))
    classes = re.search(r"export const CLASS_COLORS = \[([^\]]*)\]", source)
    assert classes, "CLASS_COLORS not found in colors.js"
    stops = re.search(r"export const DIVERGING = \[(.*?)\];", source, re.DOTALL)
    assert stops, "DIVERGING not found in colors.js"
    diverging = [
        [float(at), constants.get(colour, colour.strip('"'))]
        for at, colour in re.findall(
            r'\[\s*([\d.]+)\s*,\s*(\w+|"#[0-9A-Fa-f]{6}")\s*\]', stops.group(1)
        )
    ]
    assert all(re.fullmatch(r"#[0-9A-Fa-f]{6}", c) for _, c in diverging), diverging
    return {
        **constants,
        "CLASS_COLORS": re.findall(r'"(#[0-9A-Fa-f]{6})"', classes.group(1)),
        "DIVERGING": diverging,
        "source": source,
    }


def diverging(stops: list, t: np.ndarray) -> np.ndarray:
    """colors.js's diverging(t): t in [−1, 1] → sRGB 0 … 255, linear in RGB between the
    stops (as Plotly interpolates a colorscale). The browser test compares the two."""
    u = (np.clip(np.asarray(t, dtype=float), -1, 1) + 1) / 2
    at = np.array([s[0] for s in stops])
    rgb = np.array([hex_rgb(s[1]) for s in stops])
    return np.stack([np.interp(u, at, rgb[:, c]) for c in range(3)], axis=-1)


def contrast_with_white(rgb: np.ndarray) -> float:
    """WCAG 2 contrast ratio of a colour against white."""
    Y = float(linear(rgb) @ RGB_TO_XYZ[1])
    return 1.05 / (Y + 0.05)


def measure(stops: list, classes: list[str]) -> dict[str, dict[str, float]]:
    """Per vision: the least ΔE00 between a signed colour and a class, and between −t and
    +t, over |t| ≥ 0.25."""
    pos, neg = diverging(stops, T_SAMPLES), diverging(stops, -T_SAMPLES)
    cls = np.array([hex_rgb(c) for c in classes])
    out = {}
    for v in VISIONS:
        p, n, c = seen(pos, v), seen(neg, v), seen(cls, v)
        out[v] = {
            "class": float(
                min(ciede2000(p[:, None], c[None]).min(), ciede2000(n[:, None], c[None]).min())
            ),
            "sign": float(ciede2000(p, n).min()),
        }
    return out


@pytest.fixture(scope="module")
def js() -> dict[str, object]:
    return js_palette()


# ------------------------------------------------------------------ the tools, checked
# Sharma, Wu & Dalal 2005, Table 1: L1 a1 b1, L2 a2 b2, ΔE00 (all 34 pairs).
SHARMA_2005 = np.array(
    [
        [50.0000, 2.6772, -79.7751, 50.0000, 0.0000, -82.7485, 2.0425],
        [50.0000, 3.1571, -77.2803, 50.0000, 0.0000, -82.7485, 2.8615],
        [50.0000, 2.8361, -74.0200, 50.0000, 0.0000, -82.7485, 3.4412],
        [50.0000, -1.3802, -84.2814, 50.0000, 0.0000, -82.7485, 1.0000],
        [50.0000, -1.1848, -84.8006, 50.0000, 0.0000, -82.7485, 1.0000],
        [50.0000, -0.9009, -85.5211, 50.0000, 0.0000, -82.7485, 1.0000],
        [50.0000, 0.0000, 0.0000, 50.0000, -1.0000, 2.0000, 2.3669],
        [50.0000, -1.0000, 2.0000, 50.0000, 0.0000, 0.0000, 2.3669],
        [50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0009, 7.1792],
        [50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0010, 7.1792],
        [50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0011, 7.2195],
        [50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0012, 7.2195],
        [50.0000, -0.0010, 2.4900, 50.0000, 0.0009, -2.4900, 4.8045],
        [50.0000, -0.0010, 2.4900, 50.0000, 0.0010, -2.4900, 4.8045],
        [50.0000, -0.0010, 2.4900, 50.0000, 0.0011, -2.4900, 4.7461],
        [50.0000, 2.5000, 0.0000, 50.0000, 0.0000, -2.5000, 4.3065],
        [50.0000, 2.5000, 0.0000, 73.0000, 25.0000, -18.0000, 27.1492],
        [50.0000, 2.5000, 0.0000, 61.0000, -5.0000, 29.0000, 22.8977],
        [50.0000, 2.5000, 0.0000, 56.0000, -27.0000, -3.0000, 31.9030],
        [50.0000, 2.5000, 0.0000, 58.0000, 24.0000, 15.0000, 19.4535],
        [50.0000, 2.5000, 0.0000, 50.0000, 3.1736, 0.5854, 1.0000],
        [50.0000, 2.5000, 0.0000, 50.0000, 3.2972, 0.0000, 1.0000],
        [50.0000, 2.5000, 0.0000, 50.0000, 1.8634, 0.5757, 1.0000],
        [50.0000, 2.5000, 0.0000, 50.0000, 3.2592, 0.3350, 1.0000],
        [60.2574, -34.0099, 36.2677, 60.4626, -34.1751, 39.4387, 1.2644],
        [63.0109, -31.0961, -5.8663, 62.8187, -29.7946, -4.0864, 1.2630],
        [61.2901, 3.7196, -5.3901, 61.4292, 2.2480, -4.9620, 1.8731],
        [35.0831, -44.1164, 3.7933, 35.0232, -40.0716, 1.5901, 1.8645],
        [22.7233, 20.0904, -46.6940, 23.0331, 14.9730, -42.5619, 2.0373],
        [36.4612, 47.8580, 18.3852, 36.2715, 50.5065, 21.2231, 1.4146],
        [90.8027, -2.0831, 1.4410, 91.1528, -1.6435, 0.0447, 1.4441],
        [90.9257, -0.5406, -0.9208, 88.6381, -0.8985, -0.7239, 1.5381],
        [6.7747, -0.2908, -2.4247, 5.8714, -0.0985, -2.2286, 0.6377],
        [2.0776, 0.0795, -1.1350, 0.9033, -0.0636, -0.5514, 0.9082],
    ]
)


def test_ciede2000_matches_sharmas_published_pairs_in_either_order() -> None:
    first, second, expected = SHARMA_2005[:, :3], SHARMA_2005[:, 3:6], SHARMA_2005[:, 6]
    np.testing.assert_allclose(ciede2000(first, second), expected, atol=5e-5)
    np.testing.assert_allclose(ciede2000(second, first), expected, atol=5e-5)


# Published results of the same simulation (Machado 2009, severity 1, linear RGB, clipped):
# the test table of the Unicolour library (VisionDeficiencyTests), which its author checked
# against Chrome's DevTools emulation; 0 … 255, within that table's own tolerance (±1, ±2
# for tritan).
TOLERANCE = {"protan": 1.5, "deutan": 1.5, "tritan": 2.5}
UNICOLOUR = {
    "protan": {"#FF0000": (109, 95, 0), "#00FF00": (255, 229, 0), "#0000FF": (0, 88, 255)},
    "deutan": {"#FF0000": (163, 144, 0), "#00FF00": (239, 214, 59), "#0000FF": (0, 61, 251)},
    "tritan": {"#FF0000": (255, 0, 13), "#00FF00": (0, 247, 216), "#FF00FF": (255, 75, 151)},
}


@pytest.mark.parametrize("vision", ["protan", "deutan", "tritan"])
def test_the_cvd_simulation_reproduces_published_values(vision: str) -> None:
    for colour, expected in UNICOLOUR[vision].items():
        shown = encoded(simulate(linear(hex_rgb(colour)), vision))
        assert np.abs(shown - np.array(expected)).max() <= TOLERANCE[vision], (colour, shown)
    # Greys are seen as they are: each matrix keeps white and black.
    for grey in (0.0, 1.0):
        np.testing.assert_allclose(simulate(np.full(3, grey), vision), grey, atol=2e-5)


def test_the_audit_of_the_old_palette_is_reproduced() -> None:
    """The figures that showed the old palette broken (its header claimed ΔE00 ≥ 20): they
    pin the whole chain (sRGB, simulation, clipping, Lab, ΔE00) to an independent audit."""
    orange, blue = hex_rgb("#E69F00"), hex_rgb("#0072B2")
    old_positive_mid, old_negative_mid = hex_rgb("#9AAF2E"), hex_rgb("#9970AB")
    assert delta_e(old_positive_mid, orange, "protan") == pytest.approx(0.96, abs=0.05)
    assert delta_e(old_positive_mid, orange, "deutan") == pytest.approx(5.83, abs=0.05)
    assert delta_e(old_negative_mid, blue, "protan") == pytest.approx(4.78, abs=0.05)
    assert delta_e(hex_rgb("#4A0F5E"), blue, "deutan") == pytest.approx(19.92, abs=0.05)
    old = [
        [0.0, "#4A0F5E"],
        [0.25, "#9970AB"],
        [0.5, "#F7F7F7"],
        [0.75, "#9AAF2E"],
        [1.0, "#445800"],
    ]
    worst = min(m["class"] for m in measure(old, list(CLASS_COLORS_OKABE_ITO)).values())
    assert worst < CLASS_MIN, "the checks below would have caught the old palette"


CLASS_COLORS_OKABE_ITO = ("#E69F00", "#0072B2", "#009E73", "#CC79A7", "#D55E00", "#56B4E9")


def test_no_ramp_can_do_much_better() -> None:
    """CLASS_MIN is near the best possible: among all sRGB colours (a 52-level lattice) of
    lightness L* 60 … 65, which every ramp from the grey zero to a dark end crosses, none is
    more than 11 from every class for every vision."""
    levels = np.linspace(0, 255, 52)
    rgb = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), -1).reshape(-1, 3)
    L = lab(linear(rgb))[:, 0]
    rgb = rgb[(L >= 60) & (L < 65)]
    cls = np.array([hex_rgb(c) for c in CLASS_COLORS_OKABE_ITO])
    nearest = np.full(len(rgb), np.inf)
    for v in VISIONS:
        nearest = np.minimum(nearest, ciede2000(seen(rgb, v)[:, None], seen(cls, v)[None]).min(1))
    assert 9 < nearest.max() < 11, nearest.max()
    assert 0.5 * nearest.max() < CLASS_MIN


# ------------------------------------------------------------------ the palette's promises
def test_the_classes_are_okabe_ito(js: dict) -> None:
    assert [c.upper() for c in js["CLASS_COLORS"]] == list(CLASS_COLORS_OKABE_ITO)


def test_the_scale_is_diverging_light_grey_at_zero_dark_at_the_ends(js: dict) -> None:
    stops = js["DIVERGING"]
    at = [s[0] for s in stops]
    assert at[0] == 0 and at[-1] == 1 and at == sorted(at) and 0.5 in at, at
    assert np.allclose(at, [1 - a for a in reversed(at)]), "stops placed symmetrically"
    zero = lab(linear(diverging(stops, 0.0)))
    assert zero[0] >= 93 and np.hypot(zero[1], zero[2]) < 2, zero  # a light, neutral grey
    for end in (1.0, -1.0):
        assert contrast_with_white(diverging(stops, end)) >= DARK_END_CONTRAST, end
    # Darker with |t| on both sides, for every viewer: size reads as lightness.
    t = np.linspace(0, 1, 401)
    for v in VISIONS:
        for side in (t, -t):
            L = seen(diverging(stops, side), v)[:, 0]
            assert np.all(np.diff(L) < 0.05), (v, side[-1], L.max())


@pytest.mark.parametrize("vision", VISIONS)
def test_a_negative_and_a_positive_value_of_the_same_size_never_look_alike(
    js: dict, vision: str
) -> None:
    pos, neg = diverging(js["DIVERGING"], T_SAMPLES), diverging(js["DIVERGING"], -T_SAMPLES)
    d = ciede2000(seen(pos, vision), seen(neg, vision))
    worst = int(np.argmin(d))
    assert d[worst] >= SIGN_MIN, (vision, T_SAMPLES[worst], float(d[worst]))


@pytest.mark.parametrize("vision", VISIONS)
def test_no_signed_colour_looks_like_a_class_colour(js: dict, vision: str) -> None:
    t = np.concatenate([-T_SAMPLES, T_SAMPLES])
    signed = seen(diverging(js["DIVERGING"], t), vision)
    classes = seen(np.array([hex_rgb(c) for c in js["CLASS_COLORS"]]), vision)
    d = ciede2000(signed[:, None], classes[None])  # (samples, classes)
    i, k = np.unravel_index(np.argmin(d), d.shape)
    assert d[i, k] >= CLASS_MIN, (vision, f"t = {t[i]:.3f}", f"class {k + 1}", float(d[i, k]))


def test_the_header_states_the_measured_figures(js: dict) -> None:
    """colors.js's comment quotes the least ΔE00s; they are the measured ones (rounded down
    to 0.1), so the comment cannot drift from the palette again."""
    stated = re.search(
        r"ΔE00 ≥ ([\d.]+) from every class.*?ΔE00 ≥ ([\d.]+) between −t and \+t",
        js["source"],
        re.DOTALL,
    )
    assert stated, "colors.js states its tested ΔE00 figures"
    m = measure(js["DIVERGING"], js["CLASS_COLORS"])
    worst_class = min(v["class"] for v in m.values())
    worst_sign = min(v["sign"] for v in m.values())
    assert float(stated.group(1)) == np.floor(worst_class * 10) / 10, (stated.group(1), m)
    assert float(stated.group(2)) == np.floor(worst_sign * 10) / 10, (stated.group(2), m)
