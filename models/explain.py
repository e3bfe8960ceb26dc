"""Reasons for a score, in words: XGBoost's TreeSHAP contributions, top three per row.

``Booster.predict(..., pred_contribs=True)`` splits each row's margin (log-odds for a class,
log-mean for Tweedie amounts) exactly into one contribution per feature plus a bias. Three
contributions become phrases such as "3 cart adds without purchase raised churn risk": the
strongest that *raised* the outcome first, then (when fewer than three did) the strongest
that lowered it, so a list of "reasons for the risk" never leads with what holds it down
(issue 11, item 5). Phrases are built with Polars expressions, so a million rows take
seconds, not a Python loop per row.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl
import xgboost as xgb

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

RAISED = "raised"
LOWERED = "lowered"
NO_FACTOR = "no further factor"

#: feature -> (text before the value, decimals, text after the value)
PHRASES: dict[str, tuple[str, int, str]] = {
    "recency_days": ("last seen ", 0, " days ago"),
    "tenure_days": ("a customer for ", 0, " days"),
    "days_since_last_order": ("", 0, " days since the last order"),
    "sessions": ("", 0, " visits"),
    "orders": ("", 0, " orders"),
    "revenue": ("", 0, " spent so far"),
    "average_order_value": ("average order of ", 0, ""),
    "events_per_session": ("", 1, " events per visit"),
    "views": ("", 0, " product views"),
    "cart_adds": ("", 0, " cart adds"),
    "cart_removes": ("", 0, " cart removals"),
    "abandoned_carts": ("", 0, " cart adds without purchase"),
    "order_rate": ("", 2, " orders per visit"),
    "distinct_categories": ("", 0, " categories browsed"),
    "returned_value": ("", 0, " returned"),
    "sessions_last_period": ("", 0, " visits in the last period"),
    "orders_last_period": ("", 0, " orders in the last period"),
    "revenue_last_period": ("", 0, " spent in the last period"),
    "sessions_previous_period": ("", 0, " visits in the period before"),
    "mean_days_between_sessions": ("", 1, " days between visits"),
    "events_seen": ("", 0, " events so far"),
    "cart_value": ("cart worth ", 0, ""),
    "mean_price_viewed": ("mean price viewed ", 0, ""),
    "max_price_seen": ("highest price seen ", 0, ""),
    "distinct_products": ("", 0, " products looked at"),
    "deepest_page": ("reached page ", 0, ""),
    "seconds_browsing": ("", 0, " seconds browsing"),
    "hour_of_day": ("visit at hour ", 0, ""),
    "day_of_week": ("weekday ", 0, " (1 = Monday)"),
    "prior_sessions": ("", 0, " earlier visits"),
    "days_since_previous_session": ("", 1, " days since the previous visit"),
    "administrative": ("", 0, " administrative pages"),
    "administrative_duration": ("", 0, " s on administrative pages"),
    "informational": ("", 0, " informational pages"),
    "informational_duration": ("", 0, " s on informational pages"),
    "product_related": ("", 0, " product pages"),
    "product_related_duration": ("", 0, " s on product pages"),
    "bounce_rates": ("bounce rate ", 3, ""),
    "exit_rates": ("exit rate ", 3, ""),
    "page_values": ("page value ", 1, ""),
    "special_day": ("special-day closeness ", 1, ""),
    "month_number": ("month ", 0, ""),
    "operating_systems": ("operating system ", 0, ""),
    "browser": ("browser ", 0, ""),
    "region": ("region ", 0, ""),
    "traffic_type": ("traffic type ", 0, ""),
    "returning_visitor": ("returning visitor = ", 0, ""),
    "new_visitor": ("new visitor = ", 0, ""),
    "weekend": ("weekend = ", 0, ""),
}

#: task -> what a positive contribution does, in words
OUTCOMES: dict[str, str] = {
    "customer_churn": "churn risk",
    "customer_purchase": "purchase chance",
    "customer_revenue": "expected revenue",
    "session_conversion": "conversion chance",
    "session_revenue": "expected order value",
}


def contributions(booster: xgb.Booster, x: FloatArray) -> FloatArray:
    """TreeSHAP contributions (n rows × n features), bias column dropped."""
    matrix = xgb.DMatrix(x, missing=np.nan)
    out = np.asarray(booster.predict(matrix, pred_contribs=True), dtype=np.float64)
    return out[:, :-1]


def reason_order(contrib: FloatArray, top: int) -> IntArray:
    """Per row, the ``top`` feature indexes to word: contributions that raised the outcome,
    strongest first, then those that lowered it, strongest first, then zeros.

    Ties keep the features' order. The what-if page orders its single row with this too, so
    its reasons equal the stored ones.
    """
    group = np.where(contrib > 0, 0, np.where(contrib < 0, 1, 2))
    # lexsort sorts by the last key first and is stable.
    return np.lexsort((-np.abs(contrib), group), axis=-1)[..., :top]


def direction(contribution: float) -> str:
    """The verb a contribution's sign puts in its phrase."""
    return RAISED if contribution > 0 else LOWERED


def split_reasons(columns: list[str], outcome: str) -> tuple[pl.Expr, pl.Expr]:
    """From reason-text ``columns`` (as :func:`reasons` words them): the factors that raised
    ``outcome`` and those that lowered it, each a list of phrases without the direction
    words ("last seen 40 days ago"), in the stored order."""
    texts = pl.concat_list([pl.col(c) for c in columns])

    def part(verb: str) -> pl.Expr:
        suffix = f" {verb} {outcome}"
        return texts.list.eval(
            pl.element().filter(pl.element().str.ends_with(suffix)).str.strip_suffix(suffix)
        )

    return part(RAISED), part(LOWERED)


def reasons(
    contrib: FloatArray, x: FloatArray, names: list[str], outcome: str, top: int = 3
) -> list[pl.Series]:
    """The ``top`` contributions of each row in :func:`reason_order`, in words.

    Returns ``top`` string Series; a row whose r-th contribution is exactly zero (a model
    that ignores every feature) says "no further factor".
    """
    n, f = contrib.shape
    order = reason_order(contrib, top)
    rows_idx = np.arange(n)[:, None]
    picked = contrib[rows_idx, order]
    values = x[rows_idx, order]
    out: list[pl.Series] = []
    for r in range(min(top, f)):
        table = pl.DataFrame(
            {"feature": order[:, r], "value": values[:, r], "contribution": picked[:, r]}
        )
        phrase: pl.Expr = pl.lit("")
        for j, name in enumerate(names):
            before, decimals, after = PHRASES.get(name, (f"{name} = ", 2, ""))
            shown = (
                pl.col("value").round(0).cast(pl.Int64).cast(pl.String)
                if decimals == 0
                else pl.col("value").round(decimals).cast(pl.String)
            )
            text = pl.concat_str([pl.lit(before), shown.fill_null("unknown"), pl.lit(after)])
            phrase = pl.when(pl.col("feature") == j).then(text).otherwise(phrase)
        direction = (
            pl.when(pl.col("contribution") > 0)
            .then(pl.lit(f" {RAISED} {outcome}"))
            .otherwise(pl.lit(f" {LOWERED} {outcome}"))
        )
        sentence = (
            pl.when(pl.col("contribution") == 0)
            .then(pl.lit(NO_FACTOR))
            .otherwise(pl.concat_str([phrase, direction]))
        )
        out.append(table.select(sentence.alias(f"reason_{r + 1}")).to_series())
    while len(out) < top:
        out.append(pl.Series(f"reason_{len(out) + 1}", [NO_FACTOR] * n))
    return out
