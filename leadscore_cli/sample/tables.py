"""The vocabulary laid out as lookup tables that the generator indexes into.

Drawing an index per row and gathering from a polars Series builds every string column
without a Python loop; this module fixes each table's layout (which index means what).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from leadscore_cli.sample.names import (
    COMPANY_CORES,
    COMPANY_PREFIXES,
    COMPANY_SUFFIXES,
    FIRST_NAMES,
    LAST_NAMES,
    TLDS,
)
from leadscore_cli.sample.vocabulary import (
    BOOL_STYLES,
    COUNTRIES,
    FREE_MAIL_DOMAINS,
    INDUSTRIES,
    JOB_TITLES,
    LEAD_SOURCES,
    STAGE_OTHER,
)

N_VARIANTS = 5  # canonical spelling + 4 messy ones per industry / job title


def probabilities(weights: tuple[float, ...] | list[float]) -> np.ndarray:
    """Normalise relative weights to probabilities (so tables stay readable)."""
    w = np.asarray(weights, dtype=np.float64)
    return w / w.sum()


def _casing_variants(text: str) -> tuple[str, ...]:
    """Spellings a careless CRM user types for one value: index 0 canonical, 1-4 all differ."""
    candidates = (text.title(), text.upper(), text.lower(), text + " ", text.title() + " ")
    candidates += (text.upper() + " ", text.lower() + " ")
    others = [v for v in dict.fromkeys(candidates) if v != text]
    return (text, *others[: N_VARIANTS - 1])


# Lookup tables as polars Series so that building strings is a vectorised gather.
INDUSTRY_VARIANTS = pl.Series(
    [v for name in INDUSTRIES for v in _casing_variants(name)], dtype=pl.String
)
TITLE_VARIANTS = pl.Series(
    [v for title, _, _ in JOB_TITLES for v in _casing_variants(title)], dtype=pl.String
)
TITLE_P = probabilities([w for _, _, w in JOB_TITLES])
COUNTRY_P = probabilities([share for _, share, _ in COUNTRIES])
_MAX_SPELLINGS = max(len(sp) for _, _, sp in COUNTRIES)
# Row c: cumulative spelling shares of country c, padded with 1.0; column j -> flat index.
COUNTRY_CUM = np.ones((len(COUNTRIES), _MAX_SPELLINGS), dtype=np.float64)
COUNTRY_SPELLINGS = pl.Series([s for _, _, sp in COUNTRIES for s, _ in sp], dtype=pl.String)
COUNTRY_OFFSET = np.zeros(len(COUNTRIES), dtype=np.int64)
_offset = 0
for _c, (_, _, _spellings) in enumerate(COUNTRIES):
    COUNTRY_CUM[_c, : len(_spellings)] = np.cumsum(probabilities([w for _, w in _spellings]))
    COUNTRY_CUM[_c, len(_spellings) - 1 :] = 1.0
    COUNTRY_OFFSET[_c] = _offset
    _offset += len(_spellings)
del _offset, _c, _spellings

FIRST_DISPLAY = pl.Series([d for d, _ in FIRST_NAMES], dtype=pl.String)
# Email local parts: full first-name slug, then initials (index + len(FIRST_NAMES)).
FIRST_PART = pl.Series(
    [s for _, s in FIRST_NAMES] + [s[0] for _, s in FIRST_NAMES], dtype=pl.String
)
LAST_PART = pl.Series([*LAST_NAMES, ""], dtype=pl.String)  # last index: no last name
DOT = pl.Series([".", ""], dtype=pl.String)
MAIL_DIGITS = pl.Series(["", *(str(i) for i in range(1, 100))], dtype=pl.String)
# Separator by email kind: ok, blank (null propagates), no @, double @@, missing domain.
AT = pl.Series(["@", None, "", "@@", "@"], dtype=pl.String)
# Company "Prefix Core" and its web domain, indexed by prefix * len(cores) + core.
N_BASES = len(COMPANY_PREFIXES) * len(COMPANY_CORES)
COMPANY_BASE = pl.Series(
    [f"{p} {c}" for p in COMPANY_PREFIXES for c in COMPANY_CORES], dtype=pl.String
)
COMPANY_HANDLE = pl.Series(
    [f"{p}{c}" for p in COMPANY_PREFIXES for c in COMPANY_CORES], dtype=pl.String
)
# Domains: company domains, then free-mail domains, then "" (for a missing domain).
DOMAINS = pl.Series(
    [
        f"{p.lower()}{c.lower()}.{TLDS[(i * 7 + j * 3) % len(TLDS)]}"
        for i, p in enumerate(COMPANY_PREFIXES)
        for j, c in enumerate(COMPANY_CORES)
    ]
    + [*FREE_MAIL_DOMAINS, ""],
    dtype=pl.String,
)
SUFFIX = pl.Series([s for s, _ in COMPANY_SUFFIXES], dtype=pl.String)
SUFFIX_P = probabilities([w for _, w in COMPANY_SUFFIXES])
LEAD_SOURCE = pl.Series(LEAD_SOURCES, dtype=pl.String)
BOOL_TEXT = pl.Series([t for style in BOOL_STYLES for t in style], dtype=pl.String)
STAGE = pl.Series(("Closed Won", *STAGE_OTHER), dtype=pl.String)
# Annual Revenue formats: $1,200,000 | 1200000 | $1,200,000.00 | €1,200,000 | 1,200,000.
REVENUE_P = (0.40, 0.40, 0.03, 0.03, 0.04, 0.05, 0.05)  # ... then N/A, blank
REVENUE_PREFIX = pl.Series(["$", "", "$", "€", ""], dtype=pl.String)
REVENUE_SUFFIX = pl.Series(["", "", ".00", "", ""], dtype=pl.String)
