"""Engine errors raised while streaming an input, turned into one-line messages.

Faults that only show up once polars reads the data (a long row far down the file, a
corrupt Parquet page, a truncated compressed stream) reach the user in the same words as
the checks made up front; the helpers here phrase both.
"""

from __future__ import annotations

import re

import polars as pl

from leadscore_cli.errors import DataError, InputError, LeadscoreError
from leadscore_cli.readers.source import Source
from leadscore_cli.summary import noun_for

# cp1252 rather than latin-1: the two agree on every letter, but latin-1 reads the bytes
# Windows uses for the euro sign and curly quotes (0x80-0x9f) as invisible control
# characters, silently.
ENCODING_HINT = "pass its encoding, e.g. --encoding cp1252 (Windows and Excel exports)"

_COMPRESSION_FAULTS = (
    "unexpected end of file",
    "incomplete frame",
    "data corruption",
    "corrupt deflate",
    "invalid gzip",
    "invalid deflate",
    "unknown frame descriptor",
    "truncated compressed stream",
)


def explain_polars_error(exc: Exception, source: Source) -> LeadscoreError:
    """Turn an exception raised while streaming `source` into a one-line user error."""
    if isinstance(exc, LeadscoreError):
        return exc
    name = source.name
    text = str(exc)
    lower = text.lower()
    first = _first_line(exc)

    if isinstance(exc, FileNotFoundError):
        return InputError("no such file (was it moved or deleted while reading?)", path=name)
    if isinstance(exc, pl.exceptions.NoDataError) or lower.startswith("empty csv"):
        return InputError("file is empty", path=name)
    if "invalid utf-8" in lower or "invalid utf8" in lower:
        return _invalid_utf8(source)
    if "found more fields than defined" in lower or "more fields than" in lower:
        return _long_row(source, _line_number(text))
    if "not properly escaped" in lower or "unterminated quote" in lower:
        near = _quoted_snippet(text)
        where = f" near {near}" if near else ""
        return InputError(f"malformed quoted field (unclosed or stray quote){where}", path=name)
    if "csv malformed" in lower:
        match = re.search(r"row_offset (\d+)", text)
        where = f" after data row {match.group(1)}" if match and match.group(1) != "0" else ""
        return InputError(
            f'malformed CSV{where}: probably a stray or unclosed quote (")', path=name
        )
    if "parquet" in lower and any(
        key in lower for key in ("out of specification", "corrupt", "thrift", "magic")
    ):
        return InputError(f"the Parquet file is corrupt or truncated ({first})", path=name)
    if isinstance(exc, OSError) and any(key in lower for key in _COMPRESSION_FAULTS):
        return InputError(f"the compressed file is corrupt or truncated ({first})", path=name)
    if isinstance(exc, pl.exceptions.ColumnNotFoundError):
        return DataError(f"column not found: {first}", path=name)
    if isinstance(exc, PermissionError):
        return InputError("permission denied", path=name)
    return InputError(first or type(exc).__name__, path=name)


def _invalid_utf8(source: Source) -> LeadscoreError:
    from leadscore_cli.readers.late_faults import first_invalid_utf8  # imports this module

    if source.format == "parquet":  # a column's bytes, not the file's encoding
        return _parquet_not_utf8(source)
    fault = first_invalid_utf8(source.scanned) if source.scanned else None
    where = f" (line {fault[0]}, byte 0x{fault[1]:02x})" if fault else ""
    return InputError(f"file is not valid UTF-8 text{where}; {ENCODING_HINT}", path=source.name)


def _parquet_not_utf8(source: Source) -> LeadscoreError:
    """Name the Parquet column whose bytes are not UTF-8: --encoding (a CSV option) cannot
    help. A text column out of the format's specification is a malformed file; a binary
    column is a valid file whose values cannot be read as text."""
    column, dtype = _first_column_not_utf8(source.frame)
    fix = "write it as UTF-8 text, or leave it out of the input"
    if column is None:
        return InputError(f"a text column holds bytes that are not UTF-8; {fix}", path=source.name)
    error = DataError if dtype == pl.Binary else InputError
    held = "binary" if dtype == pl.Binary else "text"
    return error(
        f"{held} column {column!r} holds bytes that are not UTF-8 text; {fix}", path=source.name
    )


def _first_column_not_utf8(frame: pl.LazyFrame) -> tuple[str | None, pl.DataType | None]:
    """The first text or binary column that fails to read as UTF-8, reading one at a time."""
    try:
        schema = frame.collect_schema()
    except (pl.exceptions.PolarsError, OSError):  # the footer itself is unreadable
        return None, None
    for column, dtype in schema.items():
        if dtype not in (pl.String, pl.Binary):
            continue
        try:
            frame.select(pl.col(column).cast(pl.String).str.len_bytes().sum()).collect()
        except pl.exceptions.PolarsError as exc:
            if "utf" in str(exc).lower():
                return column, dtype
        except OSError:  # the input went away: the message names no column
            break
    return None, None


def _long_row(source: Source, line: int | None) -> InputError:
    from leadscore_cli.readers.late_faults import first_long_row  # imports this module

    found = None
    if line is None and source.scanned and source.delimiter:
        found = first_long_row(source.scanned, source.delimiter)
    if found:
        return row_length_error(*found, source.delimiter, source.name)
    where = f"line {line}" if line else "a row"
    sep = _describe_delimiter(source.delimiter)
    return InputError(
        f"{where} has more fields than the header has columns; a value probably "
        f"contains an unquoted {sep} or line break",
        path=source.name,
    )


def row_length_error(
    line: int, fields: int, columns: int, sep: str | None, name: str
) -> InputError:
    """A row whose field count is not the header's, wherever it was found."""
    fewer_more = "fewer" if fields < columns else "more"
    return InputError(
        f"line {line} has {fields} {noun_for(fields, 'field')} but the header has {columns} "
        f"({fewer_more} fields than columns; check quoting and the "
        f"{_describe_delimiter(sep)} delimiter)",
        path=name,
    )


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _os_reason(exc: OSError) -> str:
    return exc.strerror.lower() if exc.strerror else _first_line(exc)


def _line_number(text: str) -> int | None:
    match = re.search(r"\b(?:line|row)\s*(?:number\s*)?:?\s*(\d+)", text, re.IGNORECASE)
    return int(match.group(1)) if match else None


def _quoted_snippet(text: str) -> str | None:
    match = re.search(r"Field `(.*?)` is not properly escaped", text, re.DOTALL)
    if not match:
        return None
    snippet = match.group(1)
    if len(snippet) > 40:
        snippet = snippet[:40] + "..."
    return repr(snippet)


def _describe_delimiter(sep: str | None) -> str:
    names = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
    if sep is None:
        return "delimiter"
    return names.get(sep, repr(sep))
