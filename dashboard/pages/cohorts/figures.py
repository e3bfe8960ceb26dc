"""What the Cohorts page's callbacks draw: the count, the facet charts, the customer grid,
the comparison table and the export links."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import polars as pl
from dash import html

from analytics.cohort_filters import CohortFilter
from analytics.explore import CohortCount, Comparison
from dashboard import ids
from dashboard.components import grid_column, phone_columns
from dashboard.figures import facet_bars

GRID_COLUMNS = (
    "customer_id",
    "country",
    "acquisition_month",
    "sessions",
    "orders",
    "revenue",
    "recency_days",
    "cart_abandonment_rate",
    "purchase_prob",
    "churn_prob",
    "churn_tier",
    "predicted_revenue",
    "value_at_risk",
    "segment_id",
    "rfm_tier",
)
#: What a phone shows of the customer table: who, their orders and their revenue.
PHONE = ("customer_id", "orders", "revenue")
# Whole numbers (shares and money are formatted by the catalogue).
_COUNTS = {"sessions", "orders", "recency_days"}
EXPORT_FORMATS = ("csv", "parquet", "xlsx")


def count_line(n: CohortCount) -> list[Any]:
    """ "1,234 of 5,678 customers · 9,876 of 12,345 sessions" (customers where the data has
    them)."""
    parts: list[Any] = []
    if n.customers is not None:
        parts += [
            html.Strong(f"{n.customers:,}", id="count-customers"),
            f" of {n.total_customers:,} customers · ",
        ]
    parts += [
        html.Strong(f"{n.sessions:,}", id="count-sessions"),
        f" of {n.total_sessions:,} sessions",
    ]
    return parts


def facet_figure(frame: pl.DataFrame, filt: CohortFilter, unit: str, selected: list[str]) -> Any:
    """The clickable bar chart of one facet, its selected values highlighted."""
    return facet_bars(frame, filt.title, unit, selected)


def _column_def(column: str) -> dict[str, Any]:
    return {**grid_column(column, numeric=column in _COUNTS), "sortable": True}


def customer_grid(columns: list[str]) -> dag.AgGrid:
    """The customer table; its rows are fetched page by page from the server."""
    return dag.AgGrid(
        id=ids.GRID,
        columnDefs=phone_columns([_column_def(c) for c in GRID_COLUMNS if c in columns], PHONE),
        rowModelType="infinite",
        dashGridOptions={
            "rowBuffer": 0,
            "cacheBlockSize": 100,
            "maxBlocksInCache": 10,
            "pagination": True,
            "paginationPageSize": 25,
            "paginationPageSizeSelector": False,
        },
        defaultColDef={"resizable": True, "minWidth": 110},
        style={"height": "520px"},
        className="ag-theme-alpine",
    )


def compare_table(rows: list[Comparison], name: str) -> dbc.Table:
    return dbc.Table(
        [
            html.Thead(html.Tr([html.Th("metric"), html.Th("this cohort"), html.Th(name)])),
            html.Tbody([html.Tr([html.Td(r.label), html.Td(r.a), html.Td(r.b)]) for r in rows]),
        ],
        size="sm",
        striped=True,
        className="mb-0",
    )


def export_buttons(suffix: str) -> list[Any]:
    """Download buttons for each format and the provenance link, for query ``suffix``."""
    links: list[Any] = [
        dbc.Button(
            f"Download {fmt.upper()}",
            href=f"/export/customers.{fmt}" + (f"?{suffix}" if suffix else ""),
            external_link=True,
            color="primary" if fmt == "csv" else "secondary",
            outline=fmt != "csv",
            size="sm",
            className="me-2 mb-2",
            id=f"export-{fmt}",
        )
        for fmt in EXPORT_FORMATS
    ]
    links.append(
        html.A(
            "provenance (JSON)",
            href="/export/customers.csv?" + "&".join(p for p in (suffix, "sidecar=1") if p),
            className="small d-block",
        )
    )
    return links
