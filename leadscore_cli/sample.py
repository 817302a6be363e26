"""Deterministic synthetic CRM exports with a hidden ground truth.

Why: demos, tests and benchmarks need lead exports that look like the real thing (messy
spellings, blanks, "N/A", currency strings, duplicate ids, formula-like cells) yet carry a
known, learnable signal. `converted` is drawn from a hidden logistic model (`GROUND_TRUTH`)
computed on the *canonical* values before the mess is applied, so a model fitted on the
messy export should recover the true order of effects.

Everything is vectorised with numpy and polars (no Python loop over rows) and written in
chunks so that 20,000,000 rows fit in bounded memory. Chunk ``i`` draws from a generator
seeded by ``(seed, i)``: the output depends only on ``(rows, seed, chunk_rows)``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, Final

import numpy as np
import polars as pl

from leadscore_cli.errors import OutputError, UsageError
from leadscore_cli.writers import STDOUT, check_destination

__all__ = [
    "COLUMNS",
    "DEFAULT_CHUNK_ROWS",
    "GROUND_TRUTH",
    "SCHEMA",
    "generate_leads",
    "write_sample",
]

DEFAULT_CHUNK_ROWS: Final = 250_000

# Fixed date window (never today's date) so that the same seed gives the same file forever.
FIRST_CREATED: Final = date(2025, 11, 1)
LAST_DATE: Final = date(2026, 10, 31)
RECENCY_REFERENCE: Final = date(2026, 11, 1)
_EPOCH_FIRST: Final = (FIRST_CREATED - date(1970, 1, 1)).days
_SPAN_DAYS: Final = (LAST_DATE - FIRST_CREATED).days + 1  # 365 possible created dates
_REFERENCE_OFFSET: Final = (RECENCY_REFERENCE - FIRST_CREATED).days

SAMPLE_CSV_SUFFIXES = (".csv",)
SAMPLE_PARQUET_SUFFIXES = (".parquet", ".pq")
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

# ---------------------------------------------------------------------------------------------
# Canonical vocabularies. Order matters: indices into these tuples are what the generator draws.

INDUSTRIES: Final = (
    "software",
    "saas",
    "financial services",
    "healthcare",
    "manufacturing",
    "retail",
    "education",
    "government",
    "consulting",
    "media",
    "non-profit",
    "telecommunications",
)
_INDUSTRY_P = (14, 12, 10, 10, 10, 8, 7, 5, 9, 5, 5, 5)

SENIORITY_TIERS: Final = (
    "c_level",
    "vp",
    "director",
    "manager",
    "individual",
    "assistant",
    "intern_student",
)
# (canonical title, seniority tier, relative frequency)
JOB_TITLES: Final = (
    ("CEO", "c_level", 2.0),
    ("CTO", "c_level", 1.5),
    ("CFO", "c_level", 1.0),
    ("COO", "c_level", 0.8),
    ("Founder", "c_level", 1.2),
    ("Chief Marketing Officer", "c_level", 0.8),
    ("VP Sales", "vp", 2.0),
    ("VP Engineering", "vp", 1.5),
    ("VP Marketing", "vp", 1.5),
    ("Vice President of Operations", "vp", 1.0),
    ("Head of Marketing", "director", 2.0),
    ("Head of Sales", "director", 1.5),
    ("Director of IT", "director", 2.0),
    ("Director of Marketing", "director", 2.0),
    ("Director of Operations", "director", 1.5),
    ("Marketing Manager", "manager", 5.0),
    ("Sales Manager", "manager", 5.0),
    ("Product Manager", "manager", 4.0),
    ("IT Manager", "manager", 3.0),
    ("Account Manager", "manager", 3.0),
    ("Software Engineer", "individual", 8.0),
    ("Analyst", "individual", 6.0),
    ("Data Scientist", "individual", 3.0),
    ("Consultant", "individual", 5.0),
    ("Account Executive", "individual", 4.0),
    ("Sales Representative", "individual", 4.0),
    ("Marketing Specialist", "individual", 4.0),
    ("Assistant", "assistant", 3.0),
    ("Coordinator", "assistant", 3.0),
    ("Intern", "intern_student", 3.0),
    ("Student", "intern_student", 4.0),
)

# (canonical country, share of leads, spellings the CRM holds with their shares)
COUNTRIES: Final = (
    (
        "United States",
        38,
        (("United States", 45), ("US", 25), ("USA", 20), ("U.S.", 5), ("united states", 5)),
    ),
    ("United Kingdom", 10, (("United Kingdom", 50), ("UK", 30), ("GB", 10), ("England", 10))),
    ("Germany", 7, (("Germany", 80), ("DE", 10), ("Deutschland", 10))),
    ("Canada", 6, (("Canada", 90), ("CA", 10))),
    ("France", 5, (("France", 90), ("FR", 10))),
    ("India", 8, (("India", 90), ("IN", 10))),
    ("Brazil", 4, (("Brazil", 85), ("Brasil", 10), ("BR", 5))),
    ("Australia", 4, (("Australia", 85), ("AU", 15))),
    ("Netherlands", 3, (("Netherlands", 70), ("The Netherlands", 20), ("NL", 10))),
    ("Spain", 3, (("Spain", 90), ("ES", 10))),
    ("Japan", 3, (("Japan", 90), ("JP", 10))),
    ("Mexico", 3, (("Mexico", 90), ("MX", 10))),
    ("Singapore", 2, (("Singapore", 90), ("SG", 10))),
)

LEAD_SOURCES: Final = (
    "Organic Search",
    "Paid Search",
    "Referral",
    "Webinar",
    "Trade Show",
    "Social",
    "Email Campaign",
    "Partner",
    "Direct",
)
_LEAD_SOURCE_P = (22, 15, 8, 7, 6, 12, 12, 6, 12)

FREE_MAIL_DOMAINS: Final = ("gmail.com", "yahoo.com", "hotmail.com")
_FREE_MAIL_P = (60, 20, 20)

# Upper bounds (inclusive) of the company-size bands of GROUND_TRUTH["company_size"], whose
# keys are listed in the same order (one more band: above the last bound).
SIZE_BAND_UPPER: Final = (10, 50, 200, 1000, 5000)

GROUND_TRUTH: Final[dict[str, Any]] = {
    "intercept": -2.8,
    "seniority": {
        "c_level": 1.4,
        "vp": 1.1,
        "director": 0.7,
        "manager": 0.3,
        "individual": 0.0,
        "assistant": -0.6,
        "intern_student": -2.0,
    },
    "industry": {
        "saas": 0.7,
        "software": 0.6,
        "financial services": 0.5,
        "healthcare": 0.1,
        "telecommunications": 0.1,
        "manufacturing": 0.0,
        "consulting": 0.0,
        "retail": -0.1,
        "media": -0.2,
        "education": -0.6,
        "government": -0.7,
        "non-profit": -0.9,
    },
    "company_size": {
        "1-10": -0.7,
        "11-50": -0.2,
        "51-200": 0.4,
        "201-1000": 0.6,
        "1001-5000": 0.2,
        "5001+": -0.4,
    },
    "country": {
        "United States": 0.4,
        "United Kingdom": 0.3,
        "Canada": 0.3,
        "Germany": 0.3,
        "Australia": 0.1,
        "Netherlands": 0.1,
        "France": 0.0,
        "Singapore": 0.0,
        "Spain": -0.1,
        "Japan": -0.1,
        "Brazil": -0.3,
        "Mexico": -0.3,
        "India": -0.4,
    },
    "demo_requested": 1.6,
    "webinar_attended": 0.5,
    "email_clicks_log1p": 0.4,
    "content_downloads_log1p": 0.5,
    "days_since_last_activity_per_30": -0.15,
    "unsubscribed": -1.8,
    "free_mail": -0.6,
    "lead_source": 0.0,
    "noise_sd": 0.5,
}
"""The hidden logistic model behind `converted`.

It exists so that tests can check that models learned from the messy export (profiling,
fitted points, thresholds) recover the true order of effects. Titles map to tiers in JOB_TITLES.

logit = intercept + seniority[tier of job_title] + industry[...] + company_size[band of
employees, see SIZE_BAND_UPPER] + country[canonical name] + demo_requested + webinar_attended
+ email_clicks_log1p * log1p(clicks) + content_downloads_log1p * log1p(downloads)
+ days_since_last_activity_per_30 * (days from last activity to 2026-11-01) / 30
+ unsubscribed + free_mail + Normal(0, noise_sd). lead_source carries no signal on purpose.
All terms use the canonical values, so a blank or misspelt cell hides but never changes them.
Read-only by convention: do not mutate.
"""

FIRST_NAMES: Final = (
    ("James", "james"),
    ("Mary", "mary"),
    ("John", "john"),
    ("Patricia", "patricia"),
    ("Robert", "robert"),
    ("Jennifer", "jennifer"),
    ("Michael", "michael"),
    ("Linda", "linda"),
    ("David", "david"),
    ("Elizabeth", "elizabeth"),
    ("William", "william"),
    ("Susan", "susan"),
    ("Richard", "richard"),
    ("Jessica", "jessica"),
    ("Thomas", "thomas"),
    ("Sarah", "sarah"),
    ("Daniel", "daniel"),
    ("Karen", "karen"),
    ("Matthew", "matthew"),
    ("Emily", "emily"),
    ("Anthony", "anthony"),
    ("Olivia", "olivia"),
    ("Mark", "mark"),
    ("Sophie", "sophie"),
    ("Paul", "paul"),
    ("Laura", "laura"),
    ("Kevin", "kevin"),
    ("Emma", "emma"),
    ("Brian", "brian"),
    ("Hannah", "hannah"),
    ("Lukas", "lukas"),
    ("Anna", "anna"),
    ("Priya", "priya"),
    ("Rahul", "rahul"),
    ("Wei", "wei"),
    ("Mei", "mei"),
    ("Hiroshi", "hiroshi"),
    ("Yuki", "yuki"),
    ("Carlos", "carlos"),
    ("Lucía", "lucia"),
    ("José", "jose"),
    ("François", "francois"),
    ("Zoë", "zoe"),
    ("Søren", "soren"),
    ("Ingrid", "ingrid"),
    ("Ahmed", "ahmed"),
    ("Fatima", "fatima"),
    ("Omar", "omar"),
    ("Chloe", "chloe"),
    ("Noah", "noah"),
)

LAST_NAMES: Final = (
    "smith",
    "johnson",
    "williams",
    "brown",
    "jones",
    "garcia",
    "miller",
    "davis",
    "rodriguez",
    "martinez",
    "wilson",
    "anderson",
    "taylor",
    "thomas",
    "moore",
    "jackson",
    "martin",
    "lee",
    "thompson",
    "white",
    "harris",
    "clark",
    "lewis",
    "walker",
    "hall",
    "young",
    "king",
    "wright",
    "scott",
    "green",
    "baker",
    "adams",
    "nelson",
    "obrien",
    "muller",
    "schmidt",
    "dubois",
    "rossi",
    "kumar",
    "patel",
    "singh",
    "chen",
    "wang",
    "tanaka",
    "sato",
    "silva",
    "santos",
    "jensen",
    "nguyen",
    "kowalski",
)

_COMPANY_PREFIXES = (
    "Blue",
    "North",
    "Apex",
    "Bright",
    "Silver",
    "Summit",
    "Quantum",
    "Nova",
    "Iron",
    "Cedar",
    "Harbor",
    "Pioneer",
    "Vertex",
    "Atlas",
    "Lumen",
    "Orbit",
    "Crescent",
    "Evergreen",
    "Redwood",
    "Granite",
    "Falcon",
    "Maple",
    "Horizon",
    "Polar",
    "Sterling",
    "Vivid",
    "Coastal",
    "Prime",
    "Zenith",
    "Aurora",
    "Copper",
    "Golden",
    "Swift",
    "Clear",
    "Green",
    "Oak",
    "River",
    "Star",
    "True",
    "Wild",
)
_COMPANY_CORES = (
    "Ridge",
    "Wave",
    "Stone",
    "Bridge",
    "Point",
    "Labs",
    "Works",
    "Field",
    "Peak",
    "Path",
    "Gate",
    "Line",
    "Forge",
    "Leaf",
    "Core",
    "Spark",
    "Shift",
    "Loop",
    "Scale",
    "Grid",
    "Base",
    "Cloud",
    "Data",
    "Logic",
    "Mind",
    "Soft",
    "Tech",
    "Vista",
    "Hub",
    "Flow",
)
_COMPANY_SUFFIXES = (
    ("", 20),
    (" Inc.", 15),
    (" LLC", 8),
    (" Ltd", 8),
    (" GmbH", 4),
    (" Group", 6),
    (" Technologies", 8),
    (" Systems", 8),
    (" Solutions", 8),
    (" Analytics", 5),
    (" Partners", 5),
    (" & Co.", 5),
)
_TLDS = ("com", "com", "com", "com", "com", "com", "com", "io", "co", "net", "ai")

# Boolean-like text styles seen in CRM exports: (false text, true text).
_BOOL_STYLES = (("no", "yes"), ("No", "Yes"), ("false", "true"), ("FALSE", "TRUE"), ("0", "1"))
_BOOL_STYLE_P = (30, 25, 20, 10, 15)

_STAGE_OTHER = ("Closed Lost", "Open", "Nurturing")
_STAGE_OTHER_P = (60, 25, 15)

_DUPLICATE_RATE = 0.002
_N_VARIANTS = 5  # canonical spelling + 4 messy ones per industry / job title


def _p(weights: tuple[float, ...] | list[float]) -> np.ndarray:
    """Normalise relative weights to probabilities (so tables stay readable)."""
    w = np.asarray(weights, dtype=np.float64)
    return w / w.sum()


def _casing_variants(text: str) -> tuple[str, ...]:
    """Spellings a careless CRM user types for one value: index 0 canonical, 1-4 all differ."""
    candidates = (text.title(), text.upper(), text.lower(), text + " ", text.title() + " ")
    candidates += (text.upper() + " ", text.lower() + " ")
    others = [v for v in dict.fromkeys(candidates) if v != text]
    return (text, *others[: _N_VARIANTS - 1])


# Lookup tables as polars Series so that building strings is a vectorised gather.
_INDUSTRY_VARIANTS = pl.Series(
    [v for name in INDUSTRIES for v in _casing_variants(name)], dtype=pl.String
)
_TITLE_VARIANTS = pl.Series(
    [v for title, _, _ in JOB_TITLES for v in _casing_variants(title)], dtype=pl.String
)
_TITLE_P = _p([w for _, _, w in JOB_TITLES])
_TITLE_TIER_EFFECT = np.array(
    [GROUND_TRUTH["seniority"][tier] for _, tier, _ in JOB_TITLES], dtype=np.float64
)
_INDUSTRY_EFFECT = np.array([GROUND_TRUTH["industry"][i] for i in INDUSTRIES], dtype=np.float64)
_SIZE_EFFECT = np.array(list(GROUND_TRUTH["company_size"].values()), dtype=np.float64)
_COUNTRY_P = _p([share for _, share, _ in COUNTRIES])
_COUNTRY_EFFECT = np.array(
    [GROUND_TRUTH["country"][name] for name, _, _ in COUNTRIES], dtype=np.float64
)
_MAX_SPELLINGS = max(len(sp) for _, _, sp in COUNTRIES)
# Row c: cumulative spelling shares of country c, padded with 1.0; column j -> flat index.
_COUNTRY_CUM = np.ones((len(COUNTRIES), _MAX_SPELLINGS), dtype=np.float64)
_COUNTRY_SPELLINGS = pl.Series([s for _, _, sp in COUNTRIES for s, _ in sp], dtype=pl.String)
_COUNTRY_OFFSET = np.zeros(len(COUNTRIES), dtype=np.int64)
_offset = 0
for _c, (_, _, _spellings) in enumerate(COUNTRIES):
    _COUNTRY_CUM[_c, : len(_spellings)] = np.cumsum(_p([w for _, w in _spellings]))
    _COUNTRY_CUM[_c, len(_spellings) - 1 :] = 1.0
    _COUNTRY_OFFSET[_c] = _offset
    _offset += len(_spellings)
del _offset, _c, _spellings

_FIRST_DISPLAY = pl.Series([d for d, _ in FIRST_NAMES], dtype=pl.String)
# Email local parts: full first-name slug, then initials (index + len(FIRST_NAMES)).
_FIRST_PART = pl.Series(
    [s for _, s in FIRST_NAMES] + [s[0] for _, s in FIRST_NAMES], dtype=pl.String
)
_LAST_PART = pl.Series([*LAST_NAMES, ""], dtype=pl.String)  # last index: no last name
_DOT = pl.Series([".", ""], dtype=pl.String)
_MAIL_DIGITS = pl.Series(["", *(str(i) for i in range(1, 100))], dtype=pl.String)
# Separator by email kind: ok, blank (null propagates), no @, double @@, missing domain.
_AT = pl.Series(["@", None, "", "@@", "@"], dtype=pl.String)
# Company "Prefix Core" and its web domain, indexed by prefix * len(cores) + core.
_N_BASES = len(_COMPANY_PREFIXES) * len(_COMPANY_CORES)
_COMPANY_BASE = pl.Series(
    [f"{p} {c}" for p in _COMPANY_PREFIXES for c in _COMPANY_CORES], dtype=pl.String
)
_COMPANY_HANDLE = pl.Series(
    [f"{p}{c}" for p in _COMPANY_PREFIXES for c in _COMPANY_CORES], dtype=pl.String
)
# Domains: company domains, then free-mail domains, then "" (for a missing domain).
_DOMAINS = pl.Series(
    [
        f"{p.lower()}{c.lower()}.{_TLDS[(i * 7 + j * 3) % len(_TLDS)]}"
        for i, p in enumerate(_COMPANY_PREFIXES)
        for j, c in enumerate(_COMPANY_CORES)
    ]
    + [*FREE_MAIL_DOMAINS, ""],
    dtype=pl.String,
)
_SUFFIX = pl.Series([s for s, _ in _COMPANY_SUFFIXES], dtype=pl.String)
_SUFFIX_P = _p([w for _, w in _COMPANY_SUFFIXES])
_LEAD_SOURCE = pl.Series(LEAD_SOURCES, dtype=pl.String)
_BOOL_TEXT = pl.Series([t for style in _BOOL_STYLES for t in style], dtype=pl.String)
_STAGE = pl.Series(("Closed Won", *_STAGE_OTHER), dtype=pl.String)
# Annual Revenue formats: $1,200,000 | 1200000 | $1,200,000.00 | €1,200,000 | 1,200,000.
_REVENUE_P = (0.40, 0.40, 0.03, 0.03, 0.04, 0.05, 0.05)  # ... then N/A, blank
_REVENUE_PREFIX = pl.Series(["$", "", "$", "€", ""], dtype=pl.String)
_REVENUE_SUFFIX = pl.Series(["", "", ".00", "", ""], dtype=pl.String)
_REVENUE_MAX = 999_999_999_999  # _thousands handles up to 12 digits


def _check_args(rows: int, seed: int, chunk_rows: int) -> None:
    """Reject arguments that would silently produce nonsense (the CLI maps these to exit 2)."""
    if isinstance(rows, bool) or not isinstance(rows, int | np.integer) or rows < 0:
        raise UsageError(f"rows must be a non-negative integer, got {rows!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise UsageError(f"seed must be a non-negative integer, got {seed!r}")
    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, int | np.integer):
        raise UsageError(f"chunk_rows must be a positive integer, got {chunk_rows!r}")
    if chunk_rows < 1:
        raise UsageError(f"chunk_rows must be a positive integer, got {chunk_rows!r}")


def _chunk_rng(seed: int, chunk_index: int) -> np.random.Generator:
    """One independent stream per chunk, so chunk i never depends on how chunk i-1 drew."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(chunk_index)]))


def _duplicate_sources(rng: np.random.Generator, n: int) -> np.ndarray:
    """Row -> row whose identity it carries; ~0.2% of rows point at an earlier original row.

    Sources are always original (non-duplicate) rows, so every duplicated id really appears
    at least twice in the chunk.
    """
    src = np.arange(n, dtype=np.int64)
    is_dup = rng.random(n) < _DUPLICATE_RATE
    if n:
        is_dup[0] = False
    originals = np.flatnonzero(~is_dup)
    dup_rows = np.flatnonzero(is_dup)
    # Number of originals strictly before each duplicate row (>= 1 because row 0 is original).
    before = np.searchsorted(originals, dup_rows)
    pick = np.minimum((rng.random(dup_rows.size) * before).astype(np.int64), before - 1)
    src[dup_rows] = originals[pick]
    return src


def _thousands(expr: pl.Expr) -> pl.Expr:
    """Format an integer in 1..10^12-1 with "," every three digits ("1200000" -> "1,200,000").

    Zero-pad to 12 digits, join the four 3-digit groups, then strip the leading "0" and ","
    characters: much faster than a regex and exact for positive numbers.
    """
    padded = expr.cast(pl.String).str.zfill(12)
    groups = [padded.str.slice(i, 3) for i in (0, 3, 6, 9)]
    return pl.concat_str(groups, separator=",").str.strip_chars_start("0,")


def _generate_chunk(rows: int, seed: int, chunk_index: int, first_number: int) -> pl.DataFrame:
    """Rows ``first_number .. first_number + rows - 1`` of the export, from stream (seed, i).

    Draw order is fixed (independent of the values drawn), which is what makes the output
    reproducible.
    """
    rng = _chunk_rng(seed, chunk_index)
    n = rows

    # --- identity and firmographics (copied to deliberate duplicates) ----------------------
    ident: dict[str, np.ndarray] = {
        "number": np.arange(first_number, first_number + n, dtype=np.int64),
        "first": rng.integers(0, len(FIRST_NAMES), n),
        "last": rng.integers(0, len(LAST_NAMES), n),
        "prefix": rng.integers(0, len(_COMPANY_PREFIXES), n),
        "core": rng.integers(0, len(_COMPANY_CORES), n),
        "suffix": rng.choice(len(_COMPANY_SUFFIXES), n, p=_SUFFIX_P),
        "free": rng.random(n) < 0.15,
        "free_domain": rng.choice(len(FREE_MAIL_DOMAINS), n, p=_p(_FREE_MAIL_P)),
        "local_style": rng.choice(3, n, p=[0.7, 0.2, 0.1]),
        "mail_digits": np.where(rng.random(n) < 0.4, rng.integers(1, 100, n), -1),
        "industry": rng.choice(len(INDUSTRIES), n, p=_p(_INDUSTRY_P)),
        "title": rng.choice(len(JOB_TITLES), n, p=_TITLE_P),
        "country": rng.choice(len(COUNTRIES), n, p=_COUNTRY_P),
        "employees": np.clip(np.rint(np.exp(rng.normal(np.log(150.0), 1.9, n))), 1, 100_000),
        "rev_per_emp": np.exp(rng.normal(np.log(120_000.0), 0.6, n)),
    }
    src = _duplicate_sources(rng, n)
    ident = {k: v[src] for k, v in ident.items()}
    employees = ident["employees"].astype(np.int64)
    revenue = (np.rint(employees * ident["rev_per_emp"] / 1000.0) * 1000).astype(np.int64)

    # --- engagement: a shared latent interest makes the activity columns correlate ---------
    interest = rng.gamma(1.5, 1 / 1.5, n)
    visits = rng.poisson(rng.gamma(0.7, 3.0, n) * interest)
    pages = visits + rng.poisson(visits * 1.6)
    glitch = rng.random(n) < 0.015  # tracking glitches: fewer pages than visits
    pages = np.where(glitch, rng.binomial(visits, 0.5), pages)
    time_on_site = np.rint(rng.gamma(np.maximum(pages, 0), 40.0)).astype(np.int64)
    opens = rng.poisson(rng.gamma(0.8, 4.0, n) * interest)
    clicks = rng.binomial(opens, rng.beta(1.2, 6.0, n))
    downloads = rng.poisson(rng.gamma(0.5, 0.8, n) * interest)
    webinar = rng.random(n) < np.clip(0.10 * interest, 0.0, 0.6)
    demo = rng.random(n) < np.clip(0.06 * interest, 0.0, 0.5)
    unsubscribed = rng.random(n) < 0.05

    created = rng.integers(0, _SPAN_DAYS, n)
    last_activity = created + np.floor((_SPAN_DAYS - created) * rng.random(n) ** 1.5).astype(
        np.int64
    )
    days_since = _REFERENCE_OFFSET - last_activity  # 1 .. 365

    # --- hidden truth on canonical values ----------------------------------------------------
    gt = GROUND_TRUTH
    size_band = np.searchsorted(np.asarray(SIZE_BAND_UPPER), employees, side="left")
    logit = (
        gt["intercept"]
        + _TITLE_TIER_EFFECT[ident["title"]]
        + _INDUSTRY_EFFECT[ident["industry"]]
        + _SIZE_EFFECT[size_band]
        + _COUNTRY_EFFECT[ident["country"]]
        + gt["demo_requested"] * demo
        + gt["webinar_attended"] * webinar
        + gt["email_clicks_log1p"] * np.log1p(clicks)
        + gt["content_downloads_log1p"] * np.log1p(downloads)
        + gt["days_since_last_activity_per_30"] * days_since / 30.0
        + gt["unsubscribed"] * unsubscribed
        + gt["free_mail"] * ident["free"]
        + rng.normal(0.0, gt["noise_sd"], n)
    )
    converted = rng.random(n) < 1.0 / (1.0 + np.exp(-logit))
    stage = np.where(converted, 0, 1 + rng.choice(len(_STAGE_OTHER), n, p=_p(_STAGE_OTHER_P)))

    # --- the mess: which spelling / format each cell gets -----------------------------------
    def variant(messy_share: float) -> np.ndarray:
        """0 = canonical, 1..4 = other casings / trailing space."""
        v = rng.integers(1, _N_VARIANTS, n)
        return np.where(rng.random(n) < messy_share, v, 0)

    industry_kind = rng.choice(4, n, p=[0.91, 0.04, 0.03, 0.02])  # ok, blank, N/A, Select
    title_kind = rng.choice(3, n, p=[0.96, 0.03, 0.01])  # ok, blank, Select
    u_country = rng.random(n)
    spelling = (u_country[:, None] > _COUNTRY_CUM[ident["country"]]).sum(axis=1)
    country_blank = rng.random(n) < 0.02
    employees_kind = rng.choice(4, n, p=[0.95, 0.03, 0.01, 0.01])  # plain, 1,200, N/A, blank
    revenue_kind = rng.choice(len(_REVENUE_P), n, p=_REVENUE_P)
    email_kind = rng.choice(5, n, p=[0.985, 0.01, 0.002, 0.0015, 0.0015])
    formula_kind = np.where(rng.random(n) < 0.001, rng.integers(1, 5, n), 0)
    bool_style = rng.choice(len(_BOOL_STYLES), n, p=_p(_BOOL_STYLE_P))
    bool_blank = rng.random((3, n)) < 0.02
    activity_blank = rng.random(n) < 0.03
    lead_source = rng.choice(len(LEAD_SOURCES), n, p=_p(_LEAD_SOURCE_P))

    # --- cells: every string is a gather from a small table, then a few concatenations -----
    style = ident["local_style"]  # 0 first.last, 1 flast, 2 first
    company_idx = ident["prefix"] * len(_COMPANY_CORES) + ident["core"]
    digits = np.where(ident["free"] & (ident["mail_digits"] > 0), ident["mail_digits"], 0)
    domain_idx = np.where(ident["free"], _N_BASES + ident["free_domain"], company_idx)
    domain_idx = np.where(email_kind == 4, len(_DOMAINS) - 1, domain_idx)
    rev_fmt = np.minimum(revenue_kind, len(_REVENUE_PREFIX) - 1)
    bool_base = bool_style * 2
    frame = pl.DataFrame(
        {
            "number": ident["number"],
            "first_name": _FIRST_DISPLAY.gather(ident["first"]),
            "l1": _FIRST_PART.gather(ident["first"] + (style == 1) * len(FIRST_NAMES)),
            "l2": _DOT.gather((style != 0).astype(np.int64)),
            "l3": _LAST_PART.gather(np.where(style == 2, len(LAST_NAMES), ident["last"])),
            "l4": _MAIL_DIGITS.gather(digits),
            "at": _AT.gather(email_kind),
            "domain": _DOMAINS.gather(domain_idx),
            "company_base": _COMPANY_BASE.gather(company_idx),
            "suffix": _SUFFIX.gather(ident["suffix"]),
            "formula_kind": formula_kind,
            "industry": _INDUSTRY_VARIANTS.gather(ident["industry"] * _N_VARIANTS + variant(0.10)),
            "industry_kind": industry_kind,
            "job_title": _TITLE_VARIANTS.gather(ident["title"] * _N_VARIANTS + variant(0.10)),
            "title_kind": title_kind,
            "country": _COUNTRY_SPELLINGS.gather(_COUNTRY_OFFSET[ident["country"]] + spelling),
            "country_blank": country_blank,
            "employees_n": employees,
            "employees_kind": employees_kind,
            "revenue_n": np.minimum(revenue, _REVENUE_MAX),
            "revenue_kind": revenue_kind,
            "rev_prefix": _REVENUE_PREFIX.gather(rev_fmt),
            "rev_suffix": _REVENUE_SUFFIX.gather(rev_fmt),
            "lead_source": _LEAD_SOURCE.gather(lead_source),
            "website_visits": visits.astype(np.int64),
            "pages_viewed": pages.astype(np.int64),
            "time_on_site_sec": time_on_site,
            "email_opens": opens.astype(np.int64),
            "email_clicks": clicks.astype(np.int64),
            "content_downloads": downloads.astype(np.int64),
            "webinar_attended": _BOOL_TEXT.gather(bool_base + webinar),
            "demo_requested": _BOOL_TEXT.gather(bool_base + demo),
            "unsubscribed": _BOOL_TEXT.gather(bool_base + unsubscribed),
            "bool_blank_0": bool_blank[0],
            "bool_blank_1": bool_blank[1],
            "bool_blank_2": bool_blank[2],
            "created": (created + _EPOCH_FIRST).astype(np.int32),
            "last_activity": (last_activity + _EPOCH_FIRST).astype(np.int32),
            "activity_blank": activity_blank,
            "stage": _STAGE.gather(stage),
            "converted": converted,
        }
    )
    frame = frame.with_columns(company=pl.concat_str([pl.col("company_base"), pl.col("suffix")]))
    formula_rows = np.flatnonzero(formula_kind)
    if formula_rows.size:
        frame = frame.with_columns(
            frame["company"].scatter(
                formula_rows,
                _formula_cells(
                    frame[formula_rows],
                    ident["prefix"][formula_rows] * len(_COMPANY_CORES)
                    + ident["core"][formula_rows],
                ),
            )
        )
    return frame.select(_export_columns())


def _formula_cells(rows: pl.DataFrame, company_idx: np.ndarray) -> pl.Series:
    """Formula-like company cells (CSV injection bait) for the few rows that get one."""
    c = pl.col
    hyperlink = pl.concat_str(
        [pl.lit('=HYPERLINK("http://'), c("domain_"), pl.lit('","'), c("company"), pl.lit('")')]
    )
    phone = pl.concat_str([pl.lit("+1 555 01"), (c("number") % 100).cast(pl.String).str.zfill(2)])
    fk = c("formula_kind")
    return (
        rows.with_columns(
            domain_=_DOMAINS.gather(company_idx), handle=_COMPANY_HANDLE.gather(company_idx)
        )
        .select(
            pl.when(fk == 1)
            .then(hyperlink)
            .when(fk == 2)
            .then(phone)
            .when(fk == 3)
            .then(pl.concat_str([pl.lit("@"), c("handle")]))
            .otherwise(pl.lit("=cmd|' /C calc'!A0"))
        )
        .to_series()
    )


def _export_columns() -> list[pl.Expr]:
    """Expressions that turn the drawn pieces into the export's printed cells."""
    c = pl.col
    null = pl.lit(None, dtype=pl.String)
    email = pl.concat_str([c("l1"), c("l2"), c("l3"), c("l4"), c("at"), c("domain")])
    ek = c("employees_kind")
    employees = (
        pl.when(ek == 0)
        .then(c("employees_n").cast(pl.String))
        .when(ek == 1)
        .then(_thousands(c("employees_n")))
        .when(ek == 2)
        .then(pl.lit("N/A"))
        .otherwise(null)
    )
    rk = c("revenue_kind")
    revenue_body = (
        pl.when(rk == 1).then(c("revenue_n").cast(pl.String)).otherwise(_thousands(c("revenue_n")))
    )
    revenue = (
        pl.when(rk <= 4)
        .then(pl.concat_str([c("rev_prefix"), revenue_body, c("rev_suffix")]))
        .when(rk == 5)
        .then(pl.lit("N/A"))
        .otherwise(null)
    )
    ik = c("industry_kind")
    industry = (
        pl.when(ik == 0)
        .then(c("industry"))
        .when(ik == 2)
        .then(pl.lit("N/A"))
        .when(ik == 3)
        .then(pl.lit("Select"))
        .otherwise(null)
    )
    tk = c("title_kind")
    title = pl.when(tk == 0).then(c("job_title")).when(tk == 2).then(pl.lit("Select"))
    bools = {
        name: pl.when(c(f"bool_blank_{i}")).then(null).otherwise(c(name))
        for i, name in enumerate(("webinar_attended", "demo_requested", "unsubscribed"))
    }
    exprs = {
        "lead_id": pl.concat_str([pl.lit("L"), c("number").cast(pl.String).str.zfill(8)]),
        "email": email,
        "first_name": c("first_name"),
        "company": c("company"),
        "industry": industry,
        "job_title": title.otherwise(null),
        "country": pl.when(c("country_blank")).then(null).otherwise(c("country")),
        "employees": employees,
        "Annual Revenue": revenue,
        "lead_source": c("lead_source"),
        "website_visits": c("website_visits"),
        "pages_viewed": c("pages_viewed"),
        "time_on_site_sec": c("time_on_site_sec"),
        "email_opens": c("email_opens"),
        "email_clicks": c("email_clicks"),
        "content_downloads": c("content_downloads"),
        **bools,
        "created_date": c("created").cast(pl.Date).cast(pl.String),
        "last_activity_date": pl.when(c("activity_blank"))
        .then(null)
        .otherwise(c("last_activity").cast(pl.Date).cast(pl.String)),
        "stage": c("stage"),
        "converted": c("converted"),
    }
    return [exprs[name].cast(dtype).alias(name) for name, dtype in SCHEMA.items()]


def _iter_chunks(rows: int, seed: int, chunk_rows: int) -> Iterator[pl.DataFrame]:
    """Yield the export chunk by chunk; lead numbers continue across chunks (ids stay unique)."""
    for index, start in enumerate(range(0, rows, chunk_rows)):
        yield _generate_chunk(min(chunk_rows, rows - start), seed, index, start + 1)


def generate_leads(rows: int, seed: int = 42) -> pl.DataFrame:
    """Return a synthetic CRM export of ``rows`` leads, exactly as `write_sample` writes it.

    Uses the default chunking, so ``pl.read_csv(write_sample(...)'s file, schema=SCHEMA)``
    equals this frame. Holds everything in memory: use `write_sample` for millions of rows.
    """
    _check_args(rows, seed, DEFAULT_CHUNK_ROWS)
    chunks = list(_iter_chunks(int(rows), int(seed), DEFAULT_CHUNK_ROWS))
    if not chunks:
        return pl.DataFrame(schema=SCHEMA)
    return pl.concat(chunks, rechunk=False) if len(chunks) > 1 else chunks[0]


def write_sample(
    path: str | Path, rows: int, seed: int = 42, *, chunk_rows: int = DEFAULT_CHUNK_ROWS
) -> int:
    """Write a synthetic export to ``path`` (CSV, Parquet for .parquet/.pq, or CSV on
    stdout for ``-``); return rows.

    Memory stays bounded by ``chunk_rows``. The file appears atomically: it is written to a
    temporary file in the destination folder and renamed over ``path``; on any failure the
    temporary file is removed and the destination is left untouched.
    """
    _check_args(rows, seed, chunk_rows)
    rows, seed = int(rows), int(seed)
    if str(path) == STDOUT:
        written = _write_csv(sys.stdout.buffer, rows, seed, chunk_rows)
        sys.stdout.buffer.flush()
        return written
    dest = Path(path)
    if dest.name in ("", ".", ".."):
        raise OutputError("not a file name", path=dest)
    check_destination(str(dest), {})
    suffix = dest.suffix.lower()
    if suffix not in (*SAMPLE_CSV_SUFFIXES, *SAMPLE_PARQUET_SUFFIXES):
        raise UsageError(
            f"sample writes .csv or .parquet (or - for stdout), not {suffix or 'no extension'}",
            path=dest,
        )
    parquet = suffix in SAMPLE_PARQUET_SUFFIXES
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    created = False
    try:
        with open(tmp, "xb") as handle:
            created = True
            if parquet:
                written = _write_parquet(handle, rows, seed, chunk_rows)
            else:
                written = _write_csv(handle, rows, seed, chunk_rows)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, dest)
    except BaseException as exc:  # also Ctrl-C: never leave a half-written temp file behind
        if created:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            reason = exc.strerror or str(exc)
            raise OutputError(f"cannot write sample: {reason}", path=dest) from exc
        raise
    return written


def _write_csv(handle: Any, rows: int, seed: int, chunk_rows: int) -> int:
    """Append chunks to one CSV; the header is written once, even for zero rows."""
    written = 0
    if rows == 0:
        pl.DataFrame(schema=SCHEMA).write_csv(handle)
    for chunk in _iter_chunks(rows, seed, chunk_rows):
        chunk.write_csv(handle, include_header=written == 0)
        written += chunk.height
    return written


def _write_parquet(handle: Any, rows: int, seed: int, chunk_rows: int) -> int:
    """One Parquet row group per chunk through pyarrow's streaming writer."""
    import pyarrow.parquet as pq

    schema = pl.DataFrame(schema=SCHEMA).to_arrow().schema
    written = 0
    with pq.ParquetWriter(handle, schema, compression="zstd") as writer:
        for chunk in _iter_chunks(rows, seed, chunk_rows):
            writer.write_table(chunk.to_arrow().cast(schema))
            written += chunk.height
    return written
