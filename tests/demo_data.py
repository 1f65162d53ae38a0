"""Where the tests find the demo county: a temporary folder, never the checkout.

The folder is made when this module is first imported; ``conftest.py`` builds the demo into it
at the start of the test run (``data/`` with the three yearly snapshots, ``geo/`` with the
boundaries), points ``JUNHENG_DATA`` / ``JUNHENG_GEO`` at it for the app and the served
browser tests, and removes it at the end.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Final

DEMO_ROOT: Final = Path(tempfile.mkdtemp(prefix="junheng-test-demo-"))
DEMO_DATA: Final = DEMO_ROOT / "data"
DEMO_GEO: Final = DEMO_ROOT / "geo"
DEMO_COUNTY: Final = "990101"
DEMO_SNAPSHOT: Final = DEMO_DATA / f"demo-{DEMO_COUNTY}-2024"


def build_demo_data() -> Path:
    """Write the demo snapshots and geography under DEMO_ROOT (once) and return DEMO_ROOT."""
    from dashboard.store.demo import write_demo

    if not (DEMO_SNAPSHOT / "meta.json").is_file():
        write_demo(DEMO_DATA, DEMO_GEO)
    return DEMO_ROOT
