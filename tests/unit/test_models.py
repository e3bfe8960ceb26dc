"""Model building blocks on toy data: metrics, the leakage audit, label validation, tiers,
reasons, segment naming and the no-pickle model files."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from models import artifacts as art
from models.candidates import SHOPPERS_ENCODED, ShoppersEncoding, get_candidate
from models.evaluate import (
    bootstrap_stability,
    choose_threshold,
    classification_metrics,
    lift_at,
    regression_metrics,
)
from models.explain import reasons
from models.features import AGGREGATE_SESSION_FEATURES
from models.fitting import fit_candidate
from models.labels import LabelError, validate_label
from models.leakage import audit_label
from models.score import load_model
from models.segments import NOISE_NAME, name_segments, profile, rfm_tiers
from models.tiers import CHURN_BANDS, churn_tier


def test_classification_metrics_on_a_known_toy_example():
    y = np.array([0, 0, 1, 1])
    p = np.array([0.1, 0.4, 0.35, 0.8])
    m = classification_metrics(y, p, threshold=0.5)
    assert m["roc_auc"] == pytest.approx(0.75)
    # Average precision: recall steps 0.5 at precision 1 (0.8), 1.0 at precision 2/3 (0.35).
    assert m["pr_auc"] == pytest.approx(0.5 * 1.0 + 0.5 * 2 / 3)
    assert m["brier"] == pytest.approx((0.01 + 0.16 + 0.4225 + 0.04) / 4)
    assert m["confusion"] == {"tp": 1, "fp": 0, "fn": 1, "tn": 2}
    assert m["f1"] == pytest.approx(2 / 3)
    assert m["prevalence"] == 0.5
    assert m["curves"]["roc"][0] == [0.0, 0.0] and m["curves"]["roc"][-1] == [1.0, 1.0]
    assert sum(b["count"] for b in m["curves"]["calibration"]) == 4


def test_lift_and_threshold():
    y = np.array([1] + [0] * 9 + [1] * 0)
    p = np.linspace(1, 0, 10)
    # The only positive has the top score: top 10 % holds it, prevalence 10 % -> lift 10.
    assert lift_at(y, p, 0.10) == pytest.approx(10.0)
    assert choose_threshold(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.7, 0.9])) == 0.7


def test_regression_metrics_on_a_known_toy_example():
    m = regression_metrics([1.0, 2.0, 3.0], [1.0, 2.0, 4.0])
    assert m["mae"] == pytest.approx(1 / 3)
    assert m["rmse"] == pytest.approx(np.sqrt(1 / 3))
    assert m["r2"] == pytest.approx(0.5)


def test_bootstrap_stability_is_one_for_identical_partitions():
    reference = np.array([0, 0, 1, 1, 2, 2])
    relabelled = np.array([2, 2, 0, 0, 1, 1])
    assert bootstrap_stability(reference, [(np.arange(6), relabelled)]) == pytest.approx(1.0)


def test_leakage_audit_refuses_a_label_that_is_a_formula_of_features():
    rng = np.random.default_rng(0)
    clicks = rng.integers(1, 20, 5000).astype(float)
    price_sum = rng.uniform(0, 200, 5000)
    noise = rng.normal(size=5000)
    x = np.column_stack([clicks, price_sum, noise])
    names = ["clicks", "viewed_price_sum", "noise"]
    # The seed app's "conversion": clicks > 5 and viewed-price sum > 50.
    formula = ((clicks > 5) & (price_sum > 50)).astype(float)
    verdict = audit_label(x, formula, names, kind="classification")
    assert not verdict.passed
    assert verdict.score >= 0.99
    assert "clicks" in verdict.reason and "viewed_price_sum" in verdict.reason
    assert verdict.verdict.startswith("refused")
    honest = (rng.uniform(size=5000) < 1 / (1 + np.exp(-(noise + clicks / 10 - 1)))).astype(float)
    assert audit_label(x, honest, names, kind="classification").passed
    amount = 10.0 * (clicks > 3) + 5.0 * (price_sum > 100)
    assert not audit_label(x, amount, names, kind="regression").passed


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("orders >= 2; DROP TABLE customers", "';'"),
        ("orders >= 2 -- sneaky", "comment"),
        ("orders IN (SELECT 1)", "SELECT"),
        ("read_csv('/etc/passwd') IS NOT NULL", "read_csv"),
        ("(COPY customers TO 'x.csv')", "COPY"),
        ("ATTACH 'other.duckdb'", "ATTACH"),
        ("query('SELECT 1')", "query"),
        ("", "empty"),
        ("country = 'UK", "quote"),
    ],
)
def test_custom_labels_that_are_not_expressions_are_refused(expression, problem):
    with pytest.raises(LabelError) as caught:
        validate_label("my_label", expression, "customers")
    assert problem.lower() in str(caught.value).lower()


def test_custom_label_names_and_marts_are_checked():
    assert validate_label("repeat_buyer", "orders >= 2", "customers").mart == "customers"
    with pytest.raises(LabelError, match="label name"):
        validate_label("Bad Name!", "orders >= 2", "customers")
    with pytest.raises(LabelError, match="mart"):
        validate_label("ok", "orders >= 2", "events")
    # Strings may hold keywords: only the expression's own words are checked.
    assert validate_label("uk", "country = 'select from drop'", "customers")


def test_churn_tiers_follow_the_documented_bands():
    assert CHURN_BANDS == (("High", 0.6), ("Medium", 0.3), ("Low", 0.0))
    prob = np.array([0.0, 0.29, 0.3, 0.59, 0.6, 1.0])
    assert churn_tier(prob).tolist() == ["Low", "Low", "Medium", "Medium", "High", "High"]


def test_reasons_are_words_with_a_direction():
    contrib = np.array([[0.5, -0.2, 0.0], [-0.1, 0.0, 0.9]])
    x = np.array([[3.0, 12.0, 1.0], [0.0, 40.0, 2.0]])
    texts = reasons(contrib, x, ["abandoned_carts", "recency_days", "orders"], "churn risk")
    assert texts[0][0] == "3 cart adds without purchase raised churn risk"
    assert texts[1][0] == "last seen 12 days ago lowered churn risk"
    assert texts[2][0] == "no further factor"
    assert texts[0][1] == "2 orders raised churn risk"


def test_segment_names_show_the_noise_group_and_are_unique():
    rng = np.random.default_rng(3)
    x = np.vstack(
        [rng.normal(1, 0.1, (50, 2)), rng.normal(50, 1, (50, 2)), rng.normal(25, 5, (5, 2))]
    )
    labels = np.array([0] * 50 + [1] * 50 + [-1] * 5)
    names = name_segments(profile(x, labels, ["sessions", "revenue"]))
    assert names[-1] == NOISE_NAME
    assert names[0] != names[1]
    assert "rare visitors" in names[0].lower() or "low spend" in names[0].lower()


def test_rfm_tiers():
    tiers = rfm_tiers(
        np.array([1.0, 2.0, 300.0, 5.0, 400.0]),
        np.array([10.0, 9.0, 1.0, 0.0, 8.0]),
        np.array([900.0, 800.0, 10.0, 0.0, 700.0]),
    )
    assert tiers["rfm_tier"].to_list()[3] == "No orders yet"
    assert tiers["rfm_r"][3] is None
    assert tiers["rfm_tier"][0] == "Champions"


def test_a_selected_sklearn_model_is_stored_without_pickle_and_loads_only_trusted_types(
    tmp_path,
):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, 3))
    y = (x[:, 0] + rng.normal(size=400) > 0).astype(float)
    groups = np.arange(400)
    candidate = get_candidate("classification", "logistic_regression")
    fitted = fit_candidate(candidate, x, y, groups, seed=7)
    meta = {
        "kind": "classification",
        "candidate": "logistic_regression",
        "format": "skops",
        "model_file": art.save_model(tmp_path, "m.skops", fitted.model),
        "params": candidate.params,
        "calibration": fitted.calibration,
        "threshold": fitted.threshold,
        "nonnegative": False,
        "feature_names": ["a", "b", "c"],
        "model_version": "t.logistic_regression.x",
    }
    # skops' format is a zip of JSON and arrays, not a pickle stream.
    assert (tmp_path / "m.skops").read_bytes()[:2] == b"PK"
    loaded = load_model(tmp_path, meta)
    assert np.array_equal(loaded.predict(x), fitted.predict(x))
    # A model file that would call os.system when used is refused before it is built.
    hostile = Pipeline([("run", FunctionTransformer(os.system)), ("model", fitted.model)])
    meta["model_file"] = art.save_model(tmp_path, "hostile.skops", hostile)
    with pytest.raises(art.ArtifactError, match="not trusted.*system"):
        load_model(tmp_path, meta)
    # An artifact of the refit era is named, not half-loaded.
    with pytest.raises(art.ArtifactError, match="train` again"):
        load_model(tmp_path, {**meta, "format": "refit"})
    json.dumps(meta)  # the sidecar is plain JSON


# Slow: a nested in-fold search of real fits.
@pytest.mark.slow
def test_the_nested_candidate_chooses_inside_its_training_rows_and_refits_exactly(tmp_path):
    # Online Shoppers-shaped rows: the 18 columns, a label driven by page value and month.
    rng = np.random.default_rng(3)
    n = 600
    x = np.abs(rng.normal(size=(n, len(AGGREGATE_SESSION_FEATURES)))) * 10
    month = AGGREGATE_SESSION_FEATURES.index("month_number")
    x[:, month] = rng.integers(1, 13, size=n)
    value = x[:, AGGREGATE_SESSION_FEATURES.index("page_values")]
    y = ((value > 12) ^ (rng.random(n) < 0.1) | (x[:, month] == 11)).astype(float)
    groups = np.arange(n)
    candidate = get_candidate("classification", "nested_ensemble")
    assert candidate.nested
    train = np.arange(n) < 450
    fitted = fit_candidate(candidate, x[train], y[train], groups[train], seed=7)
    # A resolved setting, chosen from the grid (12 XGBoost settings, then the vote).
    assert fitted.params["resolved"] is True
    assert fitted.trials is not None and len(fitted.trials) == 13
    assert fitted.params["xgboost"]["n_estimators"] >= 1
    assert fitted.calibration is not None and 0 < (fitted.threshold or 0) < 1
    p = fitted.predict(x[~train])
    assert p.shape == (150,) and np.all((p > 0) & (p < 1))
    # Deterministic: the same training rows make the same choice.
    again = fit_candidate(candidate, x[train], y[train], groups[train], seed=7)
    assert again.params == fitted.params
    # Scoring loads the trained model with its calibration and threshold: same probabilities.
    meta = {
        "kind": "classification",
        "candidate": "nested_ensemble",
        "format": "skops",
        "model_file": art.save_model(tmp_path, "n.skops", fitted.model),
        "params": fitted.params,
        "nonnegative": False,
        "feature_names": list(AGGREGATE_SESSION_FEATURES),
        "calibration": fitted.calibration,
        "threshold": fitted.threshold,
        "model_version": "t.nested_ensemble.x",
    }
    json.dumps(meta)  # the sidecar is plain JSON
    assert np.array_equal(load_model(tmp_path, meta).predict(x[~train]), p)
    # Searching is the candidate's own business: a recorded setting is loaded, not searched.
    with pytest.raises(ValueError, match="its model file"):
        fit_candidate(candidate, x, y, groups, seed=7, params=fitted.params)


def test_shoppers_encoding_appends_per_row_columns():
    x = np.zeros((2, len(AGGREGATE_SESSION_FEATURES)))
    col = {name: j for j, name in enumerate(AGGREGATE_SESSION_FEATURES)}
    x[0, col["product_related"]], x[0, col["product_related_duration"]] = 4, 100.0
    x[0, col["page_values"]], x[0, col["month_number"]] = 3.5, 11
    out = ShoppersEncoding().fit(x).transform(x)
    extra = dict(zip(SHOPPERS_ENCODED, out[0, x.shape[1] :], strict=True))
    assert out.shape == (2, len(AGGREGATE_SESSION_FEATURES) + len(SHOPPERS_ENCODED))
    assert extra["page_values_positive"] == 1 and extra["product_related_seconds_per_page"] == 25
    assert extra["month_11"] == 1 and extra["month_12"] == 0 and extra["pages"] == 4
    # No pages: ratios are 0, not NaN or inf.
    assert np.all(np.isfinite(out[1])) and out[1, x.shape[1] :].sum() == 0
