"""Benchmark `leadscore profile` against a polars floor on the same CSV.

The floor is the cheapest useful pass over the file: polars reading it once and writing
Parquet (``pl.scan_csv(path).sink_parquet(out)``). Seconds depend on the machine; the ratio
profile/floor says what profiling adds on top of reading the input, so it is what this
bench reports. The target is profile/floor <= 3 at 5,000,000 rows.

Both cases run in fresh subprocesses, interleaved (floor, profile, floor, profile, ...), and
the medians are compared, so drift of the machine during the run hits both alike. The
profile run is the full command: `--target converted -m configs/b2b_saas.toml --json`.

Data: `bench/data/leads_<N>.csv` from `leadscore_cli.sample.write_sample(path, N, seed=42)`,
generated once and reused while its `.rows` sidecar matches (the sidecar holds the row
count, as JSON `{"rows": N, "bytes": size}` or a bare number).

Usage: python bench/profile_bench.py [--rows N] [--repeat K]
The last line printed is `profile/floor=X.XX`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from leadscore_cli.sample import write_sample

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
MODEL = ROOT / "configs" / "b2b_saas.toml"
AS_OF = "2026-11-01"
SEED = 42
PYTHON = sys.executable
LEADSCORE = str(Path(sys.executable).with_name("leadscore"))
FLOOR_SCRIPT = "import sys, polars as pl; pl.scan_csv(sys.argv[1]).sink_parquet(sys.argv[2])"


def sidecar_rows(path: Path) -> int | None:
    """Rows recorded next to a generated file, or None when the record is missing or stale."""
    sidecar = path.with_name(path.name + ".rows")
    if not (path.exists() and sidecar.exists()):
        return None
    text = sidecar.read_text().strip()
    try:
        meta = json.loads(text)
    except ValueError:
        return None
    if isinstance(meta, int):
        return meta
    if not isinstance(meta, dict) or "rows" not in meta:
        return None
    if "bytes" in meta and meta["bytes"] != path.stat().st_size:
        return None
    return int(meta["rows"])


def sample_file(rows: int) -> Path:
    """`bench/data/leads_<rows>.csv`, generated once and reused while its sidecar agrees."""
    path = DATA / f"leads_{rows}.csv"
    if sidecar_rows(path) == rows:
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    sidecar = path.with_name(path.name + ".rows")
    sidecar.unlink(missing_ok=True)
    print(f"generating {rows:,} rows into {path.relative_to(ROOT)} ...", flush=True)
    started = time.perf_counter()
    written = write_sample(path, rows, seed=SEED)
    sidecar.write_text(json.dumps({"rows": written, "bytes": path.stat().st_size}))
    print(f"  done in {time.perf_counter() - started:.1f} s", flush=True)
    return path


def floor_cmd(csv: Path, out: Path) -> list[str]:
    return [PYTHON, "-c", FLOOR_SCRIPT, str(csv), str(out)]


def profile_cmd(csv: Path) -> list[str]:
    return [
        LEADSCORE,
        "profile",
        str(csv),
        "--target",
        "converted",
        "-m",
        str(MODEL),
        "--as-of",
        AS_OF,
        "--json",
    ]


def timed(cmd: list[str], stdout_path: Path | None = None) -> float:
    """Wall time of `cmd` in a fresh process; stops the bench if it fails."""
    with tempfile.TemporaryFile() as errors:
        out = stdout_path.open("wb") if stdout_path else subprocess.DEVNULL
        started = time.perf_counter()
        try:
            done = subprocess.run(cmd, cwd=ROOT, stdout=out, stderr=errors, check=False)
        finally:
            if stdout_path:
                out.close()  # type: ignore[union-attr]
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            errors.seek(0)
            message = errors.read().decode(errors="replace").strip()
            raise SystemExit(f"command failed ({done.returncode}): {cmd[:3]}...\n{message}")
    return seconds


def check_output(path: Path, rows: int) -> None:
    """A fast profile that says something else would make the ratio meaningless."""
    report = json.loads(path.read_text())
    if report.get("rows") != rows or report.get("icp") is None or report.get("rules") is None:
        raise SystemExit(f"unexpected profile output: rows={report.get('rows')}, expected {rows}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    csv = sample_file(args.rows)
    size = csv.stat().st_size / 1e6
    print(f"input: {csv.relative_to(ROOT)} ({args.rows:,} rows, {size:,.0f} MB)", flush=True)
    floors: list[float] = []
    profiles: list[float] = []
    with tempfile.TemporaryDirectory(prefix="leadscore-bench-") as tmp:
        parquet = Path(tmp) / "floor.parquet"
        report = Path(tmp) / "profile.json"
        for round_ in range(1, args.repeat + 1):
            parquet.unlink(missing_ok=True)
            floors.append(timed(floor_cmd(csv, parquet)))
            profiles.append(timed(profile_cmd(csv), report))
            check_output(report, args.rows)
            print(
                f"  round {round_}: floor {floors[-1]:6.2f} s   profile {profiles[-1]:6.2f} s",
                flush=True,
            )
    floor, profile = statistics.median(floors), statistics.median(profiles)
    print(f"median: floor {floor:.2f} s, profile {profile:.2f} s (cpus: {os.cpu_count()})")
    print(f"profile/floor={profile / floor:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
