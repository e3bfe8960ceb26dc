"""Campaigns in the app-state store: frozen members, the stratified hold-out, contacts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from analytics.campaigns import power_check
from appstate.campaigns import Campaigns, CampaignSpec, assign_groups
from appstate.database import AppStateError


def _candidates(n: int = 300) -> pl.DataFrame:
    tiers = ["High", "Medium", "Low", None]
    return pl.DataFrame(
        {
            "customer_id": [str(i) for i in range(n)],
            "churn_tier": [tiers[i % 4] for i in range(n)],
            "segment": ["A" if i % 2 else "B" for i in range(n)],
            "purchase_prob": [0.2] * n,
            "churn_prob": [0.5] * n,
            "predicted_revenue": [10.0] * n,
        }
    )


def test_holdout_is_seeded_and_stratified() -> None:
    first = assign_groups(_candidates(), 0.2, seed=5)
    again = assign_groups(_candidates().reverse(), 0.2, seed=5)
    other = assign_groups(_candidates(), 0.2, seed=6)
    assert first.equals(again)
    assert not first.equals(other)
    per_tier = first.group_by("churn_tier").agg((pl.col("group") == "control").sum().alias("c"))
    assert sorted(per_tier.get_column("c").to_list()) == [15, 15, 15, 15]  # 20 % of 75 each


def test_create_freezes_members_and_records_contacts(tmp_path: Path) -> None:
    store = Campaigns(tmp_path / "state.sqlite3")
    spec = CampaignSpec("spring", "country=UK", "purchase", 30, 0.2, 1, date(2025, 4, 1))
    campaign = store.create(spec, _candidates(), user="ana", build_id="b1")
    assert (campaign.treatment_members, campaign.control_members) == (240, 60)
    assert campaign.start_date == date(2025, 4, 1) and campaign.created_by == "ana"
    members = store.members("spring")
    assert members.height == 300 and set(members.get_column("group")) == {"treatment", "control"}
    treated = store.members("spring", "treatment").get_column("customer_id").to_list()
    assert store.record_contacted("spring", treated[:3], user="ana") == 3
    assert store.contacted("spring") == set(treated[:3])
    with pytest.raises(AppStateError, match="not members"):
        store.record_contacted("spring", ["nobody"])
    with pytest.raises(AppStateError, match="already exists"):
        store.create(spec, _candidates())
    check = power_check(members, "purchase")
    assert check.minimum_detectable is not None and check.warning is None


def test_a_holdout_with_no_members_is_refused(tmp_path: Path) -> None:
    store = Campaigns(tmp_path / "state.sqlite3")
    with pytest.raises(AppStateError, match="no control group"):
        store.create(CampaignSpec("tiny", "", holdout_share=0.01), _candidates(8))
