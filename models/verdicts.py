"""Verdicts: does a model beat its naive baseline by a stated margin? (docs/models.md)

Every task in ``model_runs`` gets a verdict, computed from the figures stored in its rows —
never typed in:

- ``useful``: the selected model clears every margin below;
- ``weak``: it was trained and evaluated, but lands within a margin of its naive baseline,
  or on fewer rows or positives than :mod:`models.minimums` asks, so its figures cannot
  tell it from that baseline; a number derived from it is shown with "weak model:
  <reason>" next to it;
- ``withheld``: no model is published (unavailable, too little data, or refused by the
  leakage audit).

Each trained candidate row carries its own verdict; the task's verdict is its selected
row's. Baseline rows are the yardstick and carry none.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from models.minimums import shortfall
from models.runs import RunRecord

USEFUL = "useful"
WEAK = "weak"
WITHHELD = "withheld"

#: Classification: ROC-AUC below this ranks barely better than chance (0.5); Hosmer and
#: Lemeshow call 0.5–0.7 "poor" discrimination, and 0.6 is the floor of that band's top half.
MIN_ROC_AUC = 0.60
#: Classification: the share of the room above prevalence (a random ranking's PR-AUC) the
#: model must win, (PR-AUC − prevalence) / (1 − prevalence). Below 10 % the top of its list
#: is barely richer in positives than the list as a whole.
MIN_PR_GAIN = 0.10
#: Classification with a naive ranking rule (days since the last visit): the model's
#: ROC-AUC must exceed the rule's by this much, or the rule does the job.
MIN_RANKING_GAIN = 0.02
#: Regression: R² below this explains under 5 % of the variance of the target.
MIN_R2 = 0.05
#: Regression: the MAE must be at least this share below the best naive baseline's MAE.
MAE_MARGIN = 0.05
#: Clustering: refits on resamples must agree this well (``models.segments.MIN_STABILITY``)
#: and points must sit closer to their own segment than to the next (silhouette).
MIN_STABILITY = 0.75
MIN_SILHOUETTE = 0.10


@dataclass(frozen=True)
class Verdict:
    verdict: str
    reason: str


def judge(run: RunRecord, baselines: list[RunRecord]) -> Verdict | None:
    """The verdict of one row, from its stored figures and its task's baseline rows.

    ``None`` for a baseline row (it is what the others are judged against).
    """
    if run.status == "baseline":
        return None
    if run.status != "trained":
        return Verdict(WITHHELD, run.reason or run.status)
    if run.kind in ("classification", "regression"):
        judged = (_classification if run.kind == "classification" else _regression)(run, baselines)
        rows = min(run.n_train or 0, run.n_test or 0) if run.n_train is not None else None
        short = shortfall(rows, run.n_positives, run.kind)
        if short is None or judged.verdict == WITHHELD:
            return judged
        if judged.verdict == WEAK:
            return Verdict(WEAK, f"{short}; {judged.reason}")
        return Verdict(WEAK, short)
    if run.kind == "clustering":
        return _clustering(run)
    return Verdict(USEFUL, "descriptive rules over the data (no model to beat)")


def _classification(run: RunRecord, baselines: list[RunRecord]) -> Verdict:
    if run.roc_auc is None or run.pr_auc is None or run.prevalence is None:
        return Verdict(WITHHELD, "no ROC-AUC or PR-AUC was measured")
    weak: list[str] = []
    if run.roc_auc < MIN_ROC_AUC:
        weak.append(f"ROC-AUC {run.roc_auc:.3f} < {MIN_ROC_AUC:.2f} (0.5 is a coin toss)")
    room = 1.0 - run.prevalence
    gain = (run.pr_auc - run.prevalence) / room if room > 0 else 0.0
    if gain < MIN_PR_GAIN:
        weak.append(
            f"PR-AUC {run.pr_auc:.3f} wins {gain:.0%} of the room above the prevalence "
            f"{run.prevalence:.3f} (< {MIN_PR_GAIN:.0%})"
        )
    rules = [b for b in baselines if b.roc_auc is not None]
    if rules:
        best = max(rules, key=lambda b: float(b.roc_auc or 0.0))
        assert best.roc_auc is not None
        if run.roc_auc - best.roc_auc < MIN_RANKING_GAIN:
            weak.append(
                f"ROC-AUC {run.roc_auc:.3f} is within {MIN_RANKING_GAIN} of the naive rule "
                f"{best.candidate} ({best.roc_auc:.3f})"
            )
    if weak:
        return Verdict(WEAK, "; ".join(weak))
    return Verdict(
        USEFUL,
        f"ROC-AUC {run.roc_auc:.3f} ≥ {MIN_ROC_AUC:.2f}, PR-AUC {run.pr_auc:.3f} wins "
        f"{gain:.0%} of the room above the prevalence {run.prevalence:.3f}"
        + (" and beats the naive rule" if rules else ""),
    )


def _regression(run: RunRecord, baselines: list[RunRecord]) -> Verdict:
    if run.mae is None or run.r2 is None:
        return Verdict(WITHHELD, "no MAE or R² was measured")
    weak: list[str] = []
    if run.r2 < MIN_R2:
        weak.append(f"R² {run.r2:.3f} < {MIN_R2:.2f}")
    naive = [b for b in baselines if b.mae is not None]
    gain = None
    if naive:
        best = min(naive, key=lambda b: float(b.mae or 0.0))
        assert best.mae is not None
        gain = 1.0 - run.mae / best.mae if best.mae > 0 else 0.0
        if gain < MAE_MARGIN:
            weak.append(
                f"MAE {run.mae:,.2f} is not {MAE_MARGIN:.0%} below the {best.mae:,.2f} of the "
                f"naive baseline {best.candidate}"
            )
    if weak:
        return Verdict(WEAK, "; ".join(weak))
    beats = "" if gain is None else f", MAE {gain:.0%} below the best naive baseline's"
    return Verdict(USEFUL, f"R² {run.r2:.3f} ≥ {MIN_R2:.2f}{beats}")


def _clustering(run: RunRecord) -> Verdict:
    if run.stability is None or run.silhouette is None:
        return Verdict(WITHHELD, "no stability or silhouette was measured")
    weak: list[str] = []
    if run.stability < MIN_STABILITY:
        weak.append(f"stability {run.stability:.3f} < {MIN_STABILITY} (refits disagree)")
    if run.silhouette < MIN_SILHOUETTE:
        weak.append(f"silhouette {run.silhouette:.3f} < {MIN_SILHOUETTE} (segments overlap)")
    if weak:
        return Verdict(WEAK, "; ".join(weak))
    return Verdict(USEFUL, f"stability {run.stability:.3f}, silhouette {run.silhouette:.3f}")


def with_verdicts(runs: list[RunRecord]) -> list[RunRecord]:
    """``runs`` with ``verdict`` and ``verdict_reason`` filled in from their own figures."""
    baselines: dict[tuple[str | None, str], list[RunRecord]] = {}
    for run in runs:
        if run.status == "baseline":
            baselines.setdefault((run.train_id, run.task), []).append(run)
    out = []
    for run in runs:
        found = judge(run, baselines.get((run.train_id, run.task), []))
        if found is None:
            out.append(replace(run, verdict=None, verdict_reason=None))
        else:
            out.append(replace(run, verdict=found.verdict, verdict_reason=found.reason))
    return out


def task_verdict(runs: list[RunRecord]) -> Verdict:
    """A task's verdict: its selected row's, else (nothing selected) the first row's."""
    judged = with_verdicts(runs)
    chosen = next((r for r in judged if r.selected), None) or next(
        (r for r in judged if r.verdict is not None), None
    )
    if chosen is None or chosen.verdict is None:
        return Verdict(WITHHELD, "no model was trained")
    return Verdict(chosen.verdict, chosen.verdict_reason or "")
