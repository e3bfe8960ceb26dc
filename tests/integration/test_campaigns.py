"""Campaigns end to end through the ``shopsight`` command: create (frozen members, a
stratified hold-out, the power check), export the treatment list, plant a known effect on it
with ``generate --plant-*``, rebuild, and report the uplift (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from appstate.campaigns import Campaigns
from appstate.store import default_state_path
from dashboard.cli import main
from tests.support.warehouses import add_fake_scores

PLANTED_LIFT = 0.15
GENERATE = ["--customers", "2000", "--days", "120", "--seed", "11"]
WINDOW = ["--start", "2025-04-01", "--window-days", "30"]


def _report(db: Path, name: str, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    capsys.readouterr()
    assert main(["campaign", "report", "--db", str(db), name, "--json"]) == 0
    document: dict[str, object] = json.loads(capsys.readouterr().out)
    return document


@pytest.fixture(scope="module")
def campaign_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("campaigns")
    db = root / "w.duckdb"
    assert main(["generate", "--out", str(root / "before"), *GENERATE]) == 0
    assert main(["build", "--db", str(db), str(root / "before")]) == 0
    add_fake_scores(db)
    for name, seed in (("winback", "1"), ("placebo", "2")):
        created = main(
            [
                "campaign",
                "create",
                "--db",
                str(db),
                "--cohort",
                "",
                "--name",
                name,
                "--holdout",
                "0.5",
                "--goal",
                "purchase",
                "--seed",
                seed,
                *WINDOW,
            ]
        )
        assert created == 0
    treatment = root / "treatment.csv"
    assert main(["campaign", "export", "--db", str(db), "winback", "--out", str(treatment)]) == 0
    assert main(["campaign", "contacted", "--db", str(db), "winback", "512000000"]) == 0
    planted = [
        "--plant-members",
        str(treatment),
        "--plant-start",
        "2025-04-01",
        "--plant-window-days",
        "30",
        "--plant-lift",
        str(PLANTED_LIFT),
    ]
    assert main(["generate", "--out", str(root / "after"), *GENERATE, *planted]) == 0
    assert main(["build", "--db", str(db), str(root / "after")]) == 0
    return db


@pytest.mark.slow
def test_groups_are_frozen_and_stratified(campaign_db: Path) -> None:
    store = Campaigns(default_state_path(campaign_db))
    members = store.members("winback")
    assert members.height == 2000
    shares = members.group_by("churn_tier").agg((pl.col("group") == "control").mean().alias("c"))
    for share in shares.get_column("c").to_list():
        assert share == pytest.approx(0.5, abs=0.01)  # per tier, not just overall


@pytest.mark.slow
def test_treatment_export_names_the_campaign(campaign_db: Path) -> None:
    treatment = campaign_db.parent / "treatment.csv"
    listed = pl.read_csv(treatment, schema_overrides={"customer_id": pl.String})
    store = Campaigns(default_state_path(campaign_db))
    expected = store.members("winback", "treatment").get_column("customer_id").to_list()
    assert listed.get_column("customer_id").to_list() == expected
    sidecar = json.loads(Path(f"{treatment}.provenance.json").read_text())
    assert sidecar["campaign"]["name"] == "winback"
    assert sidecar["rows"] == len(expected)


@pytest.mark.slow
def test_measured_lift_covers_the_planted_one(
    campaign_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = _report(campaign_db, "winback", capsys)
    report = document["report"]
    assert isinstance(report, dict)
    estimate = report["estimate"]
    assert document["contacted"] == 1
    assert report["window_complete"] is True
    assert estimate["low"] <= PLANTED_LIFT <= estimate["high"]
    assert estimate["low"] > 0 and report["verdict"] == "win"
    assert estimate["test"] == "two-proportion z test"
    conversions = report["incremental_conversions"]
    treated = report["treatment_members"]
    assert conversions[0] == pytest.approx(estimate["difference"] * treated)
    assert {row["key"] for row in report["by_tier"]} >= {"Low"}


@pytest.mark.slow
def test_a_zero_effect_campaign_is_not_a_win(
    campaign_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = _report(campaign_db, "placebo", capsys)["report"]
    assert isinstance(report, dict)
    estimate = report["estimate"]
    assert estimate["low"] < 0 < estimate["high"]
    assert report["verdict"] == "no clear effect"
    for row in report["by_tier"] + report["by_segment"]:
        crosses = row["estimate"]["low"] is None or row["estimate"]["low"] <= 0
        assert (row["estimate"]["verdict"] == "win") is not crosses


@pytest.mark.slow
def test_calibration_compares_prediction_with_the_control(
    campaign_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = _report(campaign_db, "winback", capsys)["report"]
    assert isinstance(report, dict)
    calibration = {row["model"]: row for row in report["calibration"]}
    assert calibration["purchase"]["members"] == report["control_members"]
    assert 0 <= calibration["purchase"]["observed"] <= 1


@pytest.mark.slow
def test_text_report_states_the_verdict(
    campaign_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["campaign", "report", "--db", str(campaign_db), "winback"]) == 0
    text = capsys.readouterr().out
    assert "window 2025-04-01 to 2025-05-01 (complete" in text
    assert "→ win" in text and "by churn tier:" in text and "1 marked contacted" in text
