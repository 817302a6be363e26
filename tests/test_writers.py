"""Tests for leadscore_cli.writers: formats, destination checks, atomic commits, stdout."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import os
import stat
import sys
import tempfile
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadscore_cli import writers
from leadscore_cli.errors import InputError, LeadscoreError, OutputError, UsageError
from leadscore_cli.readers import explain_polars_error, open_source
from leadscore_cli.writers import atomic_path, check_destination, output_format, sink_atomic

LEADS = pl.DataFrame(
    {
        "id": ["007", "008"],
        "score": [87.25, 1e-7],
        "seen": [dt.date(2024, 1, 2), None],
        "note": ["a,b", None],
    }
)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


class FakeStdout:
    def __init__(self) -> None:
        self.buffer = io.BytesIO()


@pytest.fixture
def private_tmpdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "tmpdir"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


# --- output_format ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dest", "expected"),
    [
        ("out.csv", "csv"),
        ("out.TSV", "csv"),
        ("out.txt", "csv"),
        ("out.csv.gz", "csv"),
        ("out.tsv.zst", "csv"),
        ("out.parquet", "parquet"),
        ("dir.v2/out.pq", "parquet"),
        ("-", "csv"),
    ],
)
def test_output_format_from_extension(dest: str, expected: str) -> None:
    assert output_format(dest) == expected


def test_output_format_option_names_what_the_extension_does_not() -> None:
    assert output_format("scores.dat", "parquet") == "parquet"
    assert output_format("-", "Parquet") == "parquet"
    assert output_format("x.tsv.gz", "csv") == "csv"
    assert output_format("x.parquet", "parquet") == "parquet"


@pytest.mark.parametrize(("dest", "fmt"), [("x.parquet", "csv"), ("x.csv", "parquet")])
def test_output_format_option_cannot_contradict_the_extension(dest: str, fmt: str) -> None:
    with pytest.raises(UsageError) as info:
        output_format(dest, fmt)
    assert info.value.message == f"--format {fmt} contradicts the file name {dest!r}"


@pytest.mark.parametrize("dest", ["out.xlsx", "out", "out.gz", "out.json"])
def test_output_format_unknown_extension(dest: str) -> None:
    with pytest.raises(UsageError) as info:
        output_format(dest)
    assert "--format" in info.value.message
    assert ".parquet" in info.value.message
    assert info.value.path == dest


def test_output_format_bad_option() -> None:
    with pytest.raises(UsageError):
        output_format("out.csv", "xlsx")


# --- check_destination --------------------------------------------------------------


def test_refuses_to_write_over_the_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "leads.csv"
    source.write_text("id\n1\n")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "link.csv").symlink_to(source)
    for dest in (str(source), "leads.csv", "./sub/../leads.csv", "link.csv"):
        (tmp_path / "sub").mkdir(exist_ok=True)
        with pytest.raises(OutputError) as info:
            check_destination(dest, {"model file": None, "input file": source})
        assert "refusing to write over the input" in info.value.message
        assert info.value.path == dest


def test_other_destination_is_fine(tmp_path: Path) -> None:
    source = tmp_path / "leads.csv"
    source.write_text("id\n1\n")
    check_destination(str(tmp_path / "scores.csv"), {"input file": source, "model file": None})
    check_destination("-", {"input file": source})


@pytest.mark.parametrize("dest", ["", "  "])
def test_empty_destination_is_a_usage_error(dest: str) -> None:
    with pytest.raises(UsageError, match="output path is empty"):
        check_destination(dest, {})


def test_a_pipe_or_device_is_refused_not_replaced(tmp_path: Path) -> None:
    pipe = tmp_path / "fifo"
    os.mkfifo(pipe)
    for dest in (str(pipe), os.devnull):
        with pytest.raises(OutputError, match="device or a pipe") as info:
            check_destination(dest, {})
        assert info.value.path == dest
        with pytest.raises(OutputError, match="device or a pipe"), atomic_path(dest):
            pass
    assert stat.S_ISFIFO(pipe.stat().st_mode) and stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_missing_folder(tmp_path: Path) -> None:
    dest = str(tmp_path / "nope" / "out.csv")
    with pytest.raises(OutputError) as info:
        check_destination(dest, {})
    assert "does not exist" in info.value.message
    assert info.value.path == dest


def test_destination_is_a_directory(tmp_path: Path) -> None:
    with pytest.raises(OutputError) as info:
        check_destination(str(tmp_path), {})
    assert "is a directory" in info.value.message


def test_folder_not_writable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writers.os, "access", lambda path, mode: False)
    dest = str(tmp_path / "out.csv")
    with pytest.raises(OutputError) as info:
        check_destination(dest, {})
    assert "not writable" in info.value.message
    assert info.value.path == dest


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_folder_not_writable_for_real(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    with pytest.raises(OutputError):
        check_destination(str(folder / "out.csv"), {})


# --- sink_atomic: content -----------------------------------------------------------


def test_csv_output(tmp_path: Path) -> None:
    dest = tmp_path / "scores.csv"
    sink_atomic(LEADS.lazy(), str(dest))
    raw = dest.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode() == ('id,score,seen,note\n007,87.25,2024-01-02,"a,b"\n008,0.0000001,,\n')
    assert leftovers(tmp_path) == []


def test_tsv_output_uses_tabs(tmp_path: Path) -> None:
    dest = tmp_path / "scores.tsv"
    sink_atomic(LEADS.lazy(), str(dest))
    assert dest.read_text().splitlines()[0] == "id\tscore\tseen\tnote"


@pytest.mark.parametrize("suffix", [".csv.gz", ".tsv.zst"])
def test_compressed_csv_output(tmp_path: Path, suffix: str) -> None:
    dest = tmp_path / f"scores{suffix}"
    sink_atomic(LEADS.lazy(), str(dest))
    magic = dest.read_bytes()[:4]
    assert magic.startswith(b"\x1f\x8b") if suffix.endswith(".gz") else magic == b"\x28\xb5\x2f\xfd"
    with open_source(str(dest)) as source:
        assert source.frame.collect()["id"].to_list() == ["007", "008"]


def test_gzip_output_is_plain_gzip(tmp_path: Path) -> None:
    dest = tmp_path / "scores.csv.gz"
    sink_atomic(LEADS.lazy(), str(dest))
    assert gzip.decompress(dest.read_bytes()).startswith(b"id,score,seen,note\n")


def test_parquet_output_with_metadata(tmp_path: Path) -> None:
    dest = tmp_path / "scores.parquet"
    meta = {"leadscore.model": "b2b v3", "leadscore.note": "é"}
    sink_atomic(LEADS.lazy(), str(dest), parquet_metadata=meta)
    stored = pq.read_metadata(dest).metadata
    assert stored[b"leadscore.model"] == b"b2b v3"
    assert stored[b"leadscore.note"].decode() == "é"
    assert pl.read_parquet(dest).equals(LEADS)


def test_parquet_round_trip_keeps_types(tmp_path: Path) -> None:
    dest = tmp_path / "rt.parquet"
    sink_atomic(LEADS.lazy(), str(dest))
    with open_source(str(dest)) as source:
        assert source.frame.collect().equals(LEADS)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(
            st.text(
                st.characters(exclude_categories=["Cs", "Cc"], include_characters="\n\t"),
                max_size=10,
            ),
            st.one_of(st.none(), st.text("0123456789.-$, N/A", max_size=8)),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_csv_to_parquet_round_trip(tmp_path: Path, rows: list[tuple]) -> None:
    """CSV text read by open_source and written to Parquet comes back unchanged."""
    df = pl.DataFrame(rows, schema={"name": pl.String, "amount": pl.String}, orient="row")
    src = tmp_path / "in.csv"
    df.write_csv(src)
    dest = tmp_path / "out.parquet"
    with open_source(str(src)) as source:
        sink_atomic(source.frame, str(dest))
    expected = df.with_columns(
        pl.when(pl.col(c) != "").then(pl.col(c)).alias(c) for c in df.columns
    ).filter(pl.any_horizontal(pl.all().is_not_null()))
    assert pl.read_parquet(dest).equals(expected)


def test_csv_source_to_parquet_keeps_text(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_bytes(b'zip,amount\n00123,"$1,000"\n,N/A\n')
    dest = tmp_path / "out.parquet"
    with open_source(str(src)) as source:
        sink_atomic(source.frame, str(dest))
    assert pl.read_parquet(dest).rows() == [("00123", "$1,000"), (None, "N/A")]


def test_new_file_gets_normal_permissions(tmp_path: Path) -> None:
    dest = tmp_path / "scores.csv"
    sink_atomic(LEADS.lazy(), str(dest))
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(dest.stat().st_mode) == 0o666 & ~mask


def test_existing_file_keeps_its_permissions(tmp_path: Path) -> None:
    dest = tmp_path / "scores.csv"
    dest.write_text("old\n")
    dest.chmod(0o640)
    sink_atomic(LEADS.lazy(), str(dest))
    assert stat.S_IMODE(dest.stat().st_mode) == 0o640
    assert dest.read_text().startswith("id,")


# --- sink_atomic: also / before_commit ----------------------------------------------


@pytest.mark.parametrize("share_scan", [False, True])
def test_also_frames_are_computed_and_passed_to_before_commit(
    tmp_path: Path, share_scan: bool
) -> None:
    src = tmp_path / "in.csv"
    src.write_bytes(b"id,amount\n" + b"".join(f"{i},{i}\n".encode() for i in range(1000)))
    seen: list[list[pl.DataFrame]] = []
    with open_source(str(src)) as source:
        scored = source.frame.with_columns(score=pl.col("amount").cast(pl.Int64) * 2)
        also = [scored.select(pl.len()), scored.select(pl.col("score").sum())]
        result = sink_atomic(
            scored,
            str(tmp_path / "out.csv"),
            also=also,
            before_commit=seen.append,
            share_scan=share_scan,
        )
    assert [df.item() for df in result] == [1000, 999_000]
    assert seen == [result]
    assert pl.read_csv(tmp_path / "out.csv").height == 1000


def test_before_commit_failure_writes_nothing(tmp_path: Path) -> None:
    dest = tmp_path / "scores.csv"

    def veto(frames: list[pl.DataFrame]) -> None:
        raise OutputError("drift too high", path=str(dest))

    with pytest.raises(OutputError, match="drift too high"):
        sink_atomic(
            LEADS.lazy(), str(dest), also=[LEADS.lazy().select(pl.len())], before_commit=veto
        )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("exc", [OutputError("no"), KeyboardInterrupt(), RuntimeError("bug")])
def test_failure_keeps_previous_destination(tmp_path: Path, exc: BaseException) -> None:
    dest = tmp_path / "scores.parquet"
    dest.write_bytes(b"previous complete content")

    def fail(frames: list[pl.DataFrame]) -> None:
        raise exc

    with pytest.raises(type(exc)):
        sink_atomic(LEADS.lazy(), str(dest), before_commit=fail)
    assert dest.read_bytes() == b"previous complete content"
    assert leftovers(tmp_path) == []


def test_temp_file_lives_next_to_destination(tmp_path: Path) -> None:
    dest = tmp_path / "scores.csv"
    names: list[str] = []

    def look(frames: list[pl.DataFrame]) -> None:
        names.extend(leftovers(tmp_path))

    sink_atomic(LEADS.lazy(), str(dest), before_commit=look)
    assert len(names) == 1
    assert names[0].startswith(".scores.csv.")
    assert leftovers(tmp_path) == []


def test_input_error_while_streaming_leaves_nothing(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    filler = b"1,abc\n" * 200_000  # past the up-front sample
    src.write_bytes(b"id,name\n" + filler + b"2,a,extra\n")
    dest = tmp_path / "out.csv"
    dest.write_bytes(b"old")
    with open_source(str(src)) as source:
        with pytest.raises(pl.exceptions.ComputeError) as info:
            sink_atomic(source.frame, str(dest), also=[source.frame.select(pl.len())])
        error = explain_polars_error(info.value, source)
    assert isinstance(error, InputError)
    assert error.path == str(src)
    assert dest.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


def test_disk_full_is_output_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*args, **kwargs):
        raise OSError("No space left on device (os error 28)")

    monkeypatch.setattr(writers.pl, "collect_all", full)
    dest = str(tmp_path / "scores.csv")
    with pytest.raises(OutputError) as info:
        sink_atomic(LEADS.lazy(), dest)
    assert info.value.path == dest
    assert "no space left" in info.value.message.lower()
    assert leftovers(tmp_path) == []


def test_input_side_oserror_is_not_blamed_on_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def corrupt(*args, **kwargs):
        raise OSError("corrupt deflate stream")

    monkeypatch.setattr(writers.pl, "collect_all", corrupt)
    with pytest.raises(OSError, match="corrupt deflate") as info:
        sink_atomic(LEADS.lazy(), str(tmp_path / "scores.csv"))
    assert not isinstance(info.value, LeadscoreError)
    assert leftovers(tmp_path) == []


def test_sink_into_missing_folder_is_output_error(tmp_path: Path) -> None:
    dest = str(tmp_path / "gone" / "out.csv")
    with pytest.raises(OutputError) as info:
        sink_atomic(LEADS.lazy(), dest)
    assert info.value.path == dest


# --- stdout -------------------------------------------------------------------------


def test_stdout_output(monkeypatch: pytest.MonkeyPatch, private_tmpdir: Path) -> None:
    out = FakeStdout()
    monkeypatch.setattr(sys, "stdout", out)
    result = sink_atomic(LEADS.lazy(), "-", also=[LEADS.lazy().select(pl.len())])
    assert result[0].item() == 2
    assert out.buffer.getvalue().startswith(b"id,score,seen,note\n007,87.25,")
    assert list(private_tmpdir.iterdir()) == []


def test_stdout_prints_nothing_on_failure(
    monkeypatch: pytest.MonkeyPatch, private_tmpdir: Path
) -> None:
    out = FakeStdout()
    monkeypatch.setattr(sys, "stdout", out)

    def veto(frames: list[pl.DataFrame]) -> None:
        raise OutputError("no")

    with pytest.raises(OutputError):
        sink_atomic(LEADS.lazy(), "-", before_commit=veto)
    assert out.buffer.getvalue() == b""
    assert list(private_tmpdir.iterdir()) == []


def test_stdout_parquet(monkeypatch: pytest.MonkeyPatch) -> None:
    out = FakeStdout()
    monkeypatch.setattr(sys, "stdout", out)
    sink_atomic(LEADS.lazy(), "-", format="parquet")
    assert pl.read_parquet(io.BytesIO(out.buffer.getvalue())).equals(LEADS)


# --- atomic_path --------------------------------------------------------------------


def test_atomic_path_success(tmp_path: Path) -> None:
    dest = tmp_path / "model.toml"
    dest.write_text("old")
    with atomic_path(dest) as tmp:
        assert tmp.parent == tmp_path
        assert tmp != dest
        tmp.write_text("new")
        assert dest.read_text() == "old"
    assert dest.read_text() == "new"
    assert leftovers(tmp_path) == []


def test_atomic_path_failure(tmp_path: Path) -> None:
    dest = tmp_path / "report.json"
    dest.write_text("old")
    with pytest.raises(KeyboardInterrupt), atomic_path(str(dest)) as tmp:
        tmp.write_text("half")
        raise KeyboardInterrupt
    assert dest.read_text() == "old"
    assert leftovers(tmp_path) == []


def test_atomic_path_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(OutputError), atomic_path(tmp_path / "nope" / "m.toml"):
        pass


def test_atomic_path_stdout(monkeypatch: pytest.MonkeyPatch) -> None:
    out = FakeStdout()
    monkeypatch.setattr(sys, "stdout", out)
    with atomic_path("-") as tmp:
        tmp.write_text('{"ok": true}')
    assert out.buffer.getvalue() == b'{"ok": true}'


def test_segments_refuse_a_folder_with_files_they_did_not_write(tmp_path):
    # the folder is replaced as a whole: the library, not only the CLI, keeps user files
    frame = pl.LazyFrame({"tier": ["a", "b", "a"], "x": [1, 2, 3]})
    folder = tmp_path / "seg"
    folder.mkdir()
    (folder / "grade=A.csv").write_text("an earlier run split by grade\n")
    (folder / "tier=a.csv").write_text("and by tier\n")
    tiers = {"tier": ["a", "b"]}
    with pytest.raises(OutputError, match=r"segment files \(grade=A.csv\)"):
        writers.sink_segments_atomic(frame, str(folder), key="tier", segments=tiers)
    segments = {**tiers, "grade": ["A", "B"]}
    _, files = writers.sink_segments_atomic(frame, str(folder), key="tier", segments=segments)
    assert [Path(f).name for f in files] == ["tier=a.csv", "tier=b.csv"]
    (folder / "notes.txt").write_text("mine\n")
    with pytest.raises(OutputError, match=r"seg: folder holds files .* \(notes.txt\)"):
        writers.sink_segments_atomic(frame, str(folder), key="tier", segments=segments)
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt", "tier=a.csv", "tier=b.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seg"]


def test_segment_names_are_the_given_values_with_an_optional_file_index():
    pattern = writers.segment_names({"grade": ["A+", "A", "A-"], "tier": ["sql"]})
    ours = ["grade=A+.csv", "grade=A-.parquet", "grade=A--1.csv", "grade=A-2.csv", "tier=sql-12.pq"]
    assert [bool(pattern.fullmatch(name)) for name in ours] == [True] * 4 + [False]
    others = ["grade=B.csv", "grade=A-0.csv", "tier=sql .csv", "tier=sq.csv", "grade=A+-.csv"]
    assert not any(pattern.fullmatch(name) for name in others)
    assert not writers.segment_names({}).fullmatch(".csv")
