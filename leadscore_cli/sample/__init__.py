"""Deterministic synthetic CRM exports with a hidden ground truth.

Why: demos, tests and benchmarks need lead exports that look like the real thing (messy
spellings, blanks, "N/A", currency strings, duplicate ids, formula-like cells) yet carry a
known, learnable signal. `converted` is drawn from a hidden logistic model (`GROUND_TRUTH`)
computed on the *canonical* values before the mess is applied, so a model fitted on the
messy export should recover the true order of effects.

Everything is vectorised with numpy and polars (no Python loop over rows) and written in
chunks so that 20,000,000 rows fit in bounded memory. Chunk ``i`` draws from a generator
seeded by ``(seed, i)``: the output depends only on ``(rows, seed, chunk_rows)``.

`vocabulary` and `names` hold what the cells can say, `dates` the calendar, `ground_truth`
the hidden model, `tables` the lookup tables drawn from, `generator` the rows, `cells` how
they print, `schema` the columns and `writer` the files.
"""

from leadscore_cli.sample.dates import FIRST_CREATED, LAST_DATE, RECENCY_REFERENCE
from leadscore_cli.sample.generator import DEFAULT_CHUNK_ROWS, generate_leads
from leadscore_cli.sample.ground_truth import GROUND_TRUTH, SIZE_BAND_UPPER
from leadscore_cli.sample.names import FIRST_NAMES, LAST_NAMES
from leadscore_cli.sample.schema import COLUMNS, SCHEMA
from leadscore_cli.sample.vocabulary import (
    COUNTRIES,
    FREE_MAIL_DOMAINS,
    INDUSTRIES,
    JOB_TITLES,
    LEAD_SOURCES,
    SENIORITY_TIERS,
)
from leadscore_cli.sample.writer import (
    SAMPLE_CSV_SUFFIXES,
    SAMPLE_PARQUET_SUFFIXES,
    write_sample,
)

__all__ = [
    "COLUMNS",
    "COUNTRIES",
    "DEFAULT_CHUNK_ROWS",
    "FIRST_CREATED",
    "FIRST_NAMES",
    "FREE_MAIL_DOMAINS",
    "GROUND_TRUTH",
    "INDUSTRIES",
    "JOB_TITLES",
    "LAST_DATE",
    "LAST_NAMES",
    "LEAD_SOURCES",
    "RECENCY_REFERENCE",
    "SAMPLE_CSV_SUFFIXES",
    "SAMPLE_PARQUET_SUFFIXES",
    "SCHEMA",
    "SENIORITY_TIERS",
    "SIZE_BAND_UPPER",
    "generate_leads",
    "write_sample",
]
