"""Page models: the tables, texts, figures and maps the pages show, prepared without Streamlit,
and ``cache`` (the one module of the package that imports streamlit).

One module per page (overview, mapview, urban_rural, drilldown, school, checklist,
scenario_page with scenario_results, planner_page) over shared ones: format (numbers, CVs,
labels), evaluation (selecting from an evaluation), geo (township geography), figures and maps
(plotly builders), export (download bytes).

Imports: method, store, planning and i18n; the pages import this, ``dashboard.store`` and
``dashboard.i18n`` only, so a name a page needs from method or planning is re-exported, on
purpose, by the ui module that serves the page.
"""
