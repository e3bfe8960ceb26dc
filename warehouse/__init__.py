"""ShopSight feature warehouse: ingest, canonical events, DuckDB marts."""

__version__ = "0.1.0"
