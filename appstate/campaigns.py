"""Campaigns in the app-state store: the definition, the frozen members with their group
(treatment or control), and the members marked contacted (action-log rows naming it).

The control group is a seeded random hold-out drawn within each churn tier, so the two groups
have the same tier mix and compare like with like (docs/campaigns.md). Members are frozen at
creation with the scores they had then: a rebuild changes the warehouse, never the campaign.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import polars as pl

from analytics.campaigns import CONTROL, GOALS, MEMBER_COLUMNS, TREATMENT, Goal
from analytics.cohort import Cohort
from appstate.database import AppStateError, StateDB, now_text, parse_time, state_sql

UNSCORED_TIER = "(unscored)"
MAX_NAME = 80
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
_SCORE_COLUMNS = ("churn_tier", "segment", "purchase_prob", "churn_prob", "predicted_revenue")


@dataclass(frozen=True)
class CampaignSpec:
    """What a campaign is asked to be (``shopsight campaign create`` options)."""

    name: str
    cohort_query: str
    goal: Goal = "purchase"
    window_days: int = 30
    holdout_share: float = 0.1
    seed: int = 0
    start_date: date | None = None  # None: the day of creation

    def checked(self) -> CampaignSpec:
        """The spec with a clean name and canonical query, or AppStateError saying why not."""
        name = self.name.strip() if isinstance(self.name, str) else ""
        if not name or len(name) > MAX_NAME or _CONTROL_CHARS.search(name):
            raise AppStateError(
                f"a campaign name must be 1 to {MAX_NAME} characters without control characters"
            )
        if self.goal not in GOALS:
            raise AppStateError(f"goal {self.goal!r} is not one of {', '.join(GOALS)}")
        if not isinstance(self.window_days, int) or not 1 <= self.window_days <= 3650:
            raise AppStateError("the window is a whole number of days from 1 to 3650")
        share = self.holdout_share
        if not isinstance(share, int | float) or not math.isfinite(share) or not 0 < share < 1:
            raise AppStateError(f"hold-out share {share!r} must be between 0 and 1 (exclusive)")
        if not isinstance(self.seed, int) or not 0 <= self.seed < 2**63:
            raise AppStateError("the seed is a whole number from 0 to 2**63 - 1")
        query = Cohort.from_query(self.cohort_query).to_query()
        start = self.start_date or datetime.now().date()
        return CampaignSpec(
            name, query, self.goal, self.window_days, float(share), self.seed, start
        )


@dataclass(frozen=True)
class Campaign:
    name: str
    cohort_query: str
    goal: Goal
    window_days: int
    holdout_share: float
    seed: int
    start_date: date
    build_id: str | None
    created_by: str | None
    created_at: datetime
    treatment_members: int
    control_members: int

    def document(self) -> dict[str, Any]:
        """JSON-ready values, for provenance and ``--json``."""
        return json.loads(json.dumps(self.__dict__, default=str))  # type: ignore[no-any-return]


def assign_groups(candidates: pl.DataFrame, share: float, seed: int) -> pl.DataFrame:
    """``candidates`` with a ``group`` column: in each churn tier (unscored customers form
    one), ``round(share * n)`` members drawn at random with a seeded generator go to control.

    Members are sorted by id before the draw, so the same list, share and seed always give
    the same groups, whatever order the warehouse returned them in.
    """
    frame = candidates.with_columns(pl.col("customer_id").cast(pl.String)).sort("customer_id")
    tiers = frame.get_column("churn_tier").fill_null(UNSCORED_TIER).to_list()
    ids = frame.get_column("customer_id").to_list()
    by_tier: dict[str, list[str]] = {}
    for customer, tier in zip(ids, tiers, strict=True):
        by_tier.setdefault(tier, []).append(customer)
    control: set[str] = set()
    for tier, members in sorted(by_tier.items()):
        drawn = random.Random(f"{seed}:{tier}").sample(members, round(share * len(members)))
        control.update(drawn)
    groups = [CONTROL if c in control else TREATMENT for c in ids]
    return frame.with_columns(pl.Series("group", groups, dtype=pl.String)).select(MEMBER_COLUMNS)


class Campaigns(StateDB):
    """The campaigns of an app-state store (the same SQLite file as ``AppState``)."""

    def create(
        self,
        spec: CampaignSpec,
        candidates: pl.DataFrame,
        *,
        user: str | None = None,
        build_id: str | None = None,
    ) -> Campaign:
        """Freeze ``candidates`` (``analytics.campaigns.campaign_candidates``) as a new
        campaign's members, split into treatment and control."""
        spec = spec.checked()
        if candidates.height == 0:
            raise AppStateError("the cohort has no customers: nothing to run a campaign on")
        members = assign_groups(candidates, spec.holdout_share, spec.seed)
        if (members.get_column("group") == CONTROL).sum() == 0:
            raise AppStateError(
                f"a hold-out of {spec.holdout_share:g} of {members.height} members leaves no "
                "control group; hold out a larger share or pick a larger cohort"
            )
        assert spec.start_date is not None
        with self._write() as con:
            if con.execute("SELECT 1 FROM campaigns WHERE name = ?", (spec.name,)).fetchone():
                raise AppStateError(f"a campaign named {spec.name!r} already exists")
            cursor = con.execute(
                state_sql("add_campaign"),
                {
                    "name": spec.name,
                    "cohort_query": spec.cohort_query,
                    "goal": spec.goal,
                    "window_days": spec.window_days,
                    "holdout_share": spec.holdout_share,
                    "seed": spec.seed,
                    "start_date": spec.start_date.isoformat(),
                    "build_id": build_id,
                    "created_by": user,
                    "now": now_text(),
                },
            )
            campaign_id = cursor.lastrowid
            con.executemany(
                state_sql("add_campaign_member"),
                [
                    {"campaign_id": campaign_id, **dict(zip(_MEMBER_FIELDS, row, strict=True))}
                    for row in members.iter_rows()
                ],
            )
        created = self.get(spec.name)
        assert created is not None
        return created

    def get(self, name: str) -> Campaign | None:
        rows = self._read(state_sql("campaign_list"), {"name": name.strip()})
        return _campaign(rows[0]) if rows else None

    def list(self) -> list[Campaign]:
        return [_campaign(r) for r in self._read(state_sql("campaign_list"), {"name": None})]

    def members(self, name: str, group: str | None = None) -> pl.DataFrame:
        """The frozen members (``MEMBER_COLUMNS``), of one group when ``group`` is given."""
        campaign = self._require(name)
        rows = self._read(
            state_sql("campaign_member_list"), {"name": campaign.name, "member_group": group}
        )
        schema = dict.fromkeys(MEMBER_COLUMNS[:4], pl.String) | dict.fromkeys(
            MEMBER_COLUMNS[4:], pl.Float64
        )
        return pl.DataFrame(rows, schema=schema, orient="row")

    def record_contacted(
        self,
        name: str,
        customer_ids: Iterable[str],
        *,
        user: str | None = None,
        build_id: str | None = None,
    ) -> int:
        """Log ``contacted`` against the campaign for each id (all must be members)."""
        campaign = self._require(name)
        ids = sorted({str(c) for c in customer_ids})
        known = set(self.members(campaign.name).get_column("customer_id").to_list())
        strangers = [c for c in ids if c not in known]
        if strangers:
            raise AppStateError(
                f"{len(strangers)} of these customers are not members of {campaign.name!r} "
                f"(e.g. {strangers[0]!r})"
            )
        now = now_text()
        with self._write() as con:
            con.executemany(
                "INSERT INTO action_log (logged_at, user_name, action, customer_id, campaign, "
                "build_id) VALUES (?, ?, 'contacted', ?, ?, ?)",
                [(now, user, c, campaign.name, build_id) for c in ids],
            )
        return len(ids)

    def contacted(self, name: str) -> set[str]:
        """The members marked contacted for this campaign (the action log's rows naming it)."""
        campaign = self._require(name)
        rows = self._read(
            "SELECT DISTINCT customer_id FROM action_log WHERE campaign = ? AND action = ?",
            (campaign.name, "contacted"),
        )
        return {str(r[0]) for r in rows}

    def _require(self, name: str) -> Campaign:
        campaign = self.get(name)
        if campaign is None:
            names = ", ".join(c.name for c in self.list()) or "none"
            raise AppStateError(f"no campaign named {name!r} (campaigns: {names})")
        return campaign


# The member columns as add_campaign_member binds them, in the order members rows hold them.
_MEMBER_FIELDS = (
    "customer_id",
    "member_group",
    "churn_tier",
    "segment",
    "purchase_prob",
    "churn_prob",
    "predicted_revenue",
)


def _campaign(row: tuple[Any, ...]) -> Campaign:
    return Campaign(
        name=row[0],
        cohort_query=row[1],
        goal=row[2],
        window_days=int(row[3]),
        holdout_share=float(row[4]),
        seed=int(row[5]),
        start_date=date.fromisoformat(row[6]),
        build_id=row[7],
        created_by=row[8],
        created_at=parse_time(row[9]),
        treatment_members=int(row[10] or 0),
        control_members=int(row[11] or 0),
    )
