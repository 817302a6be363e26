"""Regenerate the bad-input corpus used by tests/test_bad_inputs.py.

Run from anywhere: `.venv/bin/python tests/data/bad/make_corpus.py`. Every file is
deterministic (fixed gzip mtime, fixed zip timestamps, no random data), so running it
again gives the same bytes for the same pyarrow version. `good_leads.csv` and
`good_model.toml` are the valid counterparts each bad case is paired with.
"""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent

HEADER = "lead_id,email,industry,employees,revenue,demo_requested,created_date"
ROWS = [
    'L001,ann@acme.io,software,250,"$1,200,000",yes,2026-10-01',
    "L002,bob@gmail.com,retail,12,90000,no,2026-03-15",
    'L003,cy@globex.com,saas,1200,"$45,000,000",yes,2026-09-30',
    "L004,dee@initech.com,education,,N/A,,2026-01-02",
    "L005,ed@hooli.com,software,80,500000,true,2026-08-20",
]
FILLER_ROWS = 24_000  # about 1.4 MB of rows: enough to push a fault past the 1 MiB sample

GOOD_MODEL = """\
[model]
name = "corpus"
version = "1.0.0"
id_column = "lead_id"

[fields.created_date]
type = "date"
format = "%Y-%m-%d"

[fields.revenue]
type = "float"

[tiers]
hot = 50
cold = 0

[[rules]]
name = "big_company"
points = 20
when = { field = "employees", op = "gte", value = 100 }

[[rules]]
name = "software"
field = "industry"
map = { software = 15, saas = 15 }
default = 0

[[rules]]
name = "revenue"
field = "revenue"
bands = [{ max = 1000000, points = 0 }, { min = 1000000, points = 10 }]

[[rules]]
name = "demo"
category = "engagement"
points = 40
when = { field = "demo_requested", op = "eq", value = true }
decay = { field = "created_date", half_life_days = 60 }
"""

MODEL_HEAD = '[model]\nname = "bad"\n\n'
RULE = '[[rules]]\nname = "demo"\npoints = 40\n'
DEMO = 'when = { field = "demo_requested", op = "eq", value = true }\n'


def csv(*rows: str, header: str = HEADER) -> bytes:
    """A CSV file: the header then `rows`, one per line."""
    return ("\n".join([header, *rows]) + "\n").encode()


def replace_cell(row: str, column: str, value: str) -> str:
    """`row` (one of ROWS, without quoted commas) with one cell replaced."""
    cells = row.split(",")
    cells[HEADER.split(",").index(column)] = value
    return ",".join(cells)


def filler() -> list[str]:
    """Many identical valid rows: they compress to almost nothing (ids need not be unique)."""
    return ["F000000,x@filler.io,software,10,1000,no,2026-01-01"] * FILLER_ROWS


def half(data: bytes) -> bytes:
    """The first half of `data`: a download cut short."""
    return data[: len(data) // 2]


def flip(data: bytes, index: int) -> bytes:
    """`data` with the byte at `index` inverted (a corrupt checksum, say)."""
    out = bytearray(data)
    out[index] ^= 0xFF
    return bytes(out)


def smash_footer(data: bytes) -> bytes:
    """A Parquet file whose footer length and metadata are garbage (magic bytes intact)."""
    return data[:-30] + b"\xff" * 26 + data[-4:]


def gz(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


def zstd(data: bytes) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.CompressedOutputStream(sink, "zstd") as out:
        out.write(data)
    return sink.getvalue().to_pybytes()


def parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def good_table() -> pa.Table:
    rows = [r.replace('"$1,200,000"', "1200000").replace('"$45,000,000"', "45000000") for r in ROWS]
    cells = [r.split(",") for r in rows]
    names = HEADER.split(",")
    return pa.table({name: [c[i] for c in cells] for i, name in enumerate(names)})


def xlsx_like() -> bytes:
    """A zip archive (what an .xlsx is) with fixed timestamps."""
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml", date_time=(2026, 1, 1, 0, 0, 0))
        archive.writestr(info, "<worksheet>" + "<row/>" * 200 + "</worksheet>")
    return sink.getvalue()


def corpus() -> dict[str, bytes]:
    """File name -> content for every case (and the two good files)."""
    r1, r2, r3 = ROWS[1], ROWS[3], ROWS[4]  # rows without quoted commas: safe to split
    files: dict[str, bytes] = {
        "good_leads.csv": csv(*ROWS),
        "good_model.toml": GOOD_MODEL.encode(),
        # --- bad input: exit 4 ---------------------------------------------------
        "ragged_too_many.csv": csv(ROWS[0], r1 + ",extra", r2),
        "ragged_too_few.csv": csv(ROWS[0], r1, r2.rsplit(",", 2)[0]),
        "ragged_too_many_late.csv.gz": gz(csv(*filler(), r1 + ",extra")),
        "unclosed_quote.csv": csv(ROWS[0], r1, 'L009,"eve@acme.io,software,10,5,no,2026-01-01'),
        "stray_quote.csv": csv(ROWS[0], 'L009,eve@acme.io,soft"ware,10,5,no,2026-01-01'),
        "latin1_no_encoding.csv": csv(ROWS[0], "L009,zoe@café.fr,software,10,5,no,2026-01-01")
        .decode()
        .encode("latin-1"),
        "latin1_late.csv.gz": gz(
            csv(*filler(), "L009,zoe@café.fr,software,10,5,no,2026-01-01")
            .decode()
            .encode("latin-1")
        ),
        "utf16_no_encoding.csv": csv(*ROWS).decode().encode("utf-16"),
        "utf16le_no_bom.csv": csv(*ROWS).decode().encode("utf-16-le"),
        "nul_bytes.csv": b"\x00" * 4096,
        "empty.csv": b"",
        "blank_lines_only.csv": b"\n\n\n",
        "duplicate_header.csv": csv(ROWS[0], header=HEADER + ",email"),
        "blank_header_name.csv": csv(ROWS[0] + ",x", header=HEADER + ","),
        "truncated.parquet": parquet(good_table())[:-40],
        "csv_text.parquet": csv(*ROWS),
        "corrupt_footer.parquet": smash_footer(parquet(good_table())),
        "empty.parquet": b"",
        "duplicate_column.parquet": parquet(
            pa.Table.from_arrays(
                [*good_table().columns, good_table().column(1)],
                names=[*good_table().column_names, "email"],
            )
        ),
        "truncated.csv.gz": half(gz(csv(*ROWS, *filler()))),
        "truncated.csv.zst": half(zstd(csv(*ROWS))),
        "truncated_late.csv.gz": gz(csv(*ROWS, *filler(), *filler(), *filler()))[:-1000],
        "bad_crc.csv.gz": flip(gz(csv(*ROWS)), -8),
        "unclosed_quote_late.csv.gz": gz(
            csv(*filler(), 'L009,"eve@acme.io,software,10,5,no,2026-01-01', *ROWS[1:])
        ),
        "html_error_page.csv": (
            b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
            b"<body>Try again later, or contact support.</body></html>\n"
        ),
        "xlsx_as_csv.csv": xlsx_like(),
        "binary.csv": bytes(range(256)) * 64,
        # --- bad data: exit 5 ----------------------------------------------------
        "missing_column.csv": csv(
            *[r.rsplit(",", 2)[0] + "," + r.rsplit(",", 1)[1] for r in (r1, r2, r3)],
            header="lead_id,email,industry,employees,revenue,created_date",
        ),
        "missing_id_column.csv": csv(
            *[r.split(",", 1)[1] for r in (r1, r2, r3)], header=HEADER.split(",", 1)[1]
        ),
        "wrong_type_lots.csv": csv(ROWS[0], r1, replace_cell(r3, "employees", "lots")),
        "huge_number.csv": csv(ROWS[0], r1, replace_cell(r3, "revenue", "1e400")),
        "nan_number.csv": csv(ROWS[0], replace_cell(r1, "employees", "NaN"), r3),
        "inf_number.csv": csv(ROWS[0], r1, replace_cell(r3, "revenue", "-inf")),
        "impossible_date.csv": csv(ROWS[0], r1, replace_cell(r3, "created_date", "2026-02-30")),
        "bad_boolean.csv": csv(ROWS[0], replace_cell(r1, "demo_requested", "maybe"), r3),
        "wrong_type_late.csv.gz": gz(csv(*filler(), replace_cell(r3, "employees", "lots"))),
        "date_as_number.parquet": parquet(
            good_table().set_column(3, "employees", pa.array([0] * 5, pa.int32()).cast(pa.date32()))
        ),
        "nan_inf.parquet": parquet(
            good_table().set_column(
                3, "employees", pa.array([1.0, float("nan"), 3.0, None, float("inf")])
            )
        ),
        # --- bad model: exit 3 ---------------------------------------------------
        "toml_syntax_error.toml": (MODEL_HEAD + "[[rules]\n" + DEMO).encode(),
        "unknown_key.toml": (MODEL_HEAD + RULE + "pointz = 5\n" + DEMO).encode(),
        "unknown_operator.toml": (
            MODEL_HEAD + RULE + 'when = { field = "employees", op = "gte=", value = 3 }\n'
        ).encode(),
        "bad_regex.toml": (
            MODEL_HEAD + RULE + 'when = { field = "industry", op = "matches", value = "soft(" }\n'
        ).encode(),
        "unordered_tiers.toml": (
            MODEL_HEAD + "[tiers]\ncold = 0\nhot = 50\n\n" + RULE + DEMO
        ).encode(),
        "no_rules.toml": (MODEL_HEAD + "[tiers]\nhot = 50\ncold = 0\n").encode(),
        "rule_on_missing_column.toml": (
            MODEL_HEAD + RULE + 'when = { field = "job_title", op = "contains", value = "ceo" }\n'
        ).encode(),
        "points_not_number.toml": (
            MODEL_HEAD + '[[rules]]\nname = "demo"\npoints = "forty"\n' + DEMO
        ).encode(),
        "bad_field_type.toml": (
            MODEL_HEAD
            + '[fields.employees]\ntype = "integer"\n\n'
            + RULE
            + 'when = { field = "employees", op = "gte", value = 100 }\n'
        ).encode(),
        "duplicate_rule_names.toml": (MODEL_HEAD + RULE + DEMO + "\n" + RULE + DEMO).encode(),
        "overlapping_bands.toml": (
            MODEL_HEAD + '[[rules]]\nname = "size"\nfield = "employees"\n'
            "bands = [{ min = 0, max = 100, points = 5 }, { min = 50, points = 10 }]\n"
        ).encode(),
        "decay_without_half_life.toml": (
            MODEL_HEAD + RULE + DEMO + 'decay = { field = "created_date" }\n'
        ).encode(),
        "empty_model.toml": b"",
        "model_not_utf8.toml": (MODEL_HEAD.replace("bad", "café") + RULE + DEMO).encode("latin-1"),
        "model_missing_name.toml": ('[model]\nversion = "1"\n\n' + RULE + DEMO).encode(),
        "lowest_tier_not_zero.toml": (
            MODEL_HEAD + "[tiers]\nhot = 50\nwarm = 20\n\n" + RULE + DEMO
        ).encode(),
        "conflicting_field_uses.toml": (
            MODEL_HEAD + RULE + 'when = { field = "employees", op = "gte", value = 100 }\n\n'
            '[[rules]]\nname = "old"\npoints = -5\n'
            'when = { field = "employees", op = "older_than_days", value = 30 }\n'
        ).encode(),
    }
    return files


DIRECTORIES = ("directory.csv", "model_directory.toml")
"""Cases that are folders, not files; each holds a README so that git keeps it."""


def write_corpus(folder: Path = HERE) -> list[str]:
    """Write every file and folder of the corpus into `folder`; return their names."""
    for name, data in corpus().items():
        (folder / name).write_bytes(data)
    for name in DIRECTORIES:
        (folder / name).mkdir(exist_ok=True)
        (folder / name / "README").write_text("A folder where a file is expected.\n")
    return [*corpus(), *DIRECTORIES]


if __name__ == "__main__":
    print(f"wrote {len(write_corpus())} entries to {HERE}")
