"""``campaign create | report | export | contacted``: a cohort frozen into treatment and
control, its power check, and the uplift it really made (docs/campaigns.md); also the
``generate --plant-*`` options, which plant a known campaign effect for tests."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from common.errors import ShopSightError
from dashboard.commands.output import EXIT_OK, UsageError
from dashboard.commands.paths import existing_warehouse

if TYPE_CHECKING:
    from analytics.campaign_stats import Estimate, PowerCheck
    from analytics.campaigns import CampaignReport
    from appstate.campaigns import Campaign, Campaigns
    from synthetic.shop import PlantedEffect


def planted_effect(
    members: Path | None, start: str | None, window_days: int, lift: float
) -> PlantedEffect | None:
    """``generate --plant-*``: the treated customers (a list with a customer_id column, such
    as ``campaign export``) get ``lift`` more purchase probability from ``start``."""
    from synthetic.shop import PlantedEffect

    if members is None and not lift:
        return None
    if members is None or start is None:
        raise UsageError("--plant-lift needs --plant-members FILE and --plant-start YYYY-MM-DD")
    import polars as pl

    frame = pl.read_parquet(members) if members.suffix == ".parquet" else pl.read_csv(members)
    if "customer_id" not in frame.columns:
        raise UsageError(f"{members} has no customer_id column")
    ids = frozenset(int(c) for c in frame.get_column("customer_id").cast(pl.String).to_list())
    try:
        return PlantedEffect(ids, date.fromisoformat(start), window_days, lift)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


@dataclass(frozen=True)
class CampaignOptions:
    db: Path
    state: Path | None = None


def _store(options: CampaignOptions) -> Campaigns:
    from appstate.campaigns import Campaigns
    from appstate.store import default_state_path

    return Campaigns(options.state or default_state_path(options.db))


def run_campaign_create(options: CampaignOptions, spec_args: dict[str, Any]) -> int:
    """Freeze the cohort's customers, split them, and print the power check."""
    from analytics.campaigns import campaign_candidates, power_check
    from analytics.cohort import Cohort
    from appstate.campaigns import CampaignSpec
    from dashboard.commands.export import _login_name
    from warehouse.reader import WarehouseReader

    db = existing_warehouse(options.db)
    spec = CampaignSpec(**spec_args).checked()
    reader = WarehouseReader(db)
    try:
        candidates = campaign_candidates(reader, Cohort.from_query(spec.cohort_query))
        build_id = reader.build_id()
    finally:
        reader.close()
    store = _store(CampaignOptions(db, options.state))
    campaign = store.create(spec, candidates, user=_login_name(), build_id=build_id)
    print(
        f"campaign {campaign.name!r}: {campaign.treatment_members:,} treatment, "
        f"{campaign.control_members:,} control (hold-out {campaign.holdout_share:g}, seed "
        f"{campaign.seed}, stratified by churn tier); goal {campaign.goal} within "
        f"{campaign.window_days} days from {campaign.start_date}"
    )
    print(_power_line(power_check(store.members(campaign.name), campaign.goal)))
    return EXIT_OK


def _power_line(check: PowerCheck) -> str:
    if check.minimum_detectable is None:
        line = f"power check: unavailable ({check.warning or check.basis})"
    else:
        line = (
            f"power check: smallest detectable lift {check.minimum_detectable:.4g} "
            f"(80 % power, 5 % two-sided; {check.basis})"
        )
        if check.warning:
            line += f"\nwarning: {check.warning}"
    return line


def run_campaign_report(options: CampaignOptions, name: str, *, as_json: bool) -> int:
    """Treatment against control on the campaign's goal, from the current build."""
    from analytics.campaigns import campaign_report
    from warehouse.reader import WarehouseReader

    db = existing_warehouse(options.db)
    store = _store(CampaignOptions(db, options.state))
    campaign = _campaign(store, name)
    members = store.members(campaign.name)
    reader = WarehouseReader(db)
    try:
        report = campaign_report(
            reader,
            members,
            campaign.goal,
            campaign.start_date,
            campaign.window_days,
            seed=campaign.seed,
        )
        build_id = reader.build_id()
    finally:
        reader.close()
    contacted = len(store.contacted(campaign.name))
    if as_json:
        document = {
            "campaign": campaign.document(),
            "build_id": build_id,
            "contacted": contacted,
            "report": report.document(),
        }
        print(json.dumps(document, indent=2, default=str))
    else:
        print(_report_text(campaign, report, contacted))
    return EXIT_OK


def _campaign(store: Campaigns, name: str) -> Campaign:
    campaign = store.get(name)
    if campaign is None:
        names = ", ".join(c.name for c in store.list()) or "none"
        raise ShopSightError(f"no campaign named {name!r} (campaigns: {names})")
    return campaign


def _interval(estimate: Estimate) -> str:
    if estimate.difference is None or estimate.low is None or estimate.high is None:
        return f"not measurable ({estimate.test})"
    p = "" if estimate.p_value is None else f", p = {estimate.p_value:.3g}"
    return (
        f"{estimate.difference:+.4g} (95 % CI {estimate.low:+.4g} to {estimate.high:+.4g}"
        f"{p}, {estimate.test}) → {estimate.verdict}"
    )


def _report_text(campaign: Campaign, report: CampaignReport, contacted: int) -> str:
    complete = "complete" if report.window_complete else "NOT complete yet"
    lines = [
        f"campaign {campaign.name!r}: goal {report.goal}, window {report.window_start} to "
        f"{report.window_end} ({complete}; data until {report.data_until})",
        f"members: {report.treatment_members:,} treatment ({contacted:,} marked contacted), "
        f"{report.control_members:,} control",
    ]
    if not report.data_arrived:
        lines.append("no events after the start date yet: rebuild when the data arrives")
        return "\n".join(lines)
    est = report.estimate
    lines.append(f"treatment {est.treatment}, control {est.control}")
    lines.append(f"difference: {_interval(est)}")
    for label, value in (
        ("incremental conversions", report.incremental_conversions),
        ("incremental revenue", report.incremental_revenue),
    ):
        if value is not None:
            lines.append(
                f"{label}: {value[0]:+,.1f} (95 % CI {value[1]:+,.1f} to {value[2]:+,.1f})"
            )
    for title, rows in (("by churn tier", report.by_tier), ("by segment", report.by_segment)):
        lines.append(f"{title}:")
        for row in rows:
            lines.append(
                f"  {row.key} ({row.treatment_members} vs {row.control_members}): "
                f"{_interval(row.estimate)}"
            )
    for cal in report.calibration:
        lines.append(
            f"calibration ({cal.model}, control, {cal.members} scored): predicted "
            f"{cal.predicted}, observed {cal.observed} ({cal.note})"
        )
    return "\n".join(lines)


def run_campaign_export(options: CampaignOptions, name: str, out: Path) -> int:
    """The treatment list (the customers to contact) with a provenance sidecar naming the
    campaign, recorded in the export log."""
    from analytics.export import sidecar_path, write_sidecar
    from appstate.store import AppState, default_state_path
    from dashboard.commands.export import _login_name

    if out.suffix not in (".csv", ".parquet"):
        raise UsageError("the treatment list is written as .csv or .parquet")
    db = existing_warehouse(options.db)
    store = _store(CampaignOptions(db, options.state))
    campaign = _campaign(store, name)
    members = store.members(campaign.name, "treatment").drop("group")
    if out.suffix == ".parquet":
        members.write_parquet(out)
    else:
        members.write_csv(out)
    provenance = {
        "created_at": datetime.now(UTC).isoformat(),
        "user": _login_name(),
        "entity": "customers",
        "file": out.name,
        "rows": members.height,
        "campaign": campaign.document(),
        "group": "treatment (the control group is held out: do not contact it)",
        "filters": {"query": campaign.cohort_query},
        "file_sha256": hashlib.sha256(out.read_bytes()).hexdigest(),
    }
    sidecar = sidecar_path(out)
    write_sidecar(sidecar, provenance)
    AppState(options.state or default_state_path(db)).log_export(
        user=_login_name(),
        query=campaign.cohort_query,
        entity="customers",
        fmt=out.suffix.lstrip("."),
        rows=members.height,
        build_id=campaign.build_id,
        provenance=provenance,
    )
    print(f"wrote {members.height:,} treatment members of {campaign.name!r} to {out}")
    print(f"provenance: {sidecar}")
    return EXIT_OK


def run_campaign_contacted(options: CampaignOptions, name: str, customer_ids: list[str]) -> int:
    """Record members as contacted for the campaign (action log rows naming it)."""
    from dashboard.commands.export import _login_name

    store = _store(CampaignOptions(existing_warehouse(options.db), options.state))
    count = store.record_contacted(name, customer_ids, user=_login_name())
    print(f"recorded {count:,} members of {name!r} as contacted")
    return EXIT_OK
