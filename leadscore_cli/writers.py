"""Write results atomically: a reader of the destination sees the old file or the new one.

Output is streamed to a hidden temp file next to the destination and renamed over it
only after everything (including the caller's `before_commit` check) succeeded, so a
failed or interrupted run never leaves a half-written file behind. For stdout the
output is spooled and printed only at the end, so a failure prints nothing partial.

polars 2.1 note on `also`: `pl.collect_all([sink, *also])` with common-subplan
elimination (the default) reads the input once, but does not apply backpressure
between the branches: when the sink (notably CSV) is slower than the aggregations, the
shared scan is buffered and memory grows with the input (measured ~1.8 GB for a 4 GB
CSV). So by default the branches are planned separately (bounded memory, input read
once per branch); `share_scan=True` restores the single read, which stays bounded when
the sink keeps up with the scan, as the Parquet writer does with a CSV input (a Parquet
input is read faster than it is written, and buffered again).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import polars as pl

from leadscore_cli.errors import OutputError, UsageError
from leadscore_cli.fields import has_text_form
from leadscore_cli.stopping import committing, stoppable

__all__ = [
    "atomic_path",
    "check_csv_columns",
    "check_destination",
    "check_distinct",
    "check_segment_folder",
    "output_format",
    "refuse_overwriting",
    "sink_atomic",
    "sink_segments_atomic",
]

STDOUT = "-"
STDOUT_NAME = "<stdout>"
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")
COMPRESSION_SUFFIXES: dict[str, Literal["gzip", "zstd"]] = {".gz": "gzip", ".zst": "zstd"}
# errno values that always mean "the destination cannot take the data".
_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM}

Format = Literal["csv", "parquet"]


def output_format(dest: str, format: str | None = None) -> Format:
    """Decide the output format from `format`, else from the destination's extension.

    A name that says no format is a bad option value (a usage error), not a fault of
    the place written to: the file could be written, under a name that says what it is.
    """
    if format is not None:
        value = format.strip().lower()
        if value not in ("csv", "parquet"):
            raise UsageError(f"unknown output format {format!r}; use csv or parquet", path=dest)
        implied = None if dest == STDOUT else _implied_format(dest)
        if implied is not None and implied != value:
            raise UsageError(f"--format {value} contradicts the file name {dest!r}")
        return value  # type: ignore[return-value]
    implied = _implied_format(dest)
    if implied is not None:
        return implied
    raise UsageError(
        "cannot tell the output format from the file name; use .csv, .tsv, .txt "
        "(optionally + .gz or .zst), .parquet or .pq, or pass --format",
        path=dest,
    )


def _implied_format(dest: str) -> Format | None:
    """The format a destination's extension names (CSV for stdout), or None."""
    if dest == STDOUT:
        return "csv"
    suffixes = _suffixes(dest)
    if suffixes and suffixes[-1] in PARQUET_SUFFIXES:
        return "parquet"
    if suffixes and suffixes[-1] in COMPRESSION_SUFFIXES:
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in CSV_SUFFIXES:
        return "csv"
    return None


def check_destination(dest: str, inputs: Mapping[str, Path | None]) -> None:
    """Fail before any work if `dest` cannot be written or would overwrite a file the run
    reads; `inputs` maps what each file is ("input file", "model file") to its path."""
    if dest == STDOUT:
        return
    refuse_overwriting(dest, inputs)
    _check_target(Path(dest).expanduser(), dest)


def refuse_overwriting(dest: str, inputs: Mapping[str, Path | None]) -> None:
    """Only the part of `check_destination` that protects the files a run reads."""
    if dest == STDOUT:
        return
    if not dest.strip():
        raise UsageError("an output path is empty; give a file name, or - for stdout")
    target = Path(dest).expanduser()
    for label, source in inputs.items():
        if source is not None and _same_file(target, source):
            raise OutputError(f"refusing to write over the {label}", path=dest)


def check_distinct(destinations: Mapping[str, str | None]) -> None:
    """Fail when two options name the same file: the later write would replace the other.

    `destinations` maps each option (e.g. "-o", "--manifest") to its path, or None."""
    seen: dict[Path | str, str] = {}
    for option, dest in destinations.items():
        if dest is None:
            continue
        key: Path | str = STDOUT if dest == STDOUT else Path(dest).expanduser().resolve()
        if key in seen:
            raise UsageError(f"{seen[key]} and {option} both name {dest!r}; give each its own file")
        seen[key] = option


def sink_atomic(
    frame: pl.LazyFrame,
    dest: str,
    *,
    format: str | None = None,
    also: Sequence[pl.LazyFrame] = (),
    before_commit: Callable[[list[pl.DataFrame]], None] | None = None,
    parquet_metadata: dict[str, str] | None = None,
    share_scan: bool = False,
) -> list[pl.DataFrame]:
    """Stream `frame` to `dest` atomically, computing the `also` frames alongside (in the
    same pass with `share_scan`, else in a pass of their own: see `_run_with_summaries`).

    `before_commit` receives the collected `also` frames and may raise to abort: then
    nothing is written. Returns the collected `also` frames. Errors raised by polars
    while reading the input are re-raised unchanged (see `readers.explain_polars_error`);
    problems writing the destination become `OutputError`.
    """
    fmt = output_format(dest, format)
    to_stdout = dest == STDOUT
    name = STDOUT_NAME if to_stdout else dest
    target = None if to_stdout else Path(dest).expanduser()
    if target is not None:
        _check_target(target, dest)
    if fmt == "csv":
        check_csv_columns(frame, name)
    folder = _make_temp_folder(target, name)
    tmp = folder / (target.name if target is not None else "stdout")
    try:
        sink = _lazy_sink(frame, tmp, dest, fmt, parquet_metadata)
        try:
            extra = _run_with_summaries(sink, also, share_scan, before_commit)
        except OSError as exc:
            if _is_output_fault(exc, tmp):
                raise OutputError(f"cannot write: {_reason(exc)}", path=name) from exc
            raise
        if target is None:
            _copy_to_stdout(tmp)
        else:
            _commit(tmp, target, dest)
        return extra
    finally:
        _remove_temp_folder(folder)  # after a commit it holds nothing


@contextmanager
def atomic_path(dest: str | Path) -> Iterator[Path]:
    """Yield a temp path next to `dest`; it replaces `dest` on success, vanishes on failure.

    For small files (models, JSON reports) written with ordinary file APIs.
    `dest == "-"` writes the finished file to stdout instead.
    """
    dest_str = os.fspath(dest)
    to_stdout = dest_str == STDOUT
    name = STDOUT_NAME if to_stdout else dest_str
    target = None if to_stdout else Path(dest_str).expanduser()
    if target is not None:
        _check_target(target, dest_str)
    tmp = _make_temp(target, name)
    try:
        yield tmp
        if target is None:
            _copy_to_stdout(tmp)
        else:
            _commit(tmp, target, dest_str)
    finally:
        tmp.unlink(missing_ok=True)


def check_csv_columns(
    frame: pl.LazyFrame, name: str, parquet_how: str = "a .parquet name, or --format parquet"
) -> None:
    """Refuse, before any work, columns a CSV cell cannot hold, naming them all.

    A Parquet input may pass lists, structs, durations or raw bytes through to the
    output; the CSV writer would only fail once the data streams, naming none of them.
    `parquet_how` says how this destination is made Parquet instead.
    """
    unwritable = [
        f"{column!r} ({str(dtype.base_type()).lower()})"
        for column, dtype in frame.collect_schema().items()
        if not _csv_can_hold(dtype)
    ]
    if unwritable:
        one = len(unwritable) == 1
        raise OutputError(
            f"CSV cannot hold {'column' if one else 'columns'} {', '.join(unwritable)}; "
            f"write Parquet ({parquet_how}) or leave "
            f"{'it' if one else 'them'} out of the input",
            path=name,
        )


def _csv_can_hold(dtype: pl.DataType) -> bool:
    return has_text_form(dtype) and dtype != pl.Binary  # bytes are no CSV text


SEGMENT_SUFFIXES = {"csv": ".csv", "parquet": ".parquet"}
# Files a file browser drops into any folder it shows: replacing them loses nothing.
OS_LITTER = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})


def segment_file_name(key: str, value: object, index: int, fmt: Format) -> str:
    """`grade=A.csv`, or `grade=A-1.csv` for a segment's second file."""
    extra = f"-{index}" if index else ""
    return f"{key}={value}{extra}{SEGMENT_SUFFIXES[fmt]}"


def segment_names(segments: Mapping[str, Iterable[object]]) -> re.Pattern[str]:
    """The names `segment_file_name` gives the segments of these keys and values."""
    names = [
        f"{re.escape(key)}={re.escape(str(value))}"
        for key, values in segments.items()
        for value in values
    ]
    if not names:
        return re.compile(r"(?!)")  # no segments: no name is one
    suffixes = "|".join(re.escape(s) for s in SEGMENT_SUFFIXES.values())
    return re.compile(rf"(?:{'|'.join(names)})(?:-[1-9][0-9]*)?(?:{suffixes})")


def check_segment_folder(dest: str, segments: Mapping[str, Iterable[object]]) -> None:
    """Refuse a folder that holds anything but segment files of the keys and values in
    `segments` (`{"tier": ["sql", "cold"]}`: `tier=sql.csv`, `tier=cold-1.parquet`).

    The folder is replaced as a whole, so whatever else is in it would be deleted:
    `-o ~/reports` must not cost the user their reports, nor `tier=my notes.csv` its
    owner's notes because the name looks like a segment's.
    """
    target = Path(dest).expanduser()
    if not target.is_dir():
        return
    pattern = segment_names(segments)
    try:
        entries = sorted(target.iterdir())
    except OSError as exc:
        raise OutputError(f"cannot read the folder: {_reason(exc)}", path=dest) from exc
    foreign = [
        p.name
        for p in entries
        if not (pattern.fullmatch(p.name) and _is_plain_file(p)) and p.name not in OS_LITTER
    ]
    if foreign:
        more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
        raise OutputError(
            f"folder holds files other than this model's segment files ({foreign[0]}{more}); "
            "give a new or empty folder",
            path=dest,
        )


def sink_segments_atomic(
    frame: pl.LazyFrame,
    dest: str,
    *,
    key: str,
    format: str = "csv",
    also: Sequence[pl.LazyFrame] = (),
    before_commit: Callable[[list[pl.DataFrame]], None] | None = None,
    segments: Mapping[str, Iterable[object]] | None = None,
    parquet_metadata: dict[str, str] | None = None,
) -> tuple[list[pl.DataFrame], list[str]]:
    """Write one file per value of `key` into the folder `dest` (`dest/grade=A.csv`).

    The files are streamed into a hidden temp folder next to `dest`, which then takes
    the place of `dest` as a whole: readers see the old set of files or the new one.
    `dest` may hold only the files named in `segments` (every key and value an earlier
    run may have split by, `key` included); anything else is refused rather than deleted.
    """
    fmt = output_format(STDOUT, format)  # a folder's name says nothing of its files' format
    target = Path(dest).expanduser()
    if target.exists() and not target.is_dir():
        raise OutputError("--split-by writes a folder, but this is a file", path=dest)
    if fmt == "csv":
        check_csv_columns(frame, dest)
    check_segment_folder(dest, segments or {})
    _check_target(target.parent / ".probe", dest)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    except OSError as exc:
        raise OutputError(f"cannot create a temp folder: {_reason(exc)}", path=dest) from exc

    def file_name(args: pl.io.partition.FileProviderArgs) -> str:
        # relative to the partition's base path (tmp): polars joins the two, so returning
        # `tmp / name` nests a second temp folder inside the first when `dest` is relative
        value = args.partition_keys.item(0, 0)
        return segment_file_name(key, value, args.index_in_partition, fmt)

    partition = pl.PartitionBy(
        tmp, key=key, file_path_provider=file_name, approximate_bytes_per_file=None
    )
    try:
        if fmt == "parquet":
            sink = frame.sink_parquet(partition, metadata=parquet_metadata, lazy=True)
        else:
            sink = shortest_floats(frame).sink_csv(partition, float_scientific=False, lazy=True)
        extra = _run_with_summaries(sink, also, False, before_commit)
        files = sorted(str(target / p.name) for p in tmp.iterdir())
        # mkdtemp makes the folder private (0700); give it the mode a new folder would get
        os.chmod(tmp, 0o777 & ~_umask())
        _swap_folder(tmp, target, dest)
        return extra, files
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _swap_folder(tmp: Path, target: Path, dest: str) -> None:
    """Put the finished folder in place of `dest`, keeping the old one until it is there."""
    old = None
    try:
        committing()
        if target.exists():
            old = target.parent / f".{target.name}.{os.getpid()}.old"
            os.replace(target, old)
        os.replace(tmp, target)
    except OSError as exc:
        if old is not None and old.exists() and not target.exists():
            os.replace(old, target)
        raise OutputError(f"cannot write: {_reason(exc)}", path=dest) from exc
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    _fsync_folder(target.parent)


# --- helpers -------------------------------------------------------------------------


def _run_with_summaries(
    sink: pl.LazyFrame,
    also: Sequence[pl.LazyFrame],
    share_scan: bool,
    check: Callable[[list[pl.DataFrame]], None] | None,
) -> list[pl.DataFrame]:
    """Run a lazy sink and the summary frames, `check` the summaries, return them.

    With `share_scan`, one pass over the input feeds the sink and the summaries. A
    shared scan buffers the input for whichever branch lags, and a CSV writer lags
    behind aggregations, so memory would grow with the input: there the summaries run
    first, in one pass of their own, and are checked before the sink runs alone (bad
    data then stops the run before anything is written). Each query is `stoppable`:
    SIGTERM stops it like Ctrl-C, and the caller's cleanup removes the temp file.
    """
    if share_scan or not also:
        summaries = list(stoppable(lambda: pl.collect_all([sink, *also]))[1:])
        if check is not None:
            check(summaries)
        return summaries
    summaries = list(stoppable(lambda: pl.collect_all(list(also))))
    if check is not None:
        check(summaries)
    stoppable(lambda: pl.collect_all([sink]))
    return summaries


def _suffixes(dest: str) -> list[str]:
    return [suffix.lower() for suffix in Path(dest).suffixes]


def _csv_options(dest: str) -> tuple[str, Literal["uncompressed", "gzip", "zstd"]]:
    """Separator and compression for a CSV destination, from its extension."""
    suffixes = _suffixes(dest) if dest != STDOUT else []
    compression: Literal["uncompressed", "gzip", "zstd"] = "uncompressed"
    if suffixes and suffixes[-1] in COMPRESSION_SUFFIXES:
        compression = COMPRESSION_SUFFIXES[suffixes.pop()]
    separator = "\t" if suffixes and suffixes[-1] == ".tsv" else ","
    return separator, compression


def _lazy_sink(
    frame: pl.LazyFrame,
    tmp: Path,
    dest: str,
    fmt: Format,
    parquet_metadata: dict[str, str] | None,
) -> pl.LazyFrame:
    if fmt == "parquet":
        return frame.sink_parquet(tmp, metadata=parquet_metadata, lazy=True)
    separator, compression = _csv_options(dest)
    return shortest_floats(frame).sink_csv(
        tmp,
        separator=separator,
        compression=compression,
        check_extension=False,  # the temp file's name need not end in .csv
        include_bom=False,
        include_header=True,
        float_scientific=False,  # 0.0000123, never 1.23e-5
        lazy=True,
    )


def shortest_floats(frame: pl.LazyFrame) -> pl.LazyFrame:
    """32-bit float columns (a Parquet input's) as the numbers they were written as.

    Without scientific notation, polars writes a 32-bit float's exact binary value in
    CSV: `0.1` came out as `0.10000000149011612`. The shortest text that reads back as
    the same 32-bit value, widened to 64 bits, is written as it reads: `0.1`.
    """
    narrow = [name for name, dtype in frame.collect_schema().items() if dtype == pl.Float32]
    if not narrow:
        return frame
    return frame.with_columns(pl.col(narrow).cast(pl.String).cast(pl.Float64))


def _check_target(target: Path, dest: str) -> None:
    if target.is_dir():
        raise OutputError("is a directory, not a file", path=dest)
    if target.exists() and not target.is_file():  # the rename would replace the device
        raise OutputError(
            "is a device or a pipe, not a file; write to stdout with -o - and redirect it",
            path=dest,
        )
    folder = target.parent
    if not folder.exists():
        raise OutputError(f"folder {str(folder)!r} does not exist", path=dest)
    if not folder.is_dir():
        raise OutputError(f"{str(folder)!r} is not a folder", path=dest)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"folder {str(folder)!r} is not writable (permission denied)", path=dest)


def _is_plain_file(path: Path) -> bool:
    """A regular file, not a folder or a link: only those can be a run's segments."""
    return path.is_file() and not path.is_symlink()


def _same_file(target: Path, source: Path) -> bool:
    try:
        return target.exists() and os.path.samefile(target, source)
    except OSError:
        return target.resolve() == source.expanduser().resolve()


def _make_temp(target: Path | None, name: str) -> Path:
    """Create `.{dest_name}.{random}.tmp` next to the destination (or in TMPDIR for stdout)."""
    try:
        if target is None:
            fd, raw = tempfile.mkstemp(prefix=".leadscore-stdout.", suffix=".tmp")
        else:
            fd, raw = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise OutputError(f"cannot create a temp file: {_reason(exc)}", path=name) from exc
    os.close(fd)
    return Path(raw)


def _make_temp_folder(target: Path | None, name: str) -> Path:
    """Create `.{dest_name}.{random}.tmp/` next to the destination (TMPDIR for stdout).

    A stream is written into a folder of its own rather than to a temp file: when a
    run is stopped, polars may still create its file after the query has returned, and
    a file removed too early would then come back. Once the folder is gone, it cannot."""
    try:
        if target is None:
            raw = tempfile.mkdtemp(prefix=".leadscore-stdout.", suffix=".tmp")
        else:
            raw = tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise OutputError(f"cannot create a temp folder: {_reason(exc)}", path=name) from exc
    return Path(raw)


def _remove_temp_folder(folder: Path) -> None:
    """Remove the temp folder and whatever a stopped stream left in it.

    Retried for a moment: a writer that outlived its query can still be adding the file,
    which makes a removal fail. A Ctrl-C that lands meanwhile waits for the removal."""
    interrupted: BaseException | None = None
    for _ in range(200):
        try:
            shutil.rmtree(folder, ignore_errors=True)
            if not folder.exists():
                break
            time.sleep(0.01)
        except KeyboardInterrupt as exc:
            interrupted = exc
    if interrupted is not None:
        raise interrupted


def _commit(tmp: Path, target: Path, dest: str) -> None:
    """Give the temp file the mode a new file would get, fsync it, rename it over `dest`."""
    try:
        try:
            mode = stat.S_IMODE(target.stat().st_mode)  # keep an existing file's mode
        except FileNotFoundError:
            mode = 0o666 & ~_umask()
        os.chmod(tmp, mode)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        committing()
        os.replace(tmp, target)
    except OSError as exc:
        raise OutputError(f"cannot write: {_reason(exc)}", path=dest) from exc
    _fsync_folder(target.parent)


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable; not every platform or filesystem allows it."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _copy_to_stdout(tmp: Path) -> None:
    committing()  # once data flows, a stop lets the copy finish rather than cut it short
    try:
        with tmp.open("rb") as handle:
            shutil.copyfileobj(handle, sys.stdout.buffer, 1 << 20)
        sys.stdout.buffer.flush()
    except OSError as exc:
        if reader_left(exc):
            raise BrokenPipeError(errno.EPIPE, "the reader closed stdout") from exc
        raise OutputError(f"cannot write: {_reason(exc)}", path=STDOUT_NAME) from exc


def reader_left(exc: BaseException) -> bool:
    """Whether writing stdout failed because its reader closed it (`... -o - | head`).

    That is not a fault: the reader has all it wanted. Then stdout is pointed at
    /dev/null, so that Python's last flush does not complain either; the caller lets a
    BrokenPipeError rise, which the CLI ends with exit 0. (polars reports the closed
    pipe as a plain error naming "os error 32".)"""
    if not (isinstance(exc, BrokenPipeError) or "(os error 32)" in str(exc)):
        return False
    silence_stdout()
    return True


def silence_stdout() -> None:
    """Point stdout at /dev/null: its reader has gone, and later writes must not fail."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _is_output_fault(exc: OSError, tmp: Path) -> bool:
    """polars raises plain OSError for input faults too (e.g. a truncated gzip input)."""
    text = str(exc)
    if str(tmp) in text or tmp.name in text:
        return True
    if exc.errno in _OUTPUT_ERRNOS:
        return True
    return any(f"(os error {code})" in text for code in _OUTPUT_ERRNOS)


def _reason(exc: OSError) -> str:
    if exc.strerror:
        return exc.strerror.lower()
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
