"""Junheng 均衡 — the Streamlit entrypoint: page config, the sidebar choices, the navigation.

Run with ``make run`` (or ``streamlit run app.py``).  Pages live in ``pages/``; a page file that
does not exist (yet) is left out of the navigation.
"""

import streamlit as st

from dashboard.i18n import t
from pages.common import PAGE_FILES, REPO_ROOT, draw_sidebar

lang = draw_sidebar()
# No material page_icon: Streamlit would fetch it online.
st.set_page_config(page_title=t("app.browser_title", lang), layout="wide")
pages = [
    st.Page(file, title=t(key, lang), url_path=path, default=(path == "overview"))
    for path, (file, key) in PAGE_FILES.items()
    if (REPO_ROOT / file).is_file()
]
st.navigation(pages).run()
