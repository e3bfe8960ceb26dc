"""What to train for an analyst's custom label (``shopsight train --label``).

The label is evaluated *before* any built-in model trains (:func:`prepare_custom`), so a label
DuckDB cannot bind fails in seconds, not after every other task has been fitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from models import features as feat
from models.labels import CustomLabel, evaluate_label, locked_connection
from models.protocol import run_supervised
from models.session_tasks import session_groups
from models.task_data import TaskData
from models.train_context import TrainContext
from warehouse.engine import load_sql


def custom_label_view(mart: str) -> tuple[str, str]:
    """The query a custom label is written against, and its key column."""
    if mart == "sessions":
        return load_sql("session_profiles", "models"), "session_id"
    return "SELECT * FROM customers", "customer_id"


def custom_label_features(table: pl.DataFrame, key: str) -> list[str]:
    """Every numeric or boolean column of the mart except keys: what a model over it sees."""
    skip = {key, "customer_id", "session_id", "source_id", "label", "label_value"}
    return [
        name
        for name, dtype in table.schema.items()
        if name not in skip and (dtype.is_numeric() or dtype == pl.Boolean)
    ]


def custom_dataset(
    db_path: Path, con: duckdb.DuckDBPyConnection, label: CustomLabel
) -> tuple[pl.DataFrame, list[str], str]:
    """The label evaluated on a locked-down connection, joined to the mart's columns."""
    mart_sql, key = custom_label_view(label.mart)
    locked = locked_connection(db_path)
    try:
        values = evaluate_label(locked, label, mart_sql, key)
    finally:
        locked.close()
    table = feat.frame(con, mart_sql).join(values, on=key, how="inner").sort(key)
    table = table.filter(pl.col("label").is_not_null() & pl.col("label").is_not_nan())
    return table, custom_label_features(table, key), key


@dataclass
class CustomData:
    """A custom label's rows, evaluated up front."""

    label: CustomLabel
    table: pl.DataFrame
    names: list[str]
    key: str


def prepare_custom(ctx: TrainContext) -> CustomData | None:
    """Evaluate the custom label now; a :class:`~models.labels.LabelError` stops the run."""
    label = ctx.options.label
    if label is None:
        return None
    table, names, key = custom_dataset(ctx.db_path, ctx.con, label)
    return CustomData(label, table, names, key)


def custom_task(ctx: TrainContext, custom: CustomData | None) -> None:
    """Train the prepared custom label like any other supervised task."""
    if custom is None:
        return
    label, table, key = custom.label, custom.table, custom.key
    task = f"custom_{label.name}"
    with ctx.timed(task):
        entity = "session" if label.mart == "sessions" else "customer"
        y = table["label"].to_numpy().astype(np.float64)
        binary = set(np.unique(y).tolist()) <= {0.0, 1.0}
        kind = "classification" if binary else "regression"
        if table.height < 20:
            ctx.unavailable(task, entity, kind, f"only {table.height} rows have a label value")
            return
        if entity == "session":
            groups = session_groups(table)
        else:
            groups = np.asarray(table[key], dtype=object)
        data = TaskData(
            task=task,
            entity=entity,
            kind=kind,
            names=custom.names,
            x=feat.matrix(table, custom.names),
            y=y,
            groups=groups,
            label_definition=label.definition,
            split="cv" if table.height <= ctx.options.max_cv_rows else "holdout",
            recipe={
                "source": "custom",
                "name": label.name,
                "expression": label.expression,
                "mart": label.mart,
            },
        )
        run_supervised(ctx, data)
