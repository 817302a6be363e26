"""The columns of a synthetic export and the dtypes they are printed in.

Generating, writing and reading a sample back all go by this one schema.
"""

from __future__ import annotations

from typing import Final

import polars as pl

_INT = pl.Int64
_STR = pl.String
SCHEMA: Final = pl.Schema(
    {
        "lead_id": _STR,
        "email": _STR,
        "first_name": _STR,
        "company": _STR,
        "industry": _STR,
        "job_title": _STR,
        "country": _STR,
        "employees": _STR,
        "Annual Revenue": _STR,
        "lead_source": _STR,
        "website_visits": _INT,
        "pages_viewed": _INT,
        "time_on_site_sec": _INT,
        "email_opens": _INT,
        "email_clicks": _INT,
        "content_downloads": _INT,
        "webinar_attended": _STR,
        "demo_requested": _STR,
        "unsubscribed": _STR,
        "created_date": _STR,
        "last_activity_date": _STR,
        "stage": _STR,
        "converted": pl.Boolean,
    }
)
"""Dtypes of `generate_leads`: text as the CRM prints it, clean counts as integers.

Blank cells are nulls (empty fields in the CSV), so ``pl.read_csv(path, schema=SCHEMA)``
of a written sample equals ``generate_leads`` for the same rows and seed.
"""
COLUMNS: Final = tuple(SCHEMA.names())
