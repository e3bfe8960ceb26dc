"""Point-in-time features, computed in DuckDB from the warehouse's events and marts.

Two rules make these features honest:

- customer features at a cutoff come only from events strictly before the cutoff, so an
  event planted after it changes nothing (a test proves it);
- session conversion features come only from the events before a session's first checkout or
  purchase signal, and never include purchase counts or revenue.

SQL lives in ``models/sql/<name>.sql``; values are bound parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import polars as pl

from warehouse.engine import create_table, load_sql

FloatArray = npt.NDArray[np.float64]

CUSTOMER_FEATURES: tuple[str, ...] = (
    "recency_days",
    "tenure_days",
    "days_since_last_order",
    "sessions",
    "orders",
    "revenue",
    "average_order_value",
    "events_per_session",
    "views",
    "cart_adds",
    "cart_removes",
    "abandoned_carts",
    "order_rate",
    "distinct_categories",
    "returned_value",
    "sessions_last_period",
    "orders_last_period",
    "revenue_last_period",
    "sessions_previous_period",
    "mean_days_between_sessions",
)

SESSION_FEATURES: tuple[str, ...] = (
    "events_seen",
    "views",
    "cart_adds",
    "cart_removes",
    "cart_value",
    "mean_price_viewed",
    "max_price_seen",
    "distinct_products",
    "distinct_categories",
    "deepest_page",
    "seconds_browsing",
    "hour_of_day",
    "day_of_week",
    "prior_sessions",
    "days_since_previous_session",
)

#: Online Shoppers' own 17 columns (the 18th, Revenue, is the label), encoded as numbers.
AGGREGATE_SESSION_FEATURES: tuple[str, ...] = (
    "administrative",
    "administrative_duration",
    "informational",
    "informational_duration",
    "product_related",
    "product_related_duration",
    "bounce_rates",
    "exit_rates",
    "page_values",
    "special_day",
    "month_number",
    "operating_systems",
    "browser",
    "region",
    "traffic_type",
    "returning_visitor",
    "new_visitor",
    "weekend",
)

#: Per-session browsing profile (segmentation of sessions, and custom session labels).
SESSION_PROFILE_FEATURES: tuple[str, ...] = (
    "clicks",
    "distinct_products",
    "distinct_categories",
    "deepest_page",
    "mean_price_viewed",
    "viewed_price_sum",
    "share_price_above_category_avg",
    "cart_adds",
    "duration_seconds",
)

AGGREGATE_PROFILE_FEATURES: tuple[str, ...] = (
    "product_related",
    "product_related_duration",
    "administrative",
    "informational",
    "bounce_rates",
    "exit_rates",
    "page_values",
)


def frame(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None
) -> pl.DataFrame:
    """Run a query and return a materialised Polars frame."""
    relation = con.sql(sql, params=params) if params else con.sql(sql)
    result: pl.DataFrame = relation.pl()
    return result


def rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None
) -> list[tuple[object, ...]]:
    """Run a query and return its rows as tuples."""
    relation = con.sql(sql, params=params) if params else con.sql(sql)
    return relation.fetchall()


@dataclass(frozen=True)
class DataWindow:
    """The time span of the events: first event and the anchor (midnight after the last)."""

    start: datetime | None
    anchor: datetime | None
    #: The last event itself (the anchor rounds it up to midnight).
    end: datetime | None = None

    def span_days(self) -> float:
        if self.start is None or self.anchor is None:
            return 0.0
        return (self.anchor - self.start).total_seconds() / 86400.0

    def observed_days(self) -> float:
        """First to last event, in days: the time the data really covers (a 2.5-hour log
        covers 0.1 days, though its anchor is the midnight after it)."""
        if self.start is None or self.end is None:
            return 0.0
        return (self.end - self.start).total_seconds() / 86400.0


def data_window(con: duckdb.DuckDBPyConnection) -> DataWindow:
    start, end = rows(con, load_sql("event_span", "models"))[0]
    if not isinstance(end, datetime) or not isinstance(start, datetime):
        return DataWindow(None, None)
    anchor = datetime(end.year, end.month, end.day) + timedelta(days=1)
    return DataWindow(start, anchor, end)


def customer_features(
    con: duckdb.DuckDBPyConnection, cutoff: datetime, window_days: int
) -> pl.DataFrame:
    """One row per customer seen before ``cutoff``: ``customer_id`` and CUSTOMER_FEATURES."""
    return frame(
        con, load_sql("customer_features", "models"), {"cutoff": cutoff, "window_days": window_days}
    )


def customer_labels(
    con: duckdb.DuckDBPyConnection, cutoff: datetime, horizon_days: int
) -> pl.DataFrame:
    """What each customer seen before ``cutoff`` did in ``[cutoff, cutoff + horizon)``."""
    return frame(
        con, load_sql("customer_labels", "models"), {"cutoff": cutoff, "horizon_days": horizon_days}
    )


def prepare_session_prefixes(con: duckdb.DuckDBPyConnection) -> None:
    """Materialise the pre-signal events of every session (a TEMP table, never persisted)."""
    create_table(
        con, "session_prefix_events", sql=load_sql("session_prefix_events", "models"), temp=True
    )


def session_features(
    con: duckdb.DuckDBPyConnection,
    *,
    has_clock_time: bool,
    first_events: int | None = None,
) -> pl.DataFrame:
    """Pre-signal session features, with ``converted`` and ``revenue`` from the sessions mart.

    Parameters
    ----------
    first_events
        Prefix scoring: only sessions with at least this many events before their signal,
        described by exactly their first ``first_events`` events. ``None``: every session,
        described by all of its pre-signal events.
    """
    params = {
        "min_events": first_events or 1,
        "max_events": first_events or 2**31 - 1,
        "has_clock_time": has_clock_time,
    }
    features = frame(con, load_sql("session_features", "models"), params)
    outcome = frame(con, load_sql("session_outcomes", "models"))
    return features.join(outcome, on="session_id", how="left")


def aggregate_session_features(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Online Shoppers' sessions with their own columns as numbers, and the label."""
    return frame(con, load_sql("aggregate_session_features", "models"))


def session_profiles(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The sessions mart plus per-session browsing aggregates from the events.

    This is the view analysts write custom session labels against (the UCI proxies refer
    to ``clicks``, ``viewed_price_sum``, ``last_price_above_category_avg`` and
    ``deepest_page``), and the feature table of session segmentation.
    """
    return frame(con, load_sql("session_profiles", "models"))


def matrix(table: pl.DataFrame, names: tuple[str, ...] | list[str]) -> FloatArray:
    """Features as a float64 matrix; missing values become NaN (XGBoost handles them)."""
    if not names:
        return np.zeros((table.height, 0), dtype=np.float64)
    out: FloatArray = (
        table.select([pl.col(n).cast(pl.Float64).fill_null(np.nan) for n in names])
        .to_numpy()
        .astype(np.float64, copy=False)
    )
    return out
