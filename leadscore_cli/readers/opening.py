"""`open_source`: check the options and the path, tell CSV from Parquet, open the scan.

Note on polars 2.1 behaviour worked around here: `scan_csv` streams gzip and zstd input
with bounded memory, so compressed files are scanned directly; only a non-UTF-8 encoding
needs a (streamed) temp copy.
"""

from __future__ import annotations

import codecs
import os
import stat
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from leadscore_cli.errors import InputError, UsageError
from leadscore_cli.readers.csv_sample import _check_sample, check_last_row
from leadscore_cli.readers.decoding import (
    _codec_for_bom,
    _compression_from_magic,
    _read_sample,
    _transcode,
)
from leadscore_cli.readers.messages import _os_reason
from leadscore_cli.readers.scans import PARQUET_MAGIC, _scan_csv, _scan_parquet
from leadscore_cli.readers.source import Format, Source
from leadscore_cli.readers.temp_files import _TempFiles

STDIN_NAME = "<stdin>"
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
COMPRESSED_SUFFIXES = (".gz", ".zst")
PARQUET_SUFFIXES = (".parquet", ".pq")
ZIP_MAGIC = b"PK\x03\x04"  # also what an Excel .xlsx workbook starts with


@contextmanager
def open_source(
    path: str,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    format: str | None = None,
) -> Iterator[Source]:
    """Open `path` ("-" for CSV on stdin) as a lazy scan; temp files live until exit.

    The frame must be consumed inside the `with` block: stdin spools and transcoded
    copies are deleted when it exits.
    """
    path = os.fspath(path)
    forced_format = _check_format_option(format)
    forced_delimiter = _check_delimiter_option(delimiter)
    name = STDIN_NAME if path == "-" else path
    codec = _check_encoding_option(encoding, name)
    with ExitStack() as stack:
        temps = _TempFiles()
        stack.callback(temps.cleanup)
        source = _open(path, name, temps, forced_format, forced_delimiter, encoding, codec)
        yield source


def _check_format_option(format: str | None) -> Format | None:
    if format is None:
        return None
    value = format.strip().lower()
    if value == "csv":
        return "csv"
    if value == "parquet":
        return "parquet"
    raise UsageError(f"unknown input format {format!r}; use csv or parquet")


def _check_delimiter_option(delimiter: str | None) -> str | None:
    if delimiter is None:
        return None
    value = {"\\t": "\t", "tab": "\t"}.get(delimiter.lower(), delimiter)
    if len(value) != 1 or not value.isascii() or value in '"\r\n':
        raise UsageError(f"delimiter must be one ASCII character (or 'tab'), not {delimiter!r}")
    return value


def _check_encoding_option(encoding: str | None, name: str) -> str | None:
    """Return the Python codec name to transcode from, or None when the input is UTF-8."""
    if encoding is None:
        return None
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r}", path=name) from None
    return None if codec in ("utf-8", "utf-8-sig") else codec


def _open(
    path: str,
    name: str,
    temps: _TempFiles,
    forced_format: Format | None,
    forced_delimiter: str | None,
    encoding: str | None,
    codec: str | None,
) -> Source:
    real: Path | None
    if path == "-":
        real = None
        local = temps.spool(sys.stdin.buffer, name)
    else:
        real = Path(path).expanduser()
        local = _check_input_file(real, name, temps)

    spool = None if local == real else local
    head, tail, size = _read_ends(local, name)
    if forced_format:
        fmt: Format = forced_format
    else:
        fmt = _format_from_suffix(real) or ("parquet" if head[:4] == PARQUET_MAGIC else "csv")
    if size == 0:
        raise InputError("file is empty", path=name)
    if fmt == "parquet":
        frame = _scan_parquet(local, name, head, tail, size)
        return Source(name=name, path=real, format="parquet", frame=frame, spool=spool)

    _refuse_binary_formats(head, name)
    compression = _compression_from_magic(head)
    scan_path, scan_compression = local, compression
    if codec is not None:
        codec = _codec_for_bom(local, compression, codec, name)
    if codec is not None:
        scan_path = _transcode(local, compression, codec, encoding or codec, name, temps)
        scan_compression = None
    sample, at_eof = _read_sample(scan_path, scan_compression, name)
    layout = _check_sample(sample, at_eof, name, forced_delimiter)
    if not at_eof and scan_compression is None:  # the sample held the last line otherwise
        check_last_row(scan_path, layout, name)
    frame = _scan_csv(scan_path, name, layout)
    return Source(
        name=name,
        path=real,
        format="csv",
        frame=frame,
        delimiter=layout.delimiter,
        compression=compression,
        spool=spool,
        scanned=scan_path,
    )


def _refuse_binary_formats(head: bytes, name: str) -> None:
    """Name the format of a binary file read as CSV; the text checks would only see NULs."""
    if head.startswith(PARQUET_MAGIC):
        raise InputError(
            "file holds Parquet data, not CSV text: name it .parquet "
            "or pass --input-format parquet",
            path=name,
        )
    if head.startswith(ZIP_MAGIC):
        raise InputError(
            "file holds binary data (a ZIP archive: an Excel workbook or a zipped export), "
            "not CSV text: save it as CSV or unzip it",
            path=name,
        )


def _check_input_file(path: Path, name: str, temps: _TempFiles) -> Path:
    """Fail clearly on missing/unreadable paths; spool pipes (e.g. `<(cmd)`) to disk."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError("no such file", path=name) from None
    except PermissionError:
        raise InputError("permission denied", path=name) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {_os_reason(exc)}", path=name) from exc
    if stat.S_ISDIR(info.st_mode):
        raise InputError("is a directory, not a file", path=name)
    try:
        with path.open("rb") as handle:
            if stat.S_ISREG(info.st_mode):
                return path
            return temps.spool(handle, name)  # a pipe or device can only be read once
    except PermissionError:
        raise InputError("permission denied", path=name) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {_os_reason(exc)}", path=name) from exc


def _read_ends(path: Path, name: str) -> tuple[bytes, bytes, int]:
    """Read the first and last bytes: enough for magic numbers and the Parquet footer."""
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
            size = os.fstat(handle.fileno()).st_size
            handle.seek(max(size - 4, 0))
            tail = handle.read(4)
    except PermissionError:
        raise InputError("permission denied", path=name) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {_os_reason(exc)}", path=name) from exc
    return head, tail, size


def _format_from_suffix(path: Path | None) -> Format | None:
    if path is None:
        return None
    suffixes = [s.lower() for s in path.suffixes]
    if not suffixes:
        return None
    last = suffixes[-1]
    if last in PARQUET_SUFFIXES:
        return "parquet"
    if last in CSV_SUFFIXES or last in COMPRESSED_SUFFIXES:
        return "csv"
    return None
