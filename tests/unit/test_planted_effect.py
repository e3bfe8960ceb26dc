"""The generator's planted campaign effect (synthetic/shop.py ``PlantedEffect``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from synthetic.shop import FIRST_USER_ID, PlantedEffect, generate_events

CUSTOMERS = 2000
TREATED = frozenset(range(FIRST_USER_ID, FIRST_USER_ID + CUSTOMERS // 2))
START = date(2025, 4, 1)


def _events(folder: Path) -> pl.DataFrame:
    return pl.read_parquet(sorted(folder.glob("*.parquet")))


def _window_buyers(df: pl.DataFrame) -> set[int]:
    bought = df.filter(
        (pl.col("event_type") == "purchase")
        & (pl.col("event_time") >= "2025-04-01")
        & (pl.col("event_time") < "2025-05-01")
    )
    return set(bought.get_column("user_id").to_list())


def _rates(df: pl.DataFrame) -> tuple[float, float]:
    buyers = _window_buyers(df)
    control = set(range(FIRST_USER_ID, FIRST_USER_ID + CUSTOMERS)) - TREATED
    return len(buyers & TREATED) / len(TREATED), len(buyers & control) / len(control)


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pl.DataFrame]:
    root = tmp_path_factory.mktemp("planted")
    out = {}
    for name, lift in (("none", None), ("zero", 0.0), ("lift", 0.2), ("again", 0.2)):
        planted = None if lift is None else PlantedEffect(TREATED, START, 30, lift)
        generate_events(root / name, customers=CUSTOMERS, days=120, seed=3, planted=planted)
        out[name] = _events(root / name)
    return out


def test_zero_lift_changes_nothing(logs: dict[str, pl.DataFrame]) -> None:
    assert logs["zero"].equals(logs["none"])


def test_lift_raises_treated_rate_only(logs: dict[str, pl.DataFrame]) -> None:
    treated_before, control_before = _rates(logs["none"])
    treated_after, control_after = _rates(logs["lift"])
    assert control_after == control_before
    # The planted absolute lift is 0.2 in expectation; 1,000 treated give a s.e. near 0.013.
    assert treated_after - treated_before == pytest.approx(0.2, abs=0.04)


def test_control_rows_untouched_and_deterministic(logs: dict[str, pl.DataFrame]) -> None:
    def control(df: pl.DataFrame) -> pl.DataFrame:
        return df.filter(~pl.col("user_id").is_in(sorted(TREATED)))

    assert control(logs["lift"]).equals(control(logs["none"]))
    assert logs["lift"].equals(logs["again"])
    added = logs["lift"].height - logs["none"].height
    assert added > 0 and added % 3 == 0  # view, cart, purchase per planted session


def test_planted_purchases_fall_in_the_window(logs: dict[str, pl.DataFrame]) -> None:
    sessions_before = set(logs["none"].get_column("user_session").to_list())
    new = logs["lift"].filter(~pl.col("user_session").is_in(sorted(sessions_before)))
    assert set(new.get_column("user_id").to_list()) <= TREATED
    times = new.get_column("event_time")
    assert times.min() >= "2025-04-01" and times.max() < "2025-05-01"  # type: ignore[operator]


def test_lift_is_validated() -> None:
    with pytest.raises(ValueError, match="lift"):
        PlantedEffect(TREATED, START, 30, 1.5)
