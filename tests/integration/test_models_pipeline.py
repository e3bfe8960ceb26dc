"""train → score → report on a small generated warehouse, through the CLI where it matters."""

from __future__ import annotations

import json
import os
import shutil
from datetime import timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dashboard.cli import main
from models import features as feat
from models.train import TrainOptions, train_models
from synthetic.shop import generate_events
from tests.support.warehouses import query
from warehouse.build import BuildOptions, build_warehouse

# A pipeline test (generate, build, train, score): integration, and slow.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """600 generated customers over 150 days, trained (fast candidates) and scored."""
    root = tmp_path_factory.mktemp("models")
    generate_events(root / "data", customers=600, days=150, seed=11)
    db = root / "w.duckdb"
    build_warehouse(db, [str(root / "data")], BuildOptions(format="event-log"))
    # Three folds and two prefixes keep the fixture quick; the CLI runs the full protocol.
    train_models(db, TrainOptions(fast=True, cv_folds=3, prefix_events=(1, 5)))
    assert main(["score", "--db", str(db)]) == 0
    return db


def test_planted_event_after_the_cutoff_changes_no_feature(trained, tmp_path):
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(os.path.realpath(trained), copy)
    con = duckdb.connect(str(copy))
    try:
        # events may be a view over the build's physical rows: make it a plain table of this
        # private copy so an event can be planted in it.
        kind = con.sql(
            "SELECT table_type FROM information_schema.tables WHERE table_name = 'events'"
        ).fetchall()[0][0]
        con.execute("CREATE TABLE planted_events AS SELECT * FROM events")
        con.execute("DROP VIEW events" if kind == "VIEW" else "DROP TABLE events")
        con.execute("ALTER TABLE planted_events RENAME TO events")
        window = feat.data_window(con)
        cutoff = window.anchor - timedelta(days=30)
        before = feat.customer_features(con, cutoff, 30)
        labels_before = feat.customer_labels(con, cutoff, 30)
        customer = before["customer_id"][0]
        session = con.sql("SELECT session_id FROM sessions WHERE converted LIMIT 1").fetchall()[0][
            0
        ]
        feat.prepare_session_prefixes(con)
        sessions_before = feat.session_features(con, has_clock_time=True)
        # One purchase a second after the cutoff, and a cart add after a session's purchase.
        con.execute(
            "INSERT INTO events BY NAME SELECT * FROM (VALUES "
            "($t, $t::DATE, 'planted', $c, 'purchase', 'p1', 'electronics', 999.0, 1.0, 999.0, "
            "'planted', 1), ((SELECT max(event_time) FROM events WHERE session_id = $s) "
            "+ INTERVAL 1 SECOND, NULL, $s, NULL, 'add_to_cart', 'p2', 'kids.toys', 5.0, 1.0, "
            "NULL, 'planted', 2)) AS planted(event_time, event_date, session_id, customer_id, "
            "event_type, product_id, category, price, quantity, revenue, source_id, "
            "source_line)",
            {"t": cutoff + timedelta(seconds=1), "c": customer, "s": session},
        )
        after = feat.customer_features(con, cutoff, 30)
        labels_after = feat.customer_labels(con, cutoff, 30)
        feat.prepare_session_prefixes(con)
        sessions_after = feat.session_features(con, has_clock_time=True)
    finally:
        con.close()
    # Exact for counts and times; sums of prices may differ in the last bit because DuckDB
    # adds doubles in parallel, in no fixed order.
    assert_frame_equal(after, before, rel_tol=1e-12, abs_tol=1e-9)
    # The planted purchase is seen where it belongs: in the label window after the cutoff.
    changed = labels_after.filter(pl.col("customer_id") == customer)
    assert changed["purchased"][0] is True
    assert changed["horizon_revenue"][0] >= 999
    assert not labels_after.equals(labels_before)
    assert_frame_equal(sessions_after, sessions_before, rel_tol=1e-12, abs_tol=1e-9)


def test_every_session_and_customer_has_a_score_a_version_and_three_reasons(trained):
    sessions, scored, complete = query(
        trained,
        "SELECT (SELECT count(*) FROM sessions), count(*), count(*) FILTER (WHERE "
        "conversion_prob BETWEEN 0 AND 1 AND conversion_model_version IS NOT NULL AND "
        "conversion_reason_1 IS NOT NULL AND conversion_reason_2 IS NOT NULL AND "
        "conversion_reason_3 IS NOT NULL) FROM session_scores",
    )[0]
    assert sessions == scored == complete
    customers, scored, complete = query(
        trained,
        "SELECT (SELECT count(*) FROM customers), count(*), count(*) FILTER (WHERE "
        "purchase_prob IS NOT NULL AND churn_prob IS NOT NULL AND predicted_revenue >= 0 "
        "AND churn_model_version IS NOT NULL AND purchase_model_version IS NOT NULL AND "
        "churn_reason_3 IS NOT NULL AND purchase_reason_3 IS NOT NULL AND "
        "revenue_reason_3 IS NOT NULL AND segment_id IS NOT NULL) FROM customer_scores",
    )[0]
    assert customers == scored == complete
    reason = query(trained, "SELECT churn_reason_1 FROM customer_scores LIMIT 1")[0][0]
    assert reason.endswith("churn risk")


def test_churn_tiers_and_value_at_risk(trained):
    wrong_tier = query(
        trained,
        "SELECT count(*) FROM customer_scores WHERE churn_tier <> CASE WHEN churn_prob >= 0.6 "
        "THEN 'High' WHEN churn_prob >= 0.3 THEN 'Medium' ELSE 'Low' END",
    )[0][0]
    assert wrong_tier == 0
    worst = query(
        trained,
        "SELECT max(abs(value_at_risk - churn_prob * predicted_revenue)) FROM customer_scores",
    )[0][0]
    assert worst < 1e-9


def test_model_runs_hold_every_candidate_and_the_protocol(trained):
    runs = pl.DataFrame(
        query(
            trained,
            "SELECT task, candidate, status, selected, roc_auc, pr_auc, brier, f1, lift_at_10, "
            "prevalence, curves, confusion, feature_importance, leakage_verdict, "
            "training_data_hash, split_method, label_definition FROM model_runs",
        ),
        schema=[
            "task",
            "candidate",
            "status",
            "selected",
            "roc_auc",
            "pr_auc",
            "brier",
            "f1",
            "lift_at_10",
            "prevalence",
            "curves",
            "confusion",
            "feature_importance",
            "leakage_verdict",
            "training_data_hash",
            "split_method",
            "label_definition",
        ],
        orient="row",
    )
    churn = runs.filter((pl.col("task") == "customer_churn") & (pl.col("status") == "trained"))
    assert set(churn["candidate"]) == {"logistic_regression", "xgboost"}
    assert churn["selected"].sum() == 1
    assert churn["split_method"][0].startswith("time split")
    row = churn.row(0, named=True)
    assert 0.5 < row["roc_auc"] < 0.99
    assert row["leakage_verdict"].startswith("passed")
    assert {"roc", "pr", "calibration"} <= set(json.loads(row["curves"]))
    assert set(json.loads(row["confusion"])) == {"tp", "fp", "fn", "tn"}
    assert json.loads(row["feature_importance"])[0]["feature"]
    revenue = runs.filter(pl.col("task") == "customer_revenue")
    assert {"naive_last_period", "naive_mean"} <= set(revenue["candidate"])
    # Prefix scoring: accuracy grows with the number of events seen.
    prefix = {
        r["task"]: r["roc_auc"]
        for r in runs.filter(pl.col("task").str.starts_with("session_conversion_k")).to_dicts()
    }
    assert prefix["session_conversion_k1"] < prefix["session_conversion_k5"]


def test_segments_show_hdbscan_noise_and_kmeans(trained):
    methods = dict(query(trained, "SELECT method, sum(members) FROM segments GROUP BY method"))
    customers = query(trained, "SELECT count(*) FROM customers")[0][0]
    assert methods == {"kmeans": customers, "hdbscan": customers}
    # This shop's HDBSCAN fit leaves about one customer in nine unclustered (model_runs),
    # and that group is shown as a named segment, not hidden.
    noise_share = query(trained, "SELECT noise_share FROM model_runs WHERE candidate = 'hdbscan'")[
        0
    ][0]
    assert 0.05 < noise_share < 0.2
    noise = query(
        trained,
        "SELECT segment_name, share FROM segments WHERE method = 'hdbscan' AND segment_id = -1",
    )
    assert [name for name, _ in noise] == ["Noise (unclustered)"]
    assert noise[0][1] == pytest.approx(noise_share, abs=0.05)


def test_artifacts_are_json_with_a_sidecar_and_nothing_pickled(trained):
    folder = trained.parent / "artifacts"
    index = json.loads((folder / "index.json").read_text())
    meta = json.loads((folder / index["customer_churn"]).read_text())
    for key in (
        "model_version",
        "training_data_hash",
        "label_definition",
        "cutoff",
        "metrics",
        "split_method",
        "feature_names",
        "calibration",
        "threshold",
    ):
        assert key in meta
    assert (folder / meta["explainer_file"]).read_text().startswith("{")
    assert not list(folder.glob("*.pkl")) and not list(folder.glob("*.pickle"))


def test_report_json_shape(trained, capsys):
    capsys.readouterr()
    assert main(["report", "--db", str(trained), "--json"]) == 0
    tasks = json.loads(capsys.readouterr().out)
    churn = tasks["customer_churn"]
    assert churn["status"] == "trained"
    # The selection rule, checked against the stored figures: the highest PR-AUC wins.
    trained_runs = query(
        trained,
        "SELECT candidate, pr_auc FROM model_runs WHERE task = 'customer_churn' "
        "AND status = 'trained' ORDER BY pr_auc DESC",
    )
    assert len(trained_runs) == 2 and trained_runs[0][1] > trained_runs[1][1]
    assert churn["selected_model"] == trained_runs[0][0]
    for name in ("roc_auc", "pr_auc", "brier", "f1", "mae", "r2", "silhouette"):
        assert name in churn["metrics"]
    assert tasks["customer_revenue"]["metrics"]["mae"] is not None
    assert tasks["customer_segments"]["metrics"]["silhouette"] is not None
    assert capsys.readouterr().err == ""


def test_custom_labels_are_audited_and_scored(trained, capsys):
    # A formula of the mart's own columns is refused with the reason shown.
    assert (
        main(
            [
                "train",
                "--db",
                str(trained),
                "--fast",
                "--label",
                "orders >= 2",
                "--label-name",
                "repeat_buyer",
                "--label-only",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "custom_repeat_buyer" in out and "refused" in out
    refused = query(
        trained, "SELECT status, reason FROM model_runs WHERE task = 'custom_repeat_buyer'"
    )
    assert refused[0][0] == "refused" and "orders" in refused[0][1]
    # A label no formula of the columns rebuilds is trained and scored.
    assert (
        main(
            [
                "train",
                "--db",
                str(trained),
                "--fast",
                "--label",
                "hash(customer_id) % 3 = 0",
                "--label-name",
                "coin",
                "--label-only",
            ]
        )
        == 0
    )
    assert main(["score", "--db", str(trained)]) == 0
    # Training one label keeps the built-in models' runs.
    assert query(trained, "SELECT count(*) FROM model_runs WHERE task = 'customer_churn'")[0][0]
    assert (
        query(trained, "SELECT count(*) FROM custom_label_scores WHERE label_name = 'coin'")[0][0]
        == query(trained, "SELECT count(*) FROM customers")[0][0]
    )


def test_a_label_that_fails_names_the_problem(trained, capsys):
    assert (
        main(
            ["train", "--db", str(trained), "--label", "no_such_column > 1", "--label-name", "bad"]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert "no_such_column" in err
    assert (
        main(
            [
                "train",
                "--db",
                str(trained),
                "--label",
                "read_parquet('x') IS NULL",
                "--label-name",
                "bad",
            ]
        )
        == 1
    )
    assert "read_parquet" in capsys.readouterr().err


def test_unavailable_tasks_are_recorded_with_the_reason(tmp_path, capsys):
    generate_events(tmp_path / "data", customers=150, days=40, seed=3)
    db = tmp_path / "w.duckdb"
    build_warehouse(db, [str(tmp_path / "data")], BuildOptions(format="event-log"))
    train_models(db, TrainOptions(fast=True, cv_folds=3, prefix_events=(1,)))
    reasons = dict(query(db, "SELECT task, reason FROM model_runs WHERE status = 'unavailable'"))
    assert "spans" in reasons["customer_churn"]
    assert main(["report", "--db", str(db)]) == 0
    assert "customer_churn [customer, classification]: unavailable" in capsys.readouterr().out


def test_every_task_has_a_verdict_from_its_figures_and_exports_carry_them(trained, tmp_path):
    """Issue 9, items 11 and 12: model_runs holds a verdict per task, the minimums with the
    metrics and an out-of-sample audit; an export's sidecar repeats the verdicts of the
    model-derived columns it holds."""
    from models.report import report

    runs = report(trained)
    for task, entry in runs.items():
        assert entry["verdict"] in {"useful", "weak", "withheld"}, task
        if entry["status"] != "trained":
            assert entry["verdict"] == "withheld", task
        if entry["kind"] in ("classification", "regression") and entry["status"] == "trained":
            assert (entry["min_rows"], entry["min_positives"]) == (200, 50), task
            assert entry["n_positives"] is not None and entry["n_train"] is not None, task
            assert entry["leakage_verdict"].endswith("(5-fold out of sample)"), task
    out = tmp_path / "all.csv"
    assert main(["export", "--db", str(trained), "--cohort", "", "--out", str(out)]) == 0
    sidecar = json.loads(out.with_name(out.name + ".provenance.json").read_text())
    verdicts = sidecar["model_verdicts"]
    assert {"churn_prob", "predicted_revenue", "value_at_risk"} <= set(verdicts)
    assert verdicts["churn_prob"]["verdict"] == runs["customer_churn"]["verdict"]
    assert verdicts["predicted_revenue"]["verdict"] == runs["customer_revenue"]["verdict"]
    worst = {runs["customer_churn"]["verdict"], runs["customer_revenue"]["verdict"]}
    assert verdicts["value_at_risk"]["verdict"] == ("useful" if worst == {"useful"} else "weak")
