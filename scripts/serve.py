"""Serve the app: ``streamlit run app.py`` with Streamlit's legacy ``pages/`` discovery off.

Streamlit treats a ``pages/`` folder beside the entry script as a version-1 multipage app
until the first script run calls ``st.navigation``: on a freshly started server, a visitor who
opens a deep link (``/drilldown?…``) would get that page file run on its own, without the
sidebar and with the file names as navigation.  Junheng's pages are declared in app.py with
``st.navigation`` only, so the flag is set before the server starts.

Usage: ``python scripts/serve.py [streamlit options…]`` (the Makefile's ``run`` target).
"""

from __future__ import annotations

import sys
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

APP = Path(__file__).resolve().parent.parent / "app.py"


def main(argv: list[str]) -> None:
    """Run ``streamlit run app.py`` with ``argv`` as its options, in this process."""
    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", str(APP), *argv]
    cli.main()


if __name__ == "__main__":
    main(sys.argv[1:])
