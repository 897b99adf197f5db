"""Figures leave room for what plotly's automargin does not count: the label outside a
horizontal bar's end, and a legend above the plot that wraps to two lines in English."""

from __future__ import annotations

import pandas as pd

from layouts import theme
from layouts.analysis import bar_figure, trend_figure


def frame() -> pd.DataFrame:
    return pd.DataFrame({"key": ["a", "b"], "label": ["甲", "乙"], "n": [1.0, 0.5]})


def test_a_horizontal_bar_with_labels_has_room_on_the_right():
    labelled = bar_figure(frame(), set(), horizontal=True, text=["100.0%", "50.0%"])
    assert labelled.layout.margin.r >= 48
    assert labelled.data[0].cliponaxis is False
    # without labels (or upright) the narrow margin stays
    assert bar_figure(frame(), set(), horizontal=True).layout.margin.r == 8
    assert bar_figure(frame(), set(), text=["1", "2"]).layout.margin.r == 8


def test_a_legend_above_is_anchored_by_its_bottom():
    assert theme.LEGEND_ABOVE["yanchor"] == "bottom" and theme.LEGEND_ABOVE["y"] > 1
    days = pd.DataFrame({"key": ["2026-12-01", "2026-12-02"], "n": [3, 4], "m": [1, 2]})
    fig = trend_figure(days, (("n", "Reported"), ("m", "Closed")))
    assert fig.layout.showlegend is True and len(fig.data) == 2
    assert (fig.layout.legend.yanchor, fig.layout.legend.y) == ("bottom", theme.LEGEND_ABOVE["y"])
