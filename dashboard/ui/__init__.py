"""Page models: the tables, texts, figures and maps the pages show, prepared without Streamlit,
and ``cache`` (the one module of the package that imports streamlit).

Imports: method, store, planning and i18n; the pages import this and ``dashboard.store`` only.
"""
