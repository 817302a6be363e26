"""The fixed calendar every export's dates fall in, and the day recency is measured to."""

from __future__ import annotations

from datetime import date
from typing import Final

# Fixed date window (never today's date) so that the same seed gives the same file forever.
FIRST_CREATED: Final = date(2025, 11, 1)
LAST_DATE: Final = date(2026, 10, 31)
RECENCY_REFERENCE: Final = date(2026, 11, 1)
EPOCH_FIRST: Final = (FIRST_CREATED - date(1970, 1, 1)).days
SPAN_DAYS: Final = (LAST_DATE - FIRST_CREATED).days + 1  # 365 possible created dates
REFERENCE_OFFSET: Final = (RECENCY_REFERENCE - FIRST_CREATED).days
