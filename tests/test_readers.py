"""Tests for leadscore_cli.readers: detection paths, up-front checks, streaming errors."""

from __future__ import annotations

import codecs
import datetime as dt
import gzip
import io
import json
import os
import string
import sys
import tempfile
import threading
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadscore_cli import readers
from leadscore_cli.errors import DataError, InputError, UsageError
from leadscore_cli.readers import SAMPLE_BYTES, Source, explain_polars_error, open_source
from tests.conftest import SAMPLE

FILLER_ROWS = SAMPLE_BYTES // len(b"1,abc\n") + 1000  # enough rows to push past the sample


def write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def zstd_bytes(data: bytes) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.CompressedOutputStream(sink, "zstd") as out:
        out.write(data)
    return sink.getvalue().to_pybytes()


def read_all(path: str, **options: str) -> tuple[Source, pl.DataFrame]:
    with open_source(path, **options) as source:
        return source, source.frame.collect()


def input_error(path: str, **options: str) -> InputError:
    with pytest.raises(InputError) as info, open_source(path, **options) as source:
        source.frame.collect()
    return info.value


def streaming_error(path: str) -> InputError:
    """Open (which must succeed), then fail while streaming; return the explained error."""
    with open_source(path) as source:
        with pytest.raises(Exception) as info:
            source.frame.collect()
        error = explain_polars_error(info.value, source)
    assert isinstance(error, InputError)
    assert error.path == path
    assert "\n" not in str(error)
    return error


@pytest.fixture
def private_tmpdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point tempfile at an empty folder so leftover temp files can be seen."""
    folder = tmp_path / "tmpdir"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


# --- delimiter, compression, BOM and encoding detection -----------------------------


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_detects_each_delimiter(tmp_path: Path, sep: str) -> None:
    data = sep.join(["id", "name", "city"]) + "\n" + sep.join(["007", "Ann", "Oslo"]) + "\n"
    source, df = read_all(write(tmp_path / "leads.csv", data.encode()))
    assert source.delimiter == sep
    assert df.columns == ["id", "name", "city"]
    assert df.row(0) == ("007", "Ann", "Oslo")


def test_delimiter_detection_ignores_quoted_candidates(tmp_path: Path) -> None:
    path = write(tmp_path / "q.csv", b'"a;b;c";"d,e"\n1;2\n')
    source, df = read_all(path)
    assert source.delimiter == ";"
    assert df.columns == ["a;b;c", "d,e"]


def test_delimiter_detection_skips_leading_blank_lines(tmp_path: Path) -> None:
    source, df = read_all(write(tmp_path / "x.csv", b"\n\r\nid;name\n1;a\n"))
    assert source.delimiter == ";"
    assert df.rows() == [("1", "a")]


def test_delimiter_option_overrides_detection(tmp_path: Path) -> None:
    path = write(tmp_path / "x.csv", b"a;b|c\n1;2|3\n")
    source, df = read_all(path, delimiter="|")
    assert source.delimiter == "|"
    assert df.columns == ["a;b", "c"]


@pytest.mark.parametrize("bad", [";;", "", '"'])
def test_bad_delimiter_option_is_usage_error(tmp_path: Path, bad: str) -> None:
    path = write(tmp_path / "x.csv", b"a,b\n1,2\n")
    with pytest.raises(UsageError), open_source(path, delimiter=bad):
        pass


def test_tab_alias(tmp_path: Path) -> None:
    source, df = read_all(write(tmp_path / "x.tsv", b"a\tb\n1\t2\n"), delimiter="tab")
    assert source.delimiter == "\t"
    assert df.columns == ["a", "b"]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sep=st.sampled_from([",", ";", "\t", "|"]),
    columns=st.lists(
        st.text(string.ascii_letters + "_", min_size=1, max_size=8),
        min_size=1,
        max_size=5,
        unique=True,
    ),
    data=st.data(),
)
def test_delimiter_round_trip(tmp_path: Path, sep: str, columns: list[str], data) -> None:
    """Whatever polars writes with any candidate separator reads back identically."""
    alphabet = string.ascii_letters + string.digits + ' ,;|\t"\n-.€é'
    cell = st.one_of(st.none(), st.text(alphabet, max_size=12))
    rows = data.draw(st.lists(st.tuples(*[cell] * len(columns)), min_size=1, max_size=6))
    df = pl.DataFrame(rows, schema=dict.fromkeys(columns, pl.String), orient="row")
    path = tmp_path / f"rt{abs(hash((sep, tuple(columns))))}.csv"
    df.write_csv(path, separator=sep)
    expected = df.with_columns(
        pl.when(pl.col(c) != "").then(pl.col(c)).alias(c) for c in columns
    ).filter(pl.any_horizontal(pl.all().is_not_null()))
    # One column has no separator in its header to detect: the user must say it.
    options = {} if len(columns) > 1 else {"delimiter": sep}
    source, got = read_all(str(path), **options)
    assert source.delimiter == sep
    assert got.equals(expected)


def test_gzip_detected_by_magic_without_extension(tmp_path: Path) -> None:
    path = write(tmp_path / "export.dat", gzip.compress(b"id,name\n1,a\n2,b\n"))
    source, df = read_all(path)
    assert source.format == "csv"
    assert source.compression == "gzip"
    assert df["name"].to_list() == ["a", "b"]


def test_zstd_detected_by_magic(tmp_path: Path) -> None:
    path = write(tmp_path / "export.csv.zst", zstd_bytes(b"id;name\n1;a\n2;b\n"))
    source, df = read_all(path)
    assert source.compression == "zstd"
    assert source.delimiter == ";"
    assert df["name"].to_list() == ["a", "b"]


def test_extension_alone_does_not_imply_compression(tmp_path: Path) -> None:
    source, df = read_all(write(tmp_path / "plain.csv.gz", b"id\n1\n"))
    assert source.compression is None
    assert df["id"].to_list() == ["1"]


@pytest.mark.parametrize("compress", [lambda b: b, gzip.compress, zstd_bytes])
def test_bom_never_reaches_first_column_name(tmp_path: Path, compress) -> None:
    path = write(tmp_path / "bom.csv", compress(codecs.BOM_UTF8 + b"id;name\n1;a\n"))
    source, df = read_all(path)
    assert df.columns == ["id", "name"]
    assert source.delimiter == ";"


def test_latin1_with_encoding(tmp_path: Path) -> None:
    path = write(tmp_path / "l1.csv", "id,city\n1,Malmö\n2,café\n".encode("latin-1"))
    _, df = read_all(path, encoding="latin-1")
    assert df["city"].to_list() == ["Malmö", "café"]


def test_cp1252_gzip_with_encoding(tmp_path: Path) -> None:
    path = write(tmp_path / "w.csv.gz", gzip.compress("id,amount\n1,€5\n".encode("cp1252")))
    _, df = read_all(path, encoding="cp1252")
    assert df["amount"].to_list() == ["€5"]


def test_utf16_with_encoding(tmp_path: Path) -> None:
    path = write(tmp_path / "u16.csv", "id\tname\n1\tÅsa\n".encode("utf-16"))
    source, df = read_all(path, encoding="utf-16")
    assert df.columns == ["id", "name"]
    assert df["name"].to_list() == ["Åsa"]
    assert source.delimiter == "\t"


def test_utf16_without_encoding_suggests_it(tmp_path: Path) -> None:
    path = write(tmp_path / "u16.csv", "id\n1\n".encode("utf-16"))
    assert "--encoding utf-16" in str(input_error(path))


def test_explicit_utf8_needs_no_transcoding(tmp_path: Path, private_tmpdir: Path) -> None:
    path = write(tmp_path / "u8.csv", "id\nü\n".encode())
    with open_source(path, encoding="UTF8") as source:
        assert list(private_tmpdir.iterdir()) == []
        assert source.frame.collect()["id"].to_list() == ["ü"]


def test_transcoded_temp_file_is_removed(tmp_path: Path, private_tmpdir: Path) -> None:
    path = write(tmp_path / "l1.csv", "id\né\n".encode("latin-1"))
    with open_source(path, encoding="latin-1") as source:
        assert len(list(private_tmpdir.iterdir())) == 1
        source.frame.collect()
    assert list(private_tmpdir.iterdir()) == []


def test_unknown_encoding(tmp_path: Path) -> None:
    path = write(tmp_path / "x.csv", b"id\n1\n")
    error = input_error(path, encoding="klingon-8")
    assert "unknown encoding" in error.message
    assert path in str(error)


def test_invalid_latin1_without_encoding_hints(tmp_path: Path) -> None:
    path = write(tmp_path / "l1.csv", "id,city\n1,Malmö\n".encode("latin-1"))
    error = input_error(path)
    assert "UTF-8" in error.message
    assert "line 2" in error.message
    assert "--encoding cp1252" in error.message
    assert error.path == path


def test_invalid_encoding_for_given_codec(tmp_path: Path) -> None:
    path = write(tmp_path / "x.csv", b"id\n\xff\xfe\xfd\n")
    error = input_error(path, encoding="ascii")
    assert "not valid ascii" in error.message


# --- values -------------------------------------------------------------------------


def test_values_pass_through_as_text(tmp_path: Path) -> None:
    path = write(tmp_path / "v.csv", b'zip,amount,note\n00123,"$1,000.50",N/A\n')
    _, df = read_all(path)
    assert df.schema == pl.Schema(dict.fromkeys(["zip", "amount", "note"], pl.String))
    assert df.row(0) == ("00123", "$1,000.50", "N/A")


def test_empty_cells_become_null_and_blank_lines_vanish(tmp_path: Path) -> None:
    path = write(tmp_path / "e.csv", b'id,name,x\r\n1,,""\r\n\r\n2,b,\r\n,,\r\n\r\n')
    _, df = read_all(path)
    assert df.rows() == [("1", None, None), ("2", "b", None)]


def test_multiline_quoted_values(tmp_path: Path) -> None:
    path = write(tmp_path / "m.csv", b'id,note\n1,"line one\nline ""two"""\n2,x\n')
    _, df = read_all(path)
    assert df["note"].to_list() == ['line one\nline "two"', "x"]


def test_glob_characters_in_file_name(tmp_path: Path) -> None:
    _, df = read_all(write(tmp_path / "leads[1]*.csv", b"id\n1\n"))
    assert df["id"].to_list() == ["1"]


# --- stdin and pipes ----------------------------------------------------------------


class FakeStdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


def test_stdin_is_spooled_and_cleaned_up(
    monkeypatch: pytest.MonkeyPatch, private_tmpdir: Path
) -> None:
    monkeypatch.setattr(sys, "stdin", FakeStdin(gzip.compress(b"id|name\n1|a\n")))
    with open_source("-") as source:
        assert source.name == "<stdin>"
        assert source.path is None
        assert source.format == "csv"
        assert source.delimiter == "|"
        assert source.frame.collect().rows() == [("1", "a")]
        assert list(private_tmpdir.iterdir())
    assert list(private_tmpdir.iterdir()) == []


def test_empty_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", FakeStdin(b""))
    error = input_error("-")
    assert error.message == "file is empty"
    assert error.path == "<stdin>"


def test_temp_files_removed_when_body_raises(
    monkeypatch: pytest.MonkeyPatch, private_tmpdir: Path
) -> None:
    monkeypatch.setattr(sys, "stdin", FakeStdin(b"id\n1\n"))
    with pytest.raises(KeyboardInterrupt), open_source("-"):
        raise KeyboardInterrupt
    assert list(private_tmpdir.iterdir()) == []


def test_named_pipe_is_spooled(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)

    def feed() -> None:
        with fifo.open("wb") as out:
            out.write(b"id,name\n1,a\n")

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        source, df = read_all(str(fifo))
    finally:
        writer.join(timeout=5)
    assert source.path == fifo
    assert df.rows() == [("1", "a")]


# --- laziness -----------------------------------------------------------------------


def test_open_reads_only_the_sample(tmp_path: Path) -> None:
    """Rows appended after opening are seen: the data was not loaded at open."""
    path = tmp_path / "big.csv"
    path.write_bytes(b"id,name\n" + b"1,abc\n" * FILLER_ROWS)
    with open_source(str(path)) as source:
        assert isinstance(source.frame, pl.LazyFrame)
        with path.open("ab") as out:
            out.write(b"2,late\n")
        assert source.frame.select(pl.len()).collect().item() == FILLER_ROWS + 1


# --- parquet ------------------------------------------------------------------------


def test_parquet_keeps_types_and_is_detected_three_ways(tmp_path: Path) -> None:
    df = pl.DataFrame({"id": [1, 2], "when": [dt.date(2024, 1, 2), None], "s": ["a", None]})
    by_ext = tmp_path / "a.pq"
    by_magic = tmp_path / "a.export"
    forced = tmp_path / "a.csv"
    for path in (by_ext, by_magic, forced):
        df.write_parquet(path)
    for path, options in ((by_ext, {}), (by_magic, {}), (forced, {"format": "parquet"})):
        source, got = read_all(str(path), **options)
        assert source.format == "parquet"
        assert got.equals(df)


def test_csv_format_option_wins_over_magic(tmp_path: Path) -> None:
    path = write(tmp_path / "x.parquet", b"id\nPAR1\n")
    source, df = read_all(path, format="csv")
    assert source.format == "csv"
    assert df["id"].to_list() == ["PAR1"]


def test_unknown_format_option(tmp_path: Path) -> None:
    with pytest.raises(UsageError), open_source(write(tmp_path / "x.csv", b"a\n"), format="xls"):
        pass


@pytest.mark.parametrize(
    ("cut", "expected"),
    [
        (lambda b: b[: len(b) // 2], "corrupt or truncated"),
        (lambda b: b[:-1], "corrupt or truncated"),
        (lambda b: b"XXXX" + b[4:], "not a Parquet file"),
        (lambda b: b[:4] + b"\0" * (len(b) - 12) + b[-8:], "corrupt or truncated"),
    ],
)
def test_corrupt_parquet_fails_at_open(tmp_path: Path, cut, expected: str) -> None:
    good = tmp_path / "good.parquet"
    pl.DataFrame({"id": list(range(1000))}).write_parquet(good)
    path = write(tmp_path / "bad.parquet", cut(good.read_bytes()))
    with pytest.raises(InputError) as info, open_source(path):
        pass
    assert expected in info.value.message
    assert info.value.path == path


def test_corrupt_parquet_data_page_is_explained(tmp_path: Path) -> None:
    good = tmp_path / "good.parquet"
    pl.DataFrame({"s": [f"value {i}" for i in range(50_000)]}).write_parquet(good)
    data = bytearray(good.read_bytes())
    for i in range(len(data) // 4, len(data) // 4 + 64):
        data[i] ^= 0x5A
    error = streaming_error(write(tmp_path / "bad.parquet", bytes(data)))
    assert "Parquet file is corrupt" in error.message


# --- up-front errors ----------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = str(tmp_path / "nope.csv")
    error = input_error(path)
    assert error.message == "no such file"
    assert path in str(error)


def test_directory(tmp_path: Path) -> None:
    error = input_error(str(tmp_path))
    assert error.message == "is a directory, not a file"
    assert error.path == str(tmp_path)


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "secret.csv", b"id\n1\n")
    real_open = Path.open

    def deny(self: Path, *args, **kwargs):
        if self == Path(path):
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", deny)
    error = input_error(path)
    assert error.message == "permission denied"
    assert error.path == path


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_permission_denied_for_real(tmp_path: Path) -> None:
    path = tmp_path / "secret.csv"
    path.write_bytes(b"id\n1\n")
    path.chmod(0)
    assert input_error(str(path)).message == "permission denied"


@pytest.mark.parametrize("data", [b"", b"  \n\r\n\t", codecs.BOM_UTF8, gzip.compress(b"\n\n")])
def test_empty_file(tmp_path: Path, data: bytes) -> None:
    path = write(tmp_path / "empty.csv", data)
    error = input_error(path)
    assert error.message == "file is empty"
    assert error.path == path


def test_duplicate_column(tmp_path: Path) -> None:
    path = write(tmp_path / "d.csv", b"id,email,name,email\n1,a,b,c\n")
    error = input_error(path)
    assert "'email'" in error.message
    assert "columns 2 and 4" in error.message
    assert error.path == path


def test_duplicate_column_behind_bom(tmp_path: Path) -> None:
    path = write(tmp_path / "d.csv", codecs.BOM_UTF8 + b"id,name,id\n1,a,b\n")
    assert "duplicate column name 'id' (columns 1 and 3)" in input_error(path).message


def test_blank_column_name(tmp_path: Path) -> None:
    path = write(tmp_path / "b.csv", b'id," ",x\n1,2,3\n')
    error = input_error(path)
    assert "column 2" in error.message
    assert "blank" in error.message


ESCAPED_HEADER = b'"a""b; --x",id,"Notes ""VIP""","x,y"\n1,2,"say ""hi""",3\n'


@pytest.mark.parametrize(
    ("compress", "options"),
    [(lambda b: b, {}), (gzip.compress, {}), (lambda b: b, {"encoding": "latin-1"})],
    ids=["plain", "gzip", "transcoded"],
)
def test_doubled_quotes_in_header_names_are_unescaped(tmp_path: Path, compress, options) -> None:
    """A quoted header cell reads as a data cell would: `"a""b"` is the column `a"b`."""
    path = write(tmp_path / "q.csv", compress(ESCAPED_HEADER))
    _, df = read_all(path, **options)
    assert df.columns == ['a"b; --x', "id", 'Notes "VIP"', "x,y"]
    assert df.row(0) == ("1", "2", 'say "hi"', "3")


def test_header_names_that_differ_only_by_escaping_stay_apart(tmp_path: Path) -> None:
    # quoted, `"a""b"` is a"b; unquoted, a""b is read as written
    path = write(tmp_path / "q.csv", b'"a""b",a""b\n1,2\n')
    _, df = read_all(path)
    assert df.to_dicts() == [{'a"b': "1", 'a""b': "2"}]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (b'"a""b","a""b"\n1,2\n', "duplicate column name 'a\"b' (columns 1 and 2)"),
        (b'id,""\n1,2\n', "column 2 has a blank name"),
    ],
)
def test_escaped_header_faults_are_still_found(tmp_path: Path, header: bytes, expected: str):
    assert expected in input_error(write(tmp_path / "q.csv", header)).message


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    columns=st.lists(
        st.text('ab ,;"-', min_size=1, max_size=6).filter(str.strip),
        min_size=2,
        max_size=4,
        unique=True,
    )
)
def test_any_header_polars_writes_reads_back_as_written(tmp_path: Path, columns: list[str]):
    df = pl.DataFrame(
        [["v"] * len(columns)], schema=dict.fromkeys(columns, pl.String), orient="row"
    )
    path = tmp_path / "h.csv"
    df.write_csv(path)
    _, got = read_all(str(path), delimiter=",")
    assert got.columns == columns


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"id,name,x\n1,a,b\n2,c\n", "line 3 has 2 fields but the header has 3"),
        (b"id,name\n1,a\n2,b,c\n", "line 3 has 3 fields but the header has 2"),
        (b"id,name\n1,a\n   \n", "line 3 has 1 field but the header has 2"),
        (b'id,name\n1,5" screen\n', "line 2 has a stray quote"),
        (b'id,name\n1,"a"b\n', "line 2 has text right after a closing quote"),
        (b'id,name\n1,"abc\n2,d\n', "line 2 opens a quoted value that is never closed"),
        (b"id,name\r1,a\r2,b\r", "bare carriage return"),
    ],
)
def test_malformed_rows_in_sample_name_the_line(tmp_path: Path, data: bytes, expected: str):
    path = write(tmp_path / "bad.csv", data)
    error = input_error(path)
    assert expected in error.message
    assert error.path == path
    assert "\n" not in str(error)


def test_corrupt_gzip_at_open(tmp_path: Path) -> None:
    data = gzip.compress(b"id\n1\n")
    path = write(tmp_path / "x.csv.gz", data[:-12])
    error = input_error(path)
    assert "compressed file is corrupt or truncated" in error.message


# --- errors found while streaming (after the sample) --------------------------------

FILLER = b"1,abc\n" * FILLER_ROWS


def test_late_invalid_utf8_is_explained(tmp_path: Path) -> None:
    error = streaming_error(write(tmp_path / "l.csv", b"id,name\n" + FILLER + b"2,caf\xe9\n"))
    assert "--encoding cp1252" in error.message


def test_late_long_row_raises_and_is_explained(tmp_path: Path) -> None:
    error = streaming_error(write(tmp_path / "l.csv", b"id,name\n" + FILLER + b"2,a,b\n"))
    assert "more fields than columns" in error.message


def test_late_unclosed_quote_is_explained(tmp_path: Path) -> None:
    path = write(tmp_path / "l.csv", b"id,name\n" + FILLER + b'2,"abc\n3,d\n')
    error = streaming_error(path)
    assert "malformed quoted field" in error.message


def test_late_stray_quote_is_explained(tmp_path: Path) -> None:
    path = write(tmp_path / "l.csv", b"id,name\n" + FILLER + b'2,5" screen\n3,x\n')
    error = streaming_error(path)
    assert "stray or unclosed quote" in error.message


def test_late_truncated_gzip_is_explained(tmp_path: Path) -> None:
    rows = "".join(f"{i},{i * 7919 % 104729}\n" for i in range(400_000)).encode()
    data = gzip.compress(b"id,name\n" + rows)  # varied rows: compressed size tracks input
    error = streaming_error(write(tmp_path / "t.csv.gz", data[: len(data) * 3 // 4]))
    assert "compressed file is corrupt or truncated" in error.message


def explain(exc: Exception) -> Exception:
    source = Source(name="leads.csv", path=None, format="csv", frame=pl.LazyFrame())
    return explain_polars_error(exc, source)


def test_explain_unrecognised_keeps_first_line() -> None:
    error = explain(pl.exceptions.ComputeError("something odd\n\nmore detail"))
    assert isinstance(error, InputError)
    assert str(error) == "leads.csv: something odd"


def test_explain_missing_column_is_data_error() -> None:
    error = explain(pl.exceptions.ColumnNotFoundError('unable to find column "x"'))
    assert isinstance(error, DataError)


def test_explain_passes_leadscore_errors_through() -> None:
    original = InputError("already clear", path="a.csv")
    assert explain(original) is original


def test_module_does_not_print(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    read_all(write(tmp_path / "x.csv", b"id\n1\n"))
    assert capsys.readouterr() == ("", "")
    assert not hasattr(readers, "typer")


# --- escaped header names through the commands -----------------------------------------

QUOTED_NAME_MODEL = """
[model]
name = "quoted"
version = "1"

[[rules]]
name = "flagged"
category = "fit"
points = 10
when = { field = 'a"b; --x', op = "eq", value = "1" }
"""


def test_score_reads_an_escaped_header_name_and_writes_the_header_back(run, tmp_path: Path) -> None:
    export = write(tmp_path / "q.csv", ESCAPED_HEADER)
    model = tmp_path / "m.toml"
    model.write_text(QUOTED_NAME_MODEL, encoding="utf-8")
    result = run("score", export, "-m", model, "-o", "-", "--as-of", "2026-11-01", "-q")
    assert result.exit_code == 0, result.stderr
    header, row = result.stdout.splitlines()
    assert header == ESCAPED_HEADER.decode().splitlines()[0] + ",score,score_fit"
    assert row.endswith(",10,10")  # the rule found its column and fired


def test_profile_names_escaped_header_columns_as_written(run, tmp_path: Path) -> None:
    export = write(tmp_path / "q.csv", ESCAPED_HEADER)
    result = run("profile", export, "--json")
    assert result.exit_code == 0, result.stderr
    names = [column["name"] for column in json.loads(result.stdout)["columns"]]
    assert names == ['a"b; --x', "id", 'Notes "VIP"', "x,y"]


# --- POLARS_CSV_CHUNK_SIZE ---------------------------------------------------------------


@pytest.mark.parametrize("value", ["4MiB", "abc", "", "-5", "0", " 4096", "1e6", str(2**64)])
def test_a_chunk_size_polars_cannot_read_is_one_usage_line(run, monkeypatch, value: str) -> None:
    """polars would panic in the middle of the run; the value is refused before any work."""
    monkeypatch.setenv("POLARS_CSV_CHUNK_SIZE", value)
    result = run("profile", SAMPLE)
    assert result.exit_code == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "leadscore: usage error: POLARS_CSV_CHUNK_SIZE takes a positive number of bytes "
        f"(e.g. 4194304 for 4 MiB), not {value!r}; unset it for the default"
    ]


@pytest.mark.parametrize("value", ["65536", "+65536"])
def test_a_chunk_size_in_bytes_is_used(run, monkeypatch, tmp_path: Path, value: str) -> None:
    monkeypatch.setenv("POLARS_CSV_CHUNK_SIZE", value)
    export = write(tmp_path / "x.csv", b"id,name\n" + b"1,abc\n" * 50_000)
    result = run("profile", export, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["rows"] == 50_000
