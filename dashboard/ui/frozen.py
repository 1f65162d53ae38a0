"""Figures and tables that are built once and drawn many times (cached page views, every
session).

``st.plotly_chart`` turns a figure into its dict (``Figure.to_dict``, a deep copy of every trace
and of the layout) and then into JSON on every rerun; for the map's township outlines the copy
costs more than the rest of the page.  A :class:`FrozenFigure` makes its dict once, when the
view is built, and hands out that dict: what the browser receives is the same JSON.  In the same
way ``st.dataframe`` converts a pandas table to Arrow on every rerun (a millisecond for the data
page's 600 changes); :func:`frozen_table` converts it once.  And a pandas Styler is computed
and translated to HTML cells again on every rerun (half the checklist's server time); :func:`frozen_styler` does both once.  No Streamlit here (dashboard/ui/cache.py is the only
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
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import pyarrow as pa
from pandas.io.formats.style import Styler

__all__ = ["FrozenFigure", "frozen", "frozen_table", "frozen_styler"]


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


def frozen_styler(frame: pd.DataFrame, style: Callable[[Styler], Styler]) -> Styler:
    """Return ``frame`` styled by ``style`` (e.g. ``lambda s: s.apply(...)``) with its styles
    computed and translated once, for a cached view: only drawn, never styled further.

    Streamlit draws a Styler through pandas' own ``_compute`` and ``_translate(False, False)``
    (streamlit/elements/lib/pandas_styler_utils.py) on every rerun; this Styler answers both
    from what it made once, so one Styler serves every session at once without being changed.
    It stays a plain pandas Styler (Streamlit recognises a Styler by its exact type); any other
    rendering (``to_html``) goes through pandas from the styles computed once.
    """
    styler = style(frame.style)
    styler._compute()
    made = styler._translate(False, False)
    translate = styler._translate

    def translated(sparse_index: bool, sparse_cols: bool, *args: Any, **kwargs: Any) -> dict:
        if sparse_index or sparse_cols or args or kwargs:
            return translate(sparse_index, sparse_cols, *args, **kwargs)
        return made

    vars(styler).update(_compute=lambda: styler, _translate=translated)
    return styler
