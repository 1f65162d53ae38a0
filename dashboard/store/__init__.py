"""The data: the contract (tables, columns, validation of every violation at once), immutable
checksummed snapshot folders, and the demo county.

Imports: ``dashboard.method`` (standards) and ``dashboard.i18n``; never planning or ui.
"""
