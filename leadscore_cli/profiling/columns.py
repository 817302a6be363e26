"""The count tables' working columns and what the batches learn about each input column.

Every step of a profile reads these, so they sit apart from the steps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from leadscore_cli.fields import has_text_form
from leadscore_cli.model.schema import FieldSpec

EXAMPLES = 3
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
ID_NAME = re.compile(r"(?i:(?:^|[\s_\-.])id)$|[a-z](?:Id|ID)$")  # lead_id, Record ID, leadId

# Working columns of the count tables (a prefix no export uses).
_P = "__lsp_"
ROW = f"{_P}row"  # data row index (0-based); in count tables the first row of the value
COUNT = f"{_P}n"  # rows holding the value
POS = f"{_P}pos"  # of which converted (with a target)
NEG = f"{_P}neg"  # of which did not convert
OUTCOME = f"{_P}y"  # the target read as a Boolean, in the pass over the input
VALUE = f"{_P}value"
MISSING = f"{_P}missing"
INVALID = f"{_P}invalid"
KEY = f"{_P}key"
CUM = f"{_P}cum"
BIN = f"{_P}bin"
KNOWN = f"{_P}known"
LABEL = f"{_P}label"
TX = f"{_P}t"
OUT = f"{_P}out"
DIST = f"{_P}dist"
STEP = f"{_P}step"  # prefix of the columns that hold parsing steps

NUMBER_TYPES = ("int", "float")
DATE_TYPES = ("date", "datetime")


@dataclass
class ColumnFacts:
    """What the batches need to know about one column; filled in as they learn it."""

    name: str
    source: str
    dtype: pl.DataType
    markers: list[str]
    spec: FieldSpec | None = None
    in_model: bool = False
    model_id: bool = False
    model_type: str | None = None
    type: str = "string"
    date_format: str | None = None
    email: bool = False
    present: int = 0
    raw_distinct: int = 0
    spaced: int = 0  # present values with surrounding spaces
    cased: int = 0  # present values that are not trimmed lower case
    id_like: bool = False

    @property
    def text(self) -> bool:
        return self.dtype == pl.String

    @property
    def supported(self) -> bool:
        return has_text_form(self.dtype)


def trimmed(c: ColumnFacts) -> pl.Expr:
    return pl.col(c.name).str.strip_chars()


def named_like_id(c: ColumnFacts) -> bool:
    return bool(ID_NAME.search(c.name) or ID_NAME.search(c.source))


def collect_tables(frames: list[pl.LazyFrame]) -> list[pl.DataFrame]:
    """Collect queries over the count tables, which are already in memory.

    The streaming engine (polars' default) pays a set-up cost per query that dwarfs the
    work on tables this small: with a few queries per column, 300 columns took 40 s.
    """
    return pl.collect_all(frames, engine="in-memory")
