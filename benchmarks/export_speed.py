"""Cohort export speed and memory, printed as figures (targets: >= 300,000 rows/s for CSV,
peak RSS <= 500 MiB).

Generates an event log with ``--customers`` customers (default 1,000,000 over 7 days, about
13 M events: enough for a million-row customer list without a 100 M-event build), builds
the warehouse, then exports the whole customer list in child processes and reports rows/s
and each child's peak RSS (``ru_maxrss``):

- CSV through ``export_rows`` into a file;
- CSV through the Flask route with the test client, streamed chunk by chunk;
- Parquet through ``export_rows``;
- XLSX on a smaller cohort (``--xlsx-cohort``), and the refusal of every session (more rows
  than an Excel sheet holds) as XLSX.

Usage::

    python benchmarks/export_speed.py                     # generate, build, measure, clean up
    python benchmarks/export_speed.py --keep              # keep data and warehouse for reruns
    python benchmarks/export_speed.py --customers 200000  # a quicker look
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import _measure  # noqa: E402

CHILD = r"""
import json, resource, sys, time
from pathlib import Path

kind, args = sys.argv[1], json.loads(sys.argv[2])
from analytics.cohort import Cohort
from analytics.export import ExportRequest, ExportTooLargeError, export_to_file
from warehouse.reader import WarehouseReader

def rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

reader = WarehouseReader(args["db"], memory_limit=args["memory_limit"])
reader.build_id()  # open the warehouse before the clock starts
baseline = rss_mib()
entity = args.get("entity", "customers")
request = ExportRequest(Cohort.from_query(args["cohort"]), entity, args["fmt"], user="bench")
started = time.perf_counter()
result = {"kind": kind}
if kind == "file":
    out = Path(args["out"])
    try:
        done = export_to_file(reader, request, out, batch_rows=args["batch_rows"])
        result.update(rows=done.rows, bytes=out.stat().st_size)
    except ExportTooLargeError as exc:
        result.update(rows=0, bytes=0, refused=str(exc))
elif kind == "route":
    import flask
    from appstate.store import AppState, User
    from dashboard.export_route import register_export_routes

    app = flask.Flask("bench")
    store = AppState(args["state"])
    register_export_routes(app, lambda: reader, store, lambda: User("bench", "admin"))
    response = app.test_client().get(f"/export/customers.csv?{args['cohort']}", buffered=False)
    assert response.status_code == 200, response.get_data(as_text=True)
    size = lines = chunks = 0
    for chunk in response.response:
        size += len(chunk)
        lines += chunk.count(b"\n")
        chunks += 1
    response.close()
    result.update(rows=lines - 1, bytes=size, chunks=chunks, logged=store.exports(1)[0].status)
result["seconds"] = time.perf_counter() - started
result["peak_rss_mib"] = rss_mib()
# VmHWM is the high-water mark of this process image alone (reset by exec).
for line in Path("/proc/self/status").read_text().splitlines():
    if line.startswith("VmHWM:"):
        result["vmhwm_mib"] = int(line.split()[1]) / 1024
result["baseline_rss_mib"] = baseline
reader.close()
print(json.dumps(result))
"""


def run_child(kind: str, args: dict[str, Any]) -> dict[str, Any]:
    return _measure.run_child(CHILD, kind, args)


def cli(*args: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"shopsight {args[0]} failed:\n{out.stderr}")
    print(out.stdout.strip().splitlines()[0])


def report(label: str, result: dict[str, Any]) -> None:
    rows, seconds = int(result["rows"]), float(result["seconds"])
    size = int(result["bytes"]) / 1e6
    print(
        f"{label:<34} {rows:>10,} rows in {seconds:6.2f} s = {rows / seconds:>10,.0f} rows/s, "
        f"{size:,.0f} MB; peak RSS {result['peak_rss_mib']:,.0f} MiB "
        f"(VmHWM {result.get('vmhwm_mib', float('nan')):,.0f}; "
        f"{result['baseline_rss_mib']:,.0f} MiB once the warehouse was open)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/shopsight-export-bench"))
    parser.add_argument("--memory-limit", default="2GB", help="the reader's DuckDB memory limit")
    parser.add_argument("--batch-rows", type=int, default=16_384)
    parser.add_argument("--xlsx-cohort", default="min_orders=2", help="cohort for the XLSX run")
    parser.add_argument("--keep", action="store_true", help="keep the data and the warehouse")
    opts = parser.parse_args()

    work = opts.workdir
    data = work / f"events-{opts.customers}c-{opts.days}d"
    db = work / "warehouse" / "bench.duckdb"
    try:
        # Generation and the build run in their own processes: a child's ru_maxrss starts
        # from its parent's resident size (it is kept across fork and exec), so this
        # process must stay small for the export figures to mean anything.
        if not data.exists():
            started = time.perf_counter()
            size = ["--customers", str(opts.customers), "--days", str(opts.days)]
            cli("generate", "--out", str(data), *size, "--seed", "7")
            print(f"generated the event log in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        cli("build", "--db", str(db), "--format", "event-log", str(data))
        print(f"built (or reused) the warehouse in {time.perf_counter() - started:.1f} s")

        common = {"db": str(db), "memory_limit": opts.memory_limit, "batch_rows": opts.batch_rows}
        out = work / "out"
        out.mkdir(exist_ok=True)
        results = {
            "csv": run_child(
                "file", {**common, "fmt": "csv", "cohort": "", "out": str(out / "all.csv")}
            ),
            "route": run_child(
                "route",
                {**common, "fmt": "csv", "cohort": "", "state": str(out / "state.sqlite3")},
            ),
            "parquet": run_child(
                "file",
                {**common, "fmt": "parquet", "cohort": "", "out": str(out / "all.parquet")},
            ),
            "xlsx": run_child(
                "file",
                {**common, "fmt": "xlsx", "cohort": opts.xlsx_cohort, "out": str(out / "c.xlsx")},
            ),
            "xlsx_refused": run_child(
                "file",
                {
                    **common,
                    "fmt": "xlsx",
                    "cohort": "",
                    "entity": "sessions",
                    "out": str(out / "sessions.xlsx"),
                },
            ),
        }
        print()
        report("CSV, export_rows → file", results["csv"])
        report("CSV, Flask route (streamed)", results["route"])
        print(
            f"{'':<34} {results['route']['chunks']} chunks; "
            f"export log: {results['route']['logged']}"
        )
        report("Parquet (zstd), export_rows → file", results["parquet"])
        report(f"XLSX, cohort {opts.xlsx_cohort}", results["xlsx"])
        refused = results["xlsx_refused"]
        if refused.get("refused"):
            print(
                f"{'XLSX, every session':<34} refused in {float(refused['seconds']):.2f} s "
                f"before writing: {refused['refused']}"
            )
        else:
            report("XLSX, every session", refused)
        csv_rate = int(results["csv"]["rows"]) / float(results["csv"]["seconds"])
        peak = max(float(r["peak_rss_mib"]) for r in results.values())
        print()
        print(
            f"targets: CSV >= 300,000 rows/s: {csv_rate:,.0f} "
            f"({'met' if csv_rate >= 300_000 else 'NOT met'}); peak <= 500 MiB: {peak:,.0f} MiB "
            f"({'met' if peak <= 500 else 'NOT met'})"
        )
    finally:
        shutil.rmtree(work / "out", ignore_errors=True)
        if not opts.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
