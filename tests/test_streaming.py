"""Every plan a command runs must stream: no step may fall back to polars' in-memory engine.

A fallback makes polars hold whole columns, so peak memory grows with the input (a
`replace_strict` lookup once took `grade` from 0.6 GiB at 1M rows to 2.9 GiB at 5M). The
benchmark measures memory on big files; this checks the cause on a small one, through
the physical plan polars would run.
"""

from __future__ import annotations

import datetime as dt
import re

import polars as pl
import pytest

from leadscore_cli.model import load_model
from leadscore_cli.nightly import excel_safe, previous_scores, with_deltas
from leadscore_cli.readers import open_source
from leadscore_cli.scoring import plan_from_scores, plan_scoring
from tests.conftest import AS_OF, EXAMPLE_MODELS, SAMPLE

DAY = dt.date.fromisoformat(AS_OF)
IN_MEMORY = 'fillcolor="0.0 0.3 1.0"'  # the graph's colour for an in-memory fallback


def fallbacks(frame: pl.LazyFrame) -> list[str]:
    graph = frame.show_graph(engine="streaming", plan_stage="physical", raw_output=True)
    assert graph is not None and "in-memory engine fallback" in graph  # the legend we read
    return [
        re.sub(r"\s+", " ", match.group(1))[:120]
        for line in graph.splitlines()
        if IN_MEMORY in line and (match := re.search(r'label="(.*?)"', line))
    ]


@pytest.mark.parametrize("model_path", EXAMPLE_MODELS, ids=lambda p: p.stem)
@pytest.mark.parametrize("explain", [False, True])
@pytest.mark.parametrize("grade", [False, True])
def test_scoring_and_grading_stream(model_path, explain: bool, grade: bool) -> None:
    model = load_model(model_path)
    if grade and not model.tiers:
        pytest.skip("grading needs tiers")
    with open_source(str(SAMPLE)) as source:
        plan = plan_scoring(
            source.frame, model, as_of=DAY, source_name=source.name, explain=explain, grade=grade
        )
        for frame in (plan.output, plan.stats, plan.score_counts, excel_safe(plan.output)):
            assert fallbacks(frame) == []


def test_grading_a_scored_file_and_comparing_with_last_night_stream(tmp_path) -> None:
    model = load_model(EXAMPLE_MODELS[0])
    scored = tmp_path / "scored.parquet"
    with open_source(str(SAMPLE)) as source:
        plan = plan_scoring(source.frame, model, as_of=DAY, source_name=source.name)
        plan.output.sink_parquet(scored)
    with open_source(str(scored)) as source, open_source(str(scored)) as previous:
        graded = plan_from_scores(source.frame, model, source_name=source.name)
        assert fallbacks(graded) == []
        last_run, _ = previous_scores(previous.frame, model, "p")
        compared = with_deltas(graded, last_run, model)
        assert fallbacks(compared) == []


# --- one pass or two: a shared scan buffers whatever the slower branch has not taken ---


def queries_run(monkeypatch, *args: object) -> list[tuple[list[pl.LazyFrame], bool]]:
    """Run the CLI with `args`; each batch of polars queries it runs, and whether the
    queries of a batch share their scans."""
    from typer.testing import CliRunner

    from leadscore_cli.cli.app import app

    real = pl.collect_all
    batches: list[tuple[list[pl.LazyFrame], bool]] = []

    def spy(frames, *rest, optimizations=None, **kwargs):
        frames = list(frames)
        shared = optimizations is None or optimizations.comm_subplan_elim
        batches.append((frames, shared))
        return real(frames, *rest, optimizations=optimizations or pl.QueryOptFlags(), **kwargs)

    monkeypatch.setattr(pl, "collect_all", spy)
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.stderr
    return batches


def passes_sharing_the_output(monkeypatch, *args: object) -> list[bool]:
    """For each polars query run that writes the output, whether the summaries are
    computed in that same pass."""
    return [
        len(frames) > 1
        for frames, _ in queries_run(monkeypatch, *args)
        if any(frame.explain().startswith("SINK") for frame in frames)
    ]


@pytest.mark.parametrize("command", ["score", "grade"])
def test_a_parquet_input_is_written_in_a_pass_of_its_own(monkeypatch, tmp_path, command) -> None:
    """A Parquet input is read faster than the output is written: in a pass shared with
    the summaries, polars buffers the input for the writer and memory grows with the file
    (4.2 GiB instead of 1.7 GiB for `score` on 20M rows)."""
    scored = tmp_path / "scored.parquet"
    model = EXAMPLE_MODELS[0]
    common = ("-m", model, "--as-of", AS_OF, "-q")
    first = passes_sharing_the_output(monkeypatch, command, SAMPLE, "-o", scored, *common)
    assert first == [True]  # a CSV input is parsed slower than Parquet is written: one pass
    again = tmp_path / "again.parquet"
    assert passes_sharing_the_output(monkeypatch, command, scored, "-o", again, *common) == [False]


def test_a_parquet_report_counts_each_watched_column_on_its_own(monkeypatch, tmp_path) -> None:
    """Drift counts of a Parquet file read one column each: in one query sharing the scan,
    polars buffers the input for the slowest count (2 GiB instead of 0.9 GiB on 5M)."""
    from leadscore_cli.drift import drift_columns

    model_path = EXAMPLE_MODELS[0]
    watched = len(drift_columns(load_model(model_path)))
    scored = tmp_path / "scored.parquet"
    common = ("-m", model_path, "--as-of", AS_OF, "-q")
    queries_run(monkeypatch, "score", SAMPLE, "-o", scored, *common)
    batches = queries_run(monkeypatch, "report", scored, "--baseline", scored, *common)
    shared = [len(frames) for frames, together in batches if together]
    apart = [len(frames) for frames, together in batches if not together]
    assert max(shared) < watched
    assert apart == [watched] * 3  # the baseline's profile and bins, then the input's bins
