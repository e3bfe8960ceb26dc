"""Tests for the synthetic REES46-shaped event log (synthetic/shop.py).

The behavioural tests run on one default-size log (5,000 customers x 180 days, well under a
second to generate) because the funnel and churn targets are stated at that size; format and
determinism tests use a few hundred customers.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import polars as pl
import pytest

import synthetic.shop as gen
from synthetic.shop import COLUMNS, SCHEMA, GenerateSummary, category_id, generate_events

TIME_FORMAT = "%Y-%m-%d %H:%M:%S UTC"
UUID_RE = r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"


def _num(value: object) -> float:
    """A Series aggregate as a float (polars types them as a wide union)."""
    assert isinstance(value, int | float), value
    return float(value)


def _dt(value: object) -> datetime:
    assert isinstance(value, datetime), value
    return value


def _read(summary: GenerateSummary) -> pl.DataFrame:
    if summary.files[0].suffix == ".csv":
        return pl.concat([pl.read_csv(f, schema=SCHEMA) for f in summary.files])
    return pl.concat([pl.read_parquet(f) for f in summary.files])


def _with_ts(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(ts=pl.col("event_time").str.strptime(pl.Datetime("us"), TIME_FORMAT))


@pytest.fixture(scope="module")
def default_log(tmp_path_factory: pytest.TempPathFactory) -> tuple[GenerateSummary, pl.DataFrame]:
    summary = generate_events(tmp_path_factory.mktemp("default"))
    return summary, _with_ts(_read(summary))


@pytest.fixture(scope="module")
def sessions(default_log: tuple[GenerateSummary, pl.DataFrame]) -> pl.DataFrame:
    _, df = default_log
    return df.group_by("user_session").agg(
        user_id=pl.col("user_id").first(),
        n_users=pl.col("user_id").n_unique(),
        start=pl.col("ts").min(),
        end=pl.col("ts").max(),
        events=pl.len(),
        has_cart=(pl.col("event_type") == "cart").any(),
        has_purchase=(pl.col("event_type") == "purchase").any(),
    )


# --- format ----------------------------------------------------------------------------------


def test_columns_dtypes_and_value_formats(
    default_log: tuple[GenerateSummary, pl.DataFrame],
) -> None:
    summary, _ = default_log
    df = pl.read_parquet(summary.files[0])
    assert tuple(df.columns) == COLUMNS
    assert dict(df.schema) == SCHEMA
    assert df.height > 0
    assert df.null_count().row(0, named=True) == {
        **dict.fromkeys(COLUMNS, 0),
        "brand": df.get_column("brand").null_count(),
    }
    assert df.get_column("event_time").str.contains(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$").all()
    assert df.get_column("user_session").str.contains(UUID_RE).all()
    assert set(df.get_column("event_type").unique()) == {
        "view",
        "cart",
        "remove_from_cart",
        "purchase",
    }
    price = df.get_column("price")
    assert _num(price.min()) > 0
    assert _num(((price * 100).round(0) - price * 100).abs().max()) < 1e-6  # two decimals
    assert _num(df.get_column("category_id").min()) > 2e18
    assert _num(df.get_column("user_id").min()) >= gen.FIRST_USER_ID


def test_catalog_looks_like_a_shop(default_log: tuple[GenerateSummary, pl.DataFrame]) -> None:
    _, df = default_log
    products = df.unique("product_id")
    codes = products.get_column("category_code").unique()
    assert 20 <= codes.len() <= 40
    top_level = {c.split(".")[0] for c in codes}
    assert 6 <= len(top_level) <= 10
    assert all(re.fullmatch(r"[a-z_]+(\.[a-z_]+)+", c) for c in codes)
    assert 0.05 <= _num(products.get_column("brand").is_null().mean()) <= 0.16
    # One id per code and one code per id, and the id does not depend on the seed.
    pairs = df.select("category_code", "category_id").unique()
    assert pairs.height == codes.len() == pairs.get_column("category_id").n_unique()
    for code, cid in pairs.iter_rows():
        assert category_id(code) == cid


def test_file_chunks_sorted_and_progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gen, "CHUNK_CUSTOMERS", 400)
    (tmp_path / "events-00007.parquet").write_bytes(b"stale")
    (tmp_path / "events-00000.csv").write_bytes(b"stale")
    calls: list[tuple[int, int]] = []
    summary = generate_events(
        tmp_path, customers=1000, days=60, progress=lambda d, t: calls.append((d, t))
    )
    assert calls == [(400, 1000), (800, 1000), (1000, 1000)]
    assert [f.name for f in summary.files] == [
        "events-00000.parquet",
        "events-00001.parquet",
        "events-00002.parquet",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == [f.name for f in summary.files]
    seen: set[int] = set()
    for path in summary.files:
        part = _with_ts(pl.read_parquet(path))
        assert part.equals(part.sort(["user_id", "ts"], maintain_order=True))
        users = set(part.get_column("user_id").unique())
        assert not users & seen  # a customer lives in exactly one file
        seen |= users
    assert len(seen) == 1000


def test_summary_matches_data(default_log: tuple[GenerateSummary, pl.DataFrame]) -> None:
    summary, df = default_log
    assert summary.customers == 5000 == df.get_column("user_id").n_unique()
    assert summary.sessions == df.get_column("user_session").n_unique()
    assert summary.events == df.height
    assert summary.purchases == df.filter(pl.col("event_type") == "purchase").height
    assert summary.start == datetime(2025, 1, 1, tzinfo=UTC)
    assert summary.end == summary.start + timedelta(days=180)
    assert _dt(df.get_column("ts").min()) >= summary.start.replace(tzinfo=None)
    assert _dt(df.get_column("ts").max()) < summary.end.replace(tzinfo=None)
    # About ten sessions per customer on average, heavy-tailed.
    assert 7 <= summary.sessions / summary.customers <= 13


def test_custom_start_and_days(tmp_path: Path) -> None:
    summary = generate_events(tmp_path, customers=200, days=10, start=date(2024, 2, 25))
    df = _with_ts(_read(summary))
    assert _dt(df.get_column("ts").min()) >= datetime(2024, 2, 25)
    assert _dt(df.get_column("ts").max()) < datetime(2024, 3, 6)
    assert summary.end - summary.start == timedelta(days=10)


@pytest.mark.parametrize(
    "kwargs",
    [{"customers": 0}, {"days": 0}, {"seed": -1}, {"file_format": "xlsx"}],
)
def test_invalid_arguments(tmp_path: Path, kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        generate_events(tmp_path, **kwargs)


# --- determinism -------------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["parquet", "csv"])
def test_same_arguments_give_identical_bytes(
    tmp_path: Path, file_format: Literal["parquet", "csv"]
) -> None:
    kwargs: dict[str, Any] = {"customers": 600, "days": 90, "seed": 7, "file_format": file_format}
    a = generate_events(tmp_path / "a", **kwargs)
    b = generate_events(tmp_path / "b", **kwargs)
    assert [f.name for f in a.files] == [f.name for f in b.files]
    for fa, fb in zip(a.files, b.files, strict=True):
        assert fa.read_bytes() == fb.read_bytes()
    assert (a.sessions, a.events, a.purchases) == (b.sessions, b.events, b.purchases)


def test_different_seed_gives_different_data(tmp_path: Path) -> None:
    a = _read(generate_events(tmp_path / "a", customers=600, days=90, seed=1))
    b = _read(generate_events(tmp_path / "b", customers=600, days=90, seed=2))
    assert not a.equals(b)
    assert not set(a.get_column("user_session")) & set(b.get_column("user_session"))
    assert set(a.get_column("product_id")) != set(b.get_column("product_id"))


def test_csv_and_parquet_hold_the_same_rows(tmp_path: Path) -> None:
    pq = generate_events(tmp_path / "pq", customers=500, days=60, seed=3)
    csv = generate_events(tmp_path / "csv", customers=500, days=60, seed=3, file_format="csv")
    assert csv.files[0].read_text().splitlines()[0] == ",".join(COLUMNS)
    assert _read(pq).equals(_read(csv))
    # Polars' own inference reads the CSV back to the same types too.
    assert dict(pl.read_csv(csv.files[0], infer_schema_length=None).schema) == SCHEMA


# --- behaviour -----------------------------------------------------------------------------


def test_every_purchase_follows_a_cart_of_the_same_product(
    default_log: tuple[GenerateSummary, pl.DataFrame],
) -> None:
    _, df = default_log
    keys = ["user_session", "product_id"]
    first_cart = (
        df.filter(pl.col("event_type") == "cart").group_by(keys).agg(cart_ts=pl.col("ts").min())
    )
    purchases = df.filter(pl.col("event_type") == "purchase")
    joined = purchases.join(first_cart, on=keys, how="left")
    assert purchases.height > 500
    assert joined.get_column("cart_ts").null_count() == 0
    assert (joined.get_column("cart_ts") < joined.get_column("ts")).all()
    # A purchase repeats the price the product had in that session.
    viewed = (
        df.filter(pl.col("event_type") == "view")
        .group_by(keys)
        .agg(view_price=pl.col("price").first())
    )
    priced = purchases.join(viewed, on=keys, how="left")
    assert (priced.get_column("price") == priced.get_column("view_price")).all()
    # Some sessions buy several items.
    per_session = purchases.group_by("user_session").len()
    assert (per_session.get_column("len") > 1).any()


def test_remove_from_cart_follows_a_cart(default_log: tuple[GenerateSummary, pl.DataFrame]) -> None:
    _, df = default_log
    keys = ["user_session", "product_id"]
    carts = df.filter(pl.col("event_type") == "cart").group_by(keys).agg(c=pl.col("ts").min())
    removes = df.filter(pl.col("event_type") == "remove_from_cart").join(carts, on=keys, how="left")
    assert removes.height > 0
    assert (removes.get_column("c") < removes.get_column("ts")).all()


def test_cart_abandonment_is_realistic(sessions: pl.DataFrame) -> None:
    carted = sessions.filter("has_cart")
    abandonment = 1 - _num(carted.get_column("has_purchase").mean())
    assert 0.60 <= abandonment <= 0.80
    # Every purchasing session has a cart, and only a minority of sessions convert.
    assert sessions.filter(pl.col("has_purchase") & ~pl.col("has_cart")).height == 0
    conversion = _num(sessions.get_column("has_purchase").mean())
    assert 0.02 <= conversion <= 0.15


def test_session_length_is_heavy_tailed(sessions: pl.DataFrame) -> None:
    events = sessions.get_column("events")
    median = _num(events.median())
    assert 4 <= median <= 6
    assert _num(events.quantile(0.99)) >= 4 * median
    assert events.min() == 1


def test_sessions_belong_to_one_user_and_do_not_overlap(sessions: pl.DataFrame) -> None:
    assert (sessions.get_column("n_users") == 1).all()
    ordered = sessions.sort("user_id", "start").with_columns(
        prev_end=pl.col("end").shift(1).over("user_id")
    )
    gaps = ordered.drop_nulls("prev_end").select(gap=pl.col("start") - pl.col("prev_end"))
    assert (gaps.get_column("gap") > timedelta(minutes=30)).all()


def test_thirty_minute_sessionisation_reproduces_user_session(
    default_log: tuple[GenerateSummary, pl.DataFrame],
) -> None:
    _, df = default_log
    derived = (
        df.sort("user_id", "ts")
        .with_columns(gap=pl.col("ts").diff().over("user_id"))
        .select(new=pl.col("gap").is_null() | (pl.col("gap") > timedelta(minutes=30)))
        .get_column("new")
        .sum()
    )
    assert derived == df.get_column("user_session").n_unique()


def test_repeat_customers_and_churn(
    default_log: tuple[GenerateSummary, pl.DataFrame], sessions: pl.DataFrame
) -> None:
    summary, df = default_log
    per_user = sessions.group_by("user_id").agg(
        n=pl.len(), buys=pl.col("has_purchase").sum(), last=pl.col("end").max()
    )
    assert _num((per_user.get_column("n") >= 2).mean()) > 0.5
    assert _num((per_user.get_column("buys") >= 2).mean()) > 0.03
    # Churn: many customers seen in the first half of the window are silent in the last 30 days.
    cutoff = summary.end.replace(tzinfo=None) - timedelta(days=30)
    first_half = summary.start.replace(tzinfo=None) + timedelta(days=90)
    early = df.group_by("user_id").agg(first=pl.col("ts").min(), last=pl.col("ts").max())
    early = early.filter(pl.col("first") < first_half)
    silent = _num((early.get_column("last") < cutoff).mean())
    assert 0.2 <= silent <= 0.9


def test_recency_and_frequency_predict_future_activity(
    default_log: tuple[GenerateSummary, pl.DataFrame],
) -> None:
    summary, df = default_log
    cutoff = summary.end.replace(tzinfo=None) - timedelta(days=30)
    before = df.filter(pl.col("ts") < cutoff)
    after_users = df.filter(pl.col("ts") >= cutoff).select("user_id").unique()
    feats = (
        before.group_by("user_id")
        .agg(
            recency_days=(pl.lit(cutoff) - pl.col("ts").max()).dt.total_days(),
            frequency=pl.col("user_session").n_unique(),
        )
        .join(after_users.with_columns(active=pl.lit(True)), on="user_id", how="left")
        .with_columns(pl.col("active").fill_null(False))
    )

    def rate(expr: pl.Expr) -> float:
        return _num(feats.filter(expr).get_column("active").mean())

    recent, lapsed = rate(pl.col("recency_days") <= 7), rate(pl.col("recency_days") > 60)
    assert recent > 0.6 and lapsed < 0.15
    # Predictive but not deterministic: some lapsed customers do come back.
    assert lapsed > 0.0
    assert rate(pl.col("frequency") >= 10) > 2 * rate(pl.col("frequency") == 1)


def test_customers_are_acquired_over_the_window(
    default_log: tuple[GenerateSummary, pl.DataFrame],
) -> None:
    summary, df = default_log
    first = df.group_by("user_id").agg(first=pl.col("ts").min()).get_column("first")
    start = summary.start.replace(tzinfo=None)
    week_one = _num((first < start + timedelta(days=7)).mean())
    last_third = _num((first >= start + timedelta(days=120)).mean())
    # A launch cohort of ~20 % in week one, and a growing stream: the last third of the window
    # gets more than its 1/3 share of the remaining 80 %.
    assert 0.15 <= week_one <= 0.35
    assert 0.8 / 3 < last_third <= 0.5


def test_weekday_and_hour_seasonality(sessions: pl.DataFrame) -> None:
    starts = sessions.select(hour=pl.col("start").dt.hour(), weekday=pl.col("start").dt.weekday())
    by_hour = starts.group_by("hour").len().sort("hour").get_column("len").to_list()
    assert len(by_hour) == 24
    evening = sum(by_hour[19:22]) / 3
    night = sum(by_hour[3:5]) / 2
    assert evening > 5 * night
    assert evening > sum(by_hour[9:12]) / 3  # the evening peak beats the morning
    by_day = starts.group_by("weekday").len().sort("weekday").get_column("len").to_list()
    weekend = (by_day[5] + by_day[6]) / 2  # polars weekday: Monday = 1 ... Sunday = 7
    weekday = sum(by_day[:5]) / 5
    assert weekend > 1.08 * weekday


def test_discounts_pull_carts_and_purchases(
    default_log: tuple[GenerateSummary, pl.DataFrame],
) -> None:
    _, df = default_log
    # A product is on promotion when it shows below its highest observed price.
    flagged = df.with_columns(discounted=pl.col("price") < pl.col("price").max().over("product_id"))
    share = dict(flagged.group_by("event_type").agg(pl.col("discounted").mean()).iter_rows())
    assert share["cart"] > 1.4 * share["view"]
    assert share["purchase"] > share["cart"]


def test_customers_prefer_a_few_categories(
    default_log: tuple[GenerateSummary, pl.DataFrame],
) -> None:
    _, df = default_log
    views = df.filter(pl.col("event_type") == "view")
    per_user = views.group_by("user_id", "category_code").len()
    top_share = (
        per_user.group_by("user_id")
        .agg(top=pl.col("len").max() / pl.col("len").sum(), total=pl.col("len").sum())
        .filter(pl.col("total") >= 30)
    )
    # With ~30 categories, a random viewer's top category would hold a small share of views.
    assert _num(top_share.get_column("top").median()) > 0.35
