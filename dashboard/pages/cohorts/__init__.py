"""Cohorts: build a filter, see the live count, cross-filter from charts, page through the
customers on the server, save and compare cohorts, export the list.

The filter lives in the URL: the page is rendered from the query string, and every change
rewrites the address bar (``history.replaceState``, so the page is not re-rendered), so a
link or a reload gives the same view.

``controls`` makes the filter panel from the filter table, ``layout`` the page, ``figures``
what the callbacks draw, ``inputs`` what each callback accepts, and ``callbacks`` the
callbacks and their wiring.
"""

from __future__ import annotations

from functools import partial

from analytics.cohort import Cohort
from analytics.cohort_sql import warehouse_shape
from analytics.explore import count, facet_counts
from dashboard.context import context
from dashboard.pages.cohorts.callbacks import register_callbacks
from dashboard.pages.cohorts.layout import PATH, TITLE, layout, shown_facets

__all__ = ["PATH", "TITLE", "layout", "register_callbacks", "warm"]


def warm() -> None:
    """Compute the default cohort's count and charts (called by ``warm_cache``)."""
    ctx = context()
    everyone = Cohort()
    ctx.cached("count", ("",), lambda: count(ctx.reader, everyone))
    for filt in shown_facets(warehouse_shape(ctx.reader)):
        ctx.cached("facet", ("", filt.key), partial(facet_counts, ctx.reader, everyone, filt.key))
