"""From the bytes on disk to UTF-8 text: compression, the up-front sample and transcoding.

The sample is what the CSV checks read; a file in another encoding is transcoded to a
UTF-8 temp copy, which is what the scan reads.
"""

from __future__ import annotations

import codecs
import gzip
import io
import sys
import zlib
from pathlib import Path
from typing import IO

from leadscore_cli.errors import InputError
from leadscore_cli.readers.csv_sample import wide_text_mark
from leadscore_cli.readers.messages import _COMPRESSION_FAULTS, _first_line, _os_reason
from leadscore_cli.readers.source import Compression
from leadscore_cli.readers.temp_files import _COPY_CHUNK, _TempFiles

SAMPLE_BYTES = 1 << 20
"""How much of the (decompressed) input is read up front for detection and checks."""

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def _compression_from_magic(head: bytes) -> Compression | None:
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    return None


def _open_decompressed(path: Path, compression: Compression | None) -> IO[bytes]:
    if compression == "gzip":
        return gzip.open(path, "rb")
    if compression == "zstd":
        import pyarrow as pa  # loaded only for zstd input: it takes a tenth of a second

        raw = pa.CompressedInputStream(pa.OSFile(str(path)), "zstd")
        return io.BufferedReader(raw, _COPY_CHUNK)  # type: ignore[arg-type]
    return path.open("rb")


def _decompress_errors() -> tuple[type[BaseException], ...]:
    errors: tuple[type[BaseException], ...] = (EOFError, zlib.error, gzip.BadGzipFile)
    arrow = sys.modules.get("pyarrow")  # without it loaded, no arrow error can be raised
    return (*errors, arrow.ArrowException) if arrow else errors


def _read_sample(
    path: Path, compression: Compression | None, name: str, limit: int = SAMPLE_BYTES
) -> tuple[bytes, bool]:
    """Read up to `limit` bytes of decompressed data; also say whether that is all of it."""
    try:
        with _open_decompressed(path, compression) as handle:
            data = handle.read(limit + 1)
    except _decompress_errors() as exc:
        raise InputError(
            f"the compressed file is corrupt or truncated ({_first_line(exc)})", path=name
        ) from exc
    except OSError as exc:
        # pyarrow's zstd stream raises a plain OSError ("Truncated compressed stream")
        if compression is not None and any(k in str(exc).lower() for k in _COMPRESSION_FAULTS):
            raise InputError(
                f"the compressed file is corrupt or truncated ({_first_line(exc)})", path=name
            ) from exc
        raise InputError(f"cannot read file: {_os_reason(exc)}", path=name) from exc
    return data[:limit], len(data) <= limit


def _codec_for_bom(
    path: Path, compression: Compression | None, codec: str, name: str
) -> str | None:
    """The codec to read with, once the file's byte order mark is known: None (UTF-8)
    for a UTF-8 mark, whatever --encoding says.

    The mark settles it: read as cp1252, it would become `ï»¿` at the start of the first
    column's name and every accented letter would turn into two. A UTF-16 mark under
    another --encoding (UTF-32's too) is refused with the encoding to pass, as without
    --encoding.
    """
    head, _ = _read_sample(path, compression, name, limit=4)
    if head.startswith(codecs.BOM_UTF8):
        return None
    wide = wide_text_mark(head)
    if wide and not codec.startswith(wide):
        raise InputError(
            f"file starts with a {wide.upper()} byte order mark, not {codec} text; "
            f"pass --encoding {wide}",
            path=name,
        )
    return codec


def _transcode(
    path: Path,
    compression: Compression | None,
    codec: str,
    encoding: str,
    name: str,
    temps: _TempFiles,
) -> Path:
    """Stream `path` from `codec` to a UTF-8 temp file, chunk by chunk."""
    out, tmp = temps.new(".csv")
    try:
        with (
            out,
            _open_decompressed(path, compression) as raw,
            io.TextIOWrapper(raw, encoding=codec, newline="") as text,
        ):
            while chunk := text.read(_COPY_CHUNK):
                out.write(chunk.encode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(f"file is not valid {encoding} text ({exc.reason})", path=name) from exc
    except UnicodeError as exc:  # utf-16 and utf-32 need a byte order mark to start with
        raise InputError(
            f"file is not valid {encoding} text ({exc}); without a byte order mark, "
            f"pass --encoding {codec}-le or {codec}-be",
            path=name,
        ) from exc
    except _decompress_errors() as exc:
        raise InputError(
            f"the compressed file is corrupt or truncated ({_first_line(exc)})", path=name
        ) from exc
    except OSError as exc:
        raise InputError(f"cannot transcode file: {_os_reason(exc)}", path=name) from exc
    return tmp
