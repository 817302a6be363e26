"""CSV exports as CRMs and spreadsheets write them, through every command that reads data.

Each quirk either reads correctly or fails with one line on stderr that names the file,
the line where there is one, and the fix, with exit code 4, leaving any older output in
place.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from typer.testing import Result

from leadscore_cli.errors import EXIT_INPUT
from leadscore_cli.readers import SAMPLE_BYTES

MODEL = """
[model]
name = "quirks"
version = "1"
id_column = "lead_id"

[tiers]
hot = 50
cold = 0

[[rules]]
name = "demo"
category = "fit"
points = 60
when = { field = "demo", op = "eq", value = true }

[[rules]]
name = "software"
category = "fit"
points = 40
when = { field = "industry", op = "eq", value = "software" }
"""

HEADER = "lead_id,demo,industry"
ROW = "1,true,software"
FILLER = "".join(f"{i},false,retail\n" for i in range(SAMPLE_BYTES // 14 + 1000))
FILLER_LINES = FILLER.count("\n")


@pytest.fixture
def model(tmp_path: Path) -> Path:
    path = tmp_path / "model.toml"
    path.write_text(MODEL)
    return path


def reading_commands(data: str, model: Path, out: Path) -> dict[str, list[object]]:
    """Every command that reads an export, each reading `data` ("-" for stdin)."""
    return {
        "score": ["score", data, "-m", model, "-o", out],
        "grade": ["grade", data, "-m", model, "-o", out],
        "validate": ["validate", "-m", model, "--data", data],
        "profile": ["profile", data],
        "threshold": ["threshold", data, "-m", model, "--outcome", "demo"],
        "report": ["report", data, "-m", model],
        "fit": ["fit", data, "--outcome", "demo", "-o", out.with_suffix(".toml")],
    }


def assert_input_error(result: Result, name: str, *needles: str) -> None:
    """Exit 4 and one line naming the input and saying what is wrong."""
    assert result.exit_code == EXIT_INPUT, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"leadscore: bad input: {name}: "), result.stderr
    for needle in needles:
        assert needle in lines[0], result.stderr


# --- Excel's "sep=;" first line ------------------------------------------------------


@pytest.mark.parametrize(
    "first_line",
    ["sep=;\n", "sep=;\r\n", '"sep=;"\r\n', "\ufeffsep=;\r\n", "SEP=;\n"],
)
def test_excel_separator_line_sets_the_delimiter_and_is_skipped(
    run: Callable[..., Result], tmp_path: Path, model: Path, first_line: str
) -> None:
    path = tmp_path / "excel.csv"
    path.write_text(first_line + "lead_id;demo;industry\n1;true;software\n2;false;retail\n")
    result = run("score", path, "-m", model, "-o", "-", "-q")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[:3] == [
        "lead_id,demo,industry,score,score_fit,tier",
        "1,true,software,100,100,hot",
        "2,false,retail,0,0,cold",
    ]


def test_excel_separator_line_on_compressed_stdin(run: Callable[..., Result], model: Path) -> None:
    data = gzip.compress(b"sep=|\r\nlead_id|demo|industry\r\n1|true|software\r\n")
    result = run("score", "-", "-m", model, "-o", "-", "-q", input=data)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1] == "1,true,software,100,100,hot"


def test_excel_separator_line_counts_in_line_numbers(
    run: Callable[..., Result], tmp_path: Path, model: Path
) -> None:
    early = tmp_path / "early.csv"
    early.write_text("sep=,\nlead_id,demo,industry\n1,true,software\n2,true\n")
    assert_input_error(run("score", early, "-m", model, "-o", "-"), str(early), "line 4")
    late = tmp_path / "late.csv"
    late.write_text(f"sep=,\n{HEADER}\n{FILLER}9,true,a,b\n")
    line = f"line {FILLER_LINES + 3} has 4 fields"
    assert_input_error(run("score", late, "-m", model, "-o", "-"), str(late), line)


# --- text that is not UTF-8 ------------------------------------------------------------


def test_windows_1252_export_names_line_byte_and_the_encoding_that_reads_it(
    run: Callable[..., Result], tmp_path: Path, model: Path
) -> None:
    path = tmp_path / "windows.csv"
    path.write_bytes(f"{HEADER}\n1,true,software\n2,false,5 €\n".encode("cp1252"))
    result = run("score", path, "-m", model, "-o", "-")
    assert_input_error(result, str(path), "not valid UTF-8", "line 3", "byte 0x80", "cp1252")
    hinted = run("score", path, "-m", model, "-o", "-", "-q", "--encoding", "cp1252")
    assert hinted.exit_code == 0, hinted.stderr
    assert "2,false,5 €,0,0,cold" in hinted.stdout  # latin-1 would read € as U+0080


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])
def test_a_utf8_export_with_a_bom_reads_as_utf8_whatever_encoding_says(
    run: Callable[..., Result], tmp_path: Path, model: Path, compress: bool, encoding: str
) -> None:
    """A nightly job keeps its --encoding cp1252 when the CRM starts writing UTF-8 with a
    BOM (Excel's "CSV UTF-8"). Read as cp1252, the BOM became part of the first column's
    name and every accented letter two others, silently, in the written file."""
    data = "\ufeffname,lead_id,demo,industry\nCafé Ü,1,true,software\n".encode()
    path = tmp_path / ("bom.csv.gz" if compress else "bom.csv")
    path.write_bytes(gzip.compress(data) if compress else data)
    result = run("score", path, "-m", model, "-o", "-", "-q", "--encoding", encoding)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "name,lead_id,demo,industry,score,score_fit,tier",
        "Café Ü,1,true,software,100,100,hot",
    ]


def test_utf16_under_another_or_no_byte_order_says_which_encoding_to_pass(
    run: Callable[..., Result], tmp_path: Path, model: Path
) -> None:
    with_bom = tmp_path / "excel.csv"
    with_bom.write_bytes(f"{HEADER}\n{ROW}\n".encode("utf-16"))
    result = run("score", with_bom, "-m", model, "-o", "-", "--encoding", "cp1252")
    assert_input_error(result, str(with_bom), "UTF-16 byte order mark", "--encoding utf-16")
    no_bom = tmp_path / "plain.csv"
    no_bom.write_bytes(f"{HEADER}\n{ROW}\n".encode("utf-16-le"))
    result = run("score", no_bom, "-m", model, "-o", "-", "--encoding", "utf-16")
    assert_input_error(result, str(no_bom), "--encoding utf-16-le or utf-16-be")


@pytest.mark.parametrize("encoding", [None, "cp1252", "utf-16"])
def test_utf32_is_told_apart_from_the_utf16_its_mark_starts_like(
    run: Callable[..., Result], tmp_path: Path, model: Path, encoding: str | None
) -> None:
    """UTF-32-LE's byte order mark starts with UTF-16-LE's: it is named as UTF-32."""
    path = tmp_path / "wide.csv"
    path.write_bytes(f"{HEADER}\n{ROW}\n".encode("utf-32"))
    extra = ["--encoding", encoding] if encoding else []
    result = run("score", path, "-m", model, "-o", "-", *extra)
    assert_input_error(result, str(path), "UTF-32", "--encoding utf-32")
    fixed = run("score", path, "-m", model, "-o", "-", "--encoding", "utf-32", "-q")
    assert fixed.exit_code == 0, fixed.stderr
    assert fixed.stdout.splitlines()[1].startswith(ROW)


@pytest.mark.parametrize("command", list(reading_commands("-", Path("m"), Path("o"))))
@pytest.mark.parametrize("stdin", [False, True])
def test_late_invalid_utf8_names_its_line_in_every_command(
    run: Callable[..., Result], tmp_path: Path, model: Path, command: str, stdin: bool
) -> None:
    data = f"{HEADER}\n{ROW}\n{FILLER}3,true,café\n".encode("latin-1")
    path = tmp_path / "late.csv.gz"
    path.write_bytes(gzip.compress(data))
    name = "-" if stdin else str(path)
    args = reading_commands(name, model, tmp_path / "out.csv")[command]
    result = run(*args, input=path.read_bytes() if stdin else None)
    line = f"line {FILLER_LINES + 3}, byte 0xe9"
    assert_input_error(result, "<stdin>" if stdin else name, line, "--encoding cp1252")


@pytest.mark.parametrize("command", list(reading_commands("-", Path("m"), Path("o"))))
def test_late_long_row_names_its_line_in_every_command(
    run: Callable[..., Result], tmp_path: Path, model: Path, command: str
) -> None:
    quoted = '2,false,"a ""quoted""\nvalue, on two lines"\n'  # counts as two lines
    path = tmp_path / "late.csv"
    path.write_text(f"{HEADER}\r\n{ROW}\r\n{quoted}\n{FILLER}3,true,software,extra\n")
    args = reading_commands(str(path), model, tmp_path / "out.csv")[command]
    line = f"line {FILLER_LINES + 6} has 4 fields but the header has 3"
    assert_input_error(run(*args), str(path), line, "more fields than columns")


def test_a_failed_run_keeps_the_older_output(
    run: Callable[..., Result], tmp_path: Path, model: Path
) -> None:
    path = tmp_path / "late.csv"
    path.write_text(f"{HEADER}\n{FILLER}3,true,software,extra\n")
    out = tmp_path / "out.csv"
    out.write_text("yesterday\n")
    assert_input_error(run("score", path, "-m", model, "-o", out), str(path), "line")
    assert out.read_text() == "yesterday\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["late.csv", "model.toml", "out.csv"]


# --- binary files named .csv -----------------------------------------------------------


def test_parquet_data_in_a_csv_file_says_so(
    run: Callable[..., Result], tmp_path: Path, model: Path
) -> None:
    path = tmp_path / "leads.csv"
    pl.DataFrame({"lead_id": ["1"], "demo": ["true"], "industry": ["x"]}).write_parquet(path)
    result = run("score", path, "-m", model, "-o", "-")
    assert_input_error(result, str(path), "Parquet data, not CSV", "--input-format parquet")
    assert run("score", path, "-m", model, "-o", "-", "--input-format", "parquet").exit_code == 0


def test_a_zip_archive_named_csv_says_what_it_is(
    run: Callable[..., Result], tmp_path: Path, model: Path
) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(b"PK\x03\x04" + bytes(200))
    result = run("profile", path)
    assert_input_error(result, str(path), "ZIP archive", "Excel workbook", "save it as CSV")


# --- header quirks ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "says", "trailing"),
    [
        ("lead_id;demo;industry;\r\n1;true;software;\r\n", "column 4 has a blank name", True),
        ("lead_id, ,demo,industry\n1,x,true,software\n", "column 2 has a blank name", False),
    ],
    ids=["trailing-delimiter", "blank-inside"],
)
def test_a_blank_column_name_says_whether_the_lines_end_with_a_delimiter(
    run: Callable[..., Result], tmp_path: Path, model: Path, text: str, says: str, trailing: bool
) -> None:
    path = tmp_path / "blank.csv"
    path.write_text(text, newline="")
    result = run("score", path, "-m", model, "-o", "-")
    assert_input_error(result, str(path), says)
    assert ("the header line ends with a semicolon" in result.stderr) is trailing


# --- quirks that read correctly --------------------------------------------------------


def test_mixed_line_endings_quoted_breaks_and_a_plain_text_gz(
    run: Callable[..., Result], tmp_path: Path, model: Path
) -> None:
    text = f'{HEADER}\r\n1,true,"soft;\r\nware, inc"\n2,"false",software\r\n3,true,x'
    plain = tmp_path / "plain.csv"
    plain.write_text(text, newline="")
    mislabelled = tmp_path / "not_really.csv.gz"
    mislabelled.write_text(text, newline="")
    outputs = []
    for path in (plain, mislabelled):
        result = run("score", path, "-m", model, "-o", "-", "-q", "--columns", "lead_id,industry")
        assert result.exit_code == 0, result.stderr
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    assert outputs[0].splitlines()[1:3] == ['1,"soft;', 'ware, inc",60,60,hot']
    assert outputs[0].splitlines()[3:] == ["2,software,40,40,cold", "3,x,60,60,hot"]


# --- an export cut short ----------------------------------------------------------------


@pytest.mark.parametrize("command", list(reading_commands("-", Path("m"), Path("o"))))
def test_an_export_cut_in_its_last_line_is_refused_in_every_command(
    run: Callable[..., Result], tmp_path: Path, model: Path, command: str
) -> None:
    """`gzip -dc export.csv.gz | leadscore score -` on a truncated archive: gzip stops in
    the middle of a row and the pipe looks like a complete file. polars pads the cut row
    with nulls, so it was scored as a lead with a cut id and empty fields."""
    data = f"{HEADER}\n{ROW}\n{FILLER}12345,tr"
    args = reading_commands("-", model, tmp_path / "out.csv")[command]
    result = run(*args, input=data)
    line = f"line {FILLER_LINES + 3} has 2 fields but the header has 3"
    assert_input_error(result, "<stdin>", line, "cut short")
    assert not (tmp_path / "out.csv").exists()


def test_a_short_last_line_is_refused_and_a_complete_one_is_not(
    run: Callable[..., Result], tmp_path: Path, model: Path
) -> None:
    path = tmp_path / "short.csv"
    path.write_text(f"{HEADER}\n{ROW}\n{FILLER}12345,true\r\n\r\n")
    result = run("score", path, "-m", model, "-o", tmp_path / "out.csv")
    assert_input_error(result, str(path), f"line {FILLER_LINES + 3} has 2 fields")
    assert "cut short" not in result.stderr
    for last in ('12345,true,"soft\nware"\n', "12345,true,software", ",,\n,\n"):
        path.write_text(f"{HEADER}\n{ROW}\n{FILLER}{last}")
        result = run("score", path, "-m", model, "-o", "-", "-q")
        assert result.exit_code == 0, (last, result.stderr)


def test_a_short_last_line_is_refused_when_every_field_is_quoted(
    run: Callable[..., Result], tmp_path: Path, model: Path
) -> None:
    """Many CRMs quote every field: a cut record is caught there too, and a whole one
    (a comma or a doubled quote inside its values) passes."""
    quoted = "".join(f'"{i}","false","retail"\n' for i in range(SAMPLE_BYTES // 20 + 1000))
    path = tmp_path / "quoted.csv"
    path.write_text(f'"lead_id","demo","industry"\n{quoted}"12345","true"')
    result = run("score", path, "-m", model, "-o", tmp_path / "out.csv")
    assert_input_error(result, str(path), "has 2 fields", "cut short")
    path.write_text(f'"lead_id","demo","industry"\n{quoted}"12345","tr')  # inside a value
    result = run("score", path, "-m", model, "-o", tmp_path / "out.csv")
    assert_input_error(result, str(path), "unclosed or stray quote")
    assert not (tmp_path / "out.csv").exists()
    for last in ('"L9","true","soft, ""big"" ware"\n', '"L9","true",""\n'):
        path.write_text(f'"lead_id","demo","industry"\n{quoted}{last}')
        result = run("score", path, "-m", model, "-o", "-", "-q")
        assert result.exit_code == 0, (last, result.stderr)
        assert result.stdout.count("\nL9,true,") == 1


# --- wide exports ----------------------------------------------------------------------


def test_an_export_with_thousands_of_custom_fields_scores_in_seconds(
    run: Callable[..., Result], model: Path, tmp_path: Path
) -> None:
    """CRM exports carry hundreds or thousands of custom fields. The filter that drops
    blank lines looks at every column; planned as a plain filter, it took time and memory
    that grew with the square of the column count (30 s and 1.2 GB at 1,000 columns, out
    of memory at 5,000). Every column is still written, blank lines still skipped."""
    import time

    extra = [f"custom_{i}" for i in range(2_000)]
    rows = [",".join([HEADER, *extra])]
    rows += [",".join([f"{i},true,software", *["x" * 20] * len(extra)]) for i in range(20)]
    data = tmp_path / "wide.csv"
    data.write_text("\n\n".join(rows) + "\n")
    out = tmp_path / "out.csv"
    started = time.perf_counter()
    result = run("score", data, "-m", model, "-o", out, "--as-of", "2026-11-01", "-q")
    assert time.perf_counter() - started < 30  # about 3 s; minutes before
    assert result.exit_code == 0, result.stderr
    scored = pl.read_csv(out, infer_schema=False)
    assert scored.height == 20
    assert scored.columns[: 3 + len(extra)] == [*HEADER.split(","), *extra]
