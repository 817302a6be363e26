"""Tests for the synthetic CRM export generator: shape, mess, signal, determinism, writing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from leadscore_cli.errors import OutputError, UsageError
from leadscore_cli.sample import (
    COLUMNS,
    GROUND_TRUTH,
    INDUSTRIES,
    SCHEMA,
    SIZE_BAND_UPPER,
    generate_leads,
    generator,
    write_sample,
)

EXPECTED_COLUMNS = [
    "lead_id",
    "email",
    "first_name",
    "company",
    "industry",
    "job_title",
    "country",
    "employees",
    "Annual Revenue",
    "lead_source",
    "website_visits",
    "pages_viewed",
    "time_on_site_sec",
    "email_opens",
    "email_clicks",
    "content_downloads",
    "webinar_attended",
    "demo_requested",
    "unsubscribed",
    "created_date",
    "last_activity_date",
    "stage",
    "converted",
]
TRUE_TEXT = ["yes", "true", "1"]
REPO_SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "leads.csv"


@pytest.fixture(scope="module")
def leads() -> pl.DataFrame:
    return generate_leads(20_000, seed=7)


def _rate(frame: pl.DataFrame, condition: pl.Expr) -> float:
    return frame.filter(condition)["converted"].mean()


def _is_true(column: str) -> pl.Expr:
    return pl.col(column).str.to_lowercase().is_in(TRUE_TEXT)


def _canonical(column: str) -> pl.Expr:
    return pl.col(column).str.strip_chars().str.to_lowercase()


def test_columns_are_exact_and_typed(leads: pl.DataFrame) -> None:
    assert leads.columns == EXPECTED_COLUMNS
    assert list(COLUMNS) == EXPECTED_COLUMNS
    assert leads.schema == SCHEMA


@pytest.mark.parametrize("rows", [0, 1, 999])
def test_row_count(rows: int) -> None:
    frame = generate_leads(rows, seed=1)
    assert frame.height == rows
    assert frame.columns == EXPECTED_COLUMNS


def test_same_seed_same_frame_different_seed_different_data() -> None:
    assert generate_leads(2_000, seed=3).equals(generate_leads(2_000, seed=3))
    other = generate_leads(2_000, seed=4)
    assert not generate_leads(2_000, seed=3).equals(other)
    assert (generate_leads(2_000, seed=3)["email"] != other["email"]).sum() > 1_000


def test_same_seed_same_bytes_different_seed_different_bytes(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    assert write_sample(a, 3_000, seed=11) == 3_000
    write_sample(b, 3_000, seed=11)
    write_sample(c, 3_000, seed=12)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_csv_round_trips_to_generate_leads(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    write_sample(path, 2_500, seed=5)
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(EXPECTED_COLUMNS)
    assert len(text.splitlines()) == 2_501
    back = pl.read_csv(path, schema=SCHEMA)
    assert back.equals(generate_leads(2_500, seed=5))


def test_conversion_rate_is_plausible(leads: pl.DataFrame) -> None:
    assert 0.09 <= leads["converted"].mean() <= 0.16
    won = leads.filter(pl.col("stage") == "Closed Won")
    assert won["converted"].all()
    assert won.height == leads["converted"].sum()
    lost = leads.filter(~pl.col("converted"))
    assert set(lost["stage"].unique()) == {"Closed Lost", "Open", "Nurturing"}
    assert 0.5 <= (lost["stage"] == "Closed Lost").mean() <= 0.7


def test_lead_ids_have_a_few_deliberate_duplicates(leads: pl.DataFrame) -> None:
    assert leads["lead_id"].str.contains(r"^L\d{8}$").all()
    assert leads["lead_id"][0] == "L00000001"
    extra = leads.height - leads["lead_id"].n_unique()
    assert 0.0005 * leads.height <= extra <= 0.005 * leads.height
    # A duplicate repeats an id that appeared on an earlier row.
    first_seen = leads.with_row_index("row").group_by("lead_id").agg(pl.col("row").min())
    dup_rows = (
        leads.with_row_index("row")
        .filter(pl.col("lead_id").is_duplicated())
        .join(first_seen, on="lead_id", suffix="_first")
        .filter(pl.col("row") != pl.col("row_first"))
    )
    assert dup_rows.height == extra
    assert (dup_rows["row"] > dup_rows["row_first"]).all()


def test_messy_values_are_present(leads: pl.DataFrame) -> None:
    industry = leads["industry"]
    assert industry.null_count() > 0
    assert {"N/A", "Select"} <= set(industry.drop_nulls())
    clean = industry.drop_nulls().filter(~industry.drop_nulls().is_in(["N/A", "Select"]))
    assert (clean == clean.str.to_lowercase()).mean() > 0.8  # mostly lowercase canonical
    assert clean.str.contains("[A-Z]").any()  # "Software", "SOFTWARE"
    assert clean.str.ends_with(" ").any()  # "software "
    assert set(clean.str.strip_chars().str.to_lowercase().unique()) == set(INDUSTRIES)
    assert "Select" in set(leads["job_title"].drop_nulls())
    assert leads["job_title"].null_count() > 0
    employees = leads["employees"].drop_nulls()
    assert employees.str.contains(",").any()
    assert (employees == "N/A").any()
    revenue = leads["Annual Revenue"].drop_nulls()
    assert (revenue.str.starts_with("$") & revenue.str.contains(",")).mean() > 0.3
    assert revenue.str.contains(r"^\d+$").mean() > 0.3
    assert revenue.str.starts_with("€").any()
    assert revenue.str.ends_with(".00").any()
    assert (revenue == "N/A").any()
    assert leads["Annual Revenue"].null_count() > 0
    amounts = revenue.filter(revenue != "N/A").str.replace_all(r"[$€,]", "")
    assert amounts.str.replace(r"\.00$", "").str.contains(r"^\d+$").all()  # still parseable
    email = leads["email"]
    assert 0 < email.null_count() < 0.03 * leads.height
    assert (~email.drop_nulls().str.contains("@")).any()
    assert email.drop_nulls().str.contains("@@").any()
    assert email.drop_nulls().str.ends_with("@").any()
    free = email.drop_nulls().str.contains("@(gmail|yahoo|hotmail)\\.com$").mean()
    assert 0.10 <= free <= 0.20
    assert (email.drop_nulls() == email.drop_nulls().str.to_lowercase()).all()
    formula = leads["company"].str.contains(r"^[=+@]").sum()
    assert 1 <= formula <= 0.004 * leads.height
    assert {"US", "USA", "United States", "UK"} <= set(leads["country"].drop_nulls())
    assert leads["country"].null_count() > 0
    flags = set(leads["demo_requested"].drop_nulls())
    assert {"yes", "no", "Yes", "No", "true", "false", "TRUE", "FALSE", "1", "0"} <= flags
    assert leads["unsubscribed"].null_count() > 0
    assert leads["last_activity_date"].null_count() > 0


def test_flag_rates_and_activity_invariants(leads: pl.DataFrame) -> None:
    assert 0.04 <= leads.select(_is_true("demo_requested").mean()).item() <= 0.08
    assert 0.035 <= leads.select(_is_true("unsubscribed").mean()).item() <= 0.065
    counts = leads.select(
        "website_visits",
        "pages_viewed",
        "time_on_site_sec",
        "email_opens",
        "email_clicks",
        "content_downloads",
    )
    assert (counts.min().row(0)) == (0,) * 6
    assert (leads["website_visits"] == 0).mean() > 0.2  # many zeros
    assert leads["website_visits"].max() > 10 * leads["website_visits"].mean()  # long tail
    assert (leads["pages_viewed"] >= leads["website_visits"]).mean() > 0.95
    assert (leads["email_clicks"] <= leads["email_opens"]).all()
    created = leads["created_date"].str.to_date("%Y-%m-%d")
    last = leads["last_activity_date"].str.to_date("%Y-%m-%d")
    assert created.min() == date(2025, 11, 1) and created.max() == date(2026, 10, 31)
    assert last.max() <= date(2026, 10, 31)
    assert (last.drop_nulls() >= created.filter(last.is_not_null())).all()


def test_hidden_signal_is_learnable(leads: pl.DataFrame) -> None:
    base = leads["converted"].mean()
    assert _rate(leads, _is_true("demo_requested")) > 1.8 * base
    assert _rate(leads, _canonical("job_title").is_in(["student", "intern"])) < 0.5 * base
    assert _rate(leads, _canonical("job_title").is_in(["ceo", "cto", "cfo"])) > 1.5 * base
    assert _rate(leads, _is_true("unsubscribed")) < 0.6 * base
    good = _rate(leads, _canonical("industry").is_in(["software", "saas"]))
    bad = _rate(leads, _canonical("industry").is_in(["education", "non-profit", "government"]))
    assert good > 1.8 * bad
    free = pl.col("email").str.contains("@(gmail|yahoo|hotmail)\\.com$")
    assert _rate(leads, free) < _rate(leads, ~free)
    size = pl.col("employees").str.replace_all(",", "").cast(pl.Int64, strict=False)
    mid = _rate(leads, size.is_between(51, 1000))
    assert mid > _rate(leads, size <= 10) and mid > _rate(leads, size > 5000)
    recent = pl.col("last_activity_date") >= "2026-09-01"
    assert _rate(leads, recent) > _rate(leads, pl.col("last_activity_date") < "2026-03-01")


def test_ground_truth_describes_the_documented_order() -> None:
    gt = GROUND_TRUTH
    tiers = list(gt["seniority"].values())
    assert tiers == sorted(tiers, reverse=True)  # c_level first, intern/student last
    assert gt["seniority"]["intern_student"] < 0 < gt["seniority"]["vp"]
    assert set(gt["industry"]) == set(INDUSTRIES)
    assert min(gt["industry"]["saas"], gt["industry"]["software"]) > 0
    assert max(gt["industry"][i] for i in ("education", "non-profit", "government")) < 0
    assert len(gt["company_size"]) == len(SIZE_BAND_UPPER) + 1
    sizes = list(gt["company_size"].values())
    assert sizes.index(max(sizes)) not in (0, len(sizes) - 1)  # mid-size best
    assert gt["demo_requested"] > gt["webinar_attended"] > 0
    assert gt["unsubscribed"] < gt["free_mail"] < 0
    assert gt["days_since_last_activity_per_30"] < 0
    assert gt["lead_source"] == 0


def test_chunked_writing_keeps_rows_and_unique_ids(tmp_path: Path) -> None:
    small, big = tmp_path / "small.csv", tmp_path / "big.csv"
    assert write_sample(small, 3_000, seed=9, chunk_rows=700) == 3_000
    assert write_sample(big, 3_000, seed=9, chunk_rows=10_000) == 3_000
    for path, chunk_rows in ((small, 700), (big, 10_000)):
        frame = pl.read_csv(path, schema=SCHEMA)
        assert frame.height == 3_000
        assert path.read_text(encoding="utf-8").count("lead_id,") == 1  # header written once
        # Ids never collide across chunks: every repeat of an id stays in its own chunk.
        chunk_of = frame.with_row_index("row").with_columns(chunk=pl.col("row") // chunk_rows)
        spread = chunk_of.group_by("lead_id").agg(pl.col("chunk").n_unique())
        assert spread["chunk"].max() == 1
        assert frame.height - frame["lead_id"].n_unique() < 0.01 * frame.height
    # Each chunk draws from its own stream: chunk 1 is not a copy of chunk 0.
    frame = pl.read_csv(small, schema=SCHEMA)
    assert (frame["email"][:700] != frame["email"][700:1400]).sum() > 600
    again = tmp_path / "again.csv"
    write_sample(again, 3_000, seed=9, chunk_rows=700)
    assert again.read_bytes() == small.read_bytes()


@pytest.mark.parametrize("name", ["leads.parquet", "leads.pq"])
def test_parquet_output(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    assert write_sample(path, 1_500, seed=2, chunk_rows=600) == 1_500
    assert path.read_bytes()[:4] == b"PAR1"
    frame = pl.read_parquet(path)
    assert frame.schema == SCHEMA
    csv = tmp_path / "same.csv"
    write_sample(csv, 1_500, seed=2, chunk_rows=600)
    assert frame.equals(pl.read_csv(csv, schema=SCHEMA))


def test_atomic_write_leaves_only_the_file(tmp_path: Path) -> None:
    path = tmp_path / "out" / "leads.csv"
    path.parent.mkdir()
    write_sample(path, 100, seed=1)
    assert [p.name for p in path.parent.iterdir()] == ["leads.csv"]


def test_failed_write_removes_temp_and_keeps_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("old\n", encoding="utf-8")
    real = generator._generate_chunk

    def fail_on_second(rows: int, seed: int, index: int, first: int) -> pl.DataFrame:
        if index == 1:
            raise RuntimeError("boom")
        return real(rows, seed, index, first)

    monkeypatch.setattr(generator, "_generate_chunk", fail_on_second)
    with pytest.raises(RuntimeError, match="boom"):
        write_sample(path, 300, seed=1, chunk_rows=100)
    assert [p.name for p in tmp_path.iterdir()] == ["leads.csv"]
    assert path.read_text(encoding="utf-8") == "old\n"


def test_unwritable_destination_is_an_output_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(OutputError) as info:
        write_sample(blocker / "leads.csv", 10)
    assert info.value.exit_code == 6
    with pytest.raises(OutputError):
        write_sample(tmp_path / "..", 10)
    target = tmp_path / "a_directory"
    target.mkdir()
    with pytest.raises(OutputError):
        write_sample(target, 10)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_directory", "file"]


@pytest.mark.parametrize(
    ("rows", "seed", "chunk_rows"), [(-1, 1, 10), (10, -1, 10), (10, 1, 0), (1.5, 1, 10)]
)
def test_bad_arguments_are_usage_errors(
    tmp_path: Path, rows: int, seed: int, chunk_rows: int
) -> None:
    with pytest.raises(UsageError):
        write_sample(tmp_path / "x.csv", rows, seed, chunk_rows=chunk_rows)
    assert not list(tmp_path.iterdir())


def test_zero_rows_writes_header_only(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    assert write_sample(path, 0) == 0
    assert path.read_text(encoding="utf-8") == ",".join(EXPECTED_COLUMNS) + "\n"


def test_shipped_sample_matches_the_generator(tmp_path: Path) -> None:
    """sample_data/leads.csv is write_sample(..., 5000, seed=42): regenerate it if this fails."""
    fresh = tmp_path / "leads.csv"
    write_sample(fresh, 5_000, seed=42)
    assert REPO_SAMPLE.read_bytes() == fresh.read_bytes()
