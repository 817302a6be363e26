"""Benchmark `leadscore score` against a polars floor and a hand-written DuckDB query.

Absolute seconds and megabytes say more about the machine than about leadscore: laptops,
CI runners and shared VMs differ by several times, and the same machine drifts from run
to run (turbo, page cache, neighbours). So every case runs in the same invocation, on the
same file, interleaved (floor, score, duckdb, repeated), and the bench reports *ratios*:

* score/floor: scoring cost over the cheapest possible CSV -> Parquet pass in polars
  (``pl.scan_csv(path).sink_parquet(out)``); what leadscore adds on top of I/O.
* score/duckdb: leadscore against the same model written as one DuckDB SQL query
  (bench/b2b_saas.sql); below 1.0 means leadscore is faster.
* rss/floor: peak memory of scoring over the floor's; with ``--scaling``, rss@4x/rss@1x
  checks that memory stays bounded as the input grows (streaming).

Each case runs in a fresh subprocess so its peak RSS is its own (``ru_maxrss`` from
``os.wait4``, taken by a tiny launcher process: see LAUNCHER for why). Before timing, the
DuckDB query is checked against leadscore on a small file: a fast query that computes
something else would make the comparison meaningless.

Usage: python bench/score_bench.py [--rows N] [--repeat K] [--scaling] [--keep]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from leadscore_cli.sample import write_sample

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DATA = BENCH / "data"
MODEL = ROOT / "configs" / "b2b_saas.toml"
SQL = BENCH / "b2b_saas.sql"
AS_OF = "2026-11-01"
SEED = 42
CHECK_ROWS = 20_000
SCORE_TOLERANCE = 0.011
TIER_AGREEMENT = 0.999
PYTHON = sys.executable
LEADSCORE = str(Path(sys.executable).with_name("leadscore"))

FLOOR_SCRIPT = "import sys, polars as pl; pl.scan_csv(sys.argv[1]).sink_parquet(sys.argv[2])"
DUCKDB_SCRIPT = "import sys, duckdb; duckdb.connect().execute(sys.argv[1])"
# Runs one case and prints "<wall s> <peak RSS KiB> <CPU s>". The hop matters: Linux keeps
# a process's RSS high-water mark across exec, and Python spawns with vfork, so a child started
# straight from this process would report *our* peak RSS (polars, the check frames) as its
# own. Started from this small launcher, a child's ru_maxrss is its own (floor ~10 MiB).
LAUNCHER = """
import os, subprocess, sys, time
started = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
seconds = time.perf_counter() - started
code = os.waitstatus_to_exitcode(status)
if code:
    sys.exit(f"exit code {code}")
print(seconds, usage.ru_maxrss, usage.ru_utime + usage.ru_stime)
"""


@dataclass
class Run:
    seconds: float
    rss_kib: int
    cpu_seconds: float  # user + system: less sensitive than wall time to a busy machine


@dataclass
class Case:
    name: str
    rows: int
    runs: list[Run]

    @property
    def seconds(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def cpu_seconds(self) -> float:
        return statistics.median(r.cpu_seconds for r in self.runs)

    @property
    def rss_mib(self) -> float:
        return max(r.rss_kib for r in self.runs) / 1024


# --- data ------------------------------------------------------------------------------


def sample_file(rows: int) -> Path:
    """`bench/data/leads_<rows>.csv`, generated once; a `.rows` sidecar written after success
    holds its row count, so a file cut short by an interrupted run is never reused."""
    path = DATA / f"leads_{rows}.csv"
    sidecar = path.with_name(path.name + ".rows")
    if path.exists() and sidecar.exists():
        recorded = re.search(r"\d+", sidecar.read_text())  # "N", or JSON {"rows": N, ...}
        if recorded and int(recorded.group()) == rows:
            return path
    DATA.mkdir(parents=True, exist_ok=True)
    sidecar.unlink(missing_ok=True)
    print(f"generating {rows:,} rows into {path.relative_to(ROOT)} ...", flush=True)
    started = time.perf_counter()
    written = write_sample(path, rows, seed=SEED)
    sidecar.write_text(f"{written}\n")
    print(f"  done in {time.perf_counter() - started:.1f} s", flush=True)
    return path


def render_sql(csv: Path, out: Path) -> str:
    """bench/b2b_saas.sql with its placeholders filled in (paths as SQL string literals)."""

    def quoted(path: Path) -> str:
        return str(path).replace("'", "''")

    text = SQL.read_text(encoding="utf-8")
    return (
        text.replace("{csv}", quoted(csv)).replace("{out}", quoted(out)).replace("{as_of}", AS_OF)
    )


# --- commands --------------------------------------------------------------------------


def floor_cmd(csv: Path, out: Path) -> list[str]:
    return [PYTHON, "-c", FLOOR_SCRIPT, str(csv), str(out)]


def score_cmd(csv: Path, out: Path) -> list[str]:
    model = str(MODEL)
    return [LEADSCORE, "score", str(csv), "-m", model, "-o", str(out), "--as-of", AS_OF, "-q"]


def duckdb_cmd(csv: Path, out: Path) -> list[str]:
    return [PYTHON, "-c", DUCKDB_SCRIPT, render_sql(csv, out)]


def measure(cmd: list[str]) -> Run:
    """Run `cmd` to completion through LAUNCHER; its wall time and own peak RSS (KiB)."""
    done = subprocess.run(
        [PYTHON, "-S", "-c", LAUNCHER, *cmd], cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"command failed ({done.returncode}): {cmd[:3]}...\n{done.stderr}")
    seconds, rss_kib, cpu = done.stdout.split()
    return Run(seconds=float(seconds), rss_kib=int(rss_kib), cpu_seconds=float(cpu))


def run_case(name: str, cmd: list[str], out: Path) -> Run:
    out.unlink(missing_ok=True)
    run = measure(cmd)
    print(
        f"  {name:<10} {run.seconds:8.2f} s wall {run.cpu_seconds:8.2f} s CPU "
        f"{run.rss_kib / 1024:7.0f} MiB",
        flush=True,
    )
    return run


# --- agreement check -------------------------------------------------------------------


def check_agreement(outdir: Path) -> None:
    """DuckDB and leadscore must score a small file alike, or the timing means nothing."""
    csv = sample_file(CHECK_ROWS)
    ours, theirs = outdir / "check_score.parquet", outdir / "check_duckdb.parquet"
    measure(score_cmd(csv, ours))
    measure(duckdb_cmd(csv, theirs))
    a, b = pl.read_parquet(ours), pl.read_parquet(theirs)
    ours.unlink()
    theirs.unlink()
    problems = []
    if a.columns != b.columns:
        problems.append(f"columns differ: {a.columns} vs {b.columns}")
    if a.height != b.height or not a["lead_id"].equals(b["lead_id"]):
        raise SystemExit("agreement check: the outputs do not have the same leads in order")
    diff = (a["score"] - b["score"]).abs()
    over = int((diff > SCORE_TOLERANCE).sum())
    tiers = float((a["tier"].cast(pl.String) == b["tier"].cast(pl.String)).mean() or 0.0)
    parts = {c: float((a[c] - b[c]).abs().max() or 0.0) for c in ("score_fit", "score_engagement")}
    inputs = [c for c in a.columns[:-4] if c in b.columns and not a[c].equals(b[c])]
    print(
        f"agreement on {a.height:,} rows: score max |diff| {diff.max():.4f}, "
        f"{over} row(s) over {SCORE_TOLERANCE}; tier agreement {tiers:.4%}; "
        f"max |diff| fit {parts['score_fit']:.4f}, engagement {parts['score_engagement']:.4f}; "
        f"input columns differing: {inputs or 'none'}",
        flush=True,
    )
    if over:
        problems.append(f"{over} score(s) differ by more than {SCORE_TOLERANCE}")
    if tiers < TIER_AGREEMENT:
        problems.append(f"tiers agree on only {tiers:.4%}")
    if problems:
        raise SystemExit("agreement check failed: " + "; ".join(problems))


# --- report ----------------------------------------------------------------------------


def print_table(cases: list[Case]) -> None:
    print()
    print(
        f"{'case':<10} {'rows':>12} {'runs':>5} {'wall s':>9} {'CPU s':>9} "
        f"{'peak RSS MiB':>13} {'rows/s':>12}"
    )
    for case in cases:
        print(
            f"{case.name:<10} {case.rows:>12,} {len(case.runs):>5} {case.seconds:>9.2f} "
            f"{case.cpu_seconds:>9.2f} {case.rss_mib:>13.0f} {case.rows / case.seconds:>12,.0f}"
        )
    print("(wall and CPU: median over the runs; peak RSS: max over the runs; rows/s from wall)")


def machine_note(load_before: float) -> str:
    """Context for the wall times: a load above the core count means the runs competed."""
    load_after = os.getloadavg()[0]
    cores = os.cpu_count()
    return f"({cores} cores; 1-min load average {load_before:.1f} before, {load_after:.1f} after)"


def ratios(cases: dict[str, Case]) -> str:
    floor, score, duck = cases["floor"], cases["score"], cases["duckdb"]
    return (
        f"score/floor={score.seconds / floor.seconds:.2f} "
        f"score/duckdb={score.seconds / duck.seconds:.2f} "
        f"rss/floor={score.rss_mib / floor.rss_mib:.2f}"
    )


# --- main ------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000, help="rows in the input CSV")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (median wall)")
    parser.add_argument(
        "--scaling", action="store_true", help="also score 4x the rows once (bounded memory?)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the Parquet outputs")
    args = parser.parse_args(argv)
    if args.rows < 1 or args.repeat < 1:
        parser.error("--rows and --repeat must be positive")
    return args


def run_rounds(rows: int, repeat: int, outdir: Path) -> dict[str, Case]:
    """floor, score, duckdb, repeated `repeat` times, so drift hits every case alike."""
    csv = sample_file(rows)
    builders = {"floor": floor_cmd, "score": score_cmd, "duckdb": duckdb_cmd}
    cases = {name: Case(name, rows, []) for name in builders}
    for i in range(repeat):
        print(f"round {i + 1}/{repeat} on {csv.name}", flush=True)
        for name, build in builders.items():
            out = outdir / f"{name}_{rows}.parquet"
            cases[name].runs.append(run_case(name, build(csv, out), out))
    return cases


def run_scaling(rows: int, outdir: Path) -> Case:
    """The score case once on `rows` rows: its peak RSS should barely grow with the input."""
    csv = sample_file(rows)
    out = outdir / f"score_{rows}.parquet"
    print(f"scaling run on {csv.name}", flush=True)
    return Case("score@4x", rows, [run_case("score@4x", score_cmd(csv, out), out)])


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    load_before = os.getloadavg()[0]
    # One folder per run: two benches at once (CI, a colleague) never share an output.
    outdir = DATA / "out" / f"run-{os.getpid()}"
    outdir.mkdir(parents=True, exist_ok=True)
    try:
        check_agreement(outdir)
        cases = run_rounds(args.rows, args.repeat, outdir)
        big = run_scaling(4 * args.rows, outdir) if args.scaling else None
    finally:
        if args.keep:
            print(f"outputs kept in {outdir.relative_to(ROOT)}")
        else:
            shutil.rmtree(outdir, ignore_errors=True)
    print_table([*cases.values(), *([big] if big else [])])
    print(machine_note(load_before))
    if big:
        print(f"rss@4x/rss@1x={big.rss_mib / cases['score'].rss_mib:.2f}")
    print(ratios(cases))


if __name__ == "__main__":
    main()
