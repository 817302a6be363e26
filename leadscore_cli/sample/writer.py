"""Writing a sample to a file (CSV or Parquet) or as CSV to stdout, chunk by chunk.

Memory stays bounded by the chunk size however many rows are asked for, and a file only
appears once it is complete.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import sys
from pathlib import Path
from typing import Any

import polars as pl

from leadscore_cli.errors import OutputError, UsageError
from leadscore_cli.sample.generator import DEFAULT_CHUNK_ROWS, check_args, iter_chunks
from leadscore_cli.sample.schema import SCHEMA
from leadscore_cli.writers import PARQUET_SUFFIXES, STDOUT, check_destination, reader_left

SAMPLE_CSV_SUFFIXES = (".csv",)
SAMPLE_PARQUET_SUFFIXES = PARQUET_SUFFIXES


def write_sample(
    path: str | Path, rows: int, seed: int = 42, *, chunk_rows: int = DEFAULT_CHUNK_ROWS
) -> int:
    """Write a synthetic export to ``path`` (CSV, Parquet for .parquet/.pq, or CSV on
    stdout for ``-``); return rows.

    Memory stays bounded by ``chunk_rows``. The file appears atomically: it is written to a
    temporary file in the destination folder and renamed over ``path``; on any failure the
    temporary file is removed and the destination is left untouched.
    """
    check_args(rows, seed, chunk_rows)
    rows, seed = int(rows), int(seed)
    if str(path) == STDOUT:
        try:
            written = _write_csv(sys.stdout.buffer, rows, seed, chunk_rows)
            sys.stdout.buffer.flush()
        except (OSError, pl.exceptions.PolarsError) as exc:
            if reader_left(exc):
                raise BrokenPipeError(errno.EPIPE, "the reader closed stdout") from exc
            raise
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
    for chunk in iter_chunks(rows, seed, chunk_rows):
        chunk.write_csv(handle, include_header=written == 0)
        written += chunk.height
    return written


def _write_parquet(handle: Any, rows: int, seed: int, chunk_rows: int) -> int:
    """One Parquet row group per chunk through pyarrow's streaming writer."""
    import pyarrow.parquet as pq

    schema = pl.DataFrame(schema=SCHEMA).to_arrow().schema
    written = 0
    with pq.ParquetWriter(handle, schema, compression="zstd") as writer:
        for chunk in iter_chunks(rows, seed, chunk_rows):
            writer.write_table(chunk.to_arrow().cast(schema))
            written += chunk.height
    return written
