"""`leadscore grade`: tier, grade and priority from a raw export or a scored file.

Every expected grade, tier and priority on the tiny model below is worked out by
hand in the comments; the sample-based tests compare against independent counts.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import polars as pl
import pytest

from leadscore_cli.errors import EXIT_DATA, EXIT_MODEL, EXIT_OUTPUT, EXIT_USAGE
from tests.conftest import AS_OF, B2B_MODEL, SAMPLE, SIMPLE_MODEL

# ----------------------------------------------------------------- a tiny model

HEAD = """
[model]
name = "tiny"
version = "1.0.0"
id_column = "lead_id"
"""
TIERS = """
[tiers]
sql = 60
mql = 30
cold = 0
"""
# fit can reach -10 (spam only) .. 50 (exec + big): a span of 60 points
RULES = """
[[rules]]
name = "exec"
category = "fit"
points = 30
when = { field = "title", op = "eq", value = "ceo" }

[[rules]]
name = "big"
category = "fit"
points = 20
when = { field = "employees", op = "gte", value = 100 }

[[rules]]
name = "spam"
category = "fit"
points = -10
when = { field = "email", op = "contains", value = "@gmail" }

[[rules]]
name = "demo"
category = "engagement"
points = 50
when = { field = "demo", op = "eq", value = true }
"""

# (exec, big, spam) -> fit points; percent of [-10, 50] = (fit + 10) / 60 * 100
FIT_COMBOS = [
    (True, True, False),  # 50 -> 100%
    (True, True, True),  # 40 -> 83.33%
    (True, False, False),  # 30 -> 66.67%
    (True, False, True),  # 20 -> 50% exactly
    (False, True, False),  # 20 -> 50% exactly
    (False, True, True),  # 10 -> 33.33%
    (False, False, False),  # 0 -> 16.67%
    (False, False, True),  # -10 -> 0%
]
FIT = [50, 40, 30, 20, 20, 10, 0, -10]
# rows 1-8 requested a demo (+50 engagement), rows 9-16 did not; score clips at 0
SCORES = [*(100, 90, 80, 70, 70, 60, 50, 40), *(50, 40, 30, 20, 20, 10, 0, 0)]
# sql >= 60, mql >= 30, cold below; each bound inclusive (60 -> sql, 30 -> mql)
TIER_NAMES = ["sql"] * 6 + ["mql", "mql"] + ["mql"] * 3 + ["cold"] * 5


def tiny_leads() -> pl.DataFrame:
    rows = []
    for index, demo in enumerate((True, False)):
        for combo, (is_exec, big, spam) in enumerate(FIT_COMBOS):
            rows.append(
                {
                    "lead_id": f"L{index * 8 + combo + 1:02d}",
                    "title": "ceo" if is_exec else "analyst",
                    "employees": "500" if big else "5",
                    "email": "x@gmail.com" if spam else "x@acme.com",
                    "demo": "yes" if demo else "no",
                    "converted": "true" if combo % 2 == 0 else "false",
                }
            )
    return pl.DataFrame(rows)


def write_model(tmp_path: Path, *parts: str, name: str = "model.toml") -> Path:
    path = tmp_path / name
    path.write_text(HEAD + "".join(parts) + RULES)
    return path


def grade_tiny(run, tmp_path: Path, *parts: str, args: tuple = ()) -> pl.DataFrame:
    source = tmp_path / "tiny.csv"
    tiny_leads().write_csv(source)
    model = write_model(tmp_path, *parts)
    out = tmp_path / "graded.parquet"
    result = run("grade", source, "-m", model, "-o", out, "-q", "--as-of", AS_OF, *args)
    assert result.exit_code == 0, result.stderr
    return pl.read_parquet(out)


def labels(frame: pl.DataFrame, column: str) -> list[str]:
    return frame[column].cast(pl.String).to_list()


def assert_clean_failure(result, code: int, *needles: str) -> None:
    assert result.exit_code == code, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("leadscore: ")
    for needle in needles:
        assert needle in result.stderr, result.stderr


# ---------------------------------------------------------- hand-computed grades


def test_percent_grades_tiers_and_priorities_by_hand(run, tmp_path):
    grading = '[grading]\ncategories = ["fit"]\nbands = { A = 75, B = 50, C = 25, F = 0 }\n'
    graded = grade_tiny(run, tmp_path, TIERS, grading)
    assert graded["lead_id"].to_list() == [f"L{i:02d}" for i in range(1, 17)]
    assert graded["score"].to_list() == SCORES
    assert graded["score_fit"].to_list() == FIT * 2
    assert labels(graded, "tier") == TIER_NAMES
    # 100 A, 83.33 A, 66.67 B, 50 B (inclusive), 50 B, 33.33 C, 16.67 F, 0 F
    assert labels(graded, "grade") == ["A", "A", "B", "B", "B", "C", "F", "F"] * 2
    # priority = grade letter + tier rank (sql 1, mql 2, cold 3)
    assert labels(graded, "priority") == [
        *("A1", "A1", "B1", "B1", "B1", "C1", "F2", "F2"),
        *("A2", "A2", "B2", "B3", "B3", "C3", "F3", "F3"),
    ]


def test_default_grading_uses_fit_and_the_usual_letters(run, tmp_path):
    # no [grading]: fit, A >= 80, B >= 60, C >= 40, D >= 20, F
    graded = grade_tiny(run, tmp_path, TIERS)
    # 100 A, 83.33 A, 66.67 B, 50 C, 50 C, 33.33 D, 16.67 F, 0 F
    assert labels(graded, "grade") == ["A", "A", "B", "C", "C", "D", "F", "F"] * 2
    assert graded.schema["grade"] == pl.Enum(["A", "B", "C", "D", "F"])


def test_grade_from_two_categories_is_percent_of_their_joint_range(run, tmp_path):
    # fit [-10, 50] + engagement [0, 50] = [-10, 100], span 110; points = fit + engagement
    grading = '[grading]\ncategories = ["fit", "engagement"]\n'
    graded = grade_tiny(run, tmp_path, TIERS, grading)
    # with demo: 100/110=100%, 90.9, 81.8, 72.7, 72.7, 63.6, 54.5, 45.5
    # without:   54.5, 45.5, 36.4, 27.3, 27.3, 18.2, 9.1, 0
    assert labels(graded, "grade") == [
        *("A", "A", "A", "B", "B", "B", "C", "C"),
        *("C", "C", "D", "D", "D", "F", "F", "F"),
    ]


def test_plus_minus_percent_cutoffs_by_hand(run, tmp_path):
    grading = "[grading]\nbands = { A = 75, B = 50, C = 25, F = 0 }\nplus_minus = true\n"
    graded = grade_tiny(run, tmp_path, TIERS, grading)
    # A: 75-100 in thirds of 8.33 -> A+ >= 91.67, A >= 83.33, A- >= 75
    # B: 50-75 -> B+ >= 66.67, B >= 58.33, B- >= 50;  C: C+ >= 41.67, C >= 33.33, C- >= 25
    # fit 40 is (40+10)/60 = 83.33...% and fit 10 is 33.33...%: exactly on the A and C
    # cutoffs, which include their lower bound
    assert labels(graded, "grade") == ["A+", "A", "B+", "B-", "B-", "C", "F", "F"] * 2
    # the priority keeps the base letter
    assert labels(graded, "priority")[:8] == ["A1", "A1", "B1", "B1", "B1", "C1", "F2", "F2"]


def test_points_scale_cutoffs_by_hand(run, tmp_path):
    grading = '[grading]\nbands = { A = 40, B = 20, F = 0 }\nscale = "points"\n'
    graded = grade_tiny(run, tmp_path, TIERS, grading)
    # fit points 50 40 30 20 20 10 0 -10 against A >= 40, B >= 20
    assert labels(graded, "grade") == ["A", "A", "B", "B", "B", "F", "F", "F"] * 2


def test_points_scale_plus_minus_splits_up_to_the_attainable_top(run, tmp_path):
    grading = '[grading]\nbands = { A = 40, B = 20, F = 0 }\nscale = "points"\nplus_minus = true\n'
    graded = grade_tiny(run, tmp_path, TIERS, grading)
    # fit tops out at 50 points: A+ >= 46.67, A >= 43.33, A- >= 40;
    # B spans 20-40: B+ >= 33.33, B >= 26.67, B- >= 20
    assert labels(graded, "grade") == ["A+", "A-", "B", "B-", "B-", "F", "F", "F"] * 2


def test_enum_types_and_sort_order_in_parquet(run, tmp_path):
    grading = "[grading]\nbands = { A = 75, B = 50, C = 25, F = 0 }\nplus_minus = true\n"
    graded = grade_tiny(run, tmp_path, TIERS, grading)
    grades = ["A+", "A", "A-", "B+", "B", "B-", "C+", "C", "C-", "F"]
    tiers = ["sql", "mql", "cold"]
    priorities = [f"{letter}{rank}" for rank in (1, 2, 3) for letter in "ABCF"]
    assert priorities[:5] == ["A1", "B1", "C1", "F1", "A2"]  # tier-major
    assert graded.schema["grade"] == pl.Enum(grades)
    assert graded.schema["tier"] == pl.Enum(tiers)
    assert graded.schema["priority"] == pl.Enum(priorities)
    # sorting follows the declared order, not the alphabet ("A" < "A+", "mql" < "sql")
    by_grade = labels(graded.sort("grade"), "grade")
    assert by_grade == sorted(by_grade, key=grades.index)
    assert by_grade[:2] == ["A+", "A+"] and by_grade[2:4] == ["A", "A"]
    by_tier = labels(graded.sort("tier"), "tier")
    assert by_tier == ["sql"] * 6 + ["mql"] * 5 + ["cold"] * 5
    by_priority = labels(graded.sort("priority"), "priority")
    assert by_priority == [
        *("A1", "A1", "B1", "B1", "B1", "C1"),
        *("A2", "A2", "B2", "F2", "F2"),
        *("B3", "B3", "C3", "F3", "F3"),
    ]


def test_sort_option_ranks_by_score(run, tmp_path):
    graded = grade_tiny(run, tmp_path, TIERS, args=("--sort",))
    assert graded["score"].to_list() == sorted(SCORES, reverse=True)
    # ties broken by lead id: L04 and L05 both score 70
    assert graded["lead_id"].to_list()[3:5] == ["L04", "L05"]


# ------------------------------------------------- raw export vs. a scored file


def test_raw_export_and_scored_file_give_the_same_labels(run, tmp_path):
    scored = tmp_path / "scored.csv"
    result = run("score", SAMPLE, "-m", B2B_MODEL, "-o", scored, "-q", "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    # without a column the model reads, the scored file can only be graded from its scores
    trimmed = tmp_path / "trimmed.csv"
    pl.read_csv(scored, infer_schema=False).drop("job_title").write_csv(trimmed)

    outputs = {}
    for name, source in (("raw", SAMPLE), ("scored", trimmed)):
        out = tmp_path / f"{name}.parquet"
        result = run("grade", source, "-m", B2B_MODEL, "-o", out, "--as-of", AS_OF, "--json")
        assert result.exit_code == 0, result.stderr
        summary = json.loads(result.stdout)
        assert summary["rescored"] is (name == "raw")
        assert summary["rows"] == 5000
        outputs[name] = pl.read_parquet(out)
    raw, again = outputs["raw"], outputs["scored"]
    assert raw.height == again.height == 5000
    assert raw["lead_id"].to_list() == again["lead_id"].to_list()
    for column in ("tier", "grade", "priority"):
        assert raw.schema[column] == again.schema[column]
        assert labels(raw, column) == labels(again, column), column
    assert raw["score"].to_list() == again["score"].to_list()
    # the tier `score` wrote is the tier grade recomputes
    assert labels(raw, "tier") == pl.read_csv(scored, infer_schema=False)["tier"].to_list()
    assert raw["tier"].n_unique() == 4 and raw["grade"].n_unique() == 5


def scored_tiny(run, tmp_path: Path, suffix: str) -> tuple[Path, pl.DataFrame]:
    """(model, the tiny leads as `score` wrote them to a .csv or .parquet file)."""
    source = tmp_path / "tiny.csv"
    tiny_leads().write_csv(source)
    model = write_model(tmp_path, TIERS)
    scored = tmp_path / f"scored{suffix}"
    assert run("score", source, "-m", model, "-o", scored, "-q").exit_code == 0
    if suffix == ".parquet":
        return model, pl.read_parquet(scored)
    return model, pl.read_csv(scored, infer_schema=False)


def test_unreadable_scores_in_a_scored_file_stop_the_run(run, tmp_path):
    model, frame = scored_tiny(run, tmp_path, ".csv")
    broken = tmp_path / "broken.csv"
    frame.with_columns(
        pl.when(pl.col("lead_id") == "L03").then(pl.lit("n.a.")).otherwise("score").alias("score")
    ).write_csv(broken)
    out = tmp_path / "graded.csv"
    result = run("grade", broken, "-m", model, "-o", out)
    # read as null it would quietly become `cold` and `F`
    assert_clean_failure(result, EXIT_DATA, "'score'", "'n.a.'", "row 3")
    assert not out.exists()


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_nan_and_infinite_scores_stop_the_run(run, tmp_path, value):
    model, frame = scored_tiny(run, tmp_path, ".parquet")
    broken = tmp_path / "broken.parquet"
    frame.with_columns(
        pl.when(pl.col("lead_id") == "L16").then(value).otherwise("score").alias("score")
    ).write_parquet(broken)
    out = tmp_path / "graded.csv"
    result = run("grade", broken, "-m", model, "-o", out)
    # NaN and inf compare above every cutoff: L16 (score 0) would be labelled `sql`
    assert_clean_failure(result, EXIT_DATA, "'score'", "row 16")
    assert not out.exists()


@pytest.mark.parametrize("column", ["score", "score_fit"])
def test_blank_scores_in_a_scored_file_stop_the_run(run, tmp_path, column):
    model, frame = scored_tiny(run, tmp_path, ".csv")
    blanked = tmp_path / "blanked.csv"
    frame.with_columns(
        pl.when(pl.col("lead_id").is_in(["L02", "L05"])).then(None).otherwise(column).alias(column)
    ).write_csv(blanked)
    out = tmp_path / "graded.csv"
    result = run("grade", blanked, "-m", model, "-o", out)
    # a lead with no score is not a cold lead: L02 (score 90) would be labelled `cold`
    assert_clean_failure(result, EXIT_DATA, f"'{column}'", "2 rows", "row 2", "--rescore")
    assert not out.exists()
    rescored = run("grade", blanked, "-m", model, "-o", out, "-q", "--rescore")
    assert rescored.exit_code == 0, rescored.stderr
    assert labels(pl.read_csv(out), "tier") == TIER_NAMES


# ----------------------------------------------------------------- --split-by


def graded_sample(run, tmp_path: Path) -> pl.DataFrame:
    out = tmp_path / "all.csv"
    result = run("grade", SAMPLE, "-m", B2B_MODEL, "-o", out, "-q", "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    return pl.read_csv(out, infer_schema=False)


@pytest.mark.parametrize("key", ["grade", "tier", "priority"])
def test_split_by_writes_one_file_per_segment(run, tmp_path, key):
    whole = graded_sample(run, tmp_path)
    folder = tmp_path / "segments"
    result = run(
        "grade",
        SAMPLE,
        "-m",
        B2B_MODEL,
        "-o",
        folder,
        "--split-by",
        key,
        "--as-of",
        AS_OF,
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    counts = dict(whole[key].value_counts().iter_rows())
    expected_files = {f"{key}={value}.csv" for value in counts}
    assert {p.name for p in folder.iterdir()} == expected_files
    assert sorted(Path(f).name for f in summary["files"]) == sorted(expected_files)
    total = 0
    ids = []
    for value, count in counts.items():
        part = pl.read_csv(folder / f"{key}={value}.csv", infer_schema=False)
        assert part.height == count
        assert part[key].unique().to_list() == [value]  # only its own segment
        assert part.columns == whole.columns
        total += part.height
        ids += part["lead_id"].to_list()
    assert total == whole.height == 5000
    assert sorted(ids) == sorted(whole["lead_id"].to_list())
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp folder


def test_split_by_parquet_keeps_enums(run, tmp_path):
    folder = tmp_path / "seg"
    result = run(
        "grade",
        SAMPLE,
        "-m",
        B2B_MODEL,
        "-o",
        folder,
        "--split-by",
        "tier",
        "--format",
        "parquet",
        "-q",
        "--as-of",
        AS_OF,
    )
    assert result.exit_code == 0, result.stderr
    names = sorted(p.name for p in folder.iterdir())
    assert names == [f"tier={t}.parquet" for t in sorted(["sql", "mql", "nurture", "cold"])]
    part = pl.read_parquet(folder / "tier=mql.parquet")
    assert part.schema["tier"] == pl.Enum(["sql", "mql", "nurture", "cold"])
    assert set(labels(part, "tier")) == {"mql"}


def test_split_by_replaces_a_folder_and_a_failure_keeps_the_old_one(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a relative OUTPUT, as typed at a prompt
    first = run(
        "grade", SAMPLE, "-m", B2B_MODEL, "-o", "seg", "--split-by", "grade", "-q", "--as-of", AS_OF
    )
    assert first.exit_code == 0, first.stderr
    folder = tmp_path / "seg"
    assert {p.name for p in folder.iterdir()} == {f"grade={g}.csv" for g in "ABCDF"}
    umask = os.umask(0o022)
    os.umask(umask)
    # the mode a new folder gets, not the private 0700 of a temp folder
    assert os.stat(folder).st_mode & 0o777 == 0o777 & ~umask

    second = run(
        "grade", SAMPLE, "-m", B2B_MODEL, "-o", "seg", "--split-by", "tier", "-q", "--as-of", AS_OF
    )
    assert second.exit_code == 0, second.stderr
    tier_files = {f"tier={t}.csv" for t in ("sql", "mql", "nurture", "cold")}
    assert {p.name for p in folder.iterdir()} == tier_files  # replaced as a whole
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    broken = tmp_path / "broken.csv"
    frame = pl.read_csv(SAMPLE, infer_schema=False)
    frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 4000)
        .then(pl.lit("lots"))
        .otherwise("employees")
        .alias("employees")
    ).write_csv(broken)
    failed = run(
        "grade", broken, "-m", B2B_MODEL, "-o", "seg", "--split-by", "grade", "--as-of", AS_OF
    )
    assert_clean_failure(failed, EXIT_DATA, "'employees'", "'lots'", "row 4001")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.csv", "seg"]  # no temp folder


def split_tiny(run, tmp_path: Path, folder: Path, *args: str):
    source = tmp_path / "tiny.csv"
    tiny_leads().write_csv(source)
    model = write_model(tmp_path, TIERS)
    return run("grade", source, "-m", model, "-o", folder, "--split-by", "tier", "-q", *args)


def test_split_by_refuses_a_folder_holding_other_files(run, tmp_path):
    # `-o ~/reports` must not delete the reports: the folder is replaced as a whole
    folder = tmp_path / "out"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "keep.csv").write_text("keep\n")
    (folder / "notes.txt").write_text("important\n")
    (folder / "grade=A.csv").write_text("from an earlier run\n")
    result = split_tiny(run, tmp_path, folder)
    assert_clean_failure(
        result,
        EXIT_OUTPUT,
        str(folder),
        "folder holds files other than this model's segment files (notes.txt and 1 more)",
        "give a new or empty folder",
    )
    assert len(result.stderr.splitlines()) == 1
    assert (folder / "notes.txt").read_text() == "important\n"
    assert (folder / "sub" / "keep.csv").read_text() == "keep\n"
    assert (folder / "grade=A.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.toml", "out", "tiny.csv"]

    # without them, what is left are an earlier run's segments: of any key and format,
    # a segment's second file; the run replaces them
    (folder / "notes.txt").unlink()
    (folder / "sub" / "keep.csv").unlink()
    (folder / "sub").rmdir()
    for name in ("tier=sql.parquet", "priority=A1-1.csv", "grade=F.csv", "priority=F3.parquet"):
        (folder / name).write_text("old\n")
    result = split_tiny(run, tmp_path, folder)
    assert result.exit_code == 0, result.stderr
    assert {p.name for p in folder.iterdir()} == {f"tier={t}.csv" for t in ("sql", "mql", "cold")}


@pytest.mark.parametrize(
    "name",
    [
        "tier=sql.txt",
        "region=EU.csv",
        "tier=.csv",
        ".hidden",
        "tier=sql.csv.bak",
        # named like segments, but no value this model's tiers, grades or priorities take
        "tier=my customer notes.csv",
        "grade=backup.parquet",
        "grade=None.csv",
        "grade=A+.csv",  # the model has no plus_minus
        "priority=A4.csv",  # it has three tiers
        "tier=sql-0.csv",
        "tier=sql-x.csv",
    ],
)
def test_split_by_refuses_names_it_does_not_write(run, tmp_path, name):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / name).write_text("mine\n")
    result = split_tiny(run, tmp_path, folder)
    assert_clean_failure(result, EXIT_OUTPUT, f"({name})")
    assert [p.name for p in folder.iterdir()] == [name]


def test_split_by_replaces_an_earlier_runs_plus_minus_grades(run, tmp_path):
    folder = tmp_path / "out"
    source = tmp_path / "tiny.csv"
    tiny_leads().write_csv(source)
    grading = "[grading]\nbands = { A = 75, B = 50, C = 25, F = 0 }\nplus_minus = true\n"
    model = write_model(tmp_path, TIERS, grading)
    args = ["grade", source, "-m", model, "-o", folder, "--split-by", "grade", "-q"]
    assert run(*args).exit_code == 0
    written = {p.name for p in folder.iterdir()}
    assert {"grade=A+.csv", "grade=B-.csv"} <= written
    result = run(*args, "--format", "parquet")
    assert result.exit_code == 0, result.stderr
    assert {p.name for p in folder.iterdir()} == {n.replace(".csv", ".parquet") for n in written}


def test_split_by_refuses_a_folder_named_like_a_segment(run, tmp_path):
    folder = tmp_path / "out"
    (folder / "tier=sql.csv").mkdir(parents=True)
    result = split_tiny(run, tmp_path, folder)
    assert_clean_failure(result, EXIT_OUTPUT, "(tier=sql.csv)")
    assert (folder / "tier=sql.csv").is_dir()


def test_split_by_refuses_a_folder_holding_the_input(run, tmp_path):
    folder = tmp_path / "seg"
    folder.mkdir()
    source = folder / "leads.csv"
    tiny_leads().write_csv(source)
    model = write_model(tmp_path, TIERS)
    result = run("grade", source, "-m", model, "-o", folder, "--split-by", "tier")
    assert_clean_failure(result, EXIT_OUTPUT, "seg")
    assert [p.name for p in folder.iterdir()] == ["leads.csv"]


def test_split_by_into_a_file_is_refused(run, tmp_path):
    model = write_model(tmp_path, TIERS)
    source = tmp_path / "tiny.csv"
    tiny_leads().write_csv(source)
    target = tmp_path / "out.csv"
    target.write_text("keep\n")
    result = run("grade", source, "-m", model, "-o", target, "--split-by", "grade")
    assert_clean_failure(result, EXIT_OUTPUT)
    assert target.read_text() == "keep\n"


# --------------------------------------------------------------- the matrix


def hand_matrix(graded: pl.DataFrame, converted: pl.Series) -> dict:
    """(grade, tier) -> [count, converted], counted row by row."""
    cells: dict[tuple[str, str], list[int]] = {}
    for grade, tier, hit in zip(graded["grade"], graded["tier"], converted, strict=True):
        cell = cells.setdefault((grade, tier), [0, 0])
        cell[0] += 1
        cell[1] += int(hit)
    return cells


@pytest.mark.parametrize(
    ("args", "is_positive"),
    [
        (("--outcome", "converted"), lambda row: row["converted"] == "true"),
        (
            ("--outcome", "stage", "--positive", "Closed Won"),
            lambda row: row["stage"] == "Closed Won",
        ),
        (
            ("--outcome", "stage", "--positive", "closed won", "--positive", "OPEN"),
            lambda row: row["stage"] in ("Closed Won", "Open"),
        ),
    ],
    ids=["boolean", "stage", "two-values"],
)
def test_matrix_adds_up_and_rates_match_a_hand_count(run, tmp_path, args, is_positive):
    out = tmp_path / "graded.csv"
    result = run("grade", SAMPLE, "-m", B2B_MODEL, "-o", out, "--as-of", AS_OF, "--json", *args)
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    graded = pl.read_csv(out, infer_schema=False)
    original = pl.read_csv(SAMPLE, infer_schema=False)
    hits = pl.Series([is_positive(row) for row in original.iter_rows(named=True)])
    expected = hand_matrix(graded, hits)
    assert sum(cell["count"] for cell in summary["matrix"]) == 5000 == summary["rows"]
    assert len(summary["matrix"]) == len(expected)
    for cell in summary["matrix"]:
        count, converted = expected[(cell["grade"], cell["tier"])]
        assert cell["count"] == count
        assert cell["converted"] == converted
        assert cell["rate"] == pytest.approx(round(converted / count, 4))
    assert summary["grades"] == ["A", "B", "C", "D", "F"]
    assert summary["tiers"] == ["sql", "mql", "nurture", "cold"]
    assert sum(cell["converted"] for cell in summary["matrix"]) == int(hits.sum())


def test_rates_are_over_known_outcomes_and_the_unknown_are_counted(run, tmp_path):
    source = tmp_path / "tiny.csv"
    # L01 and L03 (both sql, grade A, converted) lose their outcome
    tiny_leads().with_columns(
        pl.when(pl.col("lead_id").is_in(["L01", "L03"]))
        .then(None)
        .otherwise("converted")
        .alias("converted")
    ).write_csv(source)
    model = write_model(tmp_path, TIERS)
    out = tmp_path / "g.csv"
    args = ("grade", source, "-m", model, "-o", out, "--as-of", AS_OF, "--outcome", "converted")
    summary = json.loads(run(*args, "--json").stdout)
    graded = pl.read_csv(out)
    for cell in summary["matrix"]:
        inside = graded.filter(
            (pl.col("grade") == cell["grade"]) & (pl.col("tier") == cell["tier"])
        )
        known = inside.filter(pl.col("converted").is_not_null())
        assert (cell["count"], cell["known"]) == (len(inside), len(known))
        assert cell["converted"] == known["converted"].sum()
        expected = round(cell["converted"] / len(known), 4) if len(known) else None
        assert cell["rate"] == pytest.approx(expected)
    assert sum(cell["known"] for cell in summary["matrix"]) == 14
    warning = "2 leads have no known outcome in 'converted': conversion rates are over the 14"
    assert any(warning in w for w in summary["warnings"])
    assert warning in run(*args).stderr


def test_terminal_matrix_without_outcome(run, tmp_path):
    source = tmp_path / "tiny.csv"
    tiny_leads().write_csv(source)
    model = write_model(tmp_path, TIERS)
    result = run("grade", source, "-m", model, "-o", tmp_path / "g.csv", "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "16 leads scored and graded" in result.stderr
    lines = {line.split()[0]: line.split()[1:] for line in result.stderr.splitlines() if line}
    # default letters: A: L01 L02 (sql), L09 L10 (mql) -> sql 2, mql 2, cold -, total 4
    assert lines["A"] == ["2", "2", "-", "4"]
    # F: L07 L08 (mql), L15 L16 (cold)
    assert lines["F"] == ["-", "2", "2", "4"]


def test_outcome_that_is_not_boolean_like(run, tmp_path):
    out = tmp_path / "g.csv"
    result = run("grade", SAMPLE, "-m", B2B_MODEL, "-o", out, "--outcome", "stage")
    assert_clean_failure(result, EXIT_DATA, "'stage'", "--positive")
    assert not out.exists()


@pytest.mark.parametrize(
    ("positive", "detail"),
    [
        (("Closed-Won",), "none of its 5,000 known values counts as converted"),
        (
            ("Closed Won", "closed lost", "Open", "Nurturing"),
            "all 5,000 known values count as converted",
        ),
    ],
    ids=["none", "all"],
)
def test_positive_that_matches_no_lead_or_every_lead_stops_the_run(run, tmp_path, positive, detail):
    # every cell would read 0% (or 100%): a typo, as threshold, profile and fit say
    out = tmp_path / "g.csv"
    args = [a for value in positive for a in ("--positive", value)]
    result = run("grade", SAMPLE, "-m", B2B_MODEL, "-o", out, "--outcome", "stage", *args)
    quoted = ", ".join(repr(p) for p in positive)
    assert_clean_failure(result, EXIT_DATA, "'stage'", detail, f"(--positive {quoted})")
    assert not out.exists()


def test_missing_outcome_column_names_the_closest(run, tmp_path):
    result = run("grade", SAMPLE, "-m", B2B_MODEL, "-o", tmp_path / "g.csv", "--outcome", "convert")
    assert_clean_failure(result, EXIT_DATA, "'convert'", "did you mean 'converted'")


# --------------------------------------------------- score gains tier; errors


def test_score_adds_tier_only_when_the_model_has_tiers(run, tmp_path):
    source = tmp_path / "tiny.csv"
    tiny_leads().write_csv(source)
    with_tiers = write_model(tmp_path, TIERS, name="with.toml")
    without = write_model(tmp_path, name="without.toml")
    out = tmp_path / "a.parquet"
    assert run("score", source, "-m", with_tiers, "-o", out, "-q").exit_code == 0
    scored = pl.read_parquet(out)
    assert scored.columns[-4:] == ["score", "score_fit", "score_engagement", "tier"]
    assert labels(scored, "tier") == TIER_NAMES
    assert "grade" not in scored.columns
    out = tmp_path / "b.parquet"
    assert run("score", source, "-m", without, "-o", out, "-q").exit_code == 0
    scored = pl.read_parquet(out)
    assert scored.columns[-3:] == ["score", "score_fit", "score_engagement"]
    assert "tier" not in scored.columns


def test_grade_needs_tiers(run, tmp_path):
    source = tmp_path / "tiny.csv"
    tiny_leads().write_csv(source)
    model = write_model(tmp_path)
    out = tmp_path / "g.csv"
    result = run("grade", source, "-m", model, "-o", out)
    assert_clean_failure(result, EXIT_MODEL, "[tiers]", str(model))
    assert not out.exists()


def test_grade_needs_a_fit_category_or_grading(run, tmp_path):
    source = tmp_path / "tiny.csv"
    tiny_leads().write_csv(source)
    model = tmp_path / "model.toml"
    model.write_text(HEAD + TIERS + RULES.replace('"fit"', '"profile"'))
    out = tmp_path / "g.csv"
    result = run("grade", source, "-m", model, "-o", out)
    assert_clean_failure(result, EXIT_MODEL, "[grading]", "'fit'")
    assert not out.exists()
    # naming the category in [grading] makes it work
    model.write_text(
        HEAD + TIERS + '[grading]\ncategories = ["profile"]\n' + RULES.replace('"fit"', '"profile"')
    )
    result = run("grade", source, "-m", model, "-o", out, "-q")
    assert result.exit_code == 0, result.stderr
    assert pl.read_csv(out)["grade"].to_list() == ["A", "A", "B", "C", "C", "D", "F", "F"] * 2


# ------------------------------------------------ scores written by another model


def scored_parquet(run, tmp_path: Path, model: Path) -> Path:
    out = tmp_path / f"scored-{model.stem}.parquet"
    result = run("score", SAMPLE, "-m", model, "-o", out, "-q", "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    return out


def test_scores_from_another_model_are_flagged(run, tmp_path):
    scored = scored_parquet(run, tmp_path, SIMPLE_MODEL)  # model "starter" 1.0.0
    out = tmp_path / "g.parquet"
    result = run("grade", scored, "-m", B2B_MODEL, "-o", out, "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    warning = result.stderr.split("\n\n")[0].replace("\n", " ")
    assert warning.startswith("warning: the scores in ")
    assert "model starter version 1.0.0, not b2b-saas 1.0.0" in warning
    assert "--rescore" in warning
    assert "graded (scores read from input)" in result.stderr

    result = run("grade", scored, "-m", B2B_MODEL, "-o", out, "--as-of", AS_OF, "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["rescored"] is False
    assert len(summary["warnings"]) == 1 and "model starter" in summary["warnings"][0]
    assert "warning:" in result.stderr

    quiet = run("grade", scored, "-m", B2B_MODEL, "-o", out, "-q", "--as-of", AS_OF)
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_scores_from_another_edit_of_the_model_are_flagged(run, tmp_path):
    scored = scored_parquet(run, tmp_path, B2B_MODEL)
    edited = tmp_path / "b2b.toml"
    edited.write_text(B2B_MODEL.read_text().replace("points = 20", "points = 15", 1))
    assert edited.read_text() != B2B_MODEL.read_text()
    result = run("grade", scored, "-m", edited, "-o", tmp_path / "g.csv", "--json")
    assert result.exit_code == 0, result.stderr
    [warning] = json.loads(result.stdout)["warnings"]
    assert "another edit of model b2b-saas version 1.0.0" in warning


def test_scores_from_the_same_model_need_no_warning(run, tmp_path):
    scored = scored_parquet(run, tmp_path, B2B_MODEL)
    copy = tmp_path / "copy.toml"  # the same bytes elsewhere are the same model
    copy.write_bytes(B2B_MODEL.read_bytes())
    result = run("grade", scored, "-m", copy, "-o", tmp_path / "g.csv", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["warnings"] == []
    assert result.stderr == ""


def test_rescore_scores_a_scored_file_with_the_given_model(run, tmp_path):
    raw = tmp_path / "raw.parquet"
    result = run("grade", SAMPLE, "-m", B2B_MODEL, "-o", raw, "-q", "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    expected = pl.read_parquet(raw)
    # scored by another model, or by this one (whose renamed fields the file holds
    # under their field names): either way the same rows as grading the export
    for model in (SIMPLE_MODEL, B2B_MODEL):
        scored = scored_parquet(run, tmp_path, model)
        out = tmp_path / f"rescored-{model.stem}.parquet"
        result = run(
            "grade", scored, "-m", B2B_MODEL, "-o", out, "--rescore", "--as-of", AS_OF, "--json"
        )
        assert result.exit_code == 0, result.stderr
        summary = json.loads(result.stdout)
        assert summary["rescored"] is True
        assert summary["warnings"] == [
            "--rescore: the input's column(s) 'score', 'score_fit', 'score_engagement', "
            "'tier' are replaced by this run's"
        ]
        again = pl.read_parquet(out)
        assert again.columns == expected.columns
        assert again.equals(expected)


def test_a_crm_grade_column_in_the_export_is_replaced_with_a_warning(run, tmp_path):
    source = tmp_path / "crm.csv"
    frame = pl.read_csv(SAMPLE, infer_schema=False).head(300)
    frame.with_columns(pl.lit("Z").alias("grade")).write_csv(source)
    out = tmp_path / "g.csv"
    result = run("grade", source, "-m", B2B_MODEL, "-o", out, "--as-of", AS_OF, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["warnings"] == [
        "input column(s) 'grade' replaced by this run's values"
    ]
    graded = pl.read_csv(out, infer_schema=False)
    assert graded.columns.count("grade") == 1 and "Z" not in graded["grade"].to_list()


def test_split_by_tolerates_file_browser_litter_and_a_dotted_folder_name(run, tmp_path):
    folder = tmp_path / "segments.parquet"  # a folder name that looks like a file's
    args = ["grade", SAMPLE, "-m", B2B_MODEL, "-o", folder, "--split-by", "tier", "-q"]
    assert run(*args, "--as-of", AS_OF).exit_code == 0
    (folder / ".DS_Store").write_bytes(b"finder")
    result = run(*args, "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    assert all(p.name.startswith("tier=") for p in folder.iterdir())


def test_a_manifest_inside_the_split_folder_is_refused(run, tmp_path):
    folder = tmp_path / "segments"
    result = run(
        "grade", SAMPLE, "-m", B2B_MODEL, "-o", folder, "--split-by", "tier",
        "--manifest", folder / "run.json", "--as-of", AS_OF,
    )  # fmt: skip
    assert result.exit_code == EXIT_USAGE
    assert "--manifest inside the --split-by folder" in result.stderr
    assert not folder.exists()
