"""Junheng 均衡 — the Streamlit entrypoint: page config, the sidebar choices, the navigation.

Run with ``make run`` (``python -m app.serve``, see app/serve.py) or plainly
``streamlit run app/main.py`` from the repository root.

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
from dashboard.ui.present_page import PRESENT_PARAM, page_style  # noqa: E402
from pages.common import (  # noqa: E402
    NOT_FOUND_PATH,
    PAGE_FILES,
    REPO_ROOT,
    draw_sidebar,
    not_found_page,
    redirected_path,
    requested_path,
)

lang = draw_sidebar()
# No material page_icon: Streamlit would fetch it online.
st.set_page_config(page_title=t("app.browser_title", lang), layout="wide")
# Print without the sidebar on every page; ?present=1 adds the projector's style (汇报材料).
st.html(page_style(st.query_params.get(PRESENT_PARAM) == "1"))
DEFAULT_PAGE = "overview"  # the app's root address; /overview itself names no page
pages = [
    st.Page(REPO_ROOT / file, title=t(key, lang), url_path="" if path == DEFAULT_PAGE else path,
            default=(path == DEFAULT_PAGE))
    for path, (file, key) in PAGE_FILES.items()
    if (REPO_ROOT / file).is_file()
]
# An address that names no page gets a hidden page of its own, which says so in the user's
# language (st.navigation would run the default page under an English "Page not found").
missing = requested_path()
if missing == NOT_FOUND_PATH:  # app/serve.py sends nested addresses (/a/b) here
    pages.append(st.Page(not_found_page(redirected_path()), title=t("nav.not_found.title", lang),
                         url_path=NOT_FOUND_PATH, visibility="hidden"))
elif missing and "/" not in missing and missing not in {p.url_path for p in pages}:
    pages.append(st.Page(not_found_page(missing), title=t("nav.not_found.title", lang),
                         url_path=missing, visibility="hidden"))
st.navigation(pages).run()
