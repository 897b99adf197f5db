"""Plotly's JSON made comparable: figures as Dash sends them, with their typed arrays
decoded."""

from __future__ import annotations

import base64

import numpy as np


def plain(value):
    """Plotly JSON with its typed arrays ({"dtype", "bdata"}: base64 numpy) as lists of
    floats (NaN as None), the rest as it is."""
    if isinstance(value, dict):
        if set(value) == {"dtype", "bdata"}:
            arr = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
            return [None if np.isnan(v) else float(v) for v in arr]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
