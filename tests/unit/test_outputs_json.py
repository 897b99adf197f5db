"""The page memo's JSON of a callback's outputs (``pagememo.outputs_json``) holds the values
Dash's own serializer writes (``dash._utils.to_json``, the oracle), for what the overview's
callbacks return: component trees, figures with numpy arrays, dates, NaN and infinity."""

from __future__ import annotations

import json
from datetime import date, datetime

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from dash import dcc, html
from dash._utils import to_json

from dashboard.pagememo import outputs_json


def _outputs():
    fig = go.Figure(go.Bar(x=np.array(["a", "b", "c"]), y=np.array([1.5, np.nan, 3.0])))
    fig.add_scatter(x=pd.date_range("2026-01-01", periods=3), y=np.arange(3, dtype=np.int64))
    tree = html.Div([
        html.Span("结案率 92.3%", className="gc-k", title="定义"),
        html.Div([html.Span(str(i), **{"data-count": np.int64(i)}) for i in range(5)]),
        dcc.Graph(figure=fig, config={"displayModeBar": False}),
    ], id={"type": "x", "index": 1})
    return [
        tree,
        {"values": {"320612": np.int64(7), "320613": np.float64(np.nan)},
         "max": float("inf"), "at": pd.Timestamp("2026-12-07 10:00"),
         "day": date(2026, 12, 7), "moment": datetime(2026, 12, 7, 9, 30)},
        fig.to_dict(),
        None, "text", 3, 2.5, True, [np.float32(0.5), np.bool_(True)],
    ]


def test_outputs_json_gives_the_values_dash_writes():
    value = _outputs()
    ours, dash_own = json.loads(outputs_json(value)), json.loads(to_json(value))
    assert ours == dash_own
    assert ours[1]["values"]["320613"] is None and ours[1]["max"] is None  # NaN, inf


@pytest.mark.parametrize("bad", [object(), {1, 2}])
def test_a_value_json_cannot_hold_is_refused(bad):
    with pytest.raises(TypeError):
        outputs_json([bad])
