"""Time the DuckDB query `leadscore sql` generates against `leadscore score`, same model.

Both run in fresh subprocesses on the same CSV, interleaved (score, sql, repeated), and
write Parquet: `leadscore score leads.csv -o out.parquet` against DuckDB's
`COPY (<generated query over read_csv(all_varchar = true)>) TO out.parquet`. The ratio is
what matters (machines differ several times in absolute speed); the last line prints it
as `sql_duckdb/score=X.XX` (below 1.0: the generated query is faster).

Usage: python bench/sql_bench.py [--rows N] [--repeat K] [--model PATH]
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from leadscore_cli.model import load_model
from leadscore_cli.sample import write_sample
from leadscore_cli.sql import compile_model

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
MODEL = ROOT / "configs" / "b2b_saas.toml"
AS_OF = "2026-11-01"
SEED = 42
PYTHON = sys.executable
LEADSCORE = str(Path(sys.executable).with_name("leadscore"))
DUCKDB_SCRIPT = "import sys, duckdb; duckdb.connect().execute(sys.argv[1])"


def sample_file(rows: int) -> Path:
    """`bench/data/leads_<rows>.csv`, reused when its `.rows` sidecar (written after a
    successful write) says it is complete."""
    path = DATA / f"leads_{rows}.csv"
    sidecar = path.with_name(path.name + ".rows")
    if path.exists() and sidecar.exists():
        recorded = re.search(r"\d+", sidecar.read_text())
        if recorded and int(recorded.group()) == rows:
            return path
    DATA.mkdir(parents=True, exist_ok=True)
    sidecar.unlink(missing_ok=True)
    print(f"generating {rows:,} rows into {path} ...", flush=True)
    written = write_sample(path, rows, seed=SEED)
    sidecar.write_text(f"{written}\n")
    return path


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def sql_command(model: Path, csv: Path, out: Path) -> list[str]:
    """The generated query over the CSV read as text, copied to Parquet by DuckDB."""
    source = f"(SELECT * FROM read_csv({literal(str(csv))}, all_varchar = true))"
    query = compile_model(
        load_model(model), "duckdb", "__bench_leads", dt.date.fromisoformat(AS_OF)
    )
    query = query.replace('"__bench_leads"', source)
    copy = f"COPY ({query}) TO {literal(str(out))} (FORMAT parquet)"
    return [PYTHON, "-c", DUCKDB_SCRIPT, copy]


def score_command(model: Path, csv: Path, out: Path) -> list[str]:
    return [LEADSCORE, "score", str(csv), "-m", str(model), "-o", str(out), "--as-of", AS_OF, "-q"]


def timed(cmd: list[str], out: Path) -> float:
    out.unlink(missing_ok=True)
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"command failed ({done.returncode}): {cmd[:3]}...\n{done.stderr}")
    out.unlink(missing_ok=True)
    return seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--model", type=Path, default=MODEL)
    args = parser.parse_args(argv)
    csv = sample_file(args.rows)
    outdir = DATA / "out"
    outdir.mkdir(parents=True, exist_ok=True)
    cases = {
        "score": (score_command(args.model, csv, outdir / "sql_bench_score.parquet"), "score"),
        "sql_duckdb": (sql_command(args.model, csv, outdir / "sql_bench_sql.parquet"), "sql"),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for round_number in range(args.repeat):
        for name, (cmd, tag) in cases.items():
            seconds = timed(cmd, outdir / f"sql_bench_{tag}.parquet")
            times[name].append(seconds)
            print(f"round {round_number + 1}: {name:<11} {seconds:7.2f} s", flush=True)
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, seconds in medians.items():
        print(f"{name:<11} {args.rows:>12,} rows  {seconds:7.2f} s (median of {args.repeat})")
    print(f"sql_duckdb/score={medians['sql_duckdb'] / medians['score']:.2f}")


if __name__ == "__main__":
    main()
