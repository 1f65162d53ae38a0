"""The data contract: the schools, teachers and county tables, declared once as data, and checked.

Declaration in ``spec``, violations in ``violations``, checking in ``validation``, files in
``reading``, the roster's teacher counts in ``roster``; the public names are re-exported here.
"""

from dashboard.store.contract.reading import (
    file_headers,
    load_county,
    load_schools,
    load_teachers,
)
from dashboard.store.contract.roster import PE_ART_SUBJECTS, roster_counts, roster_flags
from dashboard.store.contract.spec import (
    COUNTY_COLUMNS,
    SCHOOL_COLUMNS,
    TABLES,
    TEACHER_COLUMNS,
    enum_labels,
    header_map,
    schools_header_map,
)
from dashboard.store.contract.validation import (
    validate_county,
    validate_schools,
    validate_teachers,
)
from dashboard.store.contract.violations import ContractError, LoadResult, Violation

__all__ = [
    "file_headers",
    "TABLES",
    "SCHOOL_COLUMNS",
    "TEACHER_COLUMNS",
    "COUNTY_COLUMNS",
    "header_map",
    "schools_header_map",
    "enum_labels",
    "Violation",
    "LoadResult",
    "ContractError",
    "load_schools",
    "load_teachers",
    "load_county",
    "validate_schools",
    "validate_teachers",
    "validate_county",
    "PE_ART_SUBJECTS",
    "roster_counts",
    "roster_flags",
]
