"""`leadscore fit`: learned points recover known effects, and `score` reproduces the fit."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import roc_auc_score

from leadscore_cli.errors import EXIT_DATA, EXIT_OUTPUT, EXIT_USAGE
from leadscore_cli.fitting import split_history
from leadscore_cli.sample import (
    COUNTRIES,
    FREE_MAIL_DOMAINS,
    GROUND_TRUTH,
    JOB_TITLES,
    RECENCY_REFERENCE,
    SCHEMA,
    SIZE_BAND_UPPER,
    generate_leads,
)
from tests.conftest import B2B_MODEL, SAMPLE, parse_json

ROWS = 20_000
TRUE_VALUES = ["true", "t", "yes", "y", "1"]


def truth_logit(frame: pl.DataFrame) -> np.ndarray:
    """GROUND_TRUTH's logit (without its noise) from what the export shows; a blank or
    misspelt cell adds nothing, as it hides the canonical value."""
    gt = GROUND_TRUTH
    titles = {title.lower(): gt["seniority"][tier] for title, tier, _ in JOB_TITLES}
    countries = {
        s.lower(): gt["country"][name] for name, _, spellings in COUNTRIES for s, _ in spellings
    }

    def text(column: str) -> pl.Expr:
        return pl.col(column).cast(pl.String).str.strip_chars().str.to_lowercase()

    def flag(column: str) -> pl.Expr:
        return text(column).is_in(TRUE_VALUES).cast(pl.Float64).fill_null(0.0)

    def lookup(column: str, table: dict[str, float]) -> pl.Expr:
        return (
            text(column).replace_strict(table, default=0.0, return_dtype=pl.Float64).fill_null(0.0)
        )

    last = pl.col("last_activity_date").str.to_date(strict=False)
    days = (pl.lit(RECENCY_REFERENCE) - last).dt.total_days().cast(pl.Float64)
    domain = text("email").str.extract(r"@([^@]+)$")
    parts = frame.select(
        lookup("job_title", titles)
        + lookup("industry", gt["industry"])
        + lookup("country", countries)
        + gt["demo_requested"] * flag("demo_requested")
        + gt["webinar_attended"] * flag("webinar_attended")
        + gt["unsubscribed"] * flag("unsubscribed")
        + gt["email_clicks_log1p"] * pl.col("email_clicks").cast(pl.Float64).log1p()
        + gt["content_downloads_log1p"] * pl.col("content_downloads").cast(pl.Float64).log1p()
        + (gt["days_since_last_activity_per_30"] * days / 30).fill_null(0.0)
        + gt["free_mail"] * domain.is_in(list(FREE_MAIL_DOMAINS)).fill_null(False),
        text("employees").str.replace_all(",", "").cast(pl.Float64, strict=False).alias("e"),
    )
    employees = parts["e"].to_numpy()
    sizes = np.asarray(list(gt["company_size"].values()))
    band = np.minimum(np.searchsorted(np.asarray(SIZE_BAND_UPPER), employees), sizes.size - 1)
    size = np.where(np.isnan(employees), 0.0, sizes[band])
    return parts.to_series(0).to_numpy() + size


@pytest.fixture(scope="module")
def fitted(tmp_path_factory) -> dict:
    """One fit of generated history with known effects, shared by the tests below."""
    from typer.testing import CliRunner

    from leadscore_cli.cli.app import app

    folder = tmp_path_factory.mktemp("fit")
    data = folder / "history.csv"
    generate_leads(ROWS, seed=11).write_csv(data)
    model = folder / "fitted.toml"
    result = CliRunner().invoke(
        app, ["fit", str(data), "--outcome", "converted", "-o", str(model), "--json"]
    )
    assert result.exit_code == 0, result.stderr
    return {
        "data": data,
        "model": model,
        "report": parse_json(result.stdout),
        "toml": tomllib.loads(model.read_text()),
    }


def rule(toml: dict, name: str) -> dict:
    return next(r for r in toml["rules"] if r["name"] == name)


def spread(rule_table: dict) -> float:
    values = [rule_table["default"], rule_table["missing"], *rule_table["map"].values()]
    return max(values) - min(values)


def holdout_of(data: Path, seed: int = 0) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
    frame = pl.read_csv(data, schema=SCHEMA)
    y = frame["converted"].to_numpy()
    return frame, y, split_history(y, 0.2, seed)


def test_learned_points_follow_the_true_effects(fitted):
    toml = fitted["toml"]
    assert spread(rule(toml, "demo_requested")) > spread(rule(toml, "webinar_attended"))
    demo = rule(toml, "demo_requested")["map"]
    assert demo["true"] > demo["false"]
    unsubscribed = rule(toml, "unsubscribed")["map"]
    assert unsubscribed["true"] < unsubscribed["false"]
    titles = rule(toml, "job_title")["map"]
    for chief in ("ceo", "cto", "cfo", "founder"):
        for junior in ("intern", "student"):
            assert titles[chief] > titles[junior], (chief, junior)
    industries = rule(toml, "industry")["map"]
    assert industries["saas"] > industries["non-profit"]
    assert rule(toml, "job_title")["category"] == "fit"
    assert rule(toml, "demo_requested")["category"] == "engagement"


def test_holdout_auc_is_close_to_the_ground_truth(fitted):
    frame, y, holdout = holdout_of(fitted["data"])
    truth = roc_auc_score(y[holdout], truth_logit(frame)[holdout])
    auc = fitted["report"]["metrics"]["auc"]
    # the truth also sees free-mail addresses, which no single column shows the fit
    assert truth - 0.03 < auc <= truth + 0.01


def test_score_reproduces_the_holdout_auc(fitted, run, tmp_path):
    report = fitted["report"]
    scored = tmp_path / "scored.csv"
    result = run(
        "score", fitted["data"], "-m", fitted["model"], "-o", scored, "--as-of", report["as_of"]
    )
    assert result.exit_code == 0, result.stderr
    _, y, holdout = holdout_of(fitted["data"])
    scores = pl.read_csv(scored, columns=["score"])["score"].to_numpy()
    assert round(roc_auc_score(y[holdout], scores[holdout]), 3) == round(
        report["metrics"]["auc"], 3
    )


def test_report_on_the_holdout_gives_the_figures_fit_printed(fitted, run, tmp_path):
    # one definition of AUC, KS and top-decile lift (ties share a decile) for both commands
    metrics = fitted["report"]["metrics"]
    scored = tmp_path / "scored.csv"
    as_of = fitted["report"]["as_of"]
    result = run("score", fitted["data"], "-m", fitted["model"], "-o", scored, "--as-of", as_of)
    assert result.exit_code == 0, result.stderr
    _, _, holdout = holdout_of(fitted["data"])
    held = tmp_path / "holdout.csv"
    pl.read_csv(scored, columns=["score", "converted"]).filter(pl.Series(holdout)).write_csv(held)
    result = run("report", held, "--outcome", "converted", "--format", "json")
    assert result.exit_code == 0, result.stderr
    outcome = parse_json(result.stdout)["outcome"]
    assert outcome["known"] == metrics["leads"]
    assert round(outcome["auc"], 4) == metrics["auc"]
    assert round(outcome["ks"], 4) == metrics["ks"]
    assert round(outcome["deciles"][0]["lift"], 4) == metrics["lift"]


def score_twice_with_previous(run, data: Path, model: Path, as_of: str, folder: Path) -> Path:
    """Score `data` as last night's run, then again against it with --previous."""
    previous, current = folder / "previous.csv", folder / "current.csv"
    for output, extra in ((previous, ()), (current, ("--previous", previous))):
        result = run("score", data, "-m", model, "-o", output, "--as-of", as_of, "-q", *extra)
        assert result.exit_code == 0, result.stderr
    return current


def test_fitted_model_names_the_lead_id_so_previous_works(fitted, run, tmp_path):
    assert fitted["toml"]["model"]["id_column"] == "lead_id"
    lead_id = next(d for d in fitted["report"]["dropped"] if d["column"] == "lead_id")
    assert lead_id["kind"] == "id-like"
    as_of = fitted["report"]["as_of"]
    current = score_twice_with_previous(run, fitted["data"], fitted["model"], as_of, tmp_path)
    scored = pl.read_csv(current)
    assert scored["previous_score"].is_not_null().all()  # every lead found by its id
    assert (scored["tier_change"] != "new").all()


def test_a_renamed_id_header_is_the_models_id_column(run, tmp_path):
    data = tmp_path / "history.csv"
    pl.read_csv(SAMPLE, infer_schema=False).rename({"lead_id": "Record ID"}).write_csv(data)
    model = tmp_path / "fitted.toml"
    report = fit_report(run, data, model)
    toml = tomllib.loads(model.read_text())
    assert toml["model"]["id_column"] == "record_id"
    assert toml["fields"]["record_id"] == {"source": "Record ID"}
    current = score_twice_with_previous(run, data, model, report["as_of"], tmp_path)
    assert pl.read_csv(current)["previous_score"].is_not_null().all()


def test_model_reads_history_like_the_engine(fitted):
    toml = fitted["toml"]
    assert toml["model"]["scale"] == "clip"
    assert list(toml["tiers"].values())[-1] == 0 and len(toml["tiers"]) == 4
    fields = toml["fields"]
    assert fields["employees"]["type"] == "float"
    assert fields["demo_requested"]["type"] == "bool"
    if "annual_revenue" in fields:
        assert fields["annual_revenue"]["source"] == "Annual Revenue"
    text = fitted["model"].read_text()
    assert "# holdout (4,000 leads): AUC " in text
    assert f"# as-of: {fitted['report']['as_of']}" in text
    # every rule's lowest value is 0 and the best attainable total is 100
    best, dated = 0.0, {}
    for r in toml["rules"]:
        if "when" in r:  # date bins: one condition rule per bin worth points
            field = r["when"].get("field") or r["when"]["all"][0]["field"]
            dated[field] = max(dated.get(field, 0), r["points"])
            continue
        values = [r["default"], r["missing"], *r.get("map", {}).values()]
        values += [b["points"] for b in r.get("bands", [])]
        assert min(values) == 0
        best += max(values)
    assert best + sum(dated.values()) == 100


def test_missing_and_unseen_values_get_their_bins_points(fitted, run, tmp_path):
    toml = fitted["toml"]
    titles, employees = rule(toml, "job_title"), rule(toml, "employees")
    base = generate_leads(1, seed=3).with_columns(
        job_title=pl.lit("CEO"), employees=pl.lit("1,200")
    )
    variants = pl.concat(
        [
            base,
            base.with_columns(job_title=pl.lit("Chief Wizard")),  # never seen
            base.with_columns(job_title=pl.lit("  n/a ")),  # a missing marker
            base.with_columns(employees=pl.lit(None, pl.String)),
        ]
    )
    data, scored = tmp_path / "leads.csv", tmp_path / "scored.csv"
    variants.write_csv(data)
    result = run("score", data, "-m", fitted["model"], "-o", scored, "--as-of", "2026-10-31")
    assert result.exit_code == 0, result.stderr
    score = pl.read_csv(scored)["score"].to_list()
    ceo = titles["map"]["ceo"]
    assert score[1] - score[0] == titles["default"] - ceo
    assert score[2] - score[0] == titles["missing"] - ceo
    at_1200 = next(
        b["points"]
        for b in employees["bands"]
        if b.get("min", -np.inf) <= 1200 < b.get("max", np.inf)
    )
    assert score[3] - score[0] == employees["missing"] - at_1200


def test_dropped_report_names_leakage_and_weak_columns(fitted):
    dropped = {d["column"]: d for d in fitted["report"]["dropped"]}
    assert dropped["stage"]["kind"] == "leakage"
    assert "outcome-like" in dropped["stage"]["reason"]
    assert dropped["lead_source"]["kind"] == "weak"
    assert "IV" in dropped["lead_source"]["reason"]
    assert dropped["lead_id"]["kind"] == "id-like"
    names = {r.get("field") for r in fitted["toml"]["rules"]}
    assert not names & {"stage", "lead_source", "lead_id", "converted"}
    assert "stage: leakage" in fitted["model"].read_text()


def test_same_seed_gives_the_same_model(run, tmp_path):
    texts = []
    for name in ("a.toml", "b.toml"):
        out = tmp_path / name
        result = run("fit", SAMPLE, "--outcome", "converted", "-o", out, "--seed", 5, "-q")
        assert result.exit_code == 0, result.stderr
        assert result.stdout == "" and result.stderr == ""
        texts.append(out.read_text())
    a, b = ([line for line in t.splitlines() if not line.startswith("# fitted on:")] for t in texts)
    assert a == b
    assert f"# fitted on: {dt.date.today().isoformat()}" in texts[0]


def test_same_seed_and_as_of_give_the_same_bytes_any_day(run, tmp_path):
    written = []
    for name in ("a.toml", "b.toml"):
        out = tmp_path / name
        args = ("--outcome", "converted", "-o", out, "--seed", 5, "--as-of", "2026-10-31", "-q")
        result = run("fit", SAMPLE, *args)
        assert result.exit_code == 0, result.stderr
        written.append(out.read_bytes())
    assert written[0] == written[1]
    assert dt.date.today().isoformat() not in written[0].decode()  # nothing of the day it ran
    assert "# as-of: 2026-10-31 (--as-of;" in written[0].decode()


def test_exclude_is_honoured(run, tmp_path):
    out = tmp_path / "m.toml"
    result = run(
        "fit", SAMPLE, "--outcome", "converted", "-o", out, "--json",
        "--exclude", "job_title", "--exclude", "Annual Revenue", "--max-features", "4",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    report = parse_json(result.stdout)
    fields = {r.get("field") for r in tomllib.loads(out.read_text())["rules"]}
    assert "job_title" not in fields and "annual_revenue" not in fields
    kinds = {d["column"]: d["kind"] for d in report["dropped"]}
    assert kinds["job_title"] == kinds["Annual Revenue"] == "excluded"
    assert len(report["features"]) == 4
    assert "limit" in kinds.values()


def test_unknown_exclude_is_a_usage_error(run, tmp_path):
    result = run(
        "fit", SAMPLE, "--outcome", "converted", "-o", tmp_path / "m.toml", "--exclude", "jobtitle"
    )
    assert result.exit_code == EXIT_USAGE
    assert "job_title" in result.stderr
    assert not (tmp_path / "m.toml").exists()


def small_history(tmp_path: Path, converted: int, rows: int = 400) -> Path:
    frame = generate_leads(rows, seed=2).with_columns(
        converted=pl.Series([i < converted for i in range(rows)])
    )
    path = tmp_path / "history.csv"
    frame.write_csv(path)
    return path


def test_single_class_outcome_is_a_data_error(run, tmp_path):
    path = small_history(tmp_path, converted=0)
    result = run("fit", path, "--outcome", "converted", "-o", tmp_path / "m.toml")
    assert result.exit_code == EXIT_DATA
    assert "single class" in result.stderr
    assert not (tmp_path / "m.toml").exists()


def test_too_few_positives_is_a_data_error(run, tmp_path):
    path = small_history(tmp_path, converted=15)
    result = run("fit", path, "--outcome", "converted", "-o", tmp_path / "m.toml")
    assert result.exit_code == EXIT_DATA
    assert "at least 20" in result.stderr


def test_a_small_holdout_is_flagged(run, tmp_path, fitted):
    path = small_history(tmp_path, converted=60)  # about 12 converted leads held out
    history = pl.read_csv(path, infer_schema=False)
    segment = ["a" if (i % 3 < 2) == (i < 60) else "b" for i in range(history.height)]
    history.with_columns(segment=pl.Series(segment)).write_csv(path)  # something to learn
    result = run("fit", path, "--outcome", "converted", "-o", tmp_path / "m.toml", "--json")
    assert result.exit_code == 0, result.stderr
    warnings = parse_json(result.stdout)["warnings"]
    small = "the holdout has 12 converted leads and 68 other leads"
    assert any(w.startswith(small) for w in warnings)
    assert not any("the holdout has" in w for w in fitted["report"]["warnings"])


def test_base_model_is_compared_on_the_same_holdout(run, tmp_path):
    from tests.conftest import B2B_MODEL

    out = tmp_path / "m.toml"
    result = run(
        "fit", SAMPLE, "--outcome", "converted", "-o", out, "--base-model", B2B_MODEL,
        "--max-features", "3",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "fitted points" in result.stderr and "base: b2b" in result.stderr
    assert "# base model b2b" in out.read_text()


def test_history_too_small_to_split_is_a_data_error_at_every_size(tmp_path):
    """The minimum-size check runs before the split, so the split never sees a handful of
    leads (a holdout of one lead cannot hold both classes)."""
    from leadscore_cli.errors import DataError
    from leadscore_cli.fitting import FitOptions, fit_file

    options = FitOptions(outcome="converted")
    for rows in range(2, 50):
        for converted in sorted({1, rows // 2}):
            path = small_history(tmp_path, converted=converted, rows=rows)
            with pytest.raises(DataError, match="a points model needs at least 20 of each"):
                fit_file(str(path), options)


def test_tiny_history_fails_cleanly_through_the_cli(run, tmp_path):
    assert run("sample", "-n", 3000, "-o", tmp_path / "x.csv", "--seed", 1).exit_code == 0
    tiny = tmp_path / "tiny5.csv"
    tiny.write_text("".join((tmp_path / "x.csv").read_text().splitlines(True)[:6]))
    result = run("fit", tiny, "--outcome", "converted", "-o", tmp_path / "ft.toml")
    assert result.exit_code == EXIT_DATA, result.stderr
    assert result.stderr.startswith("leadscore: bad data: ")
    assert "internal error" not in result.stderr and len(result.stderr.splitlines()) == 1
    assert "converted leads and 3 other leads" in result.stderr
    assert "at least 20 of each" in result.stderr
    assert not (tmp_path / "ft.toml").exists()


@pytest.mark.parametrize(("holdout", "advice"), [("0.001", "larger"), ("0.999", "smaller")])
def test_a_holdout_too_small_or_too_large_to_split_is_a_data_error(run, tmp_path, holdout, advice):
    path = small_history(tmp_path, converted=200)
    result = run(
        "fit", path, "--outcome", "converted", "-o", tmp_path / "m.toml", "--holdout", holdout
    )
    assert result.exit_code == EXIT_DATA, result.stderr
    assert f"use a {advice} --holdout" in result.stderr
    assert "internal error" not in result.stderr


def test_stdin_and_stdout_are_not_the_history_file(run, tmp_path):
    """`-` is stdin for the history and stdout for -o: the model goes to stdout. A real
    path naming the history is still refused, however it is spelt."""
    from leadscore_cli.model import parse_model

    result = run("fit", "-", "--outcome", "converted", "-o", "-", "-q", input=SAMPLE.read_text())
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert "# data: <stdin>" in result.stdout
    assert parse_model(result.stdout).rules

    history = tmp_path / "history.csv"
    history.write_bytes(SAMPLE.read_bytes())
    (tmp_path / "sub").mkdir()
    for output in (history, tmp_path / "sub" / ".." / "history.csv"):
        result = run("fit", history, "--outcome", "converted", "-o", output)
        assert result.exit_code == EXIT_OUTPUT
        assert "refusing to write over the history file" in result.stderr
        assert history.read_bytes() == SAMPLE.read_bytes()


def test_output_that_names_the_base_model_is_refused(run, tmp_path):
    # exit 6, as every command refuses to write over a file the run reads
    base = tmp_path / "base.toml"
    base.write_bytes(B2B_MODEL.read_bytes())
    result = run("fit", SAMPLE, "--outcome", "converted", "--base-model", base, "-o", base)
    assert result.exit_code == EXIT_OUTPUT, result.stderr
    assert "refusing to write over the base model file" in result.stderr
    assert base.read_bytes() == B2B_MODEL.read_bytes()


def fit_report(run, data: Path, out: Path) -> dict:
    result = run("fit", data, "--outcome", "converted", "-o", out, "--json")
    assert result.exit_code == 0, result.stderr
    return parse_json(result.stdout)


def test_a_value_that_rarely_converts_is_a_signal_not_leakage(run, tmp_path):
    """Students and interns almost never buy: job_title is kept, and its lowest group
    scores least."""
    data = tmp_path / "x.csv"
    assert run("sample", "-n", 3000, "-o", data, "--seed", 1).exit_code == 0
    for source in (SAMPLE, data):
        report = fit_report(run, source, tmp_path / "m.toml")
        assert "job_title" in {f["name"] for f in report["features"]}, report["dropped"]
        assert not [d for d in report["dropped"] if d["column"] == "job_title"]
        title = next(f for f in report["features"] if f["name"] == "job_title")
        student = next(b for b in title["bins"] if "student" in b["label"])
        assert student["points"] == 0 and student["rate"] < 0.02


def test_a_value_that_records_the_outcome_is_still_leakage(run, tmp_path):
    """`Closed Won` converts always: dropped by name as `stage`, and by its conversion
    under a name that does not give it away."""
    data = tmp_path / "x.csv"
    assert run("sample", "-n", 3000, "-o", data, "--seed", 1).exit_code == 0
    renamed = tmp_path / "renamed.csv"
    pl.read_csv(data, infer_schema=False).rename({"stage": "crm_label"}).write_csv(renamed)
    for source, column, reason in (
        (data, "stage", "outcome-like"),
        (renamed, "crm_label", "crm_label = closed won converts at 100.0%"),
    ):
        report = fit_report(run, source, tmp_path / "m.toml")
        dropped = {d["column"]: d for d in report["dropped"]}
        assert dropped[column]["kind"] == "leakage"
        assert reason in dropped[column]["reason"]
        assert column not in {f["name"] for f in report["features"]}


def test_only_the_converting_side_of_a_column_counts_as_leakage():
    from leadscore_cli.icp import leakage_reason, woe_bins

    # a large bin that nearly never converts: the column's IV is above 1, all from that bin
    rare = woe_bins([("student", 1000, 2), ("manager", 1000, 300)], 302, 1698)
    assert sum(b.iv for b in rare) > 1
    assert leakage_reason("title", "category", rare, 302 / 2000, 2000) is None
    # a large bin that nearly always converts
    won = woe_bins([("closed won", 300, 299), ("open", 1700, 3)], 302, 1698)
    reason = leakage_reason("label", "category", won, 302 / 2000, 2000)
    assert reason == "label = closed won converts at 99.7% (n=300)"
    # many small values that each always convert (an owner assigned after the sale)
    owners = [(f"owner{i}", 20, 20) for i in range(15)] + [("nobody", 1700, 2)]
    small = woe_bins(owners, 302, 1698)
    assert "converting above the base rate carry IV" in (
        leakage_reason("owner", "category", small, 302 / 2000, 2000) or ""
    )


def test_a_base_model_missing_columns_stops_before_the_fit(run, tmp_path, monkeypatch):
    """Its columns are checked first: a fit of minutes would otherwise end in the error."""
    from leadscore_cli.errors import EXIT_DATA
    from leadscore_cli.fitting import run as fit_run

    def no_fit(*args, **kwargs):
        raise AssertionError("the fit ran")

    monkeypatch.setattr(fit_run, "fit_weights", no_fit)
    history = tmp_path / "history.csv"
    pl.read_csv(SAMPLE, infer_schema=False).drop("job_title").write_csv(history)
    out = tmp_path / "m.toml"
    result = run(
        "fit", history, "--outcome", "converted", "-o", out, "--base-model", B2B_MODEL,
    )  # fmt: skip
    assert result.exit_code == EXIT_DATA, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"leadscore: bad data: {history}: --base-model b2b-saas: missing column 'job_title'"
    ]
    assert not out.exists()
