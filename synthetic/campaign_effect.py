"""A known campaign effect planted in the log (post-processing of one chunk's events), so a
campaign report's measurement of it can be checked against the truth."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from synthetic.arrays import DAY, uuid_strings


@dataclass(frozen=True)
class PlantedEffect:
    """A known campaign effect planted in the log, so a measurement of it can be checked.

    Treated customers who made no purchase in ``[start, start + window_days)`` are each given
    a purchase session there (a view, a cart add and the purchase of a product they saw) with
    probability ``lift / (1 - r)``, ``r`` being the treated customers' own purchase rate in the
    window without the effect (per output file). The treated purchase rate then rises by
    ``lift`` in expectation, an absolute difference in probability: the quantity a campaign
    report estimates. Customers not in ``treated`` (the control group) are untouched.
    """

    treated: frozenset[int]
    start: date
    window_days: int
    lift: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.lift < 1.0:
            raise ValueError(f"lift must be from 0 up to (not including) 1, got {self.lift}")
        if self.window_days < 1:
            raise ValueError(f"window_days must be >= 1, got {self.window_days}")


_TIME_FORMAT = "%Y-%m-%d %H:%M:%S UTC"

#: Seconds from the planted session's view to its cart add and to its purchase.
_PLANTED_STEPS = (0, 30, 90)


def plant_effect(
    frame: pl.DataFrame, planted: PlantedEffect, rng: np.random.Generator, end_epoch: int
) -> tuple[pl.DataFrame, int]:
    """``frame`` with purchase sessions added for treated customers (see PlantedEffect),
    still sorted by user and time, and the number of sessions added."""
    window_start = calendar.timegm(planted.start.timetuple())
    window_end = min(window_start + planted.window_days * DAY, end_epoch) - _PLANTED_STEPS[-1]
    users = frame.get_column("user_id").to_numpy()
    treated = np.array(sorted(planted.treated & set(np.unique(users).tolist())), dtype=np.int64)
    if window_end <= window_start or treated.size == 0:
        return frame, 0
    epoch = (
        frame.get_column("event_time").str.strptime(pl.Datetime("us"), _TIME_FORMAT).dt.epoch("s")
    ).to_numpy()
    in_window = (
        (frame.get_column("event_type") == "purchase").to_numpy()
        & (epoch >= window_start)
        & (epoch < window_end + _PLANTED_STEPS[-1])
    )
    bought = np.isin(treated, np.unique(users[in_window]))
    base_rate = float(bought.mean())
    convert_prob = 1.0 if base_rate >= 1.0 else min(1.0, planted.lift / (1.0 - base_rate))
    converts = treated[~bought & (rng.random(treated.size) < convert_prob)]
    if converts.size == 0:
        return frame, 0
    # A product the customer saw (any of their rows), at the price it showed then.
    lo = np.searchsorted(users, converts, side="left")
    hi = np.searchsorted(users, converts, side="right")
    template = lo + np.floor(rng.random(converts.size) * (hi - lo)).astype(np.int64)
    when = rng.integers(window_start, window_end, converts.size)
    steps = len(_PLANTED_STEPS)
    rows = frame[np.repeat(template, steps).tolist()]
    times = np.repeat(when, steps) + np.tile(np.array(_PLANTED_STEPS), converts.size)
    added = rows.with_columns(
        event_time=pl.from_epoch(pl.Series(times), time_unit="s").dt.strftime(_TIME_FORMAT),
        event_type=pl.Series(np.tile(np.array(["view", "cart", "purchase"]), converts.size)),
        user_session=uuid_strings(rng, converts.size).gather(
            pl.Series(np.repeat(np.arange(converts.size), steps))
        ),
    )
    merged = pl.concat([frame, added]).sort(["user_id", "event_time"], maintain_order=True)
    return merged, int(converts.size)
