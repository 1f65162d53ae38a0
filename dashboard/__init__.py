"""Junheng 均衡: county compulsory-education balance, from the official method up to the pages.

The layers, each importing only those below it (checked by import-linter, ``make lint``)::

    cli.py      python -m dashboard …
    ui/         page models, figures, maps, cache (the one module importing streamlit)
    planning/   scenarios and the planner
    store/      the data contract, snapshots, the demo county
    method/     the official method: standards, units, coefficients, engine, compliance, gaps
    i18n.py     the text catalogue (catalogue/*.toml), used by every layer
"""

__version__ = "0.1.0"
