"""Synthetic e-commerce event log in the REES46 shape.

The generator simulates customers of a multi-category online shop and writes their
``view`` / ``cart`` / ``remove_from_cart`` / ``purchase`` events in the column layout of the
public REES46 "eCommerce behavior data from multi category store" files. It is the data behind
the demo and the benchmarks, and later models train on it, so the behaviour it encodes has to
be learnable without being trivial: customers belong to hidden archetypes, churn after each
visit with a per-customer hazard, prefer a few categories, react to prices and weekly promotions,
and visit the shop with weekday and hour-of-day seasonality. ``docs/generator.md`` documents the
model and its parameters.

Everything is vectorised with numpy per chunk of customers; there is no Python loop over
sessions or events, and memory is bounded by the chunk size rather than by ``customers``.

This module is the generator's public API and writes the files; the model lives beside it:
:mod:`synthetic.catalog` (products, prices, brands, promotions), :mod:`synthetic.customers`
(archetypes and traits), :mod:`synthetic.sessions` (visits and views), :mod:`synthetic.carts`
(cart, removal, checkout), :mod:`synthetic.events` (one chunk to event rows) and
:mod:`synthetic.campaign_effect` (the planted campaign effect).

This module is the generator's public API and writes the files; the model lives beside it:
:mod:`synthetic.catalog` (products, prices, brands, promotions), :mod:`synthetic.customers`
(archetypes and traits), :mod:`synthetic.sessions` (visits and views), :mod:`synthetic.carts`
(cart, removal, checkout), :mod:`synthetic.events` (one chunk to event rows) and
:mod:`synthetic.campaign_effect` (the planted campaign effect).
"""

from __future__ import annotations

import calendar
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl

from synthetic.arrays import DAY
from synthetic.campaign_effect import PlantedEffect, plant_effect
from synthetic.catalog import CATEGORIES, build_catalog, category_id
from synthetic.customers import ARCHETYPES, Archetype
from synthetic.events import COLUMNS, EVENT_TYPES, FIRST_USER_ID, generate_chunk

__all__ = [
    "ARCHETYPES",
    "CATEGORIES",
    "COLUMNS",
    "EVENT_TYPES",
    "FIRST_USER_ID",
    "SCHEMA",
    "Archetype",
    "category_id",
    "GenerateSummary",
    "PlantedEffect",
    "generate_events",
]

FileFormat = Literal["parquet", "csv"]

SCHEMA: dict[str, pl.DataType] = {
    "event_time": pl.String(),
    "event_type": pl.String(),
    "product_id": pl.Int64(),
    "category_id": pl.Int64(),
    "category_code": pl.String(),
    "brand": pl.String(),
    "price": pl.Float64(),
    "user_id": pl.Int64(),
    "user_session": pl.String(),
}

#: Customers per output file. 20k customers is ~1.2M events, a few hundred MB of working arrays.
CHUNK_CUSTOMERS = 20_000


@dataclass(frozen=True)
class GenerateSummary:
    """What :func:`generate_events` wrote.

    ``start`` and ``end`` are the UTC window ``[start, end)``; every event time lies inside it.
    """

    out_dir: Path
    files: list[Path]
    customers: int
    sessions: int
    events: int
    purchases: int
    start: datetime
    end: datetime


def generate_events(
    out_dir: Path | str,
    *,
    customers: int = 5000,
    days: int = 180,
    seed: int = 42,
    file_format: FileFormat = "parquet",
    start: date = date(2025, 1, 1),
    progress: Callable[[int, int], None] | None = None,
    planted: PlantedEffect | None = None,
) -> GenerateSummary:
    """Write a synthetic REES46-shaped event log to ``out_dir``.

    Parameters
    ----------
    out_dir
        Directory to write ``events-00000.<ext>``, ``events-00001.<ext>``, … into (created if
        missing). Files of an earlier run with the same naming pattern (either format) are
        removed first, so the directory always holds exactly one generated dataset.
    customers
        Number of customers. Each appears in the log (every customer has at least one session).
    days
        Length of the observation window, starting at ``start`` 00:00 UTC.
    seed
        Non-negative seed. The same arguments give byte-identical files.
    file_format
        ``"parquet"`` (zstd) or ``"csv"`` (with header, prices with two decimals).
    start
        First day of the window.
    progress
        Called as ``progress(done_customers, total_customers)`` after each written file.
    planted
        A known campaign effect to plant (see :class:`PlantedEffect`); ``None`` (the
        default) leaves the log exactly as without it.

    Returns
    -------
    GenerateSummary
        Paths written and counts of customers, sessions, events and purchase rows.
    """
    _check_arguments(customers, days, seed, file_format)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _remove_previous_files(out)

    start = date(start.year, start.month, start.day)  # a datetime's clock time is ignored
    return _write_log(
        out,
        file_format,
        seed=seed,
        customers=customers,
        days=days,
        start=start,
        progress=progress,
        planted=planted,
    )


def _check_arguments(customers: int, days: int, seed: int, file_format: str) -> None:
    if customers < 1:
        raise ValueError(f"customers must be >= 1, got {customers}")
    if days < 1:
        raise ValueError(f"days must be >= 1, got {days}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    if file_format not in ("parquet", "csv"):
        raise ValueError(f"file_format must be 'parquet' or 'csv', got {file_format!r}")


def _remove_previous_files(out: Path) -> None:
    """Delete an earlier run's files (either format), so one dataset is in ``out``."""
    for pattern in (
        "events-[0-9][0-9][0-9][0-9][0-9].parquet",
        "events-[0-9][0-9][0-9][0-9][0-9].csv",
    ):
        for stale in out.glob(pattern):
            stale.unlink()


def _write_log(
    out: Path,
    file_format: FileFormat,
    *,
    seed: int,
    customers: int,
    days: int,
    start: date,
    progress: Callable[[int, int], None] | None,
    planted: PlantedEffect | None = None,
) -> GenerateSummary:
    """Simulate and write the log one chunk of customers (one file) at a time (and plant a
    campaign effect in each chunk when asked)."""
    catalog = build_catalog(seed, days)
    window_start = datetime(start.year, start.month, start.day, tzinfo=UTC)
    start_epoch = calendar.timegm(start.timetuple())
    files: list[Path] = []
    sessions = events = purchases = 0
    n_chunks = -(-customers // CHUNK_CUSTOMERS)
    for chunk in range(n_chunks):
        first = chunk * CHUNK_CUSTOMERS
        n = min(CHUNK_CUSTOMERS, customers - first)
        # Independent stream per chunk: a full chunk k is the same whatever the total size, and
        # chunks could be generated in parallel later without changing a byte.
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, chunk)))
        frame, n_sessions = generate_chunk(
            catalog, rng, first, n, days, start_epoch, start.weekday()
        )
        if planted is not None and planted.lift > 0:
            effect_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2, chunk)))
            frame, extra = plant_effect(frame, planted, effect_rng, start_epoch + days * DAY)
            n_sessions += extra
        path = out / f"events-{chunk:05d}.{file_format}"
        _write(frame, path, file_format)
        files.append(path)
        sessions += n_sessions
        events += frame.height
        purchases += int((frame.get_column("event_type") == "purchase").sum())
        del frame
        if progress is not None:
            progress(first + n, customers)
    return GenerateSummary(
        out_dir=out,
        files=files,
        customers=customers,
        sessions=sessions,
        events=events,
        purchases=purchases,
        start=window_start,
        end=window_start + timedelta(days=days),
    )


def _write(frame: pl.DataFrame, path: Path, file_format: FileFormat) -> None:
    # Write next to the target and rename, so a crash never leaves a half file under the final
    # name that a loader would pick up.
    tmp = path.with_name(f".{path.name}.tmp")
    if file_format == "parquet":
        frame.write_parquet(tmp, compression="zstd", statistics=True)
    else:
        frame.write_csv(tmp, float_precision=2)
    os.replace(tmp, path)
