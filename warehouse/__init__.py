"""ShopSight feature warehouse: ingest, canonical events, DuckDB marts."""

from importlib.metadata import PackageNotFoundError, version

try:
    # One version, the one pyproject.toml declares; builds record it in build_info.
    __version__ = version("shopsight")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0.0.0+unknown"
