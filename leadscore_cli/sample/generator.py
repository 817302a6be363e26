"""The row generator: draws the export chunk by chunk from one random stream per chunk.

Each chunk draws identities, engagement, dates, the outcome and then the mess, in a fixed
order that does not depend on the values drawn, so the same arguments give the same rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

import numpy as np
import polars as pl

from leadscore_cli.errors import UsageError
from leadscore_cli.sample.cells import REVENUE_MAX, export_columns, formula_cells
from leadscore_cli.sample.dates import EPOCH_FIRST, REFERENCE_OFFSET, SPAN_DAYS
from leadscore_cli.sample.ground_truth import draw_converted
from leadscore_cli.sample.names import (
    COMPANY_CORES,
    COMPANY_PREFIXES,
    COMPANY_SUFFIXES,
    FIRST_NAMES,
    LAST_NAMES,
)
from leadscore_cli.sample.schema import SCHEMA
from leadscore_cli.sample.tables import (
    AT,
    BOOL_TEXT,
    COMPANY_BASE,
    COUNTRY_CUM,
    COUNTRY_OFFSET,
    COUNTRY_P,
    COUNTRY_SPELLINGS,
    DOMAINS,
    DOT,
    FIRST_DISPLAY,
    FIRST_PART,
    INDUSTRY_VARIANTS,
    LAST_PART,
    LEAD_SOURCE,
    MAIL_DIGITS,
    N_BASES,
    N_VARIANTS,
    REVENUE_P,
    REVENUE_PREFIX,
    REVENUE_SUFFIX,
    STAGE,
    SUFFIX,
    SUFFIX_P,
    TITLE_P,
    TITLE_VARIANTS,
    probabilities,
)
from leadscore_cli.sample.vocabulary import (
    BOOL_STYLE_P,
    BOOL_STYLES,
    COUNTRIES,
    FREE_MAIL_DOMAINS,
    FREE_MAIL_P,
    INDUSTRIES,
    INDUSTRY_P,
    JOB_TITLES,
    LEAD_SOURCE_P,
    LEAD_SOURCES,
    STAGE_OTHER,
    STAGE_OTHER_P,
)

DEFAULT_CHUNK_ROWS: Final = 250_000

_DUPLICATE_RATE = 0.002


def check_args(rows: int, seed: int, chunk_rows: int) -> None:
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
        "prefix": rng.integers(0, len(COMPANY_PREFIXES), n),
        "core": rng.integers(0, len(COMPANY_CORES), n),
        "suffix": rng.choice(len(COMPANY_SUFFIXES), n, p=SUFFIX_P),
        "free": rng.random(n) < 0.15,
        "free_domain": rng.choice(len(FREE_MAIL_DOMAINS), n, p=probabilities(FREE_MAIL_P)),
        "local_style": rng.choice(3, n, p=[0.7, 0.2, 0.1]),
        "mail_digits": np.where(rng.random(n) < 0.4, rng.integers(1, 100, n), -1),
        "industry": rng.choice(len(INDUSTRIES), n, p=probabilities(INDUSTRY_P)),
        "title": rng.choice(len(JOB_TITLES), n, p=TITLE_P),
        "country": rng.choice(len(COUNTRIES), n, p=COUNTRY_P),
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

    created = rng.integers(0, SPAN_DAYS, n)
    last_activity = created + np.floor((SPAN_DAYS - created) * rng.random(n) ** 1.5).astype(
        np.int64
    )
    days_since = REFERENCE_OFFSET - last_activity  # 1 .. 365

    # --- hidden truth on canonical values ----------------------------------------------------
    converted = draw_converted(
        rng,
        title=ident["title"],
        industry=ident["industry"],
        employees=employees,
        country=ident["country"],
        demo=demo,
        webinar=webinar,
        clicks=clicks,
        downloads=downloads,
        days_since=days_since,
        unsubscribed=unsubscribed,
        free_mail=ident["free"],
    )
    stage = np.where(
        converted, 0, 1 + rng.choice(len(STAGE_OTHER), n, p=probabilities(STAGE_OTHER_P))
    )

    # --- the mess: which spelling / format each cell gets -----------------------------------
    def variant(messy_share: float) -> np.ndarray:
        """0 = canonical, 1..4 = other casings / trailing space."""
        v = rng.integers(1, N_VARIANTS, n)
        return np.where(rng.random(n) < messy_share, v, 0)

    industry_kind = rng.choice(4, n, p=[0.91, 0.04, 0.03, 0.02])  # ok, blank, N/A, Select
    title_kind = rng.choice(3, n, p=[0.96, 0.03, 0.01])  # ok, blank, Select
    u_country = rng.random(n)
    spelling = (u_country[:, None] > COUNTRY_CUM[ident["country"]]).sum(axis=1)
    country_blank = rng.random(n) < 0.02
    employees_kind = rng.choice(4, n, p=[0.95, 0.03, 0.01, 0.01])  # plain, 1,200, N/A, blank
    revenue_kind = rng.choice(len(REVENUE_P), n, p=REVENUE_P)
    email_kind = rng.choice(5, n, p=[0.985, 0.01, 0.002, 0.0015, 0.0015])
    formula_kind = np.where(rng.random(n) < 0.001, rng.integers(1, 5, n), 0)
    bool_style = rng.choice(len(BOOL_STYLES), n, p=probabilities(BOOL_STYLE_P))
    bool_blank = rng.random((3, n)) < 0.02
    activity_blank = rng.random(n) < 0.03
    lead_source = rng.choice(len(LEAD_SOURCES), n, p=probabilities(LEAD_SOURCE_P))

    # --- cells: every string is a gather from a small table, then a few concatenations -----
    style = ident["local_style"]  # 0 first.last, 1 flast, 2 first
    company_idx = ident["prefix"] * len(COMPANY_CORES) + ident["core"]
    digits = np.where(ident["free"] & (ident["mail_digits"] > 0), ident["mail_digits"], 0)
    domain_idx = np.where(ident["free"], N_BASES + ident["free_domain"], company_idx)
    domain_idx = np.where(email_kind == 4, len(DOMAINS) - 1, domain_idx)
    rev_fmt = np.minimum(revenue_kind, len(REVENUE_PREFIX) - 1)
    bool_base = bool_style * 2
    frame = pl.DataFrame(
        {
            "number": ident["number"],
            "first_name": FIRST_DISPLAY.gather(ident["first"]),
            "l1": FIRST_PART.gather(ident["first"] + (style == 1) * len(FIRST_NAMES)),
            "l2": DOT.gather((style != 0).astype(np.int64)),
            "l3": LAST_PART.gather(np.where(style == 2, len(LAST_NAMES), ident["last"])),
            "l4": MAIL_DIGITS.gather(digits),
            "at": AT.gather(email_kind),
            "domain": DOMAINS.gather(domain_idx),
            "company_base": COMPANY_BASE.gather(company_idx),
            "suffix": SUFFIX.gather(ident["suffix"]),
            "formula_kind": formula_kind,
            "industry": INDUSTRY_VARIANTS.gather(ident["industry"] * N_VARIANTS + variant(0.10)),
            "industry_kind": industry_kind,
            "job_title": TITLE_VARIANTS.gather(ident["title"] * N_VARIANTS + variant(0.10)),
            "title_kind": title_kind,
            "country": COUNTRY_SPELLINGS.gather(COUNTRY_OFFSET[ident["country"]] + spelling),
            "country_blank": country_blank,
            "employees_n": employees,
            "employees_kind": employees_kind,
            "revenue_n": np.minimum(revenue, REVENUE_MAX),
            "revenue_kind": revenue_kind,
            "rev_prefix": REVENUE_PREFIX.gather(rev_fmt),
            "rev_suffix": REVENUE_SUFFIX.gather(rev_fmt),
            "lead_source": LEAD_SOURCE.gather(lead_source),
            "website_visits": visits.astype(np.int64),
            "pages_viewed": pages.astype(np.int64),
            "time_on_site_sec": time_on_site,
            "email_opens": opens.astype(np.int64),
            "email_clicks": clicks.astype(np.int64),
            "content_downloads": downloads.astype(np.int64),
            "webinar_attended": BOOL_TEXT.gather(bool_base + webinar),
            "demo_requested": BOOL_TEXT.gather(bool_base + demo),
            "unsubscribed": BOOL_TEXT.gather(bool_base + unsubscribed),
            "bool_blank_0": bool_blank[0],
            "bool_blank_1": bool_blank[1],
            "bool_blank_2": bool_blank[2],
            "created": (created + EPOCH_FIRST).astype(np.int32),
            "last_activity": (last_activity + EPOCH_FIRST).astype(np.int32),
            "activity_blank": activity_blank,
            "stage": STAGE.gather(stage),
            "converted": converted,
        }
    )
    frame = frame.with_columns(company=pl.concat_str([pl.col("company_base"), pl.col("suffix")]))
    formula_rows = np.flatnonzero(formula_kind)
    if formula_rows.size:
        frame = frame.with_columns(
            frame["company"].scatter(
                formula_rows,
                formula_cells(
                    frame[formula_rows],
                    ident["prefix"][formula_rows] * len(COMPANY_CORES)
                    + ident["core"][formula_rows],
                ),
            )
        )
    return frame.select(export_columns())


def iter_chunks(rows: int, seed: int, chunk_rows: int) -> Iterator[pl.DataFrame]:
    """Yield the export chunk by chunk; lead numbers continue across chunks (ids stay unique)."""
    for index, start in enumerate(range(0, rows, chunk_rows)):
        yield _generate_chunk(min(chunk_rows, rows - start), seed, index, start + 1)


def generate_leads(rows: int, seed: int = 42) -> pl.DataFrame:
    """Return a synthetic CRM export of ``rows`` leads, exactly as `write_sample` writes it.

    Uses the default chunking, so ``pl.read_csv(write_sample(...)'s file, schema=SCHEMA)``
    equals this frame. Holds everything in memory: use `write_sample` for millions of rows.
    """
    check_args(rows, seed, DEFAULT_CHUNK_ROWS)
    chunks = list(iter_chunks(int(rows), int(seed), DEFAULT_CHUNK_ROWS))
    if not chunks:
        return pl.DataFrame(schema=SCHEMA)
    return pl.concat(chunks, rechunk=False) if len(chunks) > 1 else chunks[0]
