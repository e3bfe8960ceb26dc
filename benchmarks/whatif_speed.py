"""What-if speed: server time of a slider update, predictions and sensitivity curves included.

Each update is a real POST to ``/_dash-update-component`` through the Flask test client, in
process, so Dash's own work (decoding, the callback, building the cards, serialising the
curve patches) counts; network and browser rendering do not. A seeded random walk moves one
lever at a time, as a drag does. Also printed: the engine alone (predictions + curves +
reasons), switching the curves' output (whole figures instead of patches), and the one-off
costs (loading the models, a customer's and a segment's profile).

Budget: a slider update ≤ 50 ms server time.

Usage::

    python benchmarks/whatif_speed.py                       # bench-data/ if present
    python benchmarks/whatif_speed.py --db /path/to/w.duckdb
    python benchmarks/whatif_speed.py --customers 2000 --workdir /tmp/whatif-bench
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analytics.whatif import Profile, WhatIf  # noqa: E402
from dashboard import ids  # noqa: E402
from dashboard.app import create_app  # noqa: E402
from dashboard.pages import whatif as whatif_page  # noqa: E402
from dashboard.settings import Settings  # noqa: E402
from tests.support.dash_client import DashClient  # noqa: E402
from tests.support.whatif_requests import update_payload  # noqa: E402
from warehouse.reader import WarehouseReader  # noqa: E402

BENCH_DB = ROOT / "bench-data" / "models-100000c-180d" / "warehouse.duckdb"
BUDGET_MS = 50.0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def find_warehouse(args: argparse.Namespace) -> Path:
    """The trained warehouse to measure: --db, the helper's 100k one, or a fresh small one."""
    if args.db:
        return Path(args.db)
    if not args.customers and BENCH_DB.exists() and (BENCH_DB.parent / "artifacts").is_dir():
        return BENCH_DB
    from threadpoolctl import threadpool_limits

    from models.score import score_models
    from models.train import TrainOptions, train_models
    from tests.support.warehouses import generated_warehouse

    work = Path(args.workdir or tempfile.mkdtemp(prefix="whatif-bench-"))
    db = work / "w.duckdb"
    if not db.exists():
        started = time.perf_counter()
        generated_warehouse(work, customers=args.customers or 2000, days=120)
        with threadpool_limits(limits=1, user_api="openmp"):
            train_models(db, TrainOptions(fast=True))
            score_models(db, None)
        print(f"built and trained a warehouse in {time.perf_counter() - started:.0f} s")
    return db


def _profile(start: Profile) -> dict[str, Any]:
    return {"kind": start.kind, "key": start.key}


def measure(
    client: DashClient, engine: WhatIf, start: Profile, moves: int, seed: int
) -> dict[str, Any]:
    """Slider moves (a random walk, one lever a move) and output switches, timed."""
    rng = random.Random(seed)
    levers = engine.levers(start)
    values = {lv.feature: start.values[lv.feature] for lv in levers}
    target = "churn_prob" if start.entity == "customer" else "conversion_prob"
    slider_ms: list[float] = []
    sizes: list[int] = []
    # One request first, so what is measured is a warm page (models and profile in memory).
    client.http.post(
        "/_dash-update-component",
        json=update_payload(client, _profile(start), values, target, ids.WI_TARGET),
    )
    for _ in range(moves):
        lever = rng.choice(levers)
        steps = round((lever.high - lever.low) / lever.step)
        values[lever.feature] = lever.low + rng.randint(0, steps) * lever.step
        changed = json.dumps(
            {"feature": lever.feature, "type": ids.WI_SLIDER}, separators=(",", ":")
        )
        body = update_payload(client, _profile(start), values, target, changed)
        started = time.perf_counter()
        response = client.http.post("/_dash-update-component", json=body)
        slider_ms.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.data[:300]
        sizes.append(len(response.data))
    switch_ms: list[float] = []
    outputs = (
        ["purchase_prob", "predicted_revenue", "churn_prob", "value_at_risk"]
        if start.entity == "customer"
        else ["conversion_prob", "predicted_order_value", "expected_revenue"]
    )
    for i in range(max(10, moves // 10)):
        target_now = outputs[i % len(outputs)]
        body = update_payload(client, _profile(start), values, target_now, ids.WI_TARGET)
        started = time.perf_counter()
        response = client.http.post("/_dash-update-component", json=body)
        switch_ms.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    engine_ms: list[float] = []
    for _ in range(moves):
        lever = rng.choice(levers)
        edited = start.with_values({**values, lever.feature: lever.high})
        started = time.perf_counter()
        engine.evaluate(edited, 21)
        engine.reasons(edited)
        engine.predict(start)
        engine_ms.append((time.perf_counter() - started) * 1000)
    return {
        "levers": len(levers),
        "slider": slider_ms,
        "switch": switch_ms,
        "engine": engine_ms,
        "bytes": sizes,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="a trained warehouse (its artifacts/ next to it)")
    parser.add_argument("--customers", type=int, help="build a fresh warehouse of this size")
    parser.add_argument("--workdir", help="where to build it")
    parser.add_argument("--moves", type=int, default=300, help="slider moves per profile")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    db = find_warehouse(args)
    reader = WarehouseReader(db)
    customers = reader.rows("SELECT count(*) FROM customers")[0][0]
    sessions = reader.rows("SELECT count(*) FROM sessions")[0][0]
    print(f"warehouse {db} ({customers:,} customers, {sessions:,} sessions)")

    state = Path(tempfile.mkdtemp(prefix="whatif-state-")) / "state.sqlite3"
    client = DashClient(create_app(Settings(db_path=db, state_path=state)))
    started = time.perf_counter()
    assert client.http.get("/what-if").status_code == 200
    page = client.render("/what-if")
    first_page = time.perf_counter() - started
    assert "Unexpected error" not in page
    with client.app.server.app_context():
        engine = whatif_page.engine()  # the page's own engine, already loaded
    started = time.perf_counter()
    client.render("/what-if")
    warm_page = time.perf_counter() - started
    print(f"first page (loads the models, measures slider ranges): {first_page:.2f} s")
    print(f"page again (engine and default profile cached): {warm_page * 1000:.0f} ms")

    profiles: list[tuple[str, Profile]] = []
    started = time.perf_counter()
    default = engine.default_profile(reader)
    profiles.append(("highest value-at-risk customer", default))
    print(
        f"one customer's profile (feature SQL for that customer): "
        f"{(time.perf_counter() - started) * 1000:.0f} ms"
    )
    segments = engine.segments(reader)
    if segments:
        started = time.perf_counter()
        segment = engine.segment_profile(reader, segments[0][0])
        print(
            f"a segment's typical member ({segments[0][2]:,} members, median of a sample): "
            f"{(time.perf_counter() - started) * 1000:.0f} ms"
        )
        profiles.append((f"segment {segments[0][0]}", segment))
    if "session" in engine.entities:
        key = reader.rows("SELECT min(session_id) FROM sessions")[0][0]
        started = time.perf_counter()
        session = engine.session_profile(reader, key)
        print(f"one session's profile: {(time.perf_counter() - started) * 1000:.0f} ms")
        profiles.append(("a session", session))

    print()
    print(f"{'profile':<32}{'levers':>7}{'what':>34}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    worst = 0.0
    for label, profile in profiles:
        client.render("/what-if", "?" + profile.query)  # the page caches its profile
        result = measure(client, engine, profile, args.moves, args.seed)
        rows = (
            ("slider update (POST, patches)", result["slider"]),
            ("curves switch output (POST)", result["switch"]),
            ("engine only (predict+curves+why)", result["engine"]),
        )
        for what, values in rows:
            print(
                f"{label:<32}{result['levers']:>7}{what:>34}"
                f"{pct(values, 0.5):>9.1f}{pct(values, 0.95):>9.1f}{max(values):>9.1f}"
            )
        worst = max(worst, pct(result["slider"], 0.95))
        print(
            f"{'':<39}{'response size (slider update)':>34}"
            f"{pct(result['bytes'], 0.5) / 1024:>8.1f}k"
        )
    verdict = "within" if worst <= BUDGET_MS else "OVER"
    print(f"\nslider update p95 {worst:.1f} ms: {verdict} the {BUDGET_MS:.0f} ms budget")
    return 0 if worst <= BUDGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
