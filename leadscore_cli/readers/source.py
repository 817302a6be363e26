"""What an opened input is: the lazy scan, and what messages about it need to name."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl

Format = Literal["csv", "parquet"]
Compression = Literal["gzip", "zstd"]


@dataclass
class Source:
    """An opened input: a lazy scan plus what the user needs to see in messages."""

    name: str  # what to show the user: the path, or "<stdin>"
    path: Path | None  # the real file given (None for stdin); used to refuse writing over it
    format: Format
    frame: pl.LazyFrame  # lazy scan; nothing read yet except what detection needed
    delimiter: str | None = None  # CSV only: the separator used
    compression: Compression | None = None  # CSV only: detected from magic bytes
    spool: Path | None = None  # stdin or a pipe copied to disk: what was read, while open
    scanned: Path | None = None  # CSV only: the file the scan reads (input, spool or UTF-8 copy)
