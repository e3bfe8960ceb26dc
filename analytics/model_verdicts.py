"""Which model behind a shown number is weak: verdicts per task and per derived column.

Read from ``model_runs`` (the latest training; :mod:`models.verdicts` judged it when it was
trained) and cached for the build being served. A number derived from a model whose
verdict is not ``useful`` is shown with a caveat next to it — the Overview KPI, the churn
list's columns, the what-if cards and an export's provenance sidecar all ask here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from analytics.build_cache import for_reader
from models.outputs import CATALOGUE, SCORE_METRIC_COLUMNS
from models.runs import RunRecord
from models.verdicts import USEFUL, WEAK, task_verdict
from warehouse.catalogue import CatalogueError
from warehouse.engine import load_sql
from warehouse.reader import WarehouseReader


@dataclass(frozen=True)
class ModelVerdict:
    """A model's verdict, for one task or for a column derived from one or more tasks."""

    tasks: tuple[str, ...]
    verdict: str
    reason: str

    @property
    def caveat(self) -> str | None:
        """The words shown next to a derived number, or ``None`` for a useful model."""
        if self.verdict == USEFUL:
            return None
        word = "weak model" if self.verdict == WEAK else "model withheld"
        return f"{word}: {self.reason}"

    def as_dict(self) -> dict[str, Any]:
        return {"tasks": list(self.tasks), "verdict": self.verdict, "reason": self.reason}


def task_verdicts(reader: WarehouseReader) -> dict[str, ModelVerdict]:
    """Every task's verdict from its latest training ({} before any), cached per build."""
    return for_reader(reader).keep("model_verdicts", (), lambda: _task_verdicts(reader))


def _task_verdicts(reader: WarehouseReader) -> dict[str, ModelVerdict]:
    tables = {r[0] for r in reader.rows("SELECT table_name FROM information_schema.tables")}
    if "model_runs" not in tables:
        return {}
    by_task: dict[str, list[RunRecord]] = {}
    for row in reader.frame(load_sql("current_model_runs", "analytics")).to_dicts():
        by_task.setdefault(str(row["task"]), []).append(RunRecord.from_row(row))
    out = {}
    for task, runs in by_task.items():
        selected = next((r for r in runs if r.selected), runs[0])
        if selected.verdict is not None:
            out[task] = ModelVerdict((task,), selected.verdict, selected.verdict_reason or "")
        else:
            # Trained before verdicts were stored: the same judgement of the stored figures.
            found = task_verdict(runs)
            out[task] = ModelVerdict((task,), found.verdict, found.reason)
    return out


def column_tasks(column: str) -> tuple[str, ...]:
    """The model tasks a catalogue column is predicted by or derived from (() for data)."""
    try:
        entry = CATALOGUE.column(column)
    except CatalogueError:
        return ()
    if entry.task is not None:
        return (entry.task,)
    tasks: list[str] = []
    for name in entry.inputs:
        tasks.extend(t for t in column_tasks(name) if t not in tasks)
    return tuple(tasks)


def column_verdict(reader: WarehouseReader, column: str) -> ModelVerdict | None:
    """The verdict behind a model-derived column: the worst of its tasks' (each reason
    named by its task), or ``None`` for a column no trained model produces."""
    verdicts = task_verdicts(reader)
    found = [verdicts[t] for t in column_tasks(column) if t in verdicts]
    if not found:
        return None
    doubtful = [v for v in found if v.verdict != USEFUL]
    if not doubtful:
        return ModelVerdict(tuple(t for v in found for t in v.tasks), USEFUL, _joined(found))
    worst = WEAK if all(v.verdict == WEAK for v in doubtful) else doubtful[0].verdict
    return ModelVerdict(tuple(t for v in doubtful for t in v.tasks), worst, _joined(doubtful))


def _joined(verdicts: list[ModelVerdict]) -> str:
    if len(verdicts) == 1:
        return verdicts[0].reason
    return "; ".join(f"{v.tasks[0]}: {v.reason}" for v in verdicts)


def column_caveats(reader: WarehouseReader, columns: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``{column: "weak model: <reason>"}`` for each of ``columns`` derived from a model that
    is not useful."""
    out = {}
    for column in columns:
        found = column_verdict(reader, column)
        if found is not None and found.caveat is not None:
            out[column] = found.caveat
    return out


def metric_caveat(reader: WarehouseReader, metric: str) -> str | None:
    """The caveat of a score KPI (value at risk, at-risk customers), from its column."""
    column = SCORE_METRIC_COLUMNS.get(metric)
    if column is None:
        return None
    return column_caveats(reader, [column]).get(column)


def export_verdicts(reader: WarehouseReader, columns: list[str]) -> dict[str, Any] | str:
    """An export's ``model_verdicts``: every exported model-derived column's verdict."""
    out: dict[str, Any] = {}
    for column in columns:
        found = column_verdict(reader, column)
        if found is not None:
            out[column] = found.as_dict()
    return out or "no exported column comes from a trained model"
