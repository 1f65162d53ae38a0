"""The demo county items (docs/data-contract.md §4): given ones from ``demo_county_items.csv``, and the
items that follow from the schools table and the roster (G3, G4, G5, G11, P1)."""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd

from dashboard.method.profiles_county import G11_BACKBONE as _G11_BACKBONE
from dashboard.method.standards import standards_table
from dashboard.store.demo.facts import DATA_DIR, DEMO_COUNTY_CODE

__all__ = ["county_table"]

_BASIC_RECOGNISED: Final = 2019  # year the county passed national 基本均衡 recognition (P1)
_COUNTY_COLUMNS: Final = ("county_code", "year", "item_id", "value", "passed", "evidence", "stage")

_Row = dict[str, Any]


def county_table(year: int, schools: pd.DataFrame, rotation: dict[str, int]) -> pd.DataFrame:
    """County-level assessment items of one year (docs/data-contract.md §4), in standards.csv order."""
    items = pd.read_csv(DATA_DIR / "demo_county_items.csv", dtype=str, keep_default_na=False)
    rows: list[_Row] = []
    for item in items.itertuples(index=False):
        passed = getattr(item, f"passed_{year}")
        rows.append(
            {
                "item_id": item.item_id,
                "stage": item.stage or None,
                "value": getattr(item, f"value_{year}"),
                "passed": None if passed == "" else passed == "true",
                "evidence": str(item.evidence).format(year=year),
            }
        )
    rows += _computed_items(year, schools, rotation)
    df = pd.DataFrame(rows).assign(county_code=DEMO_COUNTY_CODE, year=np.int64(year))
    df["passed"] = df["passed"].astype("boolean")
    df["stage"] = df["stage"].astype(object)
    order = {item_id: i for i, item_id in enumerate(standards_table().index)}
    stage_order = {None: 0, "primary": 1, "junior": 2}
    df = df.sort_values(
        ["item_id", "stage"],
        key=lambda col: col.map(order if col.name == "item_id" else stage_order),
        kind="stable",
    )
    return df.loc[:, list(_COUNTY_COLUMNS)].reset_index(drop=True)


def _threshold(item_id: str, stage: str = "primary") -> float:
    """The numeric threshold of a county item from the standards table."""
    return float(str(standards_table().loc[item_id, f"{stage}_threshold"]))


def _computed_items(
    year: int, schools: pd.DataFrame, rotation: dict[str, int]
) -> list[_Row]:
    """Items that follow from the schools table and the roster: G3, G4, G5, G11, P1."""
    regular = schools.loc[schools["school_type"] != "teaching_point"].set_index("school_name")
    return [
        _music_art_rooms(year, regular),
        _school_size(year, regular),
        *_class_size(year, regular),
        _rotation_rate(year, rotation),
        _years_recognised(year),
    ]


def _music_art_rooms(year: int, regular: pd.DataFrame) -> _Row:
    """G3: music and art rooms, one of each per 12 classes."""
    classes = regular["classes_primary"] + regular["classes_junior"]
    need = np.maximum(1, np.ceil(classes / 12))
    short = regular.index[(regular["music_rooms"] < need) | (regular["art_rooms"] < need)]
    return {
        "item_id": "G3",
        "stage": None,
        "value": "false" if len(short) else "true",
        "passed": short.empty,
        "evidence": (
            f"{year}年 {len(regular)} 所小学、初中（不含教学点）中 {len(regular) - len(short)} 所"
            "按每12个班配齐音乐、美术专用教室"
            + (f"；未配齐：{'、'.join(short)}" if len(short) else "")
            + "（示例数据）"
        ),
    }


def _school_size(year: int, regular: pd.DataFrame) -> _Row:
    """G4: school size at most 2000 pupils, 2500 for 一贯制 schools (standards.csv rule note)."""
    size = regular["students_primary"] + regular["students_junior"]
    limit = np.where(
        regular["school_type"].isin(["nine_year", "twelve_year"]), 2500, _threshold("G4")
    )
    over = size[size > limit]
    return {
        "item_id": "G4",
        "stage": None,
        "value": str(int(size.max())),
        "passed": over.empty,
        "evidence": (
            f"{year}年义务教育学校最大规模 {int(size.max())} 人；"
            f"超过规模上限的学校 {len(over)} 所"
            + ("：" + "、".join(f"{name} {n} 人" for name, n in over.items()) if len(over) else "")
            + "（示例数据）"
        ),
    }


def _class_size(year: int, regular: pd.DataFrame) -> list[_Row]:
    """G5, per stage: the largest average class size of a school."""
    rows: list[_Row] = []
    for stage, stage_zh in (("primary", "小学"), ("junior", "初中")):
        has = regular[f"classes_{stage}"] > 0
        average = regular.loc[has, f"students_{stage}"] / regular.loc[has, f"classes_{stage}"]
        largest = round(float(average.max()), 1)
        limit_size = _threshold("G5", stage)
        rows.append(
            {
                "item_id": "G5",
                "stage": stage,
                "value": f"{largest:.1f}",
                "passed": largest <= limit_size,
                "evidence": (
                    f"{year}年{stage_zh}各校平均班额最大 {largest:.1f} 人；平均班额超过"
                    f" {limit_size:g} 人的学校 {int((average > limit_size).sum())} 所（示例数据）"
                ),
            }
        )
    return rows


def _rotation_rate(year: int, rotation: dict[str, int]) -> _Row:
    """G11: the share of eligible teachers rotated in the year and the backbone teachers' share
    of those rotated, in percent ('<rate>;<backbone share>', as the item's two figures)."""
    rate = round(100.0 * rotation["rotated"] / rotation["eligible"], 1)
    backbone = round(100.0 * rotation["backbone"] / rotation["rotated"], 1) if rotation["rotated"] else 0.0
    return {
        "item_id": "G11",
        "stage": None,
        "value": f"{rate:.1f};{backbone:.1f}",
        "passed": rate >= _threshold("G11") and backbone >= _G11_BACKBONE,
        "evidence": (
            f"{year}年交流轮岗 {rotation['rotated']} 人，符合交流条件（在同一学校任教满6年）"
            f" {rotation['eligible']} 人；交流教师中骨干教师 {rotation['backbone']} 人（示例数据）"
        ),
    }


def _years_recognised(year: int) -> _Row:
    """P1: years since the county passed the national 基本均衡 recognition."""
    years = year - _BASIC_RECOGNISED
    return {
        "item_id": "P1",
        "stage": None,
        "value": str(years),
        "passed": years >= _threshold("P1"),
        "evidence": (
            f"{_BASIC_RECOGNISED}年通过国家义务教育基本均衡发展认定，此后年度监测保持（示例数据）"
        ),
    }
