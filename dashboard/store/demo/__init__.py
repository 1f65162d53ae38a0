"""The demo county 示范县 (990101, fictional), deterministic from a seed: facts, geography,
schools, teachers, county items, and ``build`` that assembles and writes them."""

from dashboard.store.demo.build import DemoCounty, build_demo, demo_snapshot_id, write_demo
from dashboard.store.demo.facts import (
    DEMO_CITY_NAME,
    DEMO_COUNTY_CODE,
    DEMO_COUNTY_NAME,
    DEMO_COUNTY_NAME_EN,
    DEMO_SEED,
    DEMO_YEARS,
)

__all__ = [
    "DEMO_SEED",
    "DEMO_COUNTY_CODE",
    "DEMO_COUNTY_NAME",
    "DEMO_COUNTY_NAME_EN",
    "DEMO_CITY_NAME",
    "DEMO_YEARS",
    "DemoCounty",
    "build_demo",
    "demo_snapshot_id",
    "write_demo",
]
