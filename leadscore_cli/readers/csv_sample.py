"""CSV sniffing on the sample: encoding and BOM, delimiter (or Excel's `sep=;` line),
header, and row checks.

Note on polars 2.1 behaviour worked around here: `scan_csv` raises on rows with *more*
fields than the header, but silently pads rows with *fewer* fields with nulls. Only the
first `SAMPLE_BYTES` (see `_check_rows`) and the last line (see `check_last_row`) are
checked for short rows; other short rows cannot be detected without a second pass.
"""

from __future__ import annotations

import codecs
import csv
import re
from dataclasses import dataclass
from pathlib import Path

from leadscore_cli.errors import InputError
from leadscore_cli.readers.messages import ENCODING_HINT, _describe_delimiter, row_length_error

DELIMITERS = (",", ";", "\t", "|")
TAIL_BYTES = 1 << 16  # enough for the last line of any export but the widest
_EXCEL_SEPARATOR = re.compile(r'"?sep=([\t !#-~])"?', re.IGNORECASE)  # one ASCII character
UTF8_BOM = codecs.BOM_UTF8


@dataclass(frozen=True)
class CsvLayout:
    """How to read a CSV file, as its sample shows it."""

    delimiter: str
    header: list[str] | None  # None only if the header alone is longer than the sample
    skip_lines: int = 0  # 1 when the file starts with Excel's `sep=;` line


def wide_text_mark(head: bytes) -> str | None:
    """`utf-32` or `utf-16` when `head` starts with that encoding's byte order mark.

    UTF-32 first: its little-endian mark starts with UTF-16's (`FF FE` then `00 00`)."""
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return None


def _check_sample(
    sample: bytes, at_eof: bool, name: str, forced_delimiter: str | None
) -> CsvLayout:
    """Validate encoding, header and the first rows; say how to read the file."""
    wide = wide_text_mark(sample)
    if wide:
        raise InputError(f"file looks like {wide.upper()} text; pass --encoding {wide}", path=name)
    if sample.startswith(UTF8_BOM):
        sample = sample[len(UTF8_BOM) :]
    if not sample.strip():
        raise InputError("file is empty", path=name)
    nul = sample.find(b"\x00")
    if nul != -1:  # valid UTF-8, so it would pass as one odd header; never text in an export
        line = sample[:nul].count(b"\n") + 1
        raise InputError(
            f"file holds binary data (a NUL byte on line {line}), not CSV text; "
            "if it is UTF-16 without a BOM, pass --encoding utf-16-le (or utf-16-be)",
            path=name,
        )
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(sample, final=at_eof)
    except UnicodeDecodeError as exc:
        line = sample[: exc.start].count(b"\n") + 1
        raise InputError(
            f"file is not valid UTF-8 text (line {line}, byte 0x{sample[exc.start]:02x}); "
            f"{ENCODING_HINT}",
            path=name,
        ) from None
    if "\r" in text and "\n" not in text and (at_eof or len(text) > 4096):
        raise InputError(
            "lines end with a bare carriage return (old Mac format); "
            "convert the file to LF or CRLF line endings",
            path=name,
        )
    first, newline, rest = text.partition("\n")
    announced = excel_separator(first)
    if announced is not None:  # keep the line, blank, so that line numbers stay true
        text = newline + rest
    sep = forced_delimiter or announced or detect_delimiter(text)
    header = _check_rows(text, at_eof, sep, name)
    return CsvLayout(sep, header, skip_lines=1 if announced is not None else 0)


def excel_separator(line: str) -> str | None:
    """The delimiter a `sep=;` first line announces (Excel writes and reads it), or None."""
    match = _EXCEL_SEPARATOR.fullmatch(line.rstrip("\r\n"))
    return match.group(1) if match else None


def detect_delimiter(text: str) -> str:
    """Pick the candidate that occurs most often outside quotes in the header line."""
    counts = dict.fromkeys(DELIMITERS, 0)
    in_quotes = False
    started = False
    for char in text:
        if char == '"':
            in_quotes = not in_quotes
        elif not in_quotes and char in "\r\n":
            if started:
                break
            continue  # polars skips leading blank lines
        elif not in_quotes and char in counts:
            counts[char] += 1
        started = True
    best = max(DELIMITERS, key=lambda d: counts[d])  # ties go to the earlier candidate
    return best if counts[best] else ","


def _check_rows(text: str, at_eof: bool, sep: str, name: str) -> list[str] | None:
    """Check the header, then every complete row of the sample, naming the line at fault.

    polars reports these faults late and without a line number (and pads short rows
    silently), so the sample is parsed here with polars' quoting rules: a quote is only
    special at the start of a value; an unquoted value with an odd number of quotes
    derails polars' row splitting.
    """
    lines = text.split("\n")
    if not at_eof:
        lines.pop()  # the sample may have cut the last line short
    header: list[str] | None = None
    index = 0
    while index < len(lines):
        number = index + 1
        line = lines[index]
        if '"' in line:
            record, index = _parse_quoted_record(lines, index, sep, at_eof, name)
            if record is None:
                break  # a quoted value runs past the end of the sample
        else:
            record = line.removesuffix("\r").split(sep)
            index += 1
        if record == [""]:
            continue  # blank line: polars skips it at the top, and null rows are dropped
        if header is None:
            header = record
            _check_header(header, name, sep)
        elif len(record) != len(header):
            raise row_length_error(number, len(record), len(header), sep, name)
    if header is None and at_eof:
        raise InputError("file is empty", path=name)
    return header  # None only if the header alone is longer than the sample


def _parse_quoted_record(
    lines: list[str], index: int, sep: str, at_eof: bool, name: str
) -> tuple[list[str] | None, int]:
    """Split one record that contains quotes; it may span lines. Returns (fields, next)."""
    number = index + 1
    line = lines[index]
    fields: list[str] = []
    pos = 0
    while True:
        if line.startswith('"', pos):
            search = pos + 1
            while True:
                close = line.find('"', search)
                if close == -1:
                    if index + 1 >= len(lines):
                        if not at_eof:
                            return None, index + 1
                        raise InputError(
                            f"line {number} opens a quoted value that is never closed",
                            path=name,
                        )
                    index += 1
                    line = line + "\n" + lines[index]
                elif line.startswith('"', close + 1):
                    search = close + 2  # "" is an escaped quote
                else:
                    break
            fields.append(line[pos + 1 : close].replace('""', '"'))
            pos = close + 1
            rest = line[pos:]
            if rest in ("", "\r"):
                return fields, index + 1
            if not rest.startswith(sep):
                raise InputError(
                    f"line {index + 1} has text right after a closing quote", path=name
                )
            pos += len(sep)
        else:
            end = line.find(sep, pos)
            value = line[pos:] if end == -1 else line[pos:end]
            if value.count('"') % 2:
                raise InputError(
                    f'line {index + 1} has a stray quote (") inside an unquoted value; '
                    "values containing quotes must be quoted, with inner quotes doubled",
                    path=name,
                )
            if end == -1:
                fields.append(value.removesuffix("\r"))
                return fields, index + 1
            fields.append(value)
            pos = end + len(sep)


def _check_header(header: list[str], name: str, sep: str | None = None) -> None:
    """Column names must be unique and not blank: messages and models refer to them."""
    seen: dict[str, int] = {}
    for position, column in enumerate(header, start=1):
        if not column.strip():
            raise InputError(
                f"column {position} has a blank name in the header"
                + _trailing_delimiter_hint(header, position, sep),
                path=name,
            )
        if column in seen:
            raise InputError(
                f"duplicate column name {column!r} (columns {seen[column]} and {position})",
                path=name,
            )
        seen[column] = position


def _trailing_delimiter_hint(header: list[str], position: int, sep: str | None) -> str:
    """Explain a blank last name: the header line ends with a delimiter, as some tools write."""
    if sep is None or position != len(header) or position == 1:
        return ""
    return (
        f": the header line ends with a {_describe_delimiter(sep)}; remove the trailing "
        "delimiter from every line, or name the column"
    )


def check_last_row(path: Path, layout: CsvLayout, name: str) -> None:
    """Refuse an uncompressed file whose last line has fewer fields than the header.

    That is what an export cut short looks like (a copy or a `gzip -dc |` that stopped
    early), and polars would pad it with nulls: a lead with a cut id and empty fields.
    A last line with an odd number of quotes ends a value that started lines above (or
    leaves one open, which the scan refuses), so it is left to the scan, as is one
    longer than `TAIL_BYTES`; with an even number it is a whole record, read as CSV:
    many CRMs quote every field.
    """
    header = layout.header
    if header is None:
        return
    line, breaks_after = _last_line(path)
    if line is None or line.count('"') % 2:
        return
    fields = next(csv.reader([line], delimiter=layout.delimiter), [])
    if len(fields) >= len(header) or not any(fields):  # a line of empty cells is skipped
        return
    try:
        number = _line_breaks(path) - breaks_after + 1
    except OSError:
        return  # the scan reports a file that cannot be read
    error = row_length_error(number, len(fields), len(header), layout.delimiter, name)
    cut = "; the file ends in the middle of a line: was it cut short?" if not breaks_after else ""
    raise InputError(error.message + cut, path=name)


def _line_breaks(path: Path) -> int:
    """How many line breaks a file holds: read only once a fault needs its line number."""
    breaks = 0
    with path.open("rb") as handle:
        while chunk := handle.read(TAIL_BYTES * 16):
            breaks += chunk.count(b"\n")
    return breaks


def _last_line(path: Path) -> tuple[str | None, int]:
    """The last non-blank line of a UTF-8 file, and how many line breaks follow its start
    (0 when the file ends in the middle of it).

    None when that line does not fit in the last `TAIL_BYTES` or is not UTF-8 text."""
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, 2)
            handle.seek(max(size - TAIL_BYTES, 0))
            tail = handle.read()
    except OSError:
        return None, 0
    start = tail.rstrip(b"\r\n").rfind(b"\n") + 1
    if start == 0 and size > len(tail):
        return None, 0
    last = tail[start:]
    try:
        return last.rstrip(b"\r\n").decode("utf-8"), last.count(b"\n")
    except UnicodeDecodeError:
        return None, 0
