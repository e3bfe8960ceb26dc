"""The canonical event model (docs/architecture.md) and the capability names.

Column names here are a contract shared by every adapter, the marts and the models.
"""

from __future__ import annotations

EVENT_TYPES: tuple[str, ...] = (
    "page_view",
    "product_view",
    "add_to_cart",
    "remove_from_cart",
    "begin_checkout",
    "purchase",
    "return",
    "other",
)

# (name, DuckDB type) in table order. Adapters emit all of these but event_date, which the
# events mart derives, so every source lands in one shape.
EVENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("event_time", "TIMESTAMP"),
    ("session_id", "VARCHAR"),
    ("customer_id", "VARCHAR"),
    ("event_type", "VARCHAR"),
    ("source_event", "VARCHAR"),
    ("product_id", "VARCHAR"),
    ("product_name", "VARCHAR"),
    ("category", "VARCHAR"),
    ("brand", "VARCHAR"),
    ("price", "DOUBLE"),
    ("quantity", "DOUBLE"),
    ("revenue", "DOUBLE"),
    ("country", "VARCHAR"),
    ("device", "VARCHAR"),
    ("traffic_source", "VARCHAR"),
    ("page", "VARCHAR"),
    ("page_depth", "INTEGER"),
    ("sequence_number", "INTEGER"),
    ("colour", "VARCHAR"),
    ("photo_location", "VARCHAR"),
    ("model_photography", "VARCHAR"),
    ("price_above_category_avg", "BOOLEAN"),
    ("source_id", "VARCHAR"),
    ("source_line", "BIGINT"),
)
EVENT_COLUMN_NAMES: tuple[str, ...] = tuple(name for name, _ in EVENT_COLUMNS)

# Columns that decide whether two rows are the same event. source_id and source_line are
# left out on purpose: the same line arriving from two overlapping files is one event.
DEDUP_KEY: tuple[str, ...] = tuple(
    name for name in EVENT_COLUMN_NAMES if name not in ("source_id", "source_line")
)

# A few columns that almost identify an event: hashing them finds duplicate candidates
# cheaply; DEDUP_KEY then decides.
DEDUP_HASH_KEY: tuple[str, ...] = (
    "event_time",
    "session_id",
    "event_type",
    "product_id",
    "price",
    "sequence_number",
)

# The Online Shoppers session table (UCI 468) keeps all 18 of its columns in the sessions
# mart. ``Revenue`` becomes ``revenue_label``: DuckDB names are case-insensitive and
# ``revenue`` is the mart's money column.
SESSION_AGGREGATE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    # (source column, mart column, type)
    ("Administrative", "administrative", "INTEGER"),
    ("Administrative_Duration", "administrative_duration", "DOUBLE"),
    ("Informational", "informational", "INTEGER"),
    ("Informational_Duration", "informational_duration", "DOUBLE"),
    ("ProductRelated", "product_related", "INTEGER"),
    ("ProductRelated_Duration", "product_related_duration", "DOUBLE"),
    ("BounceRates", "bounce_rates", "DOUBLE"),
    ("ExitRates", "exit_rates", "DOUBLE"),
    ("PageValues", "page_values", "DOUBLE"),
    ("SpecialDay", "special_day", "DOUBLE"),
    ("Month", "month", "VARCHAR"),
    ("OperatingSystems", "operating_systems", "INTEGER"),
    ("Browser", "browser", "INTEGER"),
    ("Region", "region", "INTEGER"),
    ("TrafficType", "traffic_type", "INTEGER"),
    ("VisitorType", "visitor_type", "VARCHAR"),
    ("Weekend", "weekend", "BOOLEAN"),
    ("Revenue", "revenue_label", "BOOLEAN"),
)

# The REES46 event-log columns, in file order: what `shopsight generate` writes and what the
# event-log format reads.
REES46_COLUMNS: tuple[str, ...] = (
    "event_time",
    "event_type",
    "product_id",
    "category_id",
    "category_code",
    "brand",
    "price",
    "user_id",
    "user_session",
)

CAPABILITIES: tuple[str, ...] = (
    "has_customer_ids",
    "has_purchases",
    "has_carts",
    "has_clock_time",
    "has_revenue",
    "has_page_views",
    "has_complete_journeys",
    "is_session_aggregate",
)
