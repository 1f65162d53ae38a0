"""The official method, pure: standards and parameters as data, evaluation units, the weighted
差异系数, the engine, school rules and the checklist, urban-rural gaps.

Imports: nothing of ``dashboard`` but ``dashboard.i18n`` (the text catalogue, for bilingual evidence).
"""
