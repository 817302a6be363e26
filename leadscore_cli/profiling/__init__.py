"""Profile a CRM export: what each column holds, what is wrong with it, and (with a target)
which attributes mark the leads that convert."""

from leadscore_cli.profiling.results import SCHEMA_VERSION, ColumnProfile, Finding, Profile
from leadscore_cli.profiling.run import (
    DEFAULT_NULL_MARKERS,
    ProfileOptions,
    profile_file,
    profile_frame,
)

__all__ = [
    "DEFAULT_NULL_MARKERS",
    "SCHEMA_VERSION",
    "ColumnProfile",
    "Finding",
    "Profile",
    "ProfileOptions",
    "profile_file",
    "profile_frame",
]
