"""Find the line of a fault polars reports without one, by reading the input again.

Past the sample, polars says only that *a* row is too long or that *some* byte is not
UTF-8. When that happens the run has failed anyway, so the file is read once more, in
bounded memory, to name the line: a user with millions of rows cannot find it otherwise.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from collections.abc import Iterable, Iterator
from pathlib import Path

from leadscore_cli.readers.csv_sample import excel_separator
from leadscore_cli.readers.decoding import (
    _compression_from_magic,
    _decompress_errors,
    _open_decompressed,
)
from leadscore_cli.readers.temp_files import _COPY_CHUNK

csv.field_size_limit(2**31 - 1)  # one long cell must not stop the search early


def first_invalid_utf8(path: Path) -> tuple[int, int] | None:
    """(line, byte) of the first byte that is not UTF-8, or None if none is found."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    newlines = 0
    try:
        with _open_scanned(path) as handle:
            while chunk := handle.read(_COPY_CHUNK):
                pending = decoder.getstate()[0]  # bytes of a character cut by the last chunk
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    data = pending + chunk
                    return newlines + data[: exc.start].count(b"\n") + 1, data[exc.start]
                newlines += chunk.count(b"\n")
    except (*_decompress_errors(), OSError):
        return None
    return None


def first_long_row(path: Path, delimiter: str) -> tuple[int, int, int] | None:
    """(line, fields, columns) of the first row longer than the header, or None."""
    try:
        with _open_scanned(path) as raw, _as_text(raw) as text:
            first = text.readline()
            skipped = 1 if excel_separator(first) is not None else 0
            lines = text if skipped else itertools.chain([first], text)
            records = _records(lines, delimiter, skipped)
            _, header = next(records, (0, []))
            for line, record in records:
                if len(record) > len(header):
                    return line, len(record), len(header)
    except (*_decompress_errors(), OSError, UnicodeDecodeError, csv.Error):
        return None
    return None


def _records(lines: Iterable[str], delimiter: str, skipped: int) -> Iterator[tuple[int, list[str]]]:
    """Each non-blank record with the line it starts on (polars skips blank lines)."""
    reader = csv.reader(lines, delimiter=delimiter)
    start = 1 + skipped
    for record in reader:
        if record:
            yield start, record
        start = reader.line_num + 1 + skipped


def _open_scanned(path: Path) -> io.BufferedIOBase:
    with path.open("rb") as probe:
        compression = _compression_from_magic(probe.read(4))
    return _open_decompressed(path, compression)  # type: ignore[return-value]


def _as_text(raw: io.BufferedIOBase) -> io.TextIOWrapper:
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
