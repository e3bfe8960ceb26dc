"""Dashboard speed on a large warehouse, printed as figures.

1. Each chart or count callback called directly (through the Flask test client, so Dash's
   own work counts): p50 / p95 over varied cohorts, cold (first call per cohort) and warm
   (served by the result cache or a roll-up).
2. Over HTTP on loopback: 16 concurrent simulated users on the default views for a bounded
   time: p95 latency and errors.
3. A warehouse rebuild while 4 users click: failed requests, and how many requests each
   worker needed after the swap to serve the new build.

Usage::

    python benchmarks/dashboard_speed.py --db /path/to/w.duckdb          # existing warehouse
    python benchmarks/dashboard_speed.py --customers 1000000 --workdir /tmp/dash1m
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboard import ids  # noqa: E402
from dashboard.app import create_app, warm_cache  # noqa: E402
from dashboard.settings import Settings  # noqa: E402
from tests.support.dash_client import DashClient  # noqa: E402

COHORTS = [
    "",
    "churn_tier=High",
    "min_orders=2",
    "carted_not_bought=1",
    "date_from=2025-03-01&date_to=2025-04-30",
    "inactive_days=60&churn_tier=High",
    "acquisition_month=2025-02",
    "min_purchase_prob=0.5",
    "segment=1",
    "rfm_tier=Champions",
]
FACETS = ["acquisition_month", "churn_tier", "segment"]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def ensure_warehouse(args: argparse.Namespace) -> Path:
    if args.db:
        return Path(args.db)
    from synthetic.shop import generate_events
    from tests.support.warehouses import add_fake_scores
    from warehouse.build import build_warehouse

    work = Path(args.workdir)
    db = work / "w.duckdb"
    if not db.exists():
        started = time.perf_counter()
        generate_events(work / "data", customers=args.customers, days=180, seed=3)
        build_warehouse(db, [str(work / "data")])
        add_fake_scores(db)
        print(
            f"built a {args.customers:,}-customer warehouse "
            f"in {time.perf_counter() - started:.0f} s"
        )
    return db


def callback_timings(db: Path, state: Path) -> None:
    client = DashClient(create_app(Settings(db_path=db, state_path=state)))
    calls: dict[str, list[tuple[str, dict[str, Any], dict[str, Any] | None]]] = {
        "count": [
            (ids.COUNT + ".children", {ids.COHORT_STORE + ".data": q}, None) for q in COHORTS
        ],
        "grid page": [
            (
                ids.GRID + ".getRowsResponse",
                {ids.GRID + ".getRowsRequest": {"startRow": 0, "endRow": 100, "sortModel": []}},
                {ids.COHORT_STORE + ".data": q},
            )
            for q in COHORTS
        ],
    }
    print("callbacks called directly (ms): cold = first call of a cohort, warm = repeated")
    for name, requests in calls.items():
        cold, warm = [], []
        for output, inputs, state_values in requests:
            for bucket in (cold, warm):
                started = time.perf_counter()
                status, _ = client.call(output, inputs, state_values)
                bucket.append((time.perf_counter() - started) * 1000)
                assert status in (200, 204), (name, inputs, status)
        print(
            f"  {name:<22} cold p50 {pct(cold, 0.5):6.0f}  p95 {pct(cold, 0.95):6.0f}   "
            f"warm p50 {pct(warm, 0.5):5.1f}  p95 {pct(warm, 0.95):5.1f}"
        )
    for facet in FACETS:
        cold, warm = [], []
        for q in COHORTS:
            for bucket in (cold, warm):
                started = time.perf_counter()
                response = client.http.post(
                    "/_dash-update-component",
                    json={
                        "output": '{"key":["MATCH"],"type":"' + ids.FACET_GRAPH + '"}.figure',
                        "outputs": {
                            "id": {"type": ids.FACET_GRAPH, "key": facet},
                            "property": "figure",
                        },
                        "inputs": [{"id": ids.COHORT_STORE, "property": "data", "value": q}],
                        "state": [
                            {
                                "id": {"type": ids.FACET_GRAPH, "key": facet},
                                "property": "id",
                                "value": {"type": ids.FACET_GRAPH, "key": facet},
                            }
                        ],
                        "changedPropIds": [ids.COHORT_STORE + ".data"],
                    },
                )
                bucket.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.data[:300]
        print(
            f"  facet {facet:<16} cold p50 {pct(cold, 0.5):6.0f}  p95 {pct(cold, 0.95):6.0f}   "
            f"warm p50 {pct(warm, 0.5):5.1f}  p95 {pct(warm, 0.95):5.1f}"
        )
    for path in ("/", "/cohorts", "/sessions", "/churn", "/segments"):
        cold, warm = [], []
        for bucket in (cold, warm, warm, warm):
            started = time.perf_counter()
            client.render(path)
            bucket.append((time.perf_counter() - started) * 1000)
        print(f"  page {path:<17} first render {cold[0]:6.0f}   again p95 {pct(warm, 0.95):6.0f}")


def _serve(db: Path, state: Path) -> tuple[Any, str]:
    from werkzeug.serving import make_server

    app = create_app(Settings(db_path=db, state_path=state))
    started = time.perf_counter()
    warm_cache(app).join()  # as `shopsight serve` does at start
    print(f"  (default views warmed in {time.perf_counter() - started:.1f} s)")
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def _post(url: str, payload: dict[str, Any]) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url + "/_dash-update-component",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def _default_view_requests() -> list[Any]:
    count = {
        "output": ids.COUNT + ".children",
        "outputs": {"id": ids.COUNT, "property": "children"},
        "inputs": [{"id": ids.COHORT_STORE, "property": "data", "value": ""}],
        "changedPropIds": [ids.COHORT_STORE + ".data"],
    }
    overview = {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [
            {"id": "_pages_content", "property": "children"},
            {"id": "_pages_store", "property": "data"},
        ],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": "/"},
            {"id": "_pages_location", "property": "search", "value": ""},
        ],
        "changedPropIds": ["_pages_location.pathname"],
    }
    return [("count", count), ("overview", overview)]


def http_load(db: Path, state: Path, users: int, seconds: float) -> None:
    server, url = _serve(db, state)
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    requests = _default_view_requests()

    def user(n: int) -> None:
        nonlocal errors
        i = n
        while time.monotonic() < stop:
            _, payload = requests[i % len(requests)]
            started = time.perf_counter()
            status, _ = _post(url, payload)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                errors += status != 200
            i += 1

    threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    server.shutdown()
    print(
        f"HTTP, {users} concurrent users for {seconds:.0f} s on the default views: "
        f"{len(latencies):,} requests, p50 {pct(latencies, 0.5):.0f} ms, "
        f"p95 {pct(latencies, 0.95):.0f} ms, errors {errors}"
    )


def rebuild_under_clicks(db: Path, state: Path, users: int = 4) -> None:
    """Rebuild while users click; count failures and requests-to-new-build per user."""
    from warehouse.build import BuildOptions, build_warehouse
    from warehouse.reader import WarehouseReader

    data = [r[0] for r in WarehouseReader(db).rows("SELECT path FROM ingest_ledger")]
    server, url = _serve(db, state)
    old = WarehouseReader(db).build_id()
    results: dict[int, dict[str, Any]] = {
        n: {"ok": 0, "failed": 0, "after_swap": None} for n in range(users)
    }
    swapped = threading.Event()
    done = threading.Event()
    new_build: list[str] = []

    def user(n: int) -> None:
        requests_since_swap = 0
        while not done.is_set():
            asked_after_swap = swapped.is_set()  # only requests sent after the swap count
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=30) as response:
                    build = json.loads(response.read())["build_id"]
                status, _ = _post(url, _default_view_requests()[0][1])
                results[n]["ok" if status == 200 else "failed"] += 1
            except Exception:
                results[n]["failed"] += 1
                continue
            if asked_after_swap:
                requests_since_swap += 1
                if build == new_build[0] and results[n]["after_swap"] is None:
                    results[n]["after_swap"] = requests_since_swap
                    return

    threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
    for t in threads:
        t.start()
    started = time.perf_counter()
    result = build_warehouse(db, data, BuildOptions(force=True))
    new_build.append(result.build_id)
    swapped.set()
    for t in threads:
        t.join(timeout=60)
    done.set()
    server.shutdown()
    failed = sum(r["failed"] for r in results.values())
    ok = sum(r["ok"] for r in results.values())
    after = [r["after_swap"] for r in results.values()]
    print(
        f"rebuild ({time.perf_counter() - started:.0f} s, {old[:24]}… → "
        f"{result.build_id[:24]}…) while {users} users clicked: {ok:,} requests ok, "
        f"{failed} failed; requests until each user saw the new build: {after}"
    )


def main() -> None:
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request is noise here
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="an existing scored warehouse")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--workdir", default="/tmp/dash-bench")
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rebuild-db", help="a (smaller) warehouse to rebuild under clicks")
    args = parser.parse_args()
    db = ensure_warehouse(args)
    state = Path(args.workdir) / "bench-state.sqlite3"
    state.parent.mkdir(parents=True, exist_ok=True)
    from warehouse.reader import WarehouseReader

    reader = WarehouseReader(db)
    customers, sessions = reader.rows(
        "SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM sessions)"
    )[0]
    reader.close()
    print(f"warehouse: {customers:,} customers, {sessions:,} sessions")
    callback_timings(db, state)
    http_load(db, state, args.users, args.seconds)
    if args.rebuild_db:
        rebuild_under_clicks(Path(args.rebuild_db), state)


if __name__ == "__main__":
    main()
