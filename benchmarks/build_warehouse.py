"""Warehouse build speed and memory, printed as figures.

Measures, on generated event logs (``shopsight generate``):
- the bare feature query: plain DuckDB computing session and customer features straight from
  the Parquet files (the floor any build is compared with);
- the whole ``shopsight build`` (events, sessions, customers, cohorts, daily roll-up, ledger,
  duplicate check), its ratio to the bare query, and its peak memory (RSS of a child process);
- CSV ingest throughput in MB/s;
- the UCI clickstream build (if ../shared/data is present).

Usage::

    python benchmarks/build_warehouse.py                       # ~10M events
    python benchmarks/build_warehouse.py --customers 1000000   # ~100M events, many files
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import _measure  # noqa: E402

CHILD = r"""
import json, sys, time, resource
from pathlib import Path
kind, args = sys.argv[1], json.loads(sys.argv[2])
started = time.perf_counter()
if kind == "bare":
    import duckdb
    con = duckdb.connect()
    files = args["files"]
    con.execute(
        "CREATE TABLE s AS SELECT user_session, any_value(user_id) AS user_id, count(*) AS events, "
        "min(event_time) AS first_at, max(event_time) AS last_at, "
        "count(*) FILTER (WHERE event_type = 'cart') AS cart_adds, "
        "count(*) FILTER (WHERE event_type = 'purchase') AS purchases, "
        "sum(price) FILTER (WHERE event_type = 'purchase') AS revenue, "
        "count(DISTINCT product_id) AS products "
        "FROM read_parquet($files) GROUP BY user_session",
        {"files": files},
    )
    con.execute(
        "CREATE TABLE c AS SELECT user_id, count(*) AS sessions, sum(purchases) AS orders, "
        "sum(revenue) AS revenue, min(first_at) AS first_seen, max(last_at) AS last_seen "
        "FROM s GROUP BY user_id"
    )
    result = {"sessions": con.sql("SELECT count(*) FROM s").fetchall()[0][0]}
else:
    from warehouse.build import BuildOptions, build_warehouse
    options = BuildOptions(force=True, format=args.get("format"))
    if args.get("memory_limit"):
        options.memory_limit = args["memory_limit"]
    built = build_warehouse(Path(args["db"]), args["inputs"], options)
    result = {"rows_read": sum(s.rows_read for s in built.sources),
              "rows_loaded": sum(s.rows_loaded for s in built.sources)}
result["seconds"] = time.perf_counter() - started
result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(result))
"""


def run_child(kind: str, args: dict[str, Any]) -> dict[str, Any]:
    return _measure.run_child(CHILD, kind, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench-data")
    parser.add_argument("--memory-limit", default=None, help="DuckDB memory limit for the build")
    parser.add_argument("--skip-csv", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep generated files")
    opts = parser.parse_args()

    from synthetic.shop import generate_events

    data = opts.workdir / f"events-{opts.customers}c-{opts.days}d"
    if not data.exists():
        started = time.perf_counter()
        summary = generate_events(data, customers=opts.customers, days=opts.days, seed=7)
        print(
            f"generated {summary.events:,} events ({summary.sessions:,} sessions) "
            f"in {time.perf_counter() - started:.1f} s"
        )
    files = sorted(str(p) for p in data.glob("*.parquet"))
    size_mb = sum(Path(f).stat().st_size for f in files) / 1e6
    print(f"input: {len(files)} Parquet file(s), {size_mb:,.0f} MB")

    bare = run_child("bare", {"files": files})
    print(
        f"bare feature query (DuckDB, sessions + customers): {bare['seconds']:.2f} s, "
        f"peak {bare['peak_rss_mib']:,.0f} MiB"
    )
    db = opts.workdir / "bench.duckdb"
    built = run_child(
        "build",
        {
            "db": str(db),
            "inputs": [str(data)],
            "format": "event-log",
            "memory_limit": opts.memory_limit,
        },
    )
    print(
        f"shopsight build (Parquet in → warehouse out): {built['seconds']:.2f} s for "
        f"{built['rows_read']:,} events ({built['rows_read'] / built['seconds']:,.0f} events/s), "
        f"peak {built['peak_rss_mib']:,.0f} MiB"
    )
    print(f"ratio build / bare query: {built['seconds'] / bare['seconds']:.2f}x")

    if not opts.skip_csv:
        import duckdb

        csv_path = opts.workdir / "events.csv"
        if not csv_path.exists():
            con = duckdb.connect()
            con.execute(f"COPY (SELECT * FROM read_parquet({files!r})) TO '{csv_path}' (HEADER)")
            con.close()
        csv_mb = csv_path.stat().st_size / 1e6
        csv_build = run_child(
            "build",
            {
                "db": str(opts.workdir / "csv.duckdb"),
                "inputs": [str(csv_path)],
                "format": "event-log",
            },
        )
        print(
            f"CSV ingest: {csv_mb:,.0f} MB in {csv_build['seconds']:.2f} s = "
            f"{csv_mb / csv_build['seconds']:,.1f} MB/s (whole build), "
            f"peak {csv_build['peak_rss_mib']:,.0f} MiB"
        )

    from tests.support.fixtures_data import shared_data_dir

    shared = shared_data_dir()
    if shared is not None:
        uci = run_child(
            "build",
            {
                "db": str(opts.workdir / "uci.duckdb"),
                "inputs": [str(shared / "uci_clickstream/e-shop_clothing_2008.csv.zst")],
            },
        )
        print(f"UCI clickstream build: {uci['seconds']:.2f} s for {uci['rows_read']:,} rows")
    else:
        print("UCI clickstream build: skipped (../shared/data absent)")

    for leftover in opts.workdir.glob("*.duckdb*"):
        leftover.unlink() if leftover.is_file() or leftover.is_symlink() else shutil.rmtree(
            leftover
        )
    if not opts.keep:
        shutil.rmtree(data, ignore_errors=True)
        (opts.workdir / "events.csv").unlink(missing_ok=True)
    print(
        f"(peak RSS is the ru_maxrss of each measured child process; "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB in this one)"
    )


if __name__ == "__main__":
    main()
