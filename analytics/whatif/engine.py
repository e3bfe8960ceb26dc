"""The what-if engine: the models ``shopsight score`` uses, loaded once per build.

:class:`WhatIf` answers :meth:`~WhatIf.predict` (purchase chance, predicted revenue, churn
probability and tier, value at risk, or a session's conversion chance and expected order
value, each with the version of the model that made it, or "unavailable: reason"),
:meth:`~WhatIf.sensitivity` / :meth:`~WhatIf.evaluate` (the prediction across one lever's
range with every other feature held: an individual conditional expectation curve, with a
warning where its overall direction runs against the lever's plain meaning) and
:meth:`~WhatIf.reasons` (the three strongest TreeSHAP contributions per model, in words).
The outputs and the formulas of the derived ones (value at risk, expected revenue, the churn
tier) are the catalogue's (:mod:`models.outputs`), the very ones scoring uses.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import xgboost as xgb

from analytics.whatif import profiles
from analytics.whatif.levers import (
    AGGREGATE_LEVERS,
    CUSTOMER_LEVERS,
    SESSION_LEVERS,
    Lever,
    LeverSpec,
    Support,
    describe_feature,
    make_lever,
)
from analytics.whatif.profiles import Profile, ProfileError, Scope
from analytics.whatif.results import Curve, Estimate, Prediction, Reasons
from analytics.whatif.wording import against_plain_meaning
from models import artifacts as art
from models import features as feat
from models.explain import OUTCOMES, reason_order
from models.outputs import CHURN_TIER
from models.outputs import CUSTOMER_OUTPUTS as _CUSTOMER_COLUMNS
from models.outputs import SESSION_OUTPUTS as _SESSION_COLUMNS
from models.score import Predictor
from warehouse.catalogue import Column
from warehouse.engine import load_sql
from warehouse.reader import WarehouseReader

FloatArray = npt.NDArray[np.float64]

CUSTOMER_TASKS = ("customer_purchase", "customer_revenue", "customer_churn")
#: A curve runs against its lever's plain meaning when its far end is beyond its near end by
#: more than this in the wrong direction: a point of a probability, a cent or 1 % of money.
PROBABILITY_TOLERANCE = 0.01
MONEY_TOLERANCE = (0.01, 0.01)  # (absolute, relative to the larger end)
SESSION_TASKS = ("session_conversion", "session_revenue")

#: The outputs per entity, by name, in the order the page shows them (catalogue columns).
CUSTOMER_OUTPUTS: dict[str, Column] = {c.name: c for c in _CUSTOMER_COLUMNS}
SESSION_OUTPUTS: dict[str, Column] = {c.name: c for c in _SESSION_COLUMNS}


def outputs_of(entity: str) -> dict[str, Column]:
    """The outputs of a customer or a session profile."""
    return CUSTOMER_OUTPUTS if entity == "customer" else SESSION_OUTPUTS


def tasks_behind(column: Column, entity: str) -> tuple[str, ...]:
    """The models an output needs: its own, or its inputs' (value at risk: churn, revenue)."""
    if column.task is not None:
        return (column.task,)
    outputs = outputs_of(entity)
    return tuple(t for name in column.inputs for t in tasks_behind(outputs[name], entity))


class WhatIf:
    """Predictions for edited profiles, from the models ``shopsight score`` uses.

    Build with :meth:`load`; the engine holds no connection, only the loaded models, the
    scoring anchor and horizon and the slider ranges, so one engine serves every request
    of a build (and is safe to share between threads).
    """

    def __init__(
        self,
        predictors: dict[str, Predictor],
        missing: dict[str, str],
        *,
        anchor: datetime | None,
        horizon_days: int,
        ranges: dict[str, dict[str, Support]],
        has_clock_time: bool,
        is_aggregate: bool,
        directory: Path,
    ) -> None:
        self.predictors = predictors
        self.missing = missing
        self.anchor = anchor
        self.horizon_days = horizon_days
        self.ranges = ranges
        self.has_clock_time = has_clock_time
        self.is_aggregate = is_aggregate
        self.directory = directory

    # ------------------------------------------------------------------ loading

    @classmethod
    def load(cls, reader: WarehouseReader, artifacts_dir: Path | None = None) -> WhatIf:
        """Load the trained models of the build ``reader`` serves and measure slider ranges."""
        directory = Path(artifacts_dir or art.default_dir(reader.db_path))
        index = art.read_index(directory)
        cursor = reader.cursor()
        try:
            caps = {
                str(n): bool(a)
                for n, a, _ in profiles.rows(cursor, load_sql("capability_list", "warehouse"))
            }
            missing = _unavailable_reasons(cursor)
            predictors = _load_predictors(directory, index, missing)
            horizon = next(
                (
                    int(predictors[t].meta.get("horizon_days") or 30)
                    for t in CUSTOMER_TASKS
                    if t in predictors
                ),
                30,
            )
            engine = cls(
                predictors,
                missing,
                anchor=feat.data_window(cursor).anchor,
                horizon_days=horizon,
                ranges={},
                has_clock_time=caps.get("has_clock_time", False),
                is_aggregate=caps.get("is_session_aggregate", False),
                directory=directory,
            )
            specs = {e: engine.lever_specs(e) for e in engine.entities}
            engine.ranges = profiles.measure_ranges(cursor, engine.scope, specs)
        finally:
            cursor.close()
        return engine

    @property
    def entities(self) -> tuple[str, ...]:
        """Which profiles can be scored: ``customer`` and/or ``session``."""
        found = []
        if self.anchor is not None and any(t in self.predictors for t in CUSTOMER_TASKS):
            found.append("customer")
        if "session_conversion" in self.predictors:
            found.append("session")
        return tuple(found)

    @property
    def available(self) -> bool:
        """Whether any model to play with was trained."""
        return bool(self.entities)

    @property
    def scope(self) -> Scope:
        """What the profile queries need to know of this build and its models."""
        return Scope(
            anchor=self.anchor,
            horizon_days=self.horizon_days,
            has_clock_time=self.has_clock_time,
            is_aggregate=self.is_aggregate,
            features={e: self.feature_names(e) for e in ("customer", "session")},
            entities=self.entities,
        )

    def unavailable_reason(self) -> str:
        """Why there is nothing to predict with (for the page's empty state)."""
        if not self.predictors:
            return (
                f"no trained customer or session models in {self.directory}; "
                "run `shopsight train` and `shopsight score` for this warehouse"
            )
        return "the warehouse has no events to anchor customer features on"

    def _tasks(self, entity: str) -> list[tuple[str, Predictor]]:
        tasks = CUSTOMER_TASKS if entity == "customer" else SESSION_TASKS
        return [(t, self.predictors[t]) for t in tasks if t in self.predictors]

    def feature_names(self, entity: str) -> list[str]:
        """Every feature the entity's models see, in the models' order."""
        names: dict[str, None] = {}
        for _, predictor in self._tasks(entity):
            names.update(dict.fromkeys(predictor.names))
        return list(names)

    def lever_specs(self, entity: str) -> tuple[LeverSpec, ...]:
        """The allow-list of influenceable features for ``entity`` on this data."""
        if entity == "customer":
            return CUSTOMER_LEVERS
        return AGGREGATE_LEVERS if self.is_aggregate else SESSION_LEVERS

    # ------------------------------------------------------------------ profiles

    def customer_profile(self, reader: WarehouseReader, customer_id: Any) -> Profile:
        """One customer's feature row as of the scoring anchor (the row its scores used)."""
        return profiles.entity_profile(reader, self.scope, "customer", customer_id)

    def session_profile(self, reader: WarehouseReader, session_id: Any) -> Profile:
        """One session's pre-signal features (the row its conversion score used)."""
        return profiles.entity_profile(reader, self.scope, "session", session_id)

    def segment_profile(self, reader: WarehouseReader, segment_id: Any) -> Profile:
        """A segment's typical member: the median of each feature over its members."""
        return profiles.segment_profile(reader, self.scope, segment_id)

    def profile(self, reader: WarehouseReader, kind: str, key: Any) -> Profile:
        """The profile a URL names (``kind`` is customer, segment or session)."""
        return profiles.profile(reader, self.scope, kind, key)

    def default_profile(self, reader: WarehouseReader) -> Profile:
        """Where the page starts: the customer with the highest value at risk, else the
        non-converted session the model thought most likely to convert."""
        return profiles.default_profile(reader, self.scope, self.unavailable_reason())

    def segments(self, reader: WarehouseReader) -> list[tuple[int, str, int]]:
        """K-means segments whose typical member can be scored: (id, name, members)."""
        return profiles.segments(reader, self.scope)

    # ------------------------------------------------------------------ levers

    def levers(self, profile: Profile) -> list[Lever]:
        """The sliders for ``profile``: allow-listed features its models use, ranged by data."""
        ranges = self.ranges.get(profile.entity, {})
        names = set(self.feature_names(profile.entity))
        out = []
        for spec in self.lever_specs(profile.entity):
            if spec.feature not in names or spec.feature not in ranges:
                continue
            if spec.feature == "seconds_browsing" and not self.has_clock_time:
                continue  # always zero without clock times: nothing to move
            current = profile.values.get(spec.feature, math.nan)
            lever = make_lever(spec, ranges[spec.feature], current, self.horizon_days)
            if lever is not None:
                out.append(lever)
        return out

    def held(self, profile: Profile) -> list[str]:
        """The features the models see that no slider moves, in words."""
        moved = {lever.feature for lever in self.levers(profile)}
        return [
            describe_feature(name, value)
            for name, value in profile.values.items()
            if name not in moved
        ]

    # ------------------------------------------------------------------ predictions

    def _grid(
        self,
        profile: Profile,
        levers: list[Lever],
        points: int,
        swept: frozenset[str] | None = None,
    ) -> tuple[list[FloatArray], dict[str, FloatArray]]:
        """Every model on the profile (row 0) and on each lever's sweep (then ``points`` rows
        per lever): one matrix, one predict call per model.

        Models not in ``swept`` (``None``: all) predict row 0 only, the rest is NaN: a
        curve that is not shown needs no predictions (a random forest costs ~0.1 ms a tree
        per call however few rows it scores).
        """
        sweeps = [np.linspace(lever.low, lever.high, points) for lever in levers]
        n = 1 + len(levers) * points
        out: dict[str, FloatArray] = {}
        for task, predictor in self._tasks(profile.entity):
            names = predictor.names
            base = np.array([profile.values.get(f, math.nan) for f in names], dtype=np.float64)
            if swept is not None and task not in swept:
                column = np.full(n, np.nan)
                column[0] = float(predictor.predict(base[None, :])[0])
                out[task] = column
                continue
            grid = np.tile(base, (n, 1))
            position = {f: i for i, f in enumerate(names)}
            for i, (lever, xs) in enumerate(zip(levers, sweeps, strict=True)):
                if lever.feature in position:
                    grid[1 + i * points : 1 + (i + 1) * points, position[lever.feature]] = xs
            out[task] = np.asarray(predictor.predict(grid), dtype=np.float64)
        return sweeps, out

    def _outputs(self, entity: str, raw: dict[str, FloatArray]) -> dict[str, FloatArray | None]:
        """Model outputs plus the derived ones, by the catalogue's formulas."""
        values: dict[str, FloatArray | None] = {}
        for name, column in outputs_of(entity).items():
            if column.task is not None:
                values[name] = raw.get(column.task)
            else:
                values[name] = column.compute(values)
        return values

    def _why_missing(self, task: str) -> str:
        return self.missing.get(task) or "not trained: run `shopsight train` for this warehouse"

    def _estimate(self, entity: str, column: Column, value: float | None) -> Estimate:
        """One output's estimate: its value with the models behind it, or why none."""
        tasks = tasks_behind(column, entity)
        present = [self.predictors.get(t) for t in tasks]
        if column.task is not None:
            why = None if present[0] else self._why_missing(column.task)
        else:
            why = None if all(present) else f"needs the {' and '.join(tasks)} models"
        if why is not None:
            return Estimate(column.name, column.label, column.unit, None, None, why)
        version = " × ".join(str(p.meta["model_version"]) for p in present if p)
        return Estimate(column.name, column.label, column.unit, value, version, why)

    def _estimates(self, entity: str, values: dict[str, float | None]) -> Prediction:
        estimates = {
            name: self._estimate(entity, column, values.get(name))
            for name, column in outputs_of(entity).items()
        }
        tier = None
        churn = values.get("churn_prob")
        if entity == "customer" and churn is not None:
            tier = str(CHURN_TIER.compute({"churn_prob": np.array([churn], dtype=np.float64)})[0])
        return Prediction(estimates, tier)

    def predict(self, profile: Profile) -> Prediction:
        """Every model's prediction for ``profile`` (unavailable ones say why)."""
        _, raw = self._grid(profile, [], 1)
        first = {
            name: (float(values[0]) if values is not None else None)
            for name, values in self._outputs(profile.entity, raw).items()
        }
        return self._estimates(profile.entity, first)

    def evaluate(
        self, profile: Profile, points: int = 21, curves_of: Iterable[str] | None = None
    ) -> tuple[Prediction, list[Curve]]:
        """The prediction and every lever's sensitivity curve, in one pass over the models
        (what a slider move needs).

        Parameters
        ----------
        curves_of
            Outputs whose curves are wanted (``None``: all); the others' curve points are
            ``None``. The page asks only for the output its curves show.
        """
        if points < 2:
            raise ValueError("a sensitivity curve needs at least 2 points")
        levers = self.levers(profile)
        swept = None if curves_of is None else self._tasks_of(profile.entity, curves_of)
        sweeps, raw = self._grid(profile, levers, points, swept)
        outputs = self._outputs(profile.entity, raw)
        first = {n: _number(v[0]) if v is not None else None for n, v in outputs.items()}
        curves = []
        for i, (lever, xs) in enumerate(zip(levers, sweeps, strict=True)):
            part = slice(1 + i * points, 1 + (i + 1) * points)
            curves.append(_curve(lever, xs, outputs, part, points, profile))
        return self._estimates(profile.entity, first), curves

    def _tasks_of(self, entity: str, names: Iterable[str]) -> frozenset[str]:
        """The models behind some outputs (value at risk needs churn and revenue)."""
        outputs = outputs_of(entity)
        return frozenset(t for n in names if n in outputs for t in tasks_behind(outputs[n], entity))

    def sensitivity(self, profile: Profile, feature: str, points: int = 21) -> Curve:
        """The predictions across ``feature``'s slider range, every other feature held."""
        levers = [lever for lever in self.levers(profile) if lever.feature == feature]
        if not levers:
            raise ProfileError(f"{feature!r} is not a lever of this profile")
        if points < 2:
            raise ValueError("a sensitivity curve needs at least 2 points")
        sweeps, raw = self._grid(profile, levers, points)
        outputs = self._outputs(profile.entity, raw)
        return _curve(levers[0], sweeps[0], outputs, slice(1, None), points, profile)

    def reasons(self, profile: Profile, top: int = 3) -> list[Reasons]:
        """The ``top`` strongest TreeSHAP contributions of each model, in words.

        The same phrases as :meth:`models.score.Predictor.reasons` (a test compares them),
        made for one row in plain Python: the batch version builds a Polars expression per
        feature, about 40 ms a call, too slow for a slider.
        """
        out = []
        for task, predictor in self._tasks(profile.entity):
            names = predictor.names
            x = np.array([[profile.values.get(f, math.nan) for f in names]], dtype=np.float64)
            contrib = _contributions(predictor.explainer, x)
            order = reason_order(contrib, top)
            outcome = OUTCOMES.get(task, task)
            texts = [_phrase(names[j], float(x[0, j]), float(contrib[j]), outcome) for j in order]
            texts += ["no further factor"] * (top - len(texts))
            out.append(Reasons(task, outcome, texts))
        return out


def _curve(
    lever: Lever,
    xs: FloatArray,
    outputs: dict[str, FloatArray | None],
    part: slice,
    points: int,
    profile: Profile,
) -> Curve:
    """One lever's curve: rows ``part`` of every output (``None`` where not computed), with
    a warning on each output whose direction runs against the lever's plain meaning."""
    found: dict[str, list[float | None]] = {
        n: ([_number(y) for y in v[part]] if v is not None else [None] * points)
        for n, v in outputs.items()
    }
    columns = outputs_of(profile.entity)
    warnings = {
        name: against_plain_meaning(lever.more, lever.expected(name), columns[name].label)
        for name, ys in found.items()
        if name in columns and runs_against(lever.expected(name), ys, columns[name].unit)
    }
    return Curve(
        lever.feature,
        [float(x) for x in xs],
        found,
        profile.values.get(lever.feature, math.nan),
        warnings,
    )


def runs_against(expected: int, ys: list[float | None], unit: str) -> bool:
    """Whether a curve's overall direction — the change from the lever's low end to its high
    end — contradicts ``expected`` (1: should not fall; -1: should not rise; 0: no plain
    meaning) by more than a small tolerance. A curve not computed is not judged."""
    if expected == 0 or len(ys) < 2 or ys[0] is None or ys[-1] is None:
        return False
    first, last = ys[0], ys[-1]
    if unit == "probability":
        tolerance = PROBABILITY_TOLERANCE
    else:
        absolute, relative = MONEY_TOLERANCE
        tolerance = max(absolute, relative * max(abs(first), abs(last)))
    return expected * (last - first) < -tolerance


def _phrase(name: str, value: float, contribution: float, outcome: str) -> str:
    if contribution == 0:
        return "no further factor"
    direction = "raised" if contribution > 0 else "lowered"
    return f"{describe_feature(name, value)} {direction} {outcome}"


def _number(value: float) -> float | None:
    """A prediction as a plain float, NaN (not computed) as ``None``."""
    number = float(value)
    return None if math.isnan(number) else number


def _contributions(explainer: xgb.Booster, x: FloatArray) -> FloatArray:
    """TreeSHAP contributions of one row, bias dropped (``models.explain.contributions`` with
    a one-thread DMatrix: building it with every thread cost 16 ms under load, 0.1 ms so)."""
    matrix = xgb.DMatrix(x, missing=np.nan, nthread=1)
    out = np.asarray(explainer.predict(matrix, pred_contribs=True), dtype=np.float64)
    return out[0, :-1]


def _load_predictors(
    directory: Path, index: dict[str, str], missing: dict[str, str]
) -> dict[str, Predictor]:
    """The trained customer and session models (a broken artifact: noted in ``missing``)."""
    predictors: dict[str, Predictor] = {}
    for task in (*CUSTOMER_TASKS, *SESSION_TASKS):
        if task not in index:
            continue
        try:
            predictors[task] = _single_threaded(Predictor.load(directory, task))
        except art.ArtifactError as exc:
            missing[task] = str(exc)
    return predictors


def _single_threaded(predictor: Predictor) -> Predictor:
    """One thread per prediction: a what-if predicts a few hundred rows, and threads
    contending for two shared cores made such a call many times slower (measured: XGBoost
    0.4 ms single-threaded against up to 20 ms with two OpenMP threads under load; a
    150-tree random forest 10 ms with ``n_jobs=1`` against 26–37 ms with two jobs)."""
    for booster in (predictor.model.model, predictor.explainer):
        if isinstance(booster, xgb.Booster):
            booster.set_param({"nthread": 1})
    estimators = [predictor.model.model]
    while estimators:
        estimator = estimators.pop()
        if hasattr(estimator, "n_jobs"):
            estimator.n_jobs = 1
        estimators.extend(step for _, step in getattr(estimator, "steps", []))
        # A calibrated vote (models.candidates.CalibratedVote) holds its models as members.
        estimators.extend(getattr(estimator, "members", []))
    return predictor


def _unavailable_reasons(cursor: duckdb.DuckDBPyConnection) -> dict[str, str]:
    if not profiles.has_table(cursor, "model_runs"):
        return {}
    found = profiles.rows(cursor, load_sql("unavailable_reasons", "models"))
    return {str(task): str(reason) for task, reason in found}
