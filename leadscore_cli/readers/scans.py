"""The polars scans an input is read through: CSV options and chunking, Parquet checks.

Notes on polars 2.1 behaviour worked around here:

* `scan_csv` turns blank lines (including trailing ones) into all-null rows; those are
  filtered out so they never become phantom leads (through a column, not a predicate
  polars pushes into the scan: see `without_blank_rows`).
* `glob=True` (the default) would treat `leads[1].csv` as a pattern; globbing is off.
* `scan_csv` keeps the doubled quotes of a quoted header name: the header cell
  `"a""b"` names the column `a""b`, where a data cell would read `a"b`. The columns are
  renamed to the header as `csv_sample` parses it, so a model finds them by
  their real names and a written file repeats the header it was given.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import polars as pl

from leadscore_cli.errors import InputError, UsageError
from leadscore_cli.readers.csv_sample import CsvLayout, _check_header
from leadscore_cli.readers.messages import _first_line, explain_polars_error
from leadscore_cli.readers.source import Source
from leadscore_cli.summary import noun_for

PARQUET_MAGIC = b"PAR1"
ENCRYPTED_PARQUET_MAGIC = b"PARE"


# polars sizes its CSV read chunks from the file, and several chunks are in flight at
# once; with every column read as text, that buffering dominates peak memory. 4 MiB
# chunks cut peak memory by a third on large exports at no measurable cost in time.
CSV_CHUNK_BYTES = 4 << 20
CHUNK_SIZE_VARIABLE = "POLARS_CSV_CHUNK_SIZE"
# What polars accepts (anything else makes it panic): a whole number of bytes, above 0,
# that fits in 64 bits.
_CHUNK_SIZE = re.compile(r"\+?[0-9]+")
_MAX_CHUNK_BYTES = 2**64 - 1


def limit_csv_chunks() -> None:
    """Read CSV in `CSV_CHUNK_BYTES` chunks, unless POLARS_CSV_CHUNK_SIZE says otherwise.

    polars reads the variable when a scan runs, so this is process-wide configuration:
    the CLI sets it once at start-up. A value polars cannot read would make it panic in
    the middle of a run, so it is refused here, before any work.
    """
    value = os.environ.setdefault(CHUNK_SIZE_VARIABLE, str(CSV_CHUNK_BYTES))
    if not _CHUNK_SIZE.fullmatch(value) or not 0 < int(value) <= _MAX_CHUNK_BYTES:
        raise UsageError(
            f"{CHUNK_SIZE_VARIABLE} takes a positive number of bytes "
            f"(e.g. {CSV_CHUNK_BYTES} for 4 MiB), not {value!r}; unset it for the default"
        )


def _scan_csv(path: Path, name: str, layout: CsvLayout) -> pl.LazyFrame:
    """Scan `path` as text columns named as the header in `layout` says."""
    sep, header = layout.delimiter, layout.header
    frame = pl.scan_csv(
        path,
        separator=sep,
        skip_lines=layout.skip_lines,
        infer_schema=False,  # every column stays String, exactly as exported
        null_values=[""],  # empty cells, quoted or not, become null
        truncate_ragged_lines=False,  # rows with extra fields raise
        raise_if_empty=True,
        glob=False,
        encoding="utf8",
    )
    try:
        names = frame.collect_schema().names()  # reads the header only
    except Exception as exc:
        stub = Source(name=name, path=None, format="csv", frame=frame, delimiter=sep)
        raise explain_polars_error(exc, stub) from exc
    if header is not None and len(names) != len(header):  # our parse and polars' disagree
        raise InputError(
            f"cannot parse the header: found {len(names)} {noun_for(len(names), 'column')}, "
            f"expected {len(header)}",
            path=name,
        )
    if header is not None and names != header:
        frame = frame.rename(dict(zip(names, header, strict=True)))
    return without_blank_rows(frame, header or names)


def without_blank_rows(frame: pl.LazyFrame, columns: list[str]) -> pl.LazyFrame:
    """Drop the all-null rows polars makes of blank lines, so they never get scored.

    The test is computed as a column, then filtered on: as a plain filter, polars pushes
    it into the scan, and planning that takes time that grows with the square of the
    column count (30 s at 1,000 columns, out of memory at 5,000).
    """
    keep = _unused_name(columns, "__leadscore_not_blank")
    return (
        frame.with_columns(pl.any_horizontal(pl.all().is_not_null()).alias(keep))
        .filter(pl.col(keep))
        .drop(keep)
    )


def _unused_name(columns: list[str], base: str) -> str:
    """`base`, or `base_1`, `base_2`...: a name none of `columns` has."""
    taken = set(columns)
    name, index = base, 0
    while name in taken:
        index += 1
        name = f"{base}_{index}"
    return name


def _polars_names(path: Path) -> list[str] | None:
    """The column names polars reads from a Parquet footer, or None when it cannot."""
    try:
        return pl.scan_parquet(path, glob=False, hive_partitioning=False).collect_schema().names()
    except Exception:
        return None


def _scan_parquet(path: Path, name: str, head: bytes, tail: bytes, size: int) -> pl.LazyFrame:
    if head[:4] != PARQUET_MAGIC:
        raise InputError(
            "not a Parquet file (no PAR1 header): it is corrupt, or use --input-format csv",
            path=name,
        )
    if tail == ENCRYPTED_PARQUET_MAGIC:
        raise InputError("encrypted Parquet files are not supported", path=name)
    if size < 12 or tail != PARQUET_MAGIC:
        raise InputError(
            "the Parquet file is corrupt or truncated (no Parquet footer at the end)", path=name
        )
    try:
        import pyarrow.parquet as pq

        names = pq.read_schema(path).names
    except Exception as exc:
        names = _polars_names(path)  # pyarrow lacks some types polars reads (128-bit ints)
        if names is None:
            raise InputError(
                f"the Parquet file is corrupt or truncated ({_first_line(exc)})", path=name
            ) from exc
    _check_header(list(names), name)
    frame = pl.scan_parquet(path, glob=False, hive_partitioning=False)
    try:
        frame.collect_schema()  # reads the footer only
    except Exception as exc:
        stub = Source(name=name, path=None, format="parquet", frame=frame)
        raise explain_polars_error(exc, stub) from exc
    return frame
