"""The learning curves' drawing rules, run in the page's own module (no build step)."""

import pytest

MODULE = "/static/js/views/live_chart.js"


@pytest.fixture
def chart_module(page, live_server):
    page.goto(live_server.url + "/")
    return lambda script, arg=None: page.evaluate(
        f"async (arg) => {{ const m = await import('{MODULE}'); {script} }}", arg
    )


def test_axis_bounds_are_round_and_never_more_than_a_quarter_empty(chart_module) -> None:
    values = [1, 7, 10, 11, 99, 101, 1234, 2501, 9999, 10001, 123456]
    bounds = chart_module("return arg.map((v) => m.niceCeil(v, 1));", values)
    for value, bound in zip(values, bounds, strict=True):
        assert value <= bound <= value / 0.75 + 1e-9, (value, bound)
    assert bounds[:4] == [1, 8, 10, 12.5]
    assert chart_module("return m.niceCeil(3);") == 10  # the step axis starts at 0…10


def test_log_axis_spans_whole_decades(chart_module) -> None:
    low, high = chart_module("return m.yRangeOf({type: 'log'}, [[0.03, null, 0.2], [1.5]]);")
    assert (low, high) == (-2, 1)
    assert chart_module("return m.yRangeOf({range: [0, 1.02]}, [[5]]);") == [0, 1.02]


def test_a_long_series_keeps_its_extremes_per_pixel_column(chart_module) -> None:
    """10 000 points over 100 pixels: at most 4 a column, and the peaks survive."""
    path = chart_module(
        """
        const xs = Array.from({length: 10000}, (_, i) => i);
        const ys = xs.map((i) => (i === 4321 ? 50 : i === 8765 ? -50 : Math.sin(i / 300)));
        ys[5000] = null;  // a gap
        return m.pixelPath(xs, ys, (x) => x / 100, (y) => -y);
        """
    )
    points = [p for p in path if p is not None]
    assert len(points) <= 4 * 101 + 4
    assert min(p[1] for p in points) == -50 and max(p[1] for p in points) == 50
    assert path.count(None) == 1  # the gap is kept, once
    xs = [p[0] for p in points]
    assert xs == sorted(xs)  # still drawn left to right


def test_nearest_step(chart_module) -> None:
    targets = [0, 14, 15, 16, 1000, -5]
    found = chart_module("return arg.map((t) => m.nearestIndex([0, 10, 20, 30], t));", targets)
    assert found == [0, 1, 1, 2, 3, 0]  # a tie goes to the earlier step


def test_a_growing_path_equals_the_path_of_the_whole_series(chart_module) -> None:
    """Taken in piece by piece as a run grows, the path is the one drawn from scratch; the
    span of values too."""
    same = chart_module(
        """
        const xs = [], ys = [];
        const path = new m.PixelPath((x) => x / 37, (y) => 100 - y);
        const span = new m.Span();
        for (let i = 0; i < 5000; i += 1) {
          xs.push(i);
          ys.push(i % 997 === 0 ? null : 50 * Math.sin(i / 40) + (i % 13));
          if (i % 250 === 0) { path.extend(xs, ys); span.extend([ys]); }
        }
        path.extend(xs, ys);
        span.extend([ys]);
        const whole = m.pixelPath(xs, ys, (x) => x / 37, (y) => 100 - y);
        const values = ys.filter((v) => v !== null);
        return [JSON.stringify(path.points()) === JSON.stringify(whole),
                span.range[0] === Math.min(...values), span.range[1] === Math.max(...values)];
        """
    )
    assert same == [True, True, True]
