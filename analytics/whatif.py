"""What-if: move a behaviour a marketer can influence and see the trained models respond.

A :class:`WhatIf` engine is built once per build (the dashboard caches it). It loads the
selected customer models (``customer_purchase``, ``customer_revenue``, ``customer_churn``)
and, where they were trained, the session models (``session_conversion``,
``session_revenue``) from the artifacts folder next to the ``--db`` link, and answers:

- profiles to start from: one customer's feature row as of the scoring anchor (the very row
  ``shopsight score`` scored, computed for that customer alone), a segment's typical member
  (the median of its members' rows), or one session's pre-signal features;
- :meth:`WhatIf.predict`: purchase chance, predicted revenue, churn probability and tier,
  value at risk (customers) or conversion chance and expected order value (sessions), each
  with the version of the model that made it, or "unavailable: reason";
- :meth:`WhatIf.sensitivity` / :meth:`WhatIf.curves`: the prediction across one lever's
  range with every other feature held (an individual conditional expectation curve);
- :meth:`WhatIf.reasons`: the three strongest TreeSHAP contributions per model, in words.

Levers (the sliders) are an allow-list, not every model feature. A lever is a behaviour a
marketing action targets: visits and orders in the last period (re-engagement, vouchers),
basket size (bundles, free-shipping thresholds), cart adds and abandoned carts
(recommendations, cart reminders), product views, categories and depth of browsing
(merchandising, cross-sell), returns (sizing guides), prices seen (discounts). What no one
can change is held: who the customer is and when they arrived (tenure; country, device and
acquisition month are not model features at all), how long ago things happened (recency,
days since the last order, days between visits, the period before the last one — the clock
moves them, not a campaign), lifetime totals of visits, orders and revenue and the ratios
made of them (the customer's history; the last-period sliders stand for new activity), and,
for sessions, the hour, weekday, the visitor's earlier visits and, on Online Shoppers data,
month, browser, OS, region, traffic-type codes and Google's ``PageValues`` (which nearly
encodes the label). See ``CUSTOMER_LEVERS``, ``SESSION_LEVERS`` and ``AGGREGATE_LEVERS``.

Each slider moves exactly one model feature, the others held: the models learned from
observed customers, in whom these behaviours move together, so a curve says how the model
responds, not what a campaign would cause.

Slider ranges come from the data: 0 to the 99th percentile of the feature over a seeded
sample of up to ``RANGE_SAMPLE`` entities at the scoring anchor, widened to include the
profile's own value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import duckdb
import numpy as np
import numpy.typing as npt
import polars as pl
import xgboost as xgb

from common.errors import ShopSightError
from models import artifacts as art
from models import features as feat
from models.explain import OUTCOMES, PHRASES
from models.score import Predictor
from models.tiers import churn_tier
from warehouse.engine import load_sql
from warehouse.reader import WarehouseReader

FloatArray = npt.NDArray[np.float64]

CUSTOMER_TASKS = ("customer_purchase", "customer_revenue", "customer_churn")
SESSION_TASKS = ("session_conversion", "session_revenue")
PROFILE_KINDS = ("customer", "segment", "session")
#: Entities sampled for the slider ranges (a seeded sample, so ranges are repeatable).
RANGE_SAMPLE = 20_000
#: Members whose median is a segment's typical member (a seeded sample of larger segments).
MEMBER_SAMPLE = 5_000
#: Longest id accepted from a URL or an input box.
MAX_ID_LENGTH = 200
#: Quantile of the data that ends a slider (the profile's own value widens it).
RANGE_QUANTILE = 0.99


class ProfileError(ShopSightError):
    """The chosen customer, segment or session does not exist or cannot be scored."""


@dataclass(frozen=True)
class LeverSpec:
    """A feature a marketer can influence: its words and the action behind it."""

    feature: str
    label: str
    action: str
    integer: bool = True
    unit: str = "count"  # count | money | seconds | rate


#: ``{h}`` is the scoring horizon in days.
CUSTOMER_LEVERS: tuple[LeverSpec, ...] = (
    LeverSpec("sessions_last_period", "Visits in the last {h} days",
              "re-engagement e-mails, retargeting"),
    LeverSpec("orders_last_period", "Orders in the last {h} days", "vouchers, promotions"),
    LeverSpec("average_order_value", "Average order value",
              "bundles, free-shipping thresholds, upsell", integer=False, unit="money"),
    LeverSpec("cart_adds", "Cart adds so far", "recommendations, add-to-cart prompts"),
    LeverSpec("abandoned_carts", "Visits with an abandoned cart", "cart-recovery reminders"),
    LeverSpec("views", "Product views so far", "merchandising, recommendations"),
    LeverSpec("distinct_categories", "Categories browsed", "cross-sell campaigns"),
    LeverSpec("events_per_session", "Events per visit", "on-site engagement, content",
              integer=False, unit="rate"),
    LeverSpec("returned_value", "Value returned", "sizing guides, product information",
              integer=False, unit="money"),
)  # fmt: skip

SESSION_LEVERS: tuple[LeverSpec, ...] = (
    LeverSpec("views", "Page and product views", "merchandising, search"),
    LeverSpec("distinct_products", "Products looked at", "recommendations"),
    LeverSpec("cart_adds", "Cart adds", "add-to-cart prompts"),
    LeverSpec("cart_value", "Cart value", "bundles, upsell", integer=False, unit="money"),
    LeverSpec("mean_price_viewed", "Mean price viewed", "discounts, price points",
              integer=False, unit="money"),
    LeverSpec("deepest_page", "Deepest page reached", "navigation, landing pages"),
    LeverSpec("seconds_browsing", "Seconds browsing", "content, page speed", unit="seconds"),
)  # fmt: skip

AGGREGATE_LEVERS: tuple[LeverSpec, ...] = (
    LeverSpec("product_related", "Product pages", "merchandising, recommendations"),
    LeverSpec("product_related_duration", "Seconds on product pages", "content, page speed",
              integer=False, unit="seconds"),
    LeverSpec("administrative", "Account pages", "sign-up and account flows"),
    LeverSpec("informational", "Information pages", "help and delivery information"),
    LeverSpec("bounce_rates", "Bounce rate", "landing-page relevance", integer=False,
              unit="rate"),
    LeverSpec("exit_rates", "Exit rate", "page design, navigation", integer=False, unit="rate"),
)  # fmt: skip


@dataclass(frozen=True)
class Lever:
    """A slider: a lever with its range taken from the data."""

    feature: str
    label: str
    action: str
    low: float
    high: float
    step: float
    integer: bool
    unit: str

    def clamp(self, value: float) -> float:
        """``value`` kept inside the slider's range."""
        return min(max(value, self.low), self.high)


@dataclass(frozen=True)
class Profile:
    """The feature values the models see for one starting point (NaN: unknown)."""

    kind: str  # customer | segment | session
    key: str
    entity: str  # customer | session
    title: str
    values: dict[str, float] = field(hash=False)
    as_of: datetime | None = None
    members: int | None = None

    @property
    def query(self) -> str:
        """The URL query that chooses this profile (``customer=…``)."""
        return urlencode({self.kind: self.key})

    def with_values(self, changes: dict[str, float]) -> Profile:
        """The same profile with some features set to other values."""
        unknown = sorted(set(changes) - set(self.values))
        if unknown:
            raise ProfileError(f"not a feature of this profile: {unknown[0]!r}")
        return replace(self, values={**self.values, **changes})


@dataclass(frozen=True)
class Estimate:
    """One predicted number, with the model that made it, or why there is none."""

    name: str
    label: str
    unit: str  # probability | money
    value: float | None
    model_version: str | None
    unavailable: str | None = None

    @property
    def available(self) -> bool:
        return self.value is not None and self.unavailable is None

    def describe(self) -> str:
        """The value in words, or "unavailable: reason"."""
        if not self.available:
            return f"unavailable: {self.unavailable or 'no model'}"
        assert self.value is not None
        return f"{self.value:.1%}" if self.unit == "probability" else f"{self.value:,.2f}"


@dataclass(frozen=True)
class Prediction:
    """Every estimate for one profile (customer or session outputs)."""

    estimates: dict[str, Estimate]
    churn_tier: str | None = None

    def value(self, name: str) -> float | None:
        """The value of estimate ``name`` (``None`` when unavailable or not predicted)."""
        found = self.estimates.get(name)
        return found.value if found is not None and found.available else None


@dataclass(frozen=True)
class Curve:
    """Predictions across one lever's range, every other feature held."""

    feature: str
    xs: list[float]
    outputs: dict[str, list[float | None]]
    current: float


@dataclass(frozen=True)
class Reasons:
    """The strongest contributions to one model's prediction, in words."""

    task: str
    outcome: str
    texts: list[str]


# output name -> (label, unit, task); derived outputs have no task of their own.
CUSTOMER_OUTPUTS: dict[str, tuple[str, str, str | None]] = {
    "purchase_prob": ("Purchase chance", "probability", "customer_purchase"),
    "predicted_revenue": ("Predicted revenue", "money", "customer_revenue"),
    "churn_prob": ("Churn probability", "probability", "customer_churn"),
    "value_at_risk": ("Value at risk", "money", None),
}
SESSION_OUTPUTS: dict[str, tuple[str, str, str | None]] = {
    "conversion_prob": ("Conversion chance", "probability", "session_conversion"),
    "predicted_order_value": ("Order value if it converts", "money", "session_revenue"),
    "expected_revenue": ("Expected revenue", "money", None),
}


def nice_step(span: float) -> float:
    """A round step (1, 2 or 5 times a power of ten) near ``span``."""
    if not math.isfinite(span) or span <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(span))
    for factor in (1.0, 2.0, 5.0, 10.0):
        if span <= factor * power:
            return factor * power
    return 10.0 * power


def _clean_id(value: Any, what: str) -> str:
    text = str(value if value is not None else "").strip()
    if not text:
        raise ProfileError(f"enter a {what} id")
    if len(text) > MAX_ID_LENGTH or not text.isprintable():
        raise ProfileError(f"{text[:40]!r} is not a {what} id")
    return text


def _strip_create(sql: str) -> str:
    """The SELECT of ``session_prefix_events.sql`` without its CREATE TEMP TABLE head."""
    parts = re.split(r"CREATE OR REPLACE TEMP TABLE session_prefix_events AS", sql, maxsplit=1)
    if len(parts) != 2:
        raise RuntimeError("session_prefix_events.sql no longer starts with its CREATE")
    return parts[1]


def _rows(
    cursor: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None
) -> list[Any]:
    return feat.rows(cursor, sql, params)


class WhatIf:
    """Predictions for edited profiles, from the models ``shopsight score`` uses.

    Build with :meth:`load`; the engine holds no connection, only the loaded models, the
    scoring anchor and horizon and the slider ranges, so one engine serves every request
    of a build (and is safe to share between threads).
    """

    def __init__(
        self,
        predictors: dict[str, Predictor],
        missing: dict[str, str],
        *,
        anchor: datetime | None,
        horizon_days: int,
        ranges: dict[str, dict[str, float]],
        has_clock_time: bool,
        is_aggregate: bool,
        directory: Path,
    ) -> None:
        self.predictors = predictors
        self.missing = missing
        self.anchor = anchor
        self.horizon_days = horizon_days
        self.ranges = ranges
        self.has_clock_time = has_clock_time
        self.is_aggregate = is_aggregate
        self.directory = directory

    # ------------------------------------------------------------------ loading

    @classmethod
    def load(cls, reader: WarehouseReader, artifacts_dir: Path | None = None) -> WhatIf:
        """Load the trained models of the build ``reader`` serves and measure slider ranges."""
        directory = Path(artifacts_dir or art.default_dir(reader.db_path))
        index = art.read_index(directory)
        cursor = reader.cursor()
        try:
            caps = {str(n): bool(a) for n, a, _ in _rows(cursor, "SELECT * FROM capabilities")}
            missing = _unavailable_reasons(cursor)
            predictors: dict[str, Predictor] = {}
            for task in (*CUSTOMER_TASKS, *SESSION_TASKS):
                if task not in index:
                    continue
                try:
                    predictors[task] = _single_threaded(Predictor.load(directory, task))
                except art.ArtifactError as exc:
                    missing[task] = str(exc)
            window = feat.data_window(cursor)
            horizon = 30
            for task in CUSTOMER_TASKS:
                if task in predictors:
                    horizon = int(predictors[task].meta.get("horizon_days") or 30)
                    break
            engine = cls(
                predictors,
                missing,
                anchor=window.anchor,
                horizon_days=horizon,
                ranges={},
                has_clock_time=caps.get("has_clock_time", False),
                is_aggregate=caps.get("is_session_aggregate", False),
                directory=directory,
            )
            engine.ranges = engine._measure_ranges(cursor)
        finally:
            cursor.close()
        return engine

    @property
    def entities(self) -> tuple[str, ...]:
        """Which profiles can be scored: ``customer`` and/or ``session``."""
        found = []
        if self.anchor is not None and any(t in self.predictors for t in CUSTOMER_TASKS):
            found.append("customer")
        if "session_conversion" in self.predictors:
            found.append("session")
        return tuple(found)

    @property
    def available(self) -> bool:
        """Whether any model to play with was trained."""
        return bool(self.entities)

    def unavailable_reason(self) -> str:
        """Why there is nothing to predict with (for the page's empty state)."""
        if not self.predictors:
            return (
                f"no trained customer or session models in {self.directory}; "
                "run `shopsight train` and `shopsight score` for this warehouse"
            )
        return "the warehouse has no events to anchor customer features on"

    def _tasks(self, entity: str) -> list[tuple[str, Predictor]]:
        tasks = CUSTOMER_TASKS if entity == "customer" else SESSION_TASKS
        return [(t, self.predictors[t]) for t in tasks if t in self.predictors]

    def feature_names(self, entity: str) -> list[str]:
        """Every feature the entity's models see, in the models' order."""
        names: dict[str, None] = {}
        for _, predictor in self._tasks(entity):
            names.update(dict.fromkeys(predictor.names))
        return list(names)

    def lever_specs(self, entity: str) -> tuple[LeverSpec, ...]:
        """The allow-list of influenceable features for ``entity`` on this data."""
        if entity == "customer":
            return CUSTOMER_LEVERS
        return AGGREGATE_LEVERS if self.is_aggregate else SESSION_LEVERS

    # ------------------------------------------------------------------ features

    def _customer_rows(
        self, cursor: duckdb.DuckDBPyConnection, wanted_sql: str, params: dict[str, Any]
    ) -> pl.DataFrame:
        """Customer feature rows of the customers ``wanted_sql`` selects.

        The batch feature SQL, with its ``events`` narrowed to those customers first: every
        feature is a per-customer aggregate of that customer's own events, so the rows equal
        the batch rows (a test checks it) while reading one customer's events, not all.
        """
        if self.anchor is None:
            return pl.DataFrame()
        sql = (
            f"WITH wanted AS ({wanted_sql}), "
            "events AS (SELECT * FROM main.events "
            "WHERE customer_id IN (SELECT customer_id FROM wanted)) "
            f"SELECT * FROM ({load_sql('customer_features', 'models')}\n)"
        )
        return feat.frame(
            cursor, sql, {**params, "cutoff": self.anchor, "window_days": self.horizon_days}
        )

    def _session_rows(
        self, cursor: duckdb.DuckDBPyConnection, wanted_sql: str, params: dict[str, Any]
    ) -> pl.DataFrame:
        """Pre-signal session feature rows of the sessions ``wanted_sql`` selects.

        Event data: the batch SQL with ``events`` narrowed to those sessions and ``sessions``
        to their customers' sessions (the history features count a customer's earlier
        visits; anonymous sessions share one history, as in the batch). Sessions whose first
        event is the purchase get all-zero features, as ``shopsight score`` scores them.
        """
        if self.is_aggregate:
            rows = feat.aggregate_session_features(cursor)
            wanted = feat.frame(cursor, wanted_sql, params)
            return rows.join(wanted.select("session_id"), on="session_id", how="semi")
        prefix = _strip_create(load_sql("session_prefix_events", "models"))
        sql = (
            f"WITH wanted AS ({wanted_sql}), "
            "events AS (SELECT * FROM main.events "
            "WHERE session_id IN (SELECT session_id FROM wanted)), "
            "wanted_customers AS (SELECT DISTINCT customer_id FROM main.sessions "
            "WHERE session_id IN (SELECT session_id FROM wanted)), "
            "sessions AS (SELECT * FROM main.sessions "
            "WHERE customer_id IN (SELECT customer_id FROM wanted_customers) "
            "OR session_id IN (SELECT session_id FROM wanted) "
            "OR (customer_id IS NULL "
            "AND EXISTS (SELECT 1 FROM wanted_customers WHERE customer_id IS NULL))), "
            f"session_prefix_events AS ({prefix}\n) "
            f"SELECT * FROM ({load_sql('session_features', 'models')}\n)"
        )
        rows = feat.frame(
            cursor,
            sql,
            {
                **params,
                "min_events": 1,
                "max_events": 2**31 - 1,
                "has_clock_time": self.has_clock_time,
            },
        )
        known = feat.frame(
            cursor,
            "SELECT session_id FROM main.sessions "
            f"WHERE session_id IN (SELECT session_id FROM ({wanted_sql})) ORDER BY session_id",
            params,
        )
        names = self.feature_names("session")
        return known.join(rows.drop("customer_id"), on="session_id", how="left").with_columns(
            [pl.col(n).fill_null(0.0) for n in names if n in rows.columns]
        )

    def _measure_ranges(self, cursor: duckdb.DuckDBPyConnection) -> dict[str, dict[str, float]]:
        """Per entity and lever feature: the data's RANGE_QUANTILE and maximum."""
        out: dict[str, dict[str, float]] = {}
        for entity in self.entities:
            if entity == "customer":
                rows = self._customer_rows(
                    cursor,
                    "SELECT customer_id FROM main.customers "
                    "ORDER BY hash(customer_id), customer_id LIMIT $limit",
                    {"limit": RANGE_SAMPLE},
                )
            else:
                rows = self._session_rows(
                    cursor,
                    "SELECT session_id FROM main.sessions "
                    "ORDER BY hash(session_id), session_id LIMIT $limit",
                    {"limit": RANGE_SAMPLE},
                )
            found: dict[str, float] = {}
            for spec in self.lever_specs(entity):
                if spec.feature not in rows.columns or rows.height == 0:
                    continue
                column = rows[spec.feature].cast(pl.Float64).drop_nulls().drop_nans()
                if column.len() == 0:
                    continue
                top = column.quantile(RANGE_QUANTILE, interpolation="higher")
                found[spec.feature] = float(top if top is not None else 0.0)
                found[f"{spec.feature}:max"] = float(column.max())  # type: ignore[arg-type]
            out[entity] = found
        return out

    # ------------------------------------------------------------------ profiles

    def _need(self, entity: str) -> None:
        if entity not in self.entities:
            what = "customer" if entity == "customer" else "session conversion"
            raise ProfileError(f"no {what} model was trained for this warehouse")

    def customer_profile(self, reader: WarehouseReader, customer_id: Any) -> Profile:
        """One customer's feature row as of the scoring anchor (the row its scores used)."""
        self._need("customer")
        key = _clean_id(customer_id, "customer")
        cursor = reader.cursor()
        try:
            rows = self._customer_rows(
                cursor, "SELECT $customer_id::VARCHAR AS customer_id", {"customer_id": key}
            )
        finally:
            cursor.close()
        if rows.height == 0:
            raise ProfileError(f"no customer {key!r} in this warehouse")
        return Profile(
            "customer", key, "customer", f"Customer {key}", self._values(rows, "customer"),
            as_of=self.anchor,
        )  # fmt: skip

    def session_profile(self, reader: WarehouseReader, session_id: Any) -> Profile:
        """One session's pre-signal features (the row its conversion score used)."""
        self._need("session")
        key = _clean_id(session_id, "session")
        cursor = reader.cursor()
        try:
            rows = self._session_rows(
                cursor, "SELECT $session_id::VARCHAR AS session_id", {"session_id": key}
            )
        finally:
            cursor.close()
        if rows.height == 0:
            raise ProfileError(f"no session {key!r} in this warehouse")
        return Profile("session", key, "session", f"Session {key}", self._values(rows, "session"))

    def segment_profile(self, reader: WarehouseReader, segment_id: Any) -> Profile:
        """A segment's typical member: the median of each feature over its members.

        Segments of more than ``MEMBER_SAMPLE`` members use a seeded sample of that many.
        """
        try:
            segment = int(str(segment_id).strip())
        except ValueError:
            raise ProfileError(f"{str(segment_id)[:40]!r} is not a segment id") from None
        cursor = reader.cursor()
        try:
            if not _has_table(cursor, "segments"):
                raise ProfileError("no segments yet: run `shopsight train` and `shopsight score`")
            found = _rows(
                cursor,
                "SELECT entity, segment_name, members FROM main.segments "
                "WHERE method = 'kmeans' AND segment_id = $segment",
                {"segment": segment},
            )
            if not found:
                raise ProfileError(f"no segment {segment} in this warehouse")
            entity, name, members = str(found[0][0]), str(found[0][1]), int(found[0][2])
            self._need(entity)
            table, key = (
                ("customer_scores", "customer_id")
                if entity == "customer"
                else ("session_scores", "session_id")
            )
            if not _has_column(cursor, table, "segment_id"):
                raise ProfileError("segment members are not scored yet: run `shopsight score`")
            # Table and key names are ours (fixed above), never a user's.
            wanted = (
                f"SELECT {key} FROM main.{table} WHERE segment_id = $segment "
                f"ORDER BY hash({key}), {key} LIMIT $limit"
            )
            params = {"segment": segment, "limit": MEMBER_SAMPLE}
            rows = (
                self._customer_rows(cursor, wanted, params)
                if entity == "customer"
                else self._session_rows(cursor, wanted, params)
            )
        finally:
            cursor.close()
        if rows.height == 0:
            raise ProfileError(f"segment {segment} has no members to describe")
        names = [n for n in self.feature_names(entity) if n in rows.columns]
        typical = rows.select([pl.col(n).cast(pl.Float64).median() for n in names])
        unit = "customers" if entity == "customer" else "sessions"
        return Profile(
            "segment", str(segment), entity,
            f"Typical member of “{name}” (segment {segment}, {members:,} {unit})",
            self._values(typical, entity),
            as_of=self.anchor if entity == "customer" else None, members=members,
        )  # fmt: skip

    def profile(self, reader: WarehouseReader, kind: str, key: Any) -> Profile:
        """The profile a URL names (``kind`` is customer, segment or session)."""
        if kind == "customer":
            return self.customer_profile(reader, key)
        if kind == "segment":
            return self.segment_profile(reader, key)
        if kind == "session":
            return self.session_profile(reader, key)
        raise ProfileError(f"{str(kind)[:40]!r} is not a customer, segment or session")

    def default_profile(self, reader: WarehouseReader) -> Profile:
        """Where the page starts: the customer with the highest value at risk, else the
        non-converted session the model thought most likely to convert."""
        cursor = reader.cursor()
        try:
            if "customer" in self.entities:
                if _has_column(cursor, "customer_scores", "value_at_risk"):
                    sql = (
                        "SELECT customer_id FROM main.customer_scores "
                        "ORDER BY value_at_risk DESC NULLS LAST, churn_prob DESC NULLS LAST, "
                        "customer_id LIMIT 1"
                    )
                else:
                    sql = "SELECT customer_id FROM main.customers ORDER BY customer_id LIMIT 1"
                kind = "customer"
            elif "session" in self.entities:
                if _has_column(cursor, "session_scores", "conversion_prob"):
                    sql = (
                        "SELECT sc.session_id FROM main.session_scores AS sc "
                        "JOIN main.sessions AS s USING (session_id) "
                        "WHERE NOT coalesce(s.converted, false) "
                        "ORDER BY sc.conversion_prob DESC NULLS LAST, sc.session_id LIMIT 1"
                    )
                else:
                    sql = "SELECT session_id FROM main.sessions ORDER BY session_id LIMIT 1"
                kind = "session"
            else:
                raise ProfileError(self.unavailable_reason())
            found = _rows(cursor, sql)
        finally:
            cursor.close()
        if not found:
            raise ProfileError(f"no {kind}s in this warehouse")
        return self.profile(reader, kind, found[0][0])

    def segments(self, reader: WarehouseReader) -> list[tuple[int, str, int]]:
        """K-means segments whose typical member can be scored: (id, name, members)."""
        cursor = reader.cursor()
        try:
            if not _has_table(cursor, "segments"):
                return []
            found = _rows(
                cursor,
                "SELECT segment_id, segment_name, members, entity FROM main.segments "
                "WHERE method = 'kmeans' ORDER BY segment_id",
            )
        finally:
            cursor.close()
        return [(int(s), str(n), int(m)) for s, n, m, e in found if e in self.entities]

    def _values(self, rows: pl.DataFrame, entity: str) -> dict[str, float]:
        names = self.feature_names(entity)
        present = [n for n in names if n in rows.columns]
        row = feat.matrix(rows.head(1), present)[0]
        values = {n: float(v) for n, v in zip(present, row, strict=True)}
        return {n: values.get(n, math.nan) for n in names}

    # ------------------------------------------------------------------ levers

    def levers(self, profile: Profile) -> list[Lever]:
        """The sliders for ``profile``: allow-listed features its models use, ranged by data."""
        ranges = self.ranges.get(profile.entity, {})
        names = set(self.feature_names(profile.entity))
        out = []
        for spec in self.lever_specs(profile.entity):
            if spec.feature not in names or spec.feature not in ranges:
                continue
            if spec.feature == "seconds_browsing" and not self.has_clock_time:
                continue  # always zero without clock times: nothing to move
            current = profile.values.get(spec.feature, math.nan)
            top = ranges[spec.feature]
            if top <= 0:
                top = ranges.get(f"{spec.feature}:max", 0.0)
            if math.isfinite(current):
                top = max(top, current)
            if top <= 0:
                continue
            step = 1.0 if spec.integer else nice_step(top / 100)
            if spec.integer and top > 1000:
                step = nice_step(top / 1000)
            high = math.ceil(top / step - 1e-9) * step
            out.append(
                Lever(
                    spec.feature, spec.label.format(h=self.horizon_days), spec.action,
                    0.0, float(high), float(step), spec.integer, spec.unit,
                )
            )  # fmt: skip
        return out

    def held(self, profile: Profile) -> list[str]:
        """The features the models see that no slider moves, in words."""
        moved = {lever.feature for lever in self.levers(profile)}
        return [
            describe_feature(name, value)
            for name, value in profile.values.items()
            if name not in moved
        ]

    # ------------------------------------------------------------------ predictions

    def _grid(
        self,
        profile: Profile,
        levers: list[Lever],
        points: int,
        swept: frozenset[str] | None = None,
    ) -> tuple[list[FloatArray], dict[str, FloatArray]]:
        """Every model on the profile (row 0) and on each lever's sweep (then ``points`` rows
        per lever): one matrix, one predict call per model.

        Models not in ``swept`` (``None``: all) predict row 0 only, the rest is NaN: a
        curve that is not shown needs no predictions (a random forest costs ~0.1 ms a tree
        per call however few rows it scores).
        """
        sweeps = [np.linspace(lever.low, lever.high, points) for lever in levers]
        n = 1 + len(levers) * points
        out: dict[str, FloatArray] = {}
        for task, predictor in self._tasks(profile.entity):
            names = predictor.names
            base = np.array([profile.values.get(f, math.nan) for f in names], dtype=np.float64)
            if swept is not None and task not in swept:
                column = np.full(n, np.nan)
                column[0] = float(predictor.predict(base[None, :])[0])
                out[task] = column
                continue
            grid = np.tile(base, (n, 1))
            position = {f: i for i, f in enumerate(names)}
            for i, (lever, xs) in enumerate(zip(levers, sweeps, strict=True)):
                if lever.feature in position:
                    grid[1 + i * points : 1 + (i + 1) * points, position[lever.feature]] = xs
            out[task] = np.asarray(predictor.predict(grid), dtype=np.float64)
        return sweeps, out

    def _outputs(self, entity: str, raw: dict[str, FloatArray]) -> dict[str, FloatArray | None]:
        """Model outputs plus the derived ones (value at risk, expected revenue)."""
        if entity == "customer":
            purchase = raw.get("customer_purchase")
            revenue = raw.get("customer_revenue")
            churn = raw.get("customer_churn")
            at_risk = churn * revenue if churn is not None and revenue is not None else None
            return {
                "purchase_prob": purchase,
                "predicted_revenue": revenue,
                "churn_prob": churn,
                "value_at_risk": at_risk,
            }
        conversion = raw.get("session_conversion")
        order_value = raw.get("session_revenue")
        expected = (
            conversion * order_value if conversion is not None and order_value is not None else None
        )
        return {
            "conversion_prob": conversion,
            "predicted_order_value": order_value,
            "expected_revenue": expected,
        }

    def _why_missing(self, task: str) -> str:
        return self.missing.get(task) or "not trained: run `shopsight train` for this warehouse"

    def _estimates(self, entity: str, values: dict[str, float | None]) -> Prediction:
        specs = CUSTOMER_OUTPUTS if entity == "customer" else SESSION_OUTPUTS
        estimates: dict[str, Estimate] = {}
        for name, (label, unit, task) in specs.items():
            value = values.get(name)
            if task is not None:
                predictor = self.predictors.get(task)
                version = str(predictor.meta["model_version"]) if predictor else None
                why = None if predictor else self._why_missing(task)
            else:
                parts = (
                    ("customer_churn", "customer_revenue")
                    if entity == "customer"
                    else ("session_conversion", "session_revenue")
                )
                present = [self.predictors.get(p) for p in parts]
                version = (
                    " × ".join(str(p.meta["model_version"]) for p in present if p)
                    if all(present)
                    else None
                )
                why = None if all(present) else f"needs the {' and '.join(parts)} models"
            estimates[name] = Estimate(
                name, label, unit, value if why is None else None, version, why
            )
        tier = None
        churn = values.get("churn_prob")
        if entity == "customer" and churn is not None:
            tier = str(churn_tier(np.array([churn], dtype=np.float64))[0])
        return Prediction(estimates, tier)

    def predict(self, profile: Profile) -> Prediction:
        """Every model's prediction for ``profile`` (unavailable ones say why)."""
        _, raw = self._grid(profile, [], 1)
        first = {
            name: (float(values[0]) if values is not None else None)
            for name, values in self._outputs(profile.entity, raw).items()
        }
        return self._estimates(profile.entity, first)

    def evaluate(
        self, profile: Profile, points: int = 21, curves_of: Iterable[str] | None = None
    ) -> tuple[Prediction, list[Curve]]:
        """The prediction and every lever's sensitivity curve, in one pass over the models
        (what a slider move needs).

        Parameters
        ----------
        curves_of
            Outputs whose curves are wanted (``None``: all); the others' curve points are
            ``None``. The page asks only for the output its curves show.
        """
        if points < 2:
            raise ValueError("a sensitivity curve needs at least 2 points")
        levers = self.levers(profile)
        swept = None if curves_of is None else self._tasks_of(profile.entity, curves_of)
        sweeps, raw = self._grid(profile, levers, points, swept)
        outputs = self._outputs(profile.entity, raw)
        first = {n: _number(v[0]) if v is not None else None for n, v in outputs.items()}
        curves = []
        for i, (lever, xs) in enumerate(zip(levers, sweeps, strict=True)):
            part = slice(1 + i * points, 1 + (i + 1) * points)
            curves.append(
                Curve(
                    lever.feature,
                    [float(x) for x in xs],
                    {
                        n: ([_number(y) for y in v[part]] if v is not None else [None] * points)
                        for n, v in outputs.items()
                    },
                    profile.values.get(lever.feature, math.nan),
                )
            )
        return self._estimates(profile.entity, first), curves

    def _tasks_of(self, entity: str, names: Iterable[str]) -> frozenset[str]:
        """The models behind some outputs (value at risk needs churn and revenue)."""
        specs = CUSTOMER_OUTPUTS if entity == "customer" else SESSION_OUTPUTS
        derived = (
            ("customer_churn", "customer_revenue")
            if entity == "customer"
            else ("session_conversion", "session_revenue")
        )
        tasks: set[str] = set()
        for name in names:
            if name in specs:
                task = specs[name][2]
                tasks.update((task,) if task is not None else derived)
        return frozenset(tasks)

    def sensitivity(self, profile: Profile, feature: str, points: int = 21) -> Curve:
        """The predictions across ``feature``'s slider range, every other feature held."""
        levers = [lever for lever in self.levers(profile) if lever.feature == feature]
        if not levers:
            raise ProfileError(f"{feature!r} is not a lever of this profile")
        if points < 2:
            raise ValueError("a sensitivity curve needs at least 2 points")
        sweeps, raw = self._grid(profile, levers, points)
        outputs = self._outputs(profile.entity, raw)
        return Curve(
            feature,
            [float(x) for x in sweeps[0]],
            {
                n: ([_number(y) for y in v[1:]] if v is not None else [None] * points)
                for n, v in outputs.items()
            },
            profile.values.get(feature, math.nan),
        )

    def reasons(self, profile: Profile, top: int = 3) -> list[Reasons]:
        """The ``top`` strongest TreeSHAP contributions of each model, in words.

        The same phrases as :meth:`models.score.Predictor.reasons` (a test compares them),
        made for one row in plain Python: the batch version builds a Polars expression per
        feature, about 40 ms a call, too slow for a slider.
        """
        out = []
        for task, predictor in self._tasks(profile.entity):
            names = predictor.names
            x = np.array([[profile.values.get(f, math.nan) for f in names]], dtype=np.float64)
            contrib = _contributions(predictor.explainer, x)
            order = np.argsort(-np.abs(contrib), kind="stable")[:top]
            outcome = OUTCOMES.get(task, task)
            texts = [_phrase(names[j], float(x[0, j]), float(contrib[j]), outcome) for j in order]
            texts += ["no further factor"] * (top - len(texts))
            out.append(Reasons(task, outcome, texts))
        return out


def describe_feature(name: str, value: float) -> str:
    """A feature value in words ("last seen 3 days ago"), worded as the reasons are."""
    before, decimals, after = PHRASES.get(name, (f"{name} = ", 2, ""))
    if not math.isfinite(value):
        shown = "unknown"
    elif decimals == 0:
        shown = str(int(round(value)))
    else:
        shown = str(round(value, decimals))
    return f"{before}{shown}{after}"


def _phrase(name: str, value: float, contribution: float, outcome: str) -> str:
    if contribution == 0:
        return "no further factor"
    direction = "raised" if contribution > 0 else "lowered"
    return f"{describe_feature(name, value)} {direction} {outcome}"


def _number(value: float) -> float | None:
    """A prediction as a plain float, NaN (not computed) as ``None``."""
    number = float(value)
    return None if math.isnan(number) else number


def _contributions(explainer: xgb.Booster, x: FloatArray) -> FloatArray:
    """TreeSHAP contributions of one row, bias dropped (``models.explain.contributions`` with
    a one-thread DMatrix: building it with every thread cost 16 ms under load, 0.1 ms so)."""
    matrix = xgb.DMatrix(x, missing=np.nan, nthread=1)
    out = np.asarray(explainer.predict(matrix, pred_contribs=True), dtype=np.float64)
    return out[0, :-1]


def _single_threaded(predictor: Predictor) -> Predictor:
    """One thread per prediction: a what-if predicts a few hundred rows, and threads
    contending for two shared cores made such a call many times slower (measured: XGBoost
    0.4 ms single-threaded against up to 20 ms with two OpenMP threads under load; a
    150-tree random forest 10 ms with ``n_jobs=1`` against 26–37 ms with two jobs)."""
    for booster in (predictor.model.model, predictor.explainer):
        if isinstance(booster, xgb.Booster):
            booster.set_param({"nthread": 1})
    estimators = [predictor.model.model]
    while estimators:
        estimator = estimators.pop()
        if hasattr(estimator, "n_jobs"):
            estimator.n_jobs = 1
        estimators.extend(step for _, step in getattr(estimator, "steps", []))
        # A calibrated vote (models.candidates.CalibratedVote) holds its models as members.
        estimators.extend(getattr(estimator, "members", []))
    return predictor


def _unavailable_reasons(cursor: duckdb.DuckDBPyConnection) -> dict[str, str]:
    if not _has_table(cursor, "model_runs"):
        return {}
    found = _rows(
        cursor,
        "SELECT task, any_value(reason) FROM main.model_runs "
        "WHERE status IN ('unavailable', 'refused') GROUP BY task",
    )
    return {str(task): str(reason) for task, reason in found}


def _has_table(cursor: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(
        _rows(
            cursor,
            "SELECT 1 FROM information_schema.tables "
            "WHERE table_schema = 'main' AND table_name = $table",
            {"table": table},
        )
    )


def _has_column(cursor: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    return bool(
        _rows(
            cursor,
            "SELECT 1 FROM information_schema.columns "
            "WHERE table_schema = 'main' AND table_name = $table AND column_name = $column",
            {"table": table, "column": column},
        )
    )
