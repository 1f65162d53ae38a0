"""Figures and tables that are built once and drawn many times (cached page views, every
session).

``st.plotly_chart`` turns a figure into its dict (``Figure.to_dict``, a deep copy of every trace
and of the layout) and then into JSON on every rerun; for the map's township outlines the copy
costs more than the rest of the page.  A :class:`FrozenFigure` makes its dict once, when the
view is built, and hands out that dict: what the browser receives is the same JSON.  In the same
way ``st.dataframe`` converts a pandas table to Arrow on every rerun (a millisecond for the data
page's 600 changes); :func:`frozen_table` converts it once.  A styled table keeps its frame and
its style (:class:`StyledTable`); each draw makes its own Styler.  No Streamlit here (dashboard/ui/cache.py is the only
module that imports it).

>>> import plotly.graph_objects as go
>>> fig = frozen(go.Figure(go.Bar(x=[1, 2], y=[3, 4])))
>>> fig.to_dict() is fig.to_dict(), fig.to_dict()["data"][0]["type"]
(True, 'bar')
>>> import pandas as pd
>>> frozen_table(pd.DataFrame({"学校": ["一小"], "n": [3]})).to_pydict()
{'学校': ['一小'], 'n': [3]}
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import pyarrow as pa
from pandas.io.formats.style import Styler

__all__ = ["FrozenFigure", "StyledTable", "frozen", "frozen_table", "styled_table"]


class FrozenFigure(go.Figure):
    """A figure only drawn, never changed: ``to_dict`` returns the dict made at creation.

    Callers (Streamlit, plotly.io.to_json) read the dict; plotly.io.to_json removes trace
    ``uid``s from it, which this figure never has.
    """

    def __init__(self, fig: go.Figure) -> None:
        super().__init__(fig)
        self._frozen_dict = super().to_dict()
        for trace in self._frozen_dict.get("data", []):
            trace.pop("uid", None)

    def to_dict(self) -> dict[str, Any]:
        return self._frozen_dict


def frozen(fig: go.Figure) -> FrozenFigure:
    """Return ``fig`` as a :class:`FrozenFigure` (for a cached view; do not change it after)."""
    return fig if isinstance(fig, FrozenFigure) else FrozenFigure(fig)


def frozen_table(frame: pd.DataFrame) -> pa.Table | pd.DataFrame:
    """Return ``frame`` as an Arrow table for a cached view shown with ``hide_index=True`` (the
    index is dropped); ``frame`` itself when Arrow cannot hold a column as it is (mixed types:
    Streamlit then makes them text on each run, as before)."""
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowException, ValueError, TypeError):
        return frame


@dataclass(frozen=True)
class StyledTable:
    """A table and how to style it, for a cached view shared by every session.  Each draw makes
    its own pandas Styler (:meth:`styler`): Streamlit computes a Styler while it draws it, so one
    Styler shared by sessions would be computed by several runs at once, and keeping its
    computed styles would need pandas' private ``_compute``/``_translate`` (pandas has no public
    way to hand over a Styler computed once)."""

    data: pd.DataFrame
    style: Callable[[Styler], Styler]

    def styler(self) -> Styler:
        """Return a fresh Styler of ``data`` styled by ``style``."""
        return self.style(self.data.style)


def styled_table(frame: pd.DataFrame, style: Callable[[Styler], Styler]) -> StyledTable:
    """Return ``frame`` with its ``style`` (e.g. ``lambda s: s.apply(...)``) for a cached view."""
    return StyledTable(frame, style)
