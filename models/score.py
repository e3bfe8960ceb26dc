"""``shopsight score``: apply the trained models to every session and customer.

Writes ``session_scores``, ``customer_scores``, ``segments`` (and ``custom_label_scores``
when a custom label was trained) into a derived version of the warehouse. Each score comes
with the version of the model that made it and the three strongest reasons, in words,
from XGBoost's TreeSHAP contributions.

Churn tiers come from calibrated probability bands (:data:`models.tiers.CHURN_BANDS`); value at
risk is P(churn) × predicted revenue over the horizon, computed by the catalogue's one formula
(:data:`models.outputs.VALUE_AT_RISK`), as is expected revenue.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import polars as pl
import xgboost as xgb

from models import artifacts as art
from models import features as feat
from models.candidates import get_candidate, thread_limits
from models.custom_task import custom_dataset
from models.explain import OUTCOMES, contributions, reasons
from models.fitting import FittedModel
from models.labels import CustomLabel
from models.outputs import EXPECTED_REVENUE, VALUE_AT_RISK
from models.segment_task import segment_table
from models.segments import Scaler, profile, rfm_tiers
from models.tiers import churn_tier
from warehouse.engine import load_sql, run
from warehouse.versions import derived_version

FloatArray = npt.NDArray[np.float64]
Progress = Callable[[str], None]


def load_model(directory: Path, meta: dict[str, Any]) -> FittedModel:
    """The selected model of a task, as trained: XGBoost from its JSON, any other from skops.

    The recorded calibration and threshold come with it, so its probabilities are those of
    the evaluated model.

    Raises
    ------
    ArtifactError
        When the model file is missing, names an untrusted type, or is in a format this
        version no longer reads (the refitted models of ADR 0004).
    """
    candidate = get_candidate(meta["kind"], meta["candidate"])
    if meta["format"] == "xgboost-json":
        model: Any = art.load_booster(directory, meta["model_file"])
    elif meta["format"] == "skops":
        model = art.load_model_file(directory, meta["model_file"])
    else:
        raise art.ArtifactError(
            f"{meta['model_version']}: stored as {meta['format']!r}, which this version no "
            "longer reads; run `shopsight train` again"
        )
    return FittedModel(
        candidate,
        meta["params"],
        model,
        calibration=meta["calibration"],
        threshold=meta["threshold"],
        nonnegative=bool(meta["nonnegative"]),
    )


@dataclass
class Predictor:
    """A loaded task model for repeated predictions (batch scoring and what-if)."""

    meta: dict[str, Any]
    model: FittedModel
    explainer: xgb.Booster

    @classmethod
    def load(cls, directory: Path, task: str) -> Predictor:
        meta = art.load_sidecar(directory, task)
        return cls(
            meta, load_model(directory, meta), art.load_booster(directory, meta["explainer_file"])
        )

    @property
    def names(self) -> list[str]:
        names: list[str] = self.meta["feature_names"]
        return names

    def predict(self, x: FloatArray) -> FloatArray:
        return self.model.predict(x)

    def what_if(self, values: dict[str, float]) -> float:
        """One prediction from named feature values (missing ones are NaN)."""
        row = np.array([[float(values.get(n, np.nan)) for n in self.names]], dtype=np.float64)
        return float(self.model.predict(row)[0])

    def reasons(self, x: FloatArray, task: str) -> list[pl.Series]:
        return reasons(contributions(self.explainer, x), x, self.names, OUTCOMES.get(task, task))


@dataclass
class ScoreSummary:
    session_rows: int
    customer_rows: int
    segment_rows: int
    seconds: float
    task_seconds: dict[str, float] = field(default_factory=dict)
    rows_scored: dict[str, int] = field(default_factory=dict)


def _unavailable_reasons(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    try:
        found = feat.rows(con, load_sql("unavailable_reasons", "models"))
    except duckdb.Error:
        return {}
    return {str(task): str(reason) for task, reason in found}


def score_models(
    db_path: Path | str, artifacts_dir: Path | None = None, progress: Progress | None = None
) -> ScoreSummary:
    """Score every session and customer with the trained models; write the score tables."""
    db_path = Path(db_path)
    directory = Path(artifacts_dir or art.default_dir(db_path))
    index = art.read_index(directory)
    if not index:
        raise art.ArtifactError(
            f"{directory}: no trained models; run `shopsight train --db {db_path}` first"
        )
    started = time.perf_counter()
    timings: dict[str, float] = {}
    counts: dict[str, int] = {}

    def say(message: str) -> None:
        if progress is not None:
            progress(message)

    # One BLAS thread, and one OpenMP thread unless the machine is quiet: spinning worker
    # threads fighting over two cores made fits 10-40x slower (candidates.thread_limits).
    with thread_limits(), derived_version(db_path, "scores") as con:
        con.execute("SET enable_progress_bar = false")
        scored_at = datetime.now(UTC).replace(tzinfo=None)
        caps = {str(n): bool(a) for n, a, _ in feat.rows(con, load_sql("capability_list"))}
        missing = _unavailable_reasons(con)
        t0 = time.perf_counter()
        say("scoring sessions")
        sessions = _score_sessions(con, caps, directory, index, missing, counts)
        timings["session_scores"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        say("scoring customers")
        customers = _score_customers(con, caps, directory, index, counts, missing)
        timings["customer_scores"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        say("assigning segments")
        segments, assigned = _segments(con, caps, directory, index)
        timings["segments"] = time.perf_counter() - t0
        sessions, customers = _attach_segments(sessions, customers, assigned)
        sessions = _with_contract_columns(sessions, SESSION_CONTRACT).with_columns(
            pl.lit(scored_at).alias("scored_at")
        )
        customers = _with_contract_columns(customers, CUSTOMER_CONTRACT).with_columns(
            pl.lit(scored_at).alias("scored_at")
        )
        _replace(con, "session_scores", sessions)
        _replace(con, "customer_scores", customers)
        _replace(con, "segments", segments)
        run(con, "customers_scored")
        custom = [t for t in index if t.startswith("custom_")]
        if custom:
            t0 = time.perf_counter()
            _replace(con, "custom_label_scores", _score_custom(con, db_path, directory, custom))
            timings["custom_label_scores"] = time.perf_counter() - t0
    seconds = time.perf_counter() - started
    heights = (sessions.height, customers.height, segments.height)
    return ScoreSummary(*heights, seconds, timings, counts)


def _attach_segments(
    sessions: pl.DataFrame,
    customers: pl.DataFrame,
    assigned: tuple[str, pl.DataFrame] | None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Each row's segment columns, on the table of the entity that was segmented."""
    if assigned is None:
        return sessions, customers
    entity, table = assigned
    if entity == "customer":
        return sessions, customers.join(table, on="customer_id", how="left")
    return sessions.join(table, on="session_id", how="left"), customers


#: Columns the dashboard and exports rely on (a README contract): present even when the
#: model behind them is unavailable, as NULL (never a made-up zero).
SESSION_CONTRACT: dict[str, pl.DataType] = {"conversion_prob": pl.Float64()}
CUSTOMER_CONTRACT: dict[str, pl.DataType] = {
    "purchase_prob": pl.Float64(),
    "predicted_revenue": pl.Float64(),
    "churn_prob": pl.Float64(),
    "churn_tier": pl.String(),
    "value_at_risk": pl.Float64(),
    "segment_id": pl.Int64(),
    "segment_name": pl.String(),
}


def _with_contract_columns(table: pl.DataFrame, contract: dict[str, pl.DataType]) -> pl.DataFrame:
    missing = [
        pl.lit(None, dtype=t).alias(c) for c, t in contract.items() if c not in table.columns
    ]
    return table.with_columns(missing) if missing else table


def _replace(con: duckdb.DuckDBPyConnection, name: str, table: pl.DataFrame) -> None:
    view = f"{name}_frame"
    con.register(view, table)
    # Stays inline: it stores a registered frame, not a query. The table names are ours
    # (fixed strings above), never a user's.
    con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {view}")
    con.unregister(view)


def _apply(
    predictor: Predictor, table: pl.DataFrame, task: str, prefix: str, counts: dict[str, int]
) -> pl.DataFrame:
    x = feat.matrix(table, predictor.names)
    values = predictor.predict(x)
    counts[task] = x.shape[0]
    texts = predictor.reasons(x, task)
    return pl.DataFrame(
        {
            f"{prefix}": values,
            f"{prefix.rsplit('_', 1)[0]}_model_version": [predictor.meta["model_version"]]
            * x.shape[0],
            **{f"{prefix.rsplit('_', 1)[0]}_{s.name}": s for s in texts},
        }
    )


def _score_sessions(
    con: duckdb.DuckDBPyConnection,
    caps: dict[str, bool],
    directory: Path,
    index: dict[str, str],
    missing: dict[str, str],
    counts: dict[str, int],
) -> pl.DataFrame:
    base = feat.frame(con, load_sql("session_keys", "models"))
    if "session_conversion" not in index:
        why = missing.get("session_conversion", "no conversion model was trained")
        return base.with_columns(
            pl.lit(None, dtype=pl.Float64).alias("conversion_prob"),
            pl.lit(f"unavailable: {why}").alias("conversion_status"),
        )
    predictor = Predictor.load(directory, "session_conversion")
    if caps.get("is_session_aggregate"):
        table = feat.aggregate_session_features(con)
    else:
        feat.prepare_session_prefixes(con)
        table = feat.session_features(con, has_clock_time=caps.get("has_clock_time", False))
    # Sessions whose very first event is the purchase have nothing before the signal: they
    # are scored on empty pre-signal behaviour (all counts zero).
    table = base.join(table.drop("customer_id"), on="session_id", how="left").with_columns(
        [pl.col(n).fill_null(0.0) for n in predictor.names]
    )
    scored = _apply(predictor, table, "session_conversion", "conversion_prob", counts)
    out = pl.concat([base, scored], how="horizontal").with_columns(
        pl.lit("scored").alias("conversion_status")
    )
    for task in sorted(t for t in index if t.startswith("session_conversion_k")):
        k = int(task.removeprefix("session_conversion_k"))
        prefix_model = Predictor.load(directory, task)
        prefix = feat.session_features(
            con, has_clock_time=caps.get("has_clock_time", False), first_events=k
        )
        probs = prefix_model.predict(feat.matrix(prefix, prefix_model.names))
        counts[task] = prefix.height
        out = out.join(
            pl.DataFrame({"session_id": prefix["session_id"], f"conversion_prob_after_{k}": probs}),
            on="session_id",
            how="left",
        )
    if "session_revenue" in index:
        revenue = Predictor.load(directory, "session_revenue")
        value = revenue.predict(feat.matrix(table, revenue.names))
        counts["session_revenue"] = value.size
        out = out.with_columns(
            pl.Series("predicted_order_value", value),
            pl.lit(revenue.meta["model_version"]).alias("order_value_model_version"),
        ).with_columns(EXPECTED_REVENUE.expression())
    return out


def _score_customers(
    con: duckdb.DuckDBPyConnection,
    caps: dict[str, bool],
    directory: Path,
    index: dict[str, str],
    counts: dict[str, int],
    missing: dict[str, str],
) -> pl.DataFrame:
    base = feat.frame(con, load_sql("customer_keys", "models"))
    tasks = [t for t in ("customer_purchase", "customer_revenue", "customer_churn") if t in index]
    if base.height == 0:
        return base
    window = feat.data_window(con)
    if window.anchor is None:
        return base
    meta = art.load_sidecar(directory, tasks[0]) if tasks else {"horizon_days": 30}
    horizon = int(meta["horizon_days"] or 30)
    table = base.join(
        feat.customer_features(con, window.anchor, horizon), on="customer_id", how="left"
    )
    out = base.with_columns(pl.lit(window.anchor).alias("as_of"))
    names = {
        "customer_purchase": "purchase_prob",
        "customer_revenue": "revenue_predicted",
        "customer_churn": "churn_prob",
    }
    for task in tasks:
        predictor = Predictor.load(directory, task)
        out = pl.concat(
            [out, _apply(predictor, table, task, names[task], counts)], how="horizontal"
        )
    if "revenue_predicted" in out.columns:
        out = out.rename({"revenue_predicted": "predicted_revenue"})
    if "churn_prob" in out.columns:
        prob = out["churn_prob"].to_numpy()
        out = out.with_columns(pl.Series("churn_tier", churn_tier(prob)))
        if "predicted_revenue" in out.columns:
            out = out.with_columns(VALUE_AT_RISK.expression())
    # RFM tiers speak of recency: not emitted when training withheld them (data too short).
    rfm_ok = "customer_rfm" not in missing
    if caps.get("has_purchases") and caps.get("has_complete_journeys") and rfm_ok:
        x = feat.matrix(table, ["recency_days", "orders", "revenue"])
        out = pl.concat([out, rfm_tiers(x[:, 0], x[:, 1], x[:, 2])], how="horizontal")
    return out


#: The ``segments`` table when no segment model was trained: empty, with its columns.
SEGMENTS_SCHEMA: dict[str, pl.DataType] = {
    "method": pl.String(),
    "entity": pl.String(),
    "segment_id": pl.Int64(),
    "segment_name": pl.String(),
    "members": pl.Int64(),
    "share": pl.Float64(),
    "profile": pl.String(),
    "model_version": pl.String(),
}


def _segments(
    con: duckdb.DuckDBPyConnection,
    caps: dict[str, bool],
    directory: Path,
    index: dict[str, str],
) -> tuple[pl.DataFrame, tuple[str, pl.DataFrame] | None]:
    keys = [k for k in index if k.endswith("_segments.kmeans")]
    if not keys:
        return pl.DataFrame(schema=SEGMENTS_SCHEMA), None
    km = art.load_sidecar(directory, keys[0])
    entity, table, _ = segment_table(con, caps, int(km.get("horizon_days") or 30))
    key = f"{entity}_id"
    names: list[str] = km["feature_names"]
    x = np.nan_to_num(feat.matrix(table, names), nan=0.0)
    scaler = Scaler(np.asarray(km["scaler_mean"]), np.asarray(km["scaler_scale"]))
    z = scaler.apply(x)
    centers = np.asarray(km["centers"])
    km_labels = _nearest_centre(z, centers)
    assigned = pl.DataFrame(
        {
            key: table[key],
            "segment_id": km_labels,
            "segment_name": [km["segment_names"].get(str(s), str(s)) for s in km_labels],
            "segment_model_version": km["model_version"],
        }
    )
    rows = _segment_rows("kmeans", entity, x, km_labels, names, km)
    hd_key = keys[0].replace(".kmeans", ".hdbscan")
    if hd_key in index:
        hd = art.load_sidecar(directory, hd_key)
        hd_labels = _hdbscan_labels(directory, hd, z)
        assigned = assigned.with_columns(
            pl.Series("hdbscan_segment_id", hd_labels),
            pl.Series(
                "hdbscan_segment_name",
                [hd["segment_names"].get(str(s), str(s)) for s in hd_labels],
            ),
        )
        rows = pl.concat([rows, _segment_rows("hdbscan", entity, x, hd_labels, names, hd)])
    return rows, (entity, assigned)


def _nearest_centre(z: FloatArray, centers: FloatArray) -> npt.NDArray[np.int64]:
    """K-means assignment, in blocks so a million rows never make a million × k × d array."""
    return np.concatenate(
        [
            np.argmin(((z[i : i + 200_000, None, :] - centers[None]) ** 2).sum(axis=2), axis=1)
            for i in range(0, z.shape[0], 200_000)
        ]
    ).astype(np.int64)


def _hdbscan_labels(directory: Path, hd: dict[str, Any], z: FloatArray) -> npt.NDArray[np.int64]:
    """HDBSCAN's segment for every row, from the XGBoost assigner trained on its sample."""
    classes = np.asarray(hd["classes"], dtype=np.int64)
    if not hd["assigner_file"]:
        return np.full(z.shape[0], classes[0], dtype=np.int64)
    assigner = art.load_booster(directory, hd["assigner_file"])
    codes = np.asarray(assigner.inplace_predict(z), dtype=np.float64)
    picked = codes.argmax(axis=1) if codes.ndim == 2 else (codes > 0.5).astype(np.int64)
    out: npt.NDArray[np.int64] = classes[picked]
    return out


def _segment_rows(
    method: str,
    entity: str,
    x: FloatArray,
    labels: npt.NDArray[np.int64],
    names: list[str],
    meta: dict[str, Any],
) -> pl.DataFrame:
    import json

    profiles = profile(x, labels, names)
    return pl.DataFrame(
        {
            "method": [method] * len(profiles),
            "entity": [entity] * len(profiles),
            "segment_id": list(profiles),
            "segment_name": [meta["segment_names"].get(str(s), str(s)) for s in profiles],
            "members": [p["members"] for p in profiles.values()],
            "share": [p["share"] for p in profiles.values()],
            "profile": [json.dumps(p["features"]) for p in profiles.values()],
            "model_version": [meta["model_version"]] * len(profiles),
        },
        schema_overrides={"segment_id": pl.Int64, "members": pl.Int64},
    )


def _score_custom(
    con: duckdb.DuckDBPyConnection, db_path: Path, directory: Path, tasks: list[str]
) -> pl.DataFrame:
    parts = []
    for task in tasks:
        predictor = Predictor.load(directory, task)
        recipe = predictor.meta["recipe"]
        label = CustomLabel(recipe["name"], recipe["expression"], recipe["mart"])
        table, _, key = custom_dataset(db_path, con, label)
        values = predictor.predict(feat.matrix(table, predictor.names))
        parts.append(
            pl.DataFrame(
                {
                    "label_name": [label.name] * table.height,
                    "entity_id": table[key].cast(pl.String),
                    "score": values,
                    "model_version": [predictor.meta["model_version"]] * table.height,
                }
            )
        )
    return pl.concat(parts)
