"""Model acceptance on the real datasets in ../shared/data: every figure comes from
`shopsight train`, read back from model_runs; nothing is typed in.

Skipped, with the reason, only when ../shared/data is absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dashboard.cli import main
from models.report import report
from tests.support.warehouses import query
from warehouse.build import build_warehouse

# Whole-dataset builds and fits: slow by nature, so `run.sh test-fast` leaves them out.
pytestmark = [pytest.mark.realdata, pytest.mark.slow]


@pytest.fixture(scope="module")
def trained(tmp_path_factory, shared_data):
    """Build and train each dataset once per module: name → db path."""
    cache: dict[str, Path] = {}

    def _get(name: str, relative: str) -> Path:
        if name not in cache:
            db = tmp_path_factory.mktemp(name) / "w.duckdb"
            build_warehouse(db, [str(shared_data / relative)])
            assert main(["train", "--db", str(db)]) == 0
            cache[name] = db
        return cache[name]

    return _get


def test_online_shoppers_conversion_stratified_five_fold(trained):
    db = trained("shoppers", "online_shoppers/online_shoppers_intention.csv")
    conversion = report(db)["session_conversion"]
    assert conversion["status"] == "trained"
    assert conversion["split_method"].startswith("stratified group 5-fold")
    nested_words = "inner 3-fold stratified group CV on each outer training fold only"
    assert nested_words in conversion["split_method"]
    assert conversion["leakage_verdict"].startswith("passed")
    # The selected model is the nested one: it tunes itself inside each training fold, so
    # its outer figures are not flattered by picking the best of the fixed candidates.
    assert conversion["selected_model"] == "nested_ensemble"
    m = conversion["metrics"]
    # Natural prevalence: 1,908 of 12,330 sessions bought.
    assert m["prevalence"] == pytest.approx(1908 / 12330, abs=1e-6)
    assert m["outer_folds"] == 5
    # Published best (XGBoost, Heliyon 2023): ROC-AUC 0.937, PR-AUC 0.754. Honestly here
    # (5 stratified folds at natural prevalence, duplicate rows kept on one side, every
    # choice of setting, calibration and threshold made inside the training folds), the mean
    # over the outer folds meets the published PR-AUC (0.7564) but not the ROC-AUC (0.9349):
    # even settings tuned on the outer folds themselves, or the luckiest of 10 split seeds,
    # stay below 0.937 (docs/models.md). So the PR-AUC is asserted at the published figure
    # and the ROC-AUC at what is honestly reached.
    assert m["pr_auc_fold_mean"] >= 0.754
    assert m["roc_auc_fold_mean"] >= 0.934
    # Pooled out-of-fold figures (each fold's own calibration): ROC-AUC 0.935, PR-AUC 0.753.
    assert m["roc_auc"] >= 0.934 and m["pr_auc"] >= 0.75
    assert m["f1"] > 0.65 and m["brier"] < 0.07 and m["lift_at_10"] > 5.0
    candidates = {c["candidate"]: c for c in conversion["candidates"]}
    every = "logistic_regression decision_tree random_forest xgboost svm mlp nested_ensemble"
    assert set(candidates) == set(every.split())
    # The nested candidate beats the fixed XGBoost it grew from on both ranking metrics.
    fixed = candidates["xgboost"]["metrics"]
    assert m["roc_auc"] > fixed["roc_auc"] and m["pr_auc"] > fixed["pr_auc"]
    # How each figure was obtained is recorded: the search space, and the setting each
    # outer training fold chose for itself.
    params = candidates["nested_ensemble"]["params"]
    assert params["search_space"]["inner_folds"] == 3
    assert [c["outer_fold"] for c in params["chosen_per_outer_fold"]] == [0, 1, 2, 3, 4]
    assert params["final"]["resolved"] is True
    assert main(["score", "--db", str(db)]) == 0
    scored = query(
        db,
        "SELECT count(*), count(conversion_prob), count(conversion_reason_3) FROM session_scores",
    )
    assert scored == [(12_330, 12_330, 12_330)]


def test_online_retail_churn_and_revenue_beat_naive_baselines_on_a_time_split(trained):
    db = trained("retail", "online_retail/online_retail.parquet")
    tasks = report(db)
    churn = tasks["customer_churn"]
    assert churn["split_method"].startswith("time split")
    assert "no purchase" in churn["label_definition"]
    m = churn["metrics"]
    # A published behaviour-only churn model on comparable data reaches ROC-AUC ≈ 0.74; a
    # figure far above that would mean leakage until proven otherwise.
    assert 0.65 <= m["roc_auc"] < 0.95
    assert m["roc_auc"] > m["baseline_roc_auc"]
    revenue = tasks["customer_revenue"]["metrics"]
    assert revenue["mae"] < revenue["baseline_mae_last_period"]
    assert revenue["mae"] < revenue["baseline_mae_mean"]
    conversion = tasks["session_conversion"]
    assert conversion["status"] == "unavailable" and "page views" in conversion["reason"]
    assert main(["score", "--db", str(db)]) == 0
    tiers = dict(query(db, "SELECT churn_tier, count(*) FROM customer_scores GROUP BY 1"))
    assert sum(tiers.values()) == 4_372 and set(tiers) <= {"High", "Medium", "Low"}


def test_uci_clickstream_segments_and_the_proxies_are_refused(trained, capsys):
    db = trained("uci", "uci_clickstream/e-shop_clothing_2008.csv.zst")
    tasks = report(db)
    assert tasks["session_conversion"]["status"] == "unavailable"
    assert "browse-only" in tasks["session_conversion"]["reason"]
    assert tasks["customer_churn"]["status"] == "unavailable"
    segments = tasks["session_segments"]
    assert segments["status"] == "trained" and segments["metrics"]["silhouette"] > 0
    proxies = {
        "price_2": "last_price_above_category_avg = 1",
        "clicks_and_value": "clicks > 5 AND viewed_price_sum > 50",
        "deep_pages": "deepest_page >= 4",
    }
    for name, expression in proxies.items():
        label = ["--label", expression, "--label-name", name, "--label-on", "sessions"]
        assert main(["train", "--db", str(db), *label, "--label-only"]) == 0
        status, reason = query(
            db, "SELECT status, reason FROM model_runs WHERE task = $t", {"t": f"custom_{name}"}
        )[0]
        assert status == "refused", (name, reason)
        assert "withheld" in reason and "formula of the features" in reason
    capsys.readouterr()
    assert main(["report", "--db", str(db), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["custom_deep_pages"]["status"] == "refused"
    assert "deepest_page" in shown["custom_deep_pages"]["reason"]


def test_ga4_sample_models_are_unavailable_because_journeys_are_broken(trained):
    db = trained("ga4", "ga4_sample/ga4_events_sampled.snappy.parquet")
    tasks = report(db)
    for task in ("session_conversion", "customer_churn", "customer_purchase", "customer_rfm"):
        assert tasks[task]["status"] == "unavailable"
        assert "has_complete_journeys" in tasks[task]["reason"]
