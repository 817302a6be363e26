"""Open CRM exports (CSV or Parquet, from a file or stdin) as lazy polars scans.

Everything that can be checked cheaply is checked up front, so that most user mistakes
(wrong encoding, duplicated header, truncated file) fail before scoring starts with a
one-line message naming the file. Faults that only show up while streaming are turned
into the same kind of message by `explain_polars_error`.

`opening` holds `open_source`, `source` what it returns, `temp_files` the spooled and
transcoded copies, `decoding` compression, the sample and transcoding, `csv_sample` the
checks on that sample, `scans` the polars scans, `messages` the one-line messages and
`late_faults` the second read that finds the line of a fault polars reports without one.
"""

from leadscore_cli.readers.decoding import SAMPLE_BYTES
from leadscore_cli.readers.messages import explain_polars_error
from leadscore_cli.readers.opening import open_source
from leadscore_cli.readers.source import Source

__all__ = ["SAMPLE_BYTES", "Source", "explain_polars_error", "open_source"]
