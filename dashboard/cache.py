"""The result cache of the build being served: it lives in :mod:`analytics.build_cache`
(no Dash), the one cache of query results, what-if engines and warehouse shapes."""

from __future__ import annotations

from analytics.build_cache import BuildCache, ResultCache

__all__ = ["BuildCache", "ResultCache"]
