"""Export columns read the way the written model will read them.

Each column gets a kind (category, boolean, number or date), a field name for the model,
and its values as `score` will see them: what does not read as the kind is missing.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import polars as pl

from leadscore_cli.fields import holds_text, parse_field
from leadscore_cli.model.problems import EARLIEST_AS_OF, MAX_DAYS
from leadscore_cli.model.schema import DEFAULT_NULL_VALUES, FieldSpec, FieldType, added_columns
from leadscore_cli.summary import counted

TYPE_SHARE = 0.95  # share of present values that must read as a number or date
SAMPLE_ROWS = 20_000  # text columns' types are decided on the first rows
ID_SHARE = 0.9  # distinct values over present values for an id-like text column
NUMBERS_NOTED = 0.5  # an id-like text column this much numbers is said to be nearly numbers

ENGAGEMENT_NAME = re.compile(
    r"visit|click|open|download|webinar|demo|page|view|session|time_on|activity|event"
    r"|attend|trial|chat|video|engag"
)
ID_NAME = re.compile(r"(^|_)(id|uuid|guid|key)$")
CATEGORIES = ("fit", "engagement")
# `score`, `tier`, `score_fit`...: a field of one of these names would be overwritten by
# the column a scoring run adds, so the model reads such a column as `crm_<name>`
ADDED_BY_SCORING = added_columns(CATEGORIES)


@dataclass
class Column:
    """One export column, read the way the written model will read it."""

    source: str
    name: str  # the field and rule name in the model
    kind: str  # "category", "bool", "number" or "date"
    values: np.ndarray  # text (None: missing) or float (NaN: missing; dates: days before as-of)
    invalid: int = 0  # present values that could not be read (scored as missing)

    @property
    def ftype(self) -> FieldType:
        types: dict[str, FieldType] = {
            "category": "string",
            "bool": "bool",
            "number": "float",
            "date": "date",
        }
        return types[self.kind]

    def present(self) -> int:
        """Leads with a value read as the column's kind."""
        if self.kind in ("category", "bool"):
            return int(self.values.size - np.equal(self.values, None).sum())
        return int((~np.isnan(self.values)).sum())

    @property
    def category(self) -> str:
        fit, engagement = CATEGORIES
        return engagement if ENGAGEMENT_NAME.search(self.name) else fit


# Letters that Unicode does not decompose into a plain letter and an accent
ASCII_SPELLINGS = str.maketrans(
    {"ß": "ss", "Æ": "AE", "æ": "ae", "Ø": "O", "ø": "o", "Œ": "OE", "œ": "oe", "Ł": "L"}
    | {"ł": "l", "Đ": "D", "đ": "d", "Ð": "D", "ð": "d", "Þ": "Th", "þ": "th", "\u0131": "i"}
)


def field_slug(source: str) -> str:
    """A field and rule name for an export header: `Annual Revenue` -> `annual_revenue`,
    `Größe (m²)` -> `grosse_m2`, `Łódź` -> `lodz`: names are ASCII, so accents are
    dropped, not the letters."""
    ascii_text = unicodedata.normalize("NFKD", source.translate(ASCII_SPELLINGS))
    ascii_text = "".join(ch for ch in ascii_text if not unicodedata.combining(ch))
    slug = re.sub(r"[^0-9A-Za-z]+", "_", ascii_text).strip("_").lower() or "column"
    return f"c_{slug}" if slug[0].isdigit() else slug


def field_names(sources: list[str], taken: list[str]) -> dict[str, str]:
    """A unique field name per column that no other export column already has, and that
    no column a scoring run adds has either."""
    used = set(taken)
    names: dict[str, str] = {}
    for source in sources:
        slug = field_slug(source)
        if slug in ADDED_BY_SCORING:  # a CRM's own `Score` or `Tier`
            slug = f"crm_{slug}"
        if slug != source:
            base, number = slug, 2
            while slug in used or slug in names.values():
                slug, number = f"{base}_{number}", number + 1
        names[source] = slug
    return names


def detect_kinds(frame: pl.DataFrame, sources: list[str]) -> dict[str, str]:
    """Typed columns keep their type; text (categorical and binary columns too) reads as
    boolean, number or date when nearly every present value in the first SAMPLE_ROWS does
    (booleans only when all do), else as a category. Later values that do not read as the
    type count as missing."""
    kinds: dict[str, str] = {}
    exprs: list[pl.Expr] = []
    text: list[str] = []
    for source in sources:
        dtype = frame.schema[source]
        if dtype == pl.String or holds_text(dtype):  # categories and bytes are text too
            text.append(source)
            for ftype in ("string", "bool", "float", "date"):
                parsed = parse_field(source, ftype, dtype, None, DEFAULT_NULL_VALUES).value
                exprs.append(parsed.is_not_null().sum().alias(f"{ftype}:{source}"))
        elif dtype == pl.Boolean:
            kinds[source] = "bool"
        elif dtype.is_numeric():
            kinds[source] = "number"
        elif dtype in (pl.Date, pl.Datetime) or isinstance(dtype, pl.Datetime):
            kinds[source] = "date"
        elif dtype == pl.Null:
            kinds[source] = "empty"
        else:
            kinds[source] = "unsupported"
    counts = frame.head(SAMPLE_ROWS).select(exprs).row(0, named=True) if exprs else {}
    for source in text:
        present = counts[f"string:{source}"]
        if present == 0:
            kinds[source] = "empty"
        elif counts[f"bool:{source}"] == present:
            kinds[source] = "bool"
        elif counts[f"float:{source}"] >= TYPE_SHARE * present:
            kinds[source] = "number"
        elif counts[f"date:{source}"] >= TYPE_SHARE * present:
            kinds[source] = "date"
        else:
            kinds[source] = "category"
    return kinds


def column_spec(column: Column) -> FieldSpec | None:
    """The [fields] entry the written model needs: a rename, and the type for non-text.

    Values that do not read as the type were missing to the fit, so they are to `score`
    too (`on_invalid = "null"`).
    """
    if column.kind == "category":
        return None if column.name == column.source else FieldSpec(column.name, column.source)
    return FieldSpec(column.name, column.source, type=column.ftype, on_invalid="null")


def read_column(frame: pl.DataFrame, source: str, name: str, kind: str) -> Column:
    column = Column(source=source, name=name, kind=kind, values=np.empty(0))
    dtype = frame.schema[source]
    parsed = parse_field(source, column.ftype, dtype, column_spec(column), DEFAULT_NULL_VALUES)
    value = parsed.value
    if kind == "category":
        value = value.cast(pl.String).str.to_lowercase()
    elif kind == "bool":
        value = value.cast(pl.String)
    elif kind == "date":
        value = value.cast(pl.Date).cast(pl.Int32).cast(pl.Float64)  # days since 1970
    else:
        value = value.cast(pl.Float64)
    invalid = parsed.invalid.sum() if parsed.invalid is not None else pl.lit(0)
    result = frame.select(value.alias("v"), invalid.alias("bad"))
    if kind in ("category", "bool"):
        column.values = np.asarray(result["v"].to_list(), dtype=object)
    else:
        column.values = result["v"].fill_null(float("nan")).to_numpy().astype(np.float64)
    column.invalid = int(result["bad"][0] or 0)
    return column


def id_like(column: Column) -> str | None:
    """Ids and free text give every lead its own value: nothing to learn, much to overfit."""
    if column.kind in ("bool", "date"):
        return None
    if column.kind == "category":
        present = [v for v in column.values.tolist() if v is not None]
    else:
        if not ID_NAME.search(column.name):
            return None
        present = column.values[~np.isnan(column.values)].tolist()
    distinct = len(set(present))
    if present and distinct > ID_SHARE * len(present) and distinct > 1:
        return f"{distinct:,} distinct values in {len(present):,} leads"
    return None


def almost_numbers(frame: pl.DataFrame, source: str) -> str:
    """Why a text column of mostly numbers (`$1,200` beside `1200 USD`) was not read as
    one, for the reason it is dropped: left unsaid, amounts look like ids."""
    dtype = frame.schema[source]
    present = parse_field(source, "string", dtype, None, DEFAULT_NULL_VALUES).value
    number = parse_field(source, "float", dtype, None, DEFAULT_NULL_VALUES).value
    counts = frame.select(present.is_not_null().sum(), number.is_not_null().sum()).row(0)
    share = counts[1] / counts[0] if counts[0] else 0.0
    if share < NUMBERS_NOTED:
        return ""
    return (
        f" ({share:.0%} of them read as numbers, short of the {TYPE_SHARE:.0%} a number "
        "column needs)"
    )


def is_lead_id(column: Column) -> bool:
    """Whether an id-like column is named like an id (`lead_id`, `Record ID`): then it is
    the lead's id, which the written model names as `id_column` so that later runs can
    join on it (`score --previous`)."""
    return bool(ID_NAME.search(column.name))


def id_spec(column: Column) -> FieldSpec | None:
    """The [fields] entry the id needs: only a rename, its values are never compared."""
    return None if column.name == column.source else FieldSpec(column.name, column.source)


EPOCH = dt.date(1970, 1, 1)  # date columns hold days since this date


def as_date(days: float) -> dt.date:
    return EPOCH + dt.timedelta(days=int(days))


def pick_as_of(dates: list[Column], today: dt.date) -> dt.date | None:
    """The latest date in the data that is not after today.

    History records the past, so a later date is a placeholder (a CRM's "never",
    9999-12-31) or a typo, not the day the export was taken: it must not set the date
    that every age counts from. Never before the earliest `--as-of` that `score` takes;
    today when every date is later. None when no date column has a value.
    """
    present = [c.values[~np.isnan(c.values)] for c in dates]
    values = np.concatenate(present) if present else np.empty(0)
    if values.size == 0:
        return None
    past = values[values <= (today - EPOCH).days]
    latest = as_date(past.max()) if past.size else today
    return max(latest, EARLIEST_AS_OF)


@dataclass(frozen=True)
class AgedOut:
    """Dates of one column beyond what a date rule tells apart, read at the nearest age
    it does: after the as-of date as 0 days old, more than MAX_DAYS before it as MAX_DAYS."""

    source: str
    later: int
    latest: dt.date | None
    older: int
    earliest: dt.date | None

    def describe(self, as_of: dt.date) -> str:
        parts = []
        if self.later:
            parts.append(f"{self.later:,} after {as_of} (latest {self.latest}), read as 0 days old")
        if self.older:
            parts.append(
                f"{self.older:,} more than {MAX_DAYS:,} days before it (earliest {self.earliest}), "
                f"read as {MAX_DAYS:,} days old"
            )
        return f"{self.source}: " + " and ".join(parts)


def days_before(dates: list[Column], as_of: dt.date) -> list[AgedOut]:
    """Turn date columns into whole days before `as_of`, as date rules read them.

    `within_days` and `older_than_days` take 0 to MAX_DAYS days and count a future date
    as 0 days old, so ages are clipped to that range: every cut point the fit finds is
    then one a rule can hold, and the model scores history exactly as it was fitted.
    Returns the columns that had dates outside the range.
    """
    as_of_days = (as_of - EPOCH).days
    aged_out = []
    for column in dates:
        dates_read, age = column.values, as_of_days - column.values
        later, older = age < 0, age > MAX_DAYS  # NaN (missing) is neither
        if later.any() or older.any():
            aged_out.append(
                AgedOut(
                    column.source,
                    int(later.sum()),
                    as_date(dates_read[later].max()) if later.any() else None,
                    int(older.sum()),
                    as_date(dates_read[older].min()) if older.any() else None,
                )
            )
        column.values = np.clip(age, 0, MAX_DAYS)
    return aged_out


def aged_out_warning(aged_out: list[AgedOut], as_of: dt.date, picked: bool) -> str | None:
    """One warning for every date a date rule cannot tell apart from the nearest age it
    can, and whether the later ones were passed over when the as-of date was picked."""
    if not aged_out:
        return None
    total = sum(a.later + a.older for a in aged_out)
    text = (
        f"{counted(total, 'date')} out of the range date rules tell apart, read as "
        f"`score --as-of {as_of}` reads {'it' if total == 1 else 'them'}: "
        + "; ".join(a.describe(as_of) for a in aged_out)
    )
    if picked and any(a.later for a in aged_out):
        text += ". Dates after today do not set the as-of date; --as-of DATE sets it"
    return text
