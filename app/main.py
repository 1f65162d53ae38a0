"""Junheng 均衡 — the Streamlit entrypoint: page config, the sidebar choices, the navigation.

Run with ``make run`` or plainly ``streamlit run app/main.py`` from the repository root.

This script sits in ``app/``, not beside ``pages/``: Streamlit treats a ``pages/`` folder next
to the entry script as a version-1 multipage app until the first run calls ``st.navigation``,
so the first visitor of a freshly started server who followed a deep link would get the bare
page file.  Away from ``pages/``, the pages exist only through ``st.navigation`` below.
"""

import sys
from pathlib import Path

# Streamlit puts this script's folder on sys.path; the pages package lives one level up.
REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import streamlit as st  # noqa: E402

from dashboard.i18n import t  # noqa: E402
from pages.common import PAGE_FILES, REPO_ROOT, draw_sidebar  # noqa: E402

lang = draw_sidebar()
# No material page_icon: Streamlit would fetch it online.
st.set_page_config(page_title=t("app.browser_title", lang), layout="wide")
pages = [
    st.Page(REPO_ROOT / file, title=t(key, lang), url_path=path, default=(path == "overview"))
    for path, (file, key) in PAGE_FILES.items()
    if (REPO_ROOT / file).is_file()
]
st.navigation(pages).run()
