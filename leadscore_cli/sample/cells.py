"""How the drawn pieces of a row print as the export's cells.

The generator decides per cell which value, spelling and format it gets; the polars
expressions here assemble the text a CRM would print (emails, thousands separators,
currency, "N/A", "Select", blanks) in the column order of SCHEMA.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from leadscore_cli.sample.schema import SCHEMA
from leadscore_cli.sample.tables import COMPANY_HANDLE, DOMAINS

REVENUE_MAX = 999_999_999_999  # _thousands handles up to 12 digits


def formula_cells(rows: pl.DataFrame, company_idx: np.ndarray) -> pl.Series:
    """Formula-like company cells (CSV injection bait) for the few rows that get one."""
    c = pl.col
    hyperlink = pl.concat_str(
        [pl.lit('=HYPERLINK("http://'), c("domain_"), pl.lit('","'), c("company"), pl.lit('")')]
    )
    phone = pl.concat_str([pl.lit("+1 555 01"), (c("number") % 100).cast(pl.String).str.zfill(2)])
    fk = c("formula_kind")
    return (
        rows.with_columns(
            domain_=DOMAINS.gather(company_idx), handle=COMPANY_HANDLE.gather(company_idx)
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


def export_columns() -> list[pl.Expr]:
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


def _thousands(expr: pl.Expr) -> pl.Expr:
    """Format an integer in 1..10^12-1 with "," every three digits ("1200000" -> "1,200,000").

    Zero-pad to 12 digits, join the four 3-digit groups, then strip the leading "0" and ","
    characters: much faster than a regex and exact for positive numbers.
    """
    padded = expr.cast(pl.String).str.zfill(12)
    groups = [padded.str.slice(i, 3) for i in (0, 3, 6, 9)]
    return pl.concat_str(groups, separator=",").str.strip_chars_start("0,")
