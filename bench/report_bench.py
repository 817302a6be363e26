"""Benchmark `leadscore report` on a scored Parquet file against a polars floor.

The floor is the cheapest full pass polars can make over the same leads: reading the
CSV export and writing it as Parquet (``pl.scan_csv(csv).sink_parquet(out)``). The
report (with an outcome: AUC, KS, deciles, calibration) reads a file `score` wrote and
should cost at most twice that. Both run in fresh subprocesses, interleaved, and the
bench prints the ratio of the medians last: ``report/floor=X.XX``.

Usage: python bench/report_bench.py [--rows N] [--repeat K]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

from leadscore_cli.model import load_model
from leadscore_cli.model.writer import model_sha256
from leadscore_cli.sample import write_sample

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
OUT = DATA / "out"
MODEL = ROOT / "configs" / "b2b_saas.toml"
AS_OF = "2026-11-01"
SEED = 42
PYTHON = sys.executable
LEADSCORE = str(Path(sys.executable).with_name("leadscore"))
FLOOR_SCRIPT = "import sys, polars as pl; pl.scan_csv(sys.argv[1]).sink_parquet(sys.argv[2])"


def sample_file(rows: int) -> Path:
    """`bench/data/leads_<rows>.csv`, generated once; its `.rows` sidecar is written last,
    so a file cut short by an interrupted run is never reused."""
    path = DATA / f"leads_{rows}.csv"
    sidecar = path.with_name(path.name + ".rows")
    if path.exists() and sidecar.exists():
        recorded = re.search(r"\d+", sidecar.read_text())  # "N", or JSON {"rows": N, ...}
        if recorded and int(recorded.group()) == rows:
            return path
    DATA.mkdir(parents=True, exist_ok=True)
    sidecar.unlink(missing_ok=True)
    print(f"generating {rows:,} rows into {path.relative_to(ROOT)} ...", flush=True)
    written = write_sample(path, rows, seed=SEED)
    sidecar.write_text(f"{written}\n")
    return path


def scored_file(csv: Path, rows: int) -> Path:
    """The export scored once with the B2B model; reused while newer than the export and
    scored with the model as it is now (`report` scores again a file another model or
    another edit of it scored, which would time that instead)."""
    out = OUT / f"report_scored_{rows}.parquet"
    if out.exists() and out.stat().st_mtime >= csv.stat().st_mtime and scored_with_model(out):
        return out
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"scoring {csv.name} into {out.relative_to(ROOT)} ...", flush=True)
    cmd = [LEADSCORE, "score", str(csv), "-m", str(MODEL), "-o", str(out), "--as-of", AS_OF, "-q"]
    subprocess.run(cmd, check=True, cwd=ROOT)
    return out


def scored_with_model(path: Path) -> bool:
    recorded = pl.read_parquet_metadata(path).get("leadscore.model.sha256")
    return recorded == model_sha256(load_model(MODEL))


def timed(cmd: list[str]) -> float:
    """Wall time of `cmd` in a fresh process; output is discarded, failures stop the bench."""
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"command failed ({done.returncode}): {cmd[:3]}...\n{done.stderr}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    csv = sample_file(args.rows)
    scored = scored_file(csv, args.rows)
    floor_out = OUT / f"report_floor_{args.rows}.parquet"
    report_out = OUT / f"report_{args.rows}.json"
    floor_cmd = [PYTHON, "-c", FLOOR_SCRIPT, str(csv), str(floor_out)]
    report_cmd = [
        LEADSCORE,
        "report",
        str(scored),
        "-m",
        str(MODEL),
        "--outcome",
        "converted",
        "--format",
        "json",
        "-o",
        str(report_out),
    ]
    floors, reports = [], []
    for run in range(1, args.repeat + 1):
        floors.append(timed(floor_cmd))
        reports.append(timed(report_cmd))
        print(f"run {run}: floor {floors[-1]:.2f} s, report {reports[-1]:.2f} s", flush=True)
    floor, report = statistics.median(floors), statistics.median(reports)
    print(f"rows={args.rows:,} floor={floor:.2f}s report={report:.2f}s (medians)")
    print(f"report/floor={report / floor:.2f}")


if __name__ == "__main__":
    main()
