"""Online Shoppers conversion: what honest nested CV reaches, and the ceiling above it.

On a warehouse built from the UCI 468 file (``shopsight build``), with the outer splits of
``shopsight train`` (stratified group 5-fold at natural prevalence, identical rows grouped):

1. **ceiling** (split seed 7, the one ``shopsight train`` uses): every XGBoost setting of
   ``nested_ensemble``'s search space, and the best one's calibrated vote with the forest,
   fitted on each outer training fold with early stopping *on that fold's test rows* and
   scored on them. This peeks on purpose: the best of these figures bounds what any honest
   choice among the same settings could reach on these splits.
2. **split seeds**: the shipped ``nested_ensemble`` and the fixed ``xgboost`` candidate
   (package code, as trained) on other outer split seeds: how much of a gap is the split.
3. **no grouping**: the fixed ``xgboost`` candidate with plain stratified folds (identical
   rows free to straddle a split), to show what grouping the duplicates costs.

Figures are means over the outer folds (and pooled out-of-fold, in brackets).

Usage::

    shopsight build --db /tmp/os/w.duckdb ../shared/data/online_shoppers
    python benchmarks/shoppers_ceiling.py --db /tmp/os/w.duckdb [--seeds 0,1,2,3,4,7]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import polars as pl
import xgboost as xgb
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models import features as feat  # noqa: E402
from models.candidates import ShoppersEncoding, get_candidate, logit, sigmoid  # noqa: E402
from models.fitting import fit_candidate, platt  # noqa: E402

FloatArray = npt.NDArray[np.float64]
Split = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]


def load(db: Path) -> tuple[FloatArray, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Features, label and group codes exactly as ``shopsight train`` builds them."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        table = feat.aggregate_session_features(con)
    finally:
        con.close()
    names = list(feat.AGGREGATE_SESSION_FEATURES)
    raw = np.asarray(table.select(pl.struct(names).hash(7)).to_series(), dtype=object)
    groups = np.unique(raw.astype(str), return_inverse=True)[1].astype(np.int64)
    y = table["converted"].cast(pl.Float64).fill_null(0.0).to_numpy().astype(np.int64)
    return feat.matrix(table, names), y, groups


def outer(y: npt.NDArray[np.int64], groups: npt.NDArray[np.int64], seed: int) -> list[Split]:
    splitter = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(y.size), y, groups))


def figures(y: npt.NDArray[np.int64], folds: list[Split], score: FloatArray) -> str:
    roc = np.mean([roc_auc_score(y[t], score[t]) for _, t in folds])
    pr = np.mean([average_precision_score(y[t], score[t]) for _, t in folds])
    return (
        f"ROC-AUC {roc:.4f} ({roc_auc_score(y, score):.4f})  "
        f"PR-AUC {pr:.4f} ({average_precision_score(y, score):.4f})"
    )


def ceiling(x: FloatArray, y: npt.NDArray[np.int64], folds: list[Split]) -> None:
    space: dict[str, Any] = get_candidate("classification", "nested_ensemble").params
    boost = dict(space["xgboost"])
    rounds, stop, metric = (
        boost.pop("max_rounds"),
        boost.pop("early_stopping_rounds"),
        boost.pop("eval_metric"),
    )
    grid_names = list(space["xgboost_grid"])
    encoded = ShoppersEncoding().fit(x).transform(x)
    forest = np.zeros(y.size)
    for train, test in folds:
        model = RandomForestClassifier(**space["forest"], n_jobs=2, random_state=7)
        model.fit(encoded[train], y[train])
        forest[test] = logit(np.asarray(model.predict_proba(encoded[test])[:, 1], np.float64))
    best: dict[str, tuple[float, str]] = {}
    for values in itertools.product(*(space["xgboost_grid"][n] for n in grid_names)):
        setting = dict(zip(grid_names, values, strict=True))
        margin = np.zeros(y.size)
        vote = np.zeros(y.size)
        for train, test in folds:
            model = xgb.XGBClassifier(
                **boost,
                **setting,
                n_estimators=rounds,
                early_stopping_rounds=stop,
                eval_metric=metric,
                tree_method="hist",
                n_jobs=1,
                random_state=7,
            )
            model.fit(encoded[train], y[train], eval_set=[(encoded[test], y[test])], verbose=False)
            margin[test] = model.predict(encoded[test], output_margin=True)
            a, b = platt(margin[test], y[test])
            c, d = platt(forest[test], y[test])
            vote[test] = logit((sigmoid(a * margin[test] + b) + sigmoid(c * forest[test] + d)) / 2)
        for label, score in ((f"xgboost {setting}", margin), (f"vote   {setting}", vote)):
            line = figures(y, folds, score)
            print(f"  {label}: {line}", flush=True)
            roc = float(np.mean([roc_auc_score(y[t], score[t]) for _, t in folds]))
            pr = float(np.mean([average_precision_score(y[t], score[t]) for _, t in folds]))
            for key, value in (("ROC-AUC", roc), ("PR-AUC", pr)):
                if key not in best or value > best[key][0]:
                    best[key] = (value, label)
    for key, (value, label) in best.items():
        print(f"  highest {key} of any setting, chosen on the test folds: {value:.4f} ({label})")


def candidate_run(
    name: str,
    x: FloatArray,
    y: npt.NDArray[np.int64],
    groups: npt.NDArray[np.int64],
    folds: list[Split],
) -> FloatArray:
    candidate = get_candidate("classification", name)
    score = np.zeros(y.size)
    for train, test in folds:
        fitted = fit_candidate(candidate, x[train], y[train], groups[train], seed=7)
        score[test] = fitted.predict(x[test])
    return score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--seeds", default="0,1,2,3,4,7", help="outer split seeds")
    parser.add_argument("--skip-ceiling", action="store_true")
    args = parser.parse_args()
    x, y, groups = load(args.db)
    print(f"{y.size:,} sessions, prevalence {y.mean():.4f}")
    with threadpool_limits(limits=1, user_api="blas"):
        if not args.skip_ceiling:
            print("1. ceiling: settings scored on the test folds they were early-stopped on")
            ceiling(x, y, outer(y, groups, 7))
        print("2. outer split seeds (package candidates, as `shopsight train` fits them)")
        for seed in (int(s) for s in args.seeds.split(",")):
            folds = outer(y, groups, seed)
            for name in ("nested_ensemble", "xgboost"):
                started = time.perf_counter()
                score = candidate_run(name, x, y, groups, folds)
                print(
                    f"  seed {seed} {name:<16} {figures(y, folds, score)}  "
                    f"{time.perf_counter() - started:.0f} s",
                    flush=True,
                )
        print("3. plain stratified 5-fold, identical rows free to straddle (seed 7)")
        plain = list(StratifiedKFold(5, shuffle=True, random_state=7).split(x, y))
        print(f"  xgboost {figures(y, plain, candidate_run('xgboost', x, y, groups, plain))}")


if __name__ == "__main__":
    main()
