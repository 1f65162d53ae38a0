"""Shared fixtures of the app tests: the demo data, and small snapshots for the edge states.

The repository root is put on ``sys.path`` so that page scripts run by AppTest can import
``pages.common`` as they do under ``streamlit run app/main.py``.  The demo county is built once
per run into a temporary folder (``demo_data.DEMO_ROOT``), which the app reads through
``JUNHENG_DATA`` / ``JUNHENG_GEO``; nothing is written into the checkout.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from demo_data import DEMO_COUNTY, DEMO_DATA, DEMO_GEO, DEMO_ROOT, DEMO_SNAPSHOT, build_demo_data  # noqa: E402


def pytest_sessionstart(session: pytest.Session) -> None:
    """Build the demo county into its temporary folder; the app reads it from there."""
    build_demo_data()
    os.environ["JUNHENG_DATA"] = str(DEMO_DATA)
    os.environ["JUNHENG_GEO"] = str(DEMO_GEO)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(DEMO_ROOT, ignore_errors=True)


@pytest.fixture(scope="module")
def app(demo_root: Path) -> Iterator[str]:
    """The app served on a free loopback port for one browser-test module; its base URL."""
    from browser import CHROMIUM, served_app

    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail(f"Debian chromium is not installed at {CHROMIUM}: run `make system-deps`")
    with served_app() as base:
        yield base


@pytest.fixture(scope="module")
def browser(app: str) -> Iterator[Any]:
    """A headless Debian chromium (Playwright) for one browser-test module."""
    from browser import open_browser

    with open_browser() as b:
        yield b


@pytest.fixture(scope="session")
def demo_root() -> Path:
    """The folder holding the demo county's data/ and geo/ (a temporary folder)."""
    return DEMO_ROOT


@dataclass(frozen=True)
class EdgeData:
    """A data root (and a geography root) holding one edge-state snapshot."""

    name: str
    data_root: Path
    geo_root: Path
    school_ids: tuple[str, ...]


def _demo_schools() -> pd.DataFrame:
    from dashboard.store.snapshots import read_snapshot

    return read_snapshot(DEMO_SNAPSHOT).schools


def _keep(schools: pd.DataFrame, mask: pd.Series) -> pd.DataFrame:
    """Return the rows in ``mask`` minus teaching points whose central school is gone."""
    kept = schools[mask]
    orphan = kept["parent_school_id"].notna() & ~kept["parent_school_id"].isin(kept["school_id"])
    return kept[~orphan].reset_index(drop=True)


def _no_pupils(schools: pd.DataFrame) -> pd.DataFrame:
    out = schools.copy()
    for column in out.columns:
        if column.startswith(("students_", "classes_", "teachers_")) or column in (
                "boarders", "classes_with_av"):
            out[column] = 0
    return out


def build_edge(root: Path, name: str) -> EdgeData:
    """Write the edge-state snapshot ``name`` under ``root`` and return where it is.

    - ``one_school``: a single primary school;
    - ``primary_only``: only 小学 and 教学点 (no junior unit at all);
    - ``no_units``: every school has zero pupils (an empty year: no unit in any scheme);
    - ``no_geo``: the demo's 2024 schools, with an empty geography folder.
    """
    from dashboard.store.snapshots import write_snapshot

    schools = _demo_schools()
    if name == "one_school":
        first = schools[schools["school_type"] == "primary"]["school_id"].iloc[0]
        table = _keep(schools, schools["school_id"] == first)
    elif name == "primary_only":
        table = _keep(schools, schools["school_type"].isin(["primary", "teaching_point"]))
    elif name == "no_units":
        table = _no_pupils(schools)
    elif name == "no_geo":
        table = schools
    else:
        raise ValueError(f"unknown edge state {name!r}")
    data_root = root / name / "data"
    geo_root = root / name / "geo"
    geo_root.mkdir(parents=True, exist_ok=True)
    write_snapshot(data_root, f"edge-{name}", table, source=f"test edge state {name}",
                   created="2024-09-30T00:00:00+00:00")
    if name != "no_geo":
        src = DEMO_GEO / DEMO_COUNTY
        dst = geo_root / DEMO_COUNTY
        dst.mkdir(parents=True, exist_ok=True)
        for file in src.glob("*.geojson"):
            (dst / file.name).write_bytes(file.read_bytes())
    return EdgeData(name, data_root, geo_root, tuple(table["school_id"].astype(str)))


@pytest.fixture(scope="session")
def edge_data(tmp_path_factory: pytest.TempPathFactory, demo_root: Path) -> dict[str, EdgeData]:
    """Every edge-state snapshot, written once per session."""
    root = tmp_path_factory.mktemp("edge")
    return {name: build_edge(root, name)
            for name in ("one_school", "primary_only", "no_units", "no_geo")}
