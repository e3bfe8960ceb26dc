"""Profiles to start a what-if from, computed as ``shopsight score`` computes them.

One customer's feature row as of the scoring anchor (the very row ``shopsight score`` scored,
computed for that customer alone), a segment's typical member (the median of its members'
rows), or one session's pre-signal features; also the data's slider ranges.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import duckdb
import polars as pl

from analytics.whatif.levers import RANGE_LOW_QUANTILE, RANGE_QUANTILE, LeverSpec, Support
from common.errors import ShopSightError
from models import features as feat
from warehouse.engine import fill_slots, load_sql, named_query, quote_ident, with_relations
from warehouse.reader import WarehouseReader

PROFILE_KINDS = ("customer", "segment", "session")
#: Entities sampled for the slider ranges (a seeded sample, so ranges are repeatable).
RANGE_SAMPLE = 20_000
#: Members whose median is a segment's typical member (a seeded sample of larger segments).
MEMBER_SAMPLE = 5_000
#: Longest id accepted from a URL or an input box.
MAX_ID_LENGTH = 200


class ProfileError(ShopSightError):
    """The chosen customer, segment or session does not exist or cannot be scored."""


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
class Scope:
    """What computing a profile needs to know of the build and its models."""

    anchor: datetime | None
    horizon_days: int
    has_clock_time: bool
    is_aggregate: bool
    #: Entity -> every feature its models see, in the models' order.
    features: dict[str, list[str]]
    #: The entities with a model to score them (``customer`` and/or ``session``).
    entities: tuple[str, ...]


def rows(
    cursor: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None
) -> list[Any]:
    return feat.rows(cursor, sql, params)


def has_table(cursor: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(
        rows(
            cursor,
            "SELECT 1 FROM information_schema.tables "
            "WHERE table_schema = 'main' AND table_name = $table",
            {"table": table},
        )
    )


def has_column(cursor: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    return bool(
        rows(
            cursor,
            "SELECT 1 FROM information_schema.columns "
            "WHERE table_schema = 'main' AND table_name = $table AND column_name = $column",
            {"table": table, "column": column},
        )
    )


def clean_id(value: Any, what: str) -> str:
    """An id from a URL or an input box, checked for length and printability."""
    text = str(value if value is not None else "").strip()
    if not text:
        raise ProfileError(f"enter a {what} id")
    if len(text) > MAX_ID_LENGTH or not text.isprintable():
        raise ProfileError(f"{text[:40]!r} is not a {what} id")
    return text


# ---------------------------------------------------------------------- feature rows


def _entity_slots(entity: str, table: str) -> dict[str, str]:
    """The {id_column} and {table} slots of a what-if file (names ours, never a user's)."""
    return {"id_column": quote_ident(f"{entity}_id"), "table": quote_ident(table)}


def _whatif_sql(name: str, slots: dict[str, str] | None = None) -> str:
    """The what-if file ``name`` of analytics/sql, its identifier slots filled."""
    return fill_slots(load_sql(name, "analytics"), slots or {})


def customer_rows(
    cursor: duckdb.DuckDBPyConnection, scope: Scope, wanted_sql: str, params: dict[str, Any]
) -> pl.DataFrame:
    """Customer feature rows of the customers ``wanted_sql`` selects.

    The batch feature SQL, with its ``events`` narrowed to those customers first: every
    feature is a per-customer aggregate of that customer's own events, so the rows equal
    the batch rows (a test checks it) while reading one customer's events, not all.
    """
    if scope.anchor is None:
        return pl.DataFrame()
    relations = {"wanted": wanted_sql, "events": _whatif_sql("whatif_customer_events")}
    sql = named_query("customer_features", "models", relations)
    return feat.frame(
        cursor, sql, {**params, "cutoff": scope.anchor, "window_days": scope.horizon_days}
    )


def session_rows(
    cursor: duckdb.DuckDBPyConnection, scope: Scope, wanted_sql: str, params: dict[str, Any]
) -> pl.DataFrame:
    """Pre-signal session feature rows of the sessions ``wanted_sql`` selects.

    Event data: the batch SQL with ``events`` narrowed to those sessions and ``sessions``
    to their customers' sessions (the history features count a customer's earlier
    visits; anonymous sessions share one history, as in the batch). Sessions whose first
    event is the purchase get all-zero features, as ``shopsight score`` scores them.
    """
    if scope.is_aggregate:
        found = feat.aggregate_session_features(cursor)
        wanted = feat.frame(cursor, wanted_sql, params)
        return found.join(wanted.select("session_id"), on="session_id", how="semi")
    relations = {
        "wanted": wanted_sql,
        "events": _whatif_sql("whatif_session_events"),
        "sessions": _whatif_sql("whatif_session_history"),
        "session_prefix_events": load_sql("session_prefix_events", "models"),
    }
    sql = named_query("session_features", "models", relations)
    limits = {"min_events": 1, "max_events": 2**31 - 1, "has_clock_time": scope.has_clock_time}
    found = feat.frame(cursor, sql, {**params, **limits})
    known_sql = with_relations(_whatif_sql("whatif_known_sessions"), {"wanted": wanted_sql})
    known = feat.frame(cursor, known_sql, params)
    names = scope.features.get("session", [])
    return known.join(found.drop("customer_id"), on="session_id", how="left").with_columns(
        [pl.col(n).fill_null(0.0) for n in names if n in found.columns]
    )


def entity_rows(
    cursor: duckdb.DuckDBPyConnection,
    scope: Scope,
    entity: str,
    wanted_sql: str,
    params: dict[str, Any],
) -> pl.DataFrame:
    """Feature rows of the customers or sessions ``wanted_sql`` selects."""
    if entity == "customer":
        return customer_rows(cursor, scope, wanted_sql, params)
    return session_rows(cursor, scope, wanted_sql, params)


def measure_ranges(
    cursor: duckdb.DuckDBPyConnection,
    scope: Scope,
    specs: dict[str, tuple[LeverSpec, ...]],
) -> dict[str, dict[str, Support]]:
    """Per entity and lever feature: where the data has it (a seeded sample of entities)."""
    out: dict[str, dict[str, Support]] = {}
    for entity in scope.entities:
        table = "customers" if entity == "customer" else "sessions"
        sample = _whatif_sql("whatif_entity_sample", _entity_slots(entity, table))
        found_rows = entity_rows(cursor, scope, entity, sample, {"limit": RANGE_SAMPLE})
        found: dict[str, Support] = {}
        for spec in specs.get(entity, ()):
            if spec.feature in found_rows.columns:
                support = support_of(found_rows[spec.feature])
                if support is not None:
                    found[spec.feature] = support
        out[entity] = found
    return out


def support_of(values: pl.Series) -> Support | None:
    """A feature's support: its RANGE_LOW_QUANTILE and RANGE_QUANTILE (values the data has,
    not interpolated between them) and its extremes; ``None`` when no value is known."""
    column = values.cast(pl.Float64).drop_nulls().drop_nans()
    if column.len() == 0:
        return None
    low = column.quantile(RANGE_LOW_QUANTILE, interpolation="lower")
    high = column.quantile(RANGE_QUANTILE, interpolation="higher")
    minimum, maximum = column.min(), column.max()
    return Support(
        low=float(low if low is not None else 0.0),
        high=float(high if high is not None else 0.0),
        minimum=float(minimum),  # type: ignore[arg-type]
        maximum=float(maximum),  # type: ignore[arg-type]
    )


def values_of(found: pl.DataFrame, names: list[str]) -> dict[str, float]:
    """The first row's values of ``names`` (NaN for a feature the rows lack)."""
    present = [n for n in names if n in found.columns]
    row = feat.matrix(found.head(1), present)[0]
    values = {n: float(v) for n, v in zip(present, row, strict=True)}
    return {n: values.get(n, math.nan) for n in names}


# ---------------------------------------------------------------------- profiles


def need(scope: Scope, entity: str) -> None:
    """Raise :class:`ProfileError` when no model scores ``entity``."""
    if entity not in scope.entities:
        what = "customer" if entity == "customer" else "session conversion"
        raise ProfileError(f"no {what} model was trained for this warehouse")


def entity_profile(reader: WarehouseReader, scope: Scope, entity: str, raw_id: Any) -> Profile:
    """One customer's feature row as of the scoring anchor, or one session's pre-signal
    features: the row its scores used."""
    need(scope, entity)
    key = clean_id(raw_id, entity)
    cursor = reader.cursor()
    try:
        found = entity_rows(
            cursor,
            scope,
            entity,
            _whatif_sql("whatif_one_entity", {"id_column": quote_ident(f"{entity}_id")}),
            {"entity_id": key},
        )
    finally:
        cursor.close()
    if found.height == 0:
        raise ProfileError(f"no {entity} {key!r} in this warehouse")
    return Profile(
        kind=entity,
        key=key,
        entity=entity,
        title=f"{entity.capitalize()} {key}",
        values=values_of(found, scope.features.get(entity, [])),
        as_of=scope.anchor if entity == "customer" else None,
    )


def _segment_members(
    cursor: duckdb.DuckDBPyConnection, scope: Scope, segment: int
) -> tuple[str, str, int, pl.DataFrame]:
    """A segment's entity, name, size and (a sample of) its members' feature rows."""
    if not has_table(cursor, "segments"):
        raise ProfileError("no segments yet: run `shopsight train` and `shopsight score`")
    found = rows(cursor, _whatif_sql("whatif_segments"), {"segment": segment})
    if not found:
        raise ProfileError(f"no segment {segment} in this warehouse")
    name, members, entity = str(found[0][1]), int(found[0][2]), str(found[0][3])
    need(scope, entity)
    table = f"{entity}_scores"
    if not has_column(cursor, table, "segment_id"):
        raise ProfileError("segment members are not scored yet: run `shopsight score`")
    wanted = _whatif_sql("whatif_segment_members", _entity_slots(entity, table))
    params = {"segment": segment, "limit": MEMBER_SAMPLE}
    return entity, name, members, entity_rows(cursor, scope, entity, wanted, params)


def segment_profile(reader: WarehouseReader, scope: Scope, segment_id: Any) -> Profile:
    """A segment's typical member: the median of each feature over its members.

    Segments of more than ``MEMBER_SAMPLE`` members use a seeded sample of that many.
    """
    try:
        segment = int(str(segment_id).strip())
    except ValueError:
        raise ProfileError(f"{str(segment_id)[:40]!r} is not a segment id") from None
    cursor = reader.cursor()
    try:
        entity, name, members, found = _segment_members(cursor, scope, segment)
    finally:
        cursor.close()
    if found.height == 0:
        raise ProfileError(f"segment {segment} has no members to describe")
    names = [n for n in scope.features.get(entity, []) if n in found.columns]
    typical = found.select([pl.col(n).cast(pl.Float64).median() for n in names])
    unit = "customers" if entity == "customer" else "sessions"
    return Profile(
        kind="segment",
        key=str(segment),
        entity=entity,
        title=f"Typical member of “{name}” (segment {segment}, {members:,} {unit})",
        values=values_of(typical, scope.features.get(entity, [])),
        as_of=scope.anchor if entity == "customer" else None,
        members=members,
    )


def profile(reader: WarehouseReader, scope: Scope, kind: str, key: Any) -> Profile:
    """The profile a URL names (``kind`` is customer, segment or session)."""
    if kind in ("customer", "session"):
        return entity_profile(reader, scope, kind, key)
    if kind == "segment":
        return segment_profile(reader, scope, key)
    raise ProfileError(f"{str(kind)[:40]!r} is not a customer, segment or session")


def _default_query(cursor: duckdb.DuckDBPyConnection, entity: str) -> str:
    """Where the page starts: the customer with the highest value at risk, else the
    non-converted session the model thought most likely to convert."""
    scored = {"customer": "value_at_risk", "session": "conversion_prob"}[entity]
    if has_column(cursor, f"{entity}_scores", scored):
        return _whatif_sql(f"whatif_start_{entity}")
    return _whatif_sql("whatif_first_entity", _entity_slots(entity, f"{entity}s"))


def default_profile(reader: WarehouseReader, scope: Scope, unavailable: str) -> Profile:
    """The profile the page starts from (see :func:`_default_query`); ``unavailable`` is the
    message when no model scores customers or sessions."""
    if not scope.entities:
        raise ProfileError(unavailable)
    entity = scope.entities[0]  # customers first, where a customer model exists
    cursor = reader.cursor()
    try:
        found = rows(cursor, _default_query(cursor, entity))
    finally:
        cursor.close()
    if not found:
        raise ProfileError(f"no {entity}s in this warehouse")
    return profile(reader, scope, entity, found[0][0])


def segments(reader: WarehouseReader, scope: Scope) -> list[tuple[int, str, int]]:
    """K-means segments whose typical member can be scored: (id, name, members)."""
    cursor = reader.cursor()
    try:
        if not has_table(cursor, "segments"):
            return []
        found = rows(cursor, _whatif_sql("whatif_segments"), {"segment": None})
    finally:
        cursor.close()
    return [(int(s), str(n), int(m)) for s, n, m, e in found if e in scope.entities]
