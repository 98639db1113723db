"""The SVG chart helper: well-formed XML whose bars carry exactly the values charted."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from domicile.desk.svg import bar_chart

labels = st.lists(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn", "Co")), max_size=12),
    min_size=0,
    max_size=6,
)


@settings(max_examples=40, deadline=None)
@given(labels, st.data())
def test_chart_is_valid_svg_with_one_bar_per_value(names: list[str], data: st.DataObject) -> None:
    """Each (label, series) value becomes one rect carrying it; text is escaped; the biggest is tallest."""
    series_names = data.draw(
        st.lists(st.sampled_from(["a", "b<&>", "c\"'"]), min_size=1, max_size=3, unique=True)
    )
    series = {
        s: data.draw(st.lists(st.integers(0, 10_000), min_size=len(names), max_size=len(names)))
        for s in series_names
    }
    svg = bar_chart("Заголовок <&>", names, series)
    root = etree.fromstring(svg.encode("utf-8"))
    rects = root.xpath("//*[local-name()='rect'][@data-value]")
    assert len(rects) == len(names) * len(series)
    got = {(r.get("data-label"), r.get("data-series")): int(r.get("data-value")) for r in rects}
    want = {(n, s): vals[i] for s, vals in series.items() for i, n in enumerate(names)}
    if len(set(names)) == len(names):
        assert got == want
    heights = {(r.get("data-label"), r.get("data-series")): float(r.get("height")) for r in rects}
    biggest = max(want.values(), default=0)
    for key, value in want.items():
        if len(set(names)) == len(names) and biggest and value == biggest:
            assert heights[key] == max(heights.values())
    assert root.findtext("{http://www.w3.org/2000/svg}title") == "Заголовок <&>"


def test_chart_rejects_inconsistent_series() -> None:
    """A series of the wrong length or with a negative value is refused."""
    with pytest.raises(ValueError, match="2 values for 1 labels"):
        bar_chart("t", ["x"], {"s": [1, 2]})
    with pytest.raises(ValueError, match="negative"):
        bar_chart("t", ["x"], {"s": [-1]})
