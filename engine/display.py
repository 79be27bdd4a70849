"""Short text and HTML forms of engine results, for a notebook.

A dataclass repr of a Trace lists every array of every quantity (thousands of characters);
a notebook wants one line from ``repr`` and, from ``_repr_html_`` (Jupyter's rich display),
the lecture's equations with their numbers. Numbers are shown to 4 significant digits
(``f"{x:.4g}"``), symbols in the lecture's notation with δ^(o) set as δ<sup>(o)</sup>.
Nothing here is needed for training, so it is plain string work.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

import numpy as np

MAX_ENTRIES = 64
"""Arrays with more entries than this are shown by shape and their first entries."""

_SUPERSCRIPT = re.compile(r"\^\(([^()]*)\)")


def fmt(x: float) -> str:
    """One number to 4 significant digits: the precision of a slide."""
    return f"{float(x):.4g}"


def notation_html(text: str) -> str:
    """Escape ``text`` and set the lecture's superscripts: "δ^(h₁)" → "δ<sup>(h₁)</sup>"."""
    return _SUPERSCRIPT.sub(r"<sup>(\1)</sup>", html.escape(text, quote=False))


def _row(values: np.ndarray) -> str:
    return "[" + ", ".join(fmt(v) for v in values) + "]"


def array_html(value: np.ndarray | float) -> str:
    """A scalar, vector or matrix as numbers; larger arrays by shape and first entries."""
    a = np.asarray(value, dtype=np.float64)
    if a.ndim == 0:
        return fmt(a)
    shape = "×".join(map(str, a.shape))
    if a.size > MAX_ENTRIES or a.ndim > 2:
        first = _row(a.reshape(-1)[:6])[:-1] + ", …]"
        return f"<i>{shape}</i> {first}"
    if a.ndim == 1:
        return _row(a)
    return "<br>".join(_row(r) for r in a)


def table_html(header: Sequence[str], rows: Sequence[Sequence[str]], caption: str = "") -> str:
    """A plain HTML table; cells are HTML already."""
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    cap = f"<caption style='text-align:left'>{caption}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
