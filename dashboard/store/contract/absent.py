"""A stage a school does not have: its empty cells read as 0 (docs/data-contract.md §2).

Bureaus' own sheets leave a 小学's 初中 columns empty, or write a dash (—, -, /) as the
statistics yearbooks do for "not applicable".  The contract stores 0 there; a cell that is
empty or a dash in a column of a stage the school's type cannot have is read as 0 before the
cells are checked.  Every other empty cell is still an error, and a figure written there is
kept as written.
"""

from __future__ import annotations

import re
from typing import Final

import pandas as pd

from dashboard.store.contract.cells import cell_text, parse
from dashboard.store.contract.spec import header_key, specs

__all__ = ["STAGES_OF_TYPE", "fill_absent_stages"]

# The stages each school type teaches (senior: 高中 pupils, used only for the resource split).
STAGES_OF_TYPE: Final[dict[str, frozenset[str]]] = {
    "primary": frozenset({"primary"}),
    "teaching_point": frozenset({"primary"}),
    "junior": frozenset({"junior"}),
    "nine_year": frozenset({"primary", "junior"}),
    "complete_secondary": frozenset({"junior", "senior"}),
    "twelve_year": frozenset({"primary", "junior", "senior"}),
}
_DASH: Final = re.compile(r"[-—–/]+")  # after NFKC: － and ／ are - and /
_DASH_STARTS: Final = frozenset("-—–/－／")


def _stage_of(name: str) -> str | None:
    for stage in ("primary", "junior", "senior"):
        if name.endswith("_" + stage):
            return stage
    return None


def _blank(value: object) -> bool:
    if not isinstance(value, str):  # a number is a figure; None and NaN are empty
        return value is None or value is pd.NA or (isinstance(value, float) and value != value)
    text = value.strip()
    return not text or (text[0] in _DASH_STARTS and _DASH.fullmatch(header_key(text)) is not None)


def fill_absent_stages(frame: pd.DataFrame, position: dict[str, int]) -> pd.DataFrame:
    """Return ``frame`` (a schools sheet as read; ``position``: canonical name -> its column)
    with 0 in the empty or dashed cells of the stages each row's school type does not have.
    Rows whose type is empty or not a known type are left as they are."""
    if "school_type" not in position:
        return frame
    spec = next(s for s in specs("schools") if s.name == "school_type")
    raw = frame.iloc[:, position["school_type"]]
    types = parse(spec, raw, raw.map(cell_text).astype(object)).typed
    out = frame
    absent = {stage: types.map(lambda t, st=stage: t in STAGES_OF_TYPE
                               and st not in STAGES_OF_TYPE[t]).to_numpy(dtype=bool)
              for stage in ("primary", "junior", "senior")}
    for s in specs("schools"):
        stage = _stage_of(s.name)
        if stage is None or s.name not in position:
            continue
        col = position[s.name]
        mask = absent[stage].copy()
        cells = frame.iloc[:, col].to_numpy(dtype=object)
        mask[mask] = [_blank(v) for v in cells[mask]]  # only the cells of an absent stage
        if mask.any():
            if out is frame:
                out = frame.copy()
            values = out.iloc[:, col].astype(object).to_numpy(copy=True)
            values[mask] = 0
            out.isetitem(col, values)
    return out
